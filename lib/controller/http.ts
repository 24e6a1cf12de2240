/**
 * The controller's plain-HTTP endpoints: `/healthz`, `/readyz` and
 * `/metrics`, and the `ADDR:PORT` parsing shared with the webhook.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { NftValidationError } from '../kernel/errors.js'

/** What {@link serveControllerHttp} needs of a metrics source ({@link ControllerMetrics} fits). */
export interface MetricsSource {
  text(): Promise<string>
  readonly contentType: string
}

/** Options of {@link serveControllerHttp}. */
export interface ControllerHttpOptions {
  /** `ADDR:PORT`, `:PORT` (every address) or `[IPv6]:PORT`; port 0 picks a free one. */
  readonly listen: string
  readonly metrics: MetricsSource
  /** True once the first reconcile succeeded: `/readyz` answers 200 then, 503 before. */
  readonly isReady: () => boolean
}

/** A running endpoint server. */
export interface HttpHandle {
  /** The address it is bound to (`0.0.0.0`, `::`, `127.0.0.1`, ...). */
  readonly address: string
  /** The port it is bound to (the real one when 0 was asked for). */
  readonly port: number
  /** The underlying server. */
  readonly server: Server | HttpsServer
  /** Stops accepting, ends idle keep-alive connections, resolves when closed. */
  close(): Promise<void>
}

/** A listen address split into host and port. */
export interface ListenAddress {
  /** Undefined for `:PORT` (every address). */
  readonly host?: string
  readonly port: number
}

/**
 * Parses `ADDR:PORT`, `:PORT` or `[IPv6]:PORT`. Throws
 * NftValidationError(`field`) for anything else or a port outside 0-65535.
 */
export function parseListen(s: string, field = 'listen'): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.%a-zA-Z]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s)
  const port = m ? Number(m[3]) : Number.NaN
  if (!m || port > 65535) throw new NftValidationError(field, 'expected ADDR:PORT, :PORT or [IPv6]:PORT with a port of 0-65535', s)
  const host = m[1] ?? m[2]
  return host ? { host, port } : { port }
}

/** Binds `server` to `listen` and resolves to its handle (rejects with the bind error, e.g. EADDRINUSE). */
export async function listenOn(server: Server | HttpsServer, listen: string): Promise<HttpHandle> {
  const { host, port } = parseListen(listen)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const a = server.address() as AddressInfo
  return {
    address: a.address,
    port: a.port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()))
        server.closeIdleConnections()
        // A keep-alive client (the API server, Prometheus) may hold a connection open: end it after a grace time.
        setTimeout(() => server.closeAllConnections(), 5000).unref()
      }),
  }
}

/**
 * Serves `/healthz` (200 while the process runs), `/readyz` (200 after the
 * first successful reconcile, 503 before) and `/metrics` (the Prometheus
 * text format; 500 with the error's message if collecting fails). GET and
 * HEAD only (405 otherwise); other paths 404. Query strings are ignored.
 */
export function serveControllerHttp(opts: ControllerHttpOptions): Promise<HttpHandle> {
  parseListen(opts.listen) // a bad address is refused before a server exists
  const server = createServer((req, res) => {
    handle(opts, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error\n')
      else res.destroy()
    })
  })
  return listenOn(server, opts.listen)
}

async function handle(opts: ControllerHttpOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]
  if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') return send(res, 404, 'not found\n')
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD')
    return send(res, 405, 'method not allowed\n')
  }
  if (path === '/healthz') return send(res, 200, 'ok\n')
  if (path === '/readyz') return opts.isReady() ? send(res, 200, 'ok\n') : send(res, 503, 'not ready: no successful reconcile yet\n')
  let body: string
  try {
    body = await opts.metrics.text()
  } catch (e) {
    return send(res, 500, `collecting metrics failed: ${e instanceof Error ? e.message : String(e)}\n`)
  }
  send(res, 200, body, opts.metrics.contentType)
}

function send(res: ServerResponse, code: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}
