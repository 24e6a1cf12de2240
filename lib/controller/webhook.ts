/**
 * The validating admission webhook: `admission.k8s.io/v1` AdmissionReview
 * for FirewallConfigurations (`/validate-firewallconfiguration`) and
 * NetworkPolicies (`/validate-networkpolicy`), as a request handler for any
 * Node HTTP(S) server and as the `nftkit webhook` HTTPS server.
 * @module
 */
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { QUOTE_MAX } from '../kernel/limits.js'
import { type Problem, validate as validateFirewallConfiguration } from '../liqo/firewall-configuration.js'
import { type HttpHandle, listenOn, parseListen } from './http.js'
import type { Logger } from './log.js'
import { InputError } from '../sources/files.js'
import { networkPolicyAdmissionProblems } from './netpol-check.js'

/** The AdmissionReview API version served (the only one: API servers since 1.16 send it). */
export const ADMISSION_API_VERSION = 'admission.k8s.io/v1'

/**
 * Largest request body read, in bytes: an AdmissionReview of an UPDATE holds
 * the object twice (`object` and `oldObject`), and the API server stores
 * objects of at most about 1.5 MiB (etcd's default request limit) and reads
 * request bodies of at most 3 MiB, so 8 MiB is above any real review and a
 * bound on what a caller can make the webhook buffer. Larger bodies get 413.
 */
export const ADMISSION_BODY_MAX = 8 * 1024 * 1024

/** Problems quoted in one refusal's message and causes; the rest are counted. */
export const ADMISSION_PROBLEMS_MAX = 100

/** The `request` of an AdmissionReview (the fields the webhook reads). */
export interface AdmissionRequest {
  readonly uid: string
  readonly kind?: { readonly group?: string; readonly version?: string; readonly kind?: string }
  readonly operation?: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT'
  readonly name?: string
  readonly namespace?: string
  readonly object?: unknown
  readonly oldObject?: unknown
}

/** The `response` of an AdmissionReview. */
export interface AdmissionResponse {
  readonly uid: string
  readonly allowed: boolean
  /** On refusal: a metav1.Status whose message lists every problem with its field path. */
  readonly status?: {
    readonly code: number
    readonly reason: string
    readonly message: string
    readonly details?: {
      readonly name?: string
      readonly group?: string
      readonly kind?: string
      readonly causes: readonly { readonly reason: 'FieldValueInvalid'; readonly field: string; readonly message: string }[]
    }
  }
}

/** A whole AdmissionReview reply. */
export interface AdmissionReviewReply {
  readonly apiVersion: typeof ADMISSION_API_VERSION
  readonly kind: 'AdmissionReview'
  readonly response: AdmissionResponse
}

/** What one webhook path validates: the resource it expects and its check. */
export interface AdmissionValidator {
  readonly group: string
  readonly kind: string
  /** Every problem of the object, with field paths; empty means allowed. */
  readonly problems: (object: unknown) => readonly Problem[]
}

/** The validators of {@link admissionHandler}, by path. */
export const ADMISSION_VALIDATORS: Readonly<Record<string, AdmissionValidator>> = {
  '/validate-firewallconfiguration': { group: 'networking.liqo.io', kind: 'FirewallConfiguration', problems: validateFirewallConfiguration },
  '/validate-networkpolicy': { group: 'networking.k8s.io', kind: 'NetworkPolicy', problems: networkPolicyAdmissionProblems },
}

/** A refused HTTP request (not an admission decision): the status code and a one-line reason. */
export class AdmissionRequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message)
    this.name = 'AdmissionRequestError'
  }
}

/**
 * Decides one AdmissionReview (already parsed JSON) with `validator`: the
 * reply, or throws {@link AdmissionRequestError} (400) when the body is not
 * an `admission.k8s.io/v1` AdmissionReview with a `request.uid`. DELETE and
 * CONNECT are allowed without looking at the object; a request for another
 * resource kind, or an object of another kind, is refused (400 in the
 * response status); an object with problems is refused with code 422
 * (`Invalid`) and every problem (up to {@link ADMISSION_PROBLEMS_MAX}) as
 * `path: message` in `status.message` and as `status.details.causes`.
 */
export function reviewAdmission(body: unknown, validator: AdmissionValidator): AdmissionReviewReply {
  if (!isObj(body)) throw new AdmissionRequestError(400, 'expected a JSON object (an AdmissionReview)')
  if (body.apiVersion !== ADMISSION_API_VERSION || body.kind !== 'AdmissionReview')
    throw new AdmissionRequestError(400, `expected apiVersion ${ADMISSION_API_VERSION} and kind AdmissionReview, got ${quote(body.apiVersion)} ${quote(body.kind)}`)
  const req = body.request
  if (!isObj(req)) throw new AdmissionRequestError(400, 'expected request (an AdmissionRequest object)')
  if (typeof req.uid !== 'string' || req.uid === '') throw new AdmissionRequestError(400, 'expected request.uid (a non-empty string)')
  const r = req as unknown as AdmissionRequest
  const reply = (response: Omit<AdmissionResponse, 'uid'>): AdmissionReviewReply => ({
    apiVersion: ADMISSION_API_VERSION,
    kind: 'AdmissionReview',
    response: { uid: r.uid, ...response },
  })
  if (r.operation === 'DELETE' || r.operation === 'CONNECT') return reply({ allowed: true })
  const what = `${validator.kind}.${validator.group}`
  if (isObj(r.kind) && (r.kind.group !== validator.group || r.kind.kind !== validator.kind))
    return reply({ allowed: false, status: { code: 400, reason: 'BadRequest', message: `this webhook validates ${what}, not ${quote(r.kind.kind)} of group ${quote(r.kind.group)}` } })
  const obj = r.object
  if (!isObj(obj)) return reply({ allowed: false, status: { code: 400, reason: 'BadRequest', message: `expected request.object (a ${validator.kind})` } })
  if (obj.kind !== validator.kind)
    return reply({ allowed: false, status: { code: 400, reason: 'BadRequest', message: `expected request.object of kind ${validator.kind}, got ${quote(obj.kind)}` } })
  const problems = validator.problems(obj)
  if (problems.length === 0) return reply({ allowed: true })
  const meta = isObj(obj.metadata) ? obj.metadata : {}
  const name = typeof r.name === 'string' && r.name ? r.name : typeof meta.name === 'string' ? meta.name : undefined
  const ns = typeof r.namespace === 'string' && r.namespace ? r.namespace : typeof meta.namespace === 'string' ? meta.namespace : undefined
  const shown = problems.slice(0, ADMISSION_PROBLEMS_MAX)
  const more = problems.length - shown.length
  const id = name ? ` ${JSON.stringify(ns ? `${ns}/${name}` : name)}` : ''
  const message =
    `${validator.kind}${id} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}): ` +
    shown.map((p) => `${p.path || '(object)'}: ${p.message}`).join('; ') +
    (more > 0 ? `; and ${more} more` : '')
  return reply({
    allowed: false,
    status: {
      code: 422,
      reason: 'Invalid',
      message,
      details: {
        ...(name ? { name } : {}),
        group: validator.group,
        kind: validator.kind,
        causes: shown.map((p) => ({ reason: 'FieldValueInvalid' as const, field: p.path, message: p.message })),
      },
    },
  })
}

/** Options of {@link admissionHandler}. */
export interface AdmissionHandlerOptions {
  /** Largest body read (default {@link ADMISSION_BODY_MAX}); larger gets 413 without reading the rest. */
  readonly maxBodyBytes?: number
  /** Logs one line per decision (debug for allowed, info for refused) and per bad request (warn). */
  readonly log?: Logger
  /** Validators by path; default {@link ADMISSION_VALIDATORS}. */
  readonly validators?: Readonly<Record<string, AdmissionValidator>>
}

/**
 * A request handler for a Node `http`/`https` server serving
 * {@link ADMISSION_VALIDATORS}' paths: POST with a JSON AdmissionReview body, 200 with
 * the AdmissionReview reply. Bad requests get a plain-text one-line reason:
 * 405 (not POST), 415 (a Content-Type other than JSON), 413 (body over the
 * bound), 400 (not JSON, not an AdmissionReview, no uid). Other paths: `next`
 * if given (to chain with the server's own routes), else 404.
 */
export function admissionHandler(opts: AdmissionHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse, next?: () => void) => void {
  const max = opts.maxBodyBytes ?? ADMISSION_BODY_MAX
  const validators = opts.validators ?? ADMISSION_VALIDATORS
  return (req, res, next) => {
    const path = (req.url ?? '/').split('?')[0]
    const validator = Object.hasOwn(validators, path) ? validators[path] : undefined
    if (!validator) {
      if (next) return next()
      return fail(res, new AdmissionRequestError(404, `no webhook at ${path.slice(0, QUOTE_MAX)}; serving ${Object.keys(validators).join(', ')}`))
    }
    const refuse = (e: AdmissionRequestError) => {
      opts.log?.warn('admission request refused', { path, status: e.statusCode, reason: e.message })
      fail(res, e)
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST')
      return refuse(new AdmissionRequestError(405, `expected POST, got ${req.method}`))
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
    if (type !== '' && type !== 'application/json') return refuse(new AdmissionRequestError(415, `expected Content-Type application/json, got ${type.slice(0, QUOTE_MAX)}`))
    readBody(req, max).then(
      (text) => {
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch (e) {
          return refuse(new AdmissionRequestError(400, `the body is not JSON: ${(e as Error).message.slice(0, 200)}`))
        }
        let out: AdmissionReviewReply
        try {
          out = reviewAdmission(body, validator)
        } catch (e) {
          if (e instanceof AdmissionRequestError) return refuse(e)
          // A bug in a check: the API server gets a 500 (and applies its failurePolicy); the process lives on.
          opts.log?.error('admission check failed', { path, err: e })
          return fail(res, new AdmissionRequestError(500, 'internal error in the admission check'))
        }
        const r = out.response
        if (r.allowed) opts.log?.debug('admission allowed', { path, uid: r.uid })
        else opts.log?.info('admission refused', { path, uid: r.uid, message: r.status?.message })
        const json = JSON.stringify(out)
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) })
        res.end(json)
      },
      (e: unknown) => {
        if (e instanceof AdmissionRequestError) {
          refuse(e)
          // Do not read the rest of an oversize body: close the connection after the reply.
          if (e.statusCode === 413) res.once('finish', () => req.destroy())
        } else req.destroy()
      },
    )
  }
}

/** Options of {@link serveWebhook}. */
export interface WebhookServerOptions extends AdmissionHandlerOptions {
  /** PEM certificate (chain) file. */
  readonly tlsCert: string
  /** PEM private key file. */
  readonly tlsKey: string
  /** `ADDR:PORT`, `:PORT` or `[IPv6]:PORT`; default `:8443`. Port 0 picks a free one. */
  readonly listen?: string
}

/**
 * `nftkit webhook`: an HTTPS server (TLS 1.2 or newer) with
 * {@link admissionHandler} and `/healthz`. Reads the certificate and key once
 * at start (restart to rotate them). Rejects with NftValidationError for a
 * bad `listen`, with the file's error (ENOENT, EACCES) when a file cannot be
 * read, with InputError when they are not a certificate and its key, with the
 * bind error (EADDRINUSE, EACCES) when the port cannot be had.
 */
export async function serveWebhook(opts: WebhookServerOptions): Promise<HttpHandle> {
  const listen = opts.listen ?? ':8443'
  parseListen(listen)
  const cert = readFileSync(opts.tlsCert)
  const key = readFileSync(opts.tlsKey)
  const handler = admissionHandler(opts)
  let server: HttpsServer
  try {
    server = createHttpsServer({ cert, key, minVersion: 'TLSv1.2' }, (req, res) => route(req, res))
  } catch (e) {
    throw new InputError(`--tls-cert ${opts.tlsCert} and --tls-key ${opts.tlsKey} are not a usable certificate and key: ${(e as Error).message}`)
  }
  const route = (req: IncomingMessage, res: ServerResponse) =>
    handler(req, res, () => {
      if ((req.url ?? '').split('?')[0] === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
        res.end(req.method === 'HEAD' ? undefined : 'ok\n')
      } else fail(res, new AdmissionRequestError(404, 'not found'))
    })
  // Slow or idle clients cannot hold a socket forever.
  server.requestTimeout = 30_000
  server.headersTimeout = 10_000
  return listenOn(server, listen)
}

/** The body as UTF-8 text, or AdmissionRequestError(413) as soon as it passes `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > max) return reject(new AdmissionRequestError(413, `the body is ${declared} bytes; at most ${max} are read`))
    const chunks: Buffer[] = []
    let size = 0
    const onData = (c: Buffer) => {
      size += c.length
      if (size > max) {
        req.off('data', onData)
        req.pause()
        chunks.length = 0
        reject(new AdmissionRequestError(413, `the body is over ${max} bytes`))
        return
      }
      chunks.push(c)
    }
    req.on('data', onData)
    req.on('end', () => {
      if (size <= max) resolve(Buffer.concat(chunks).toString('utf8'))
    })
    req.on('error', reject)
  })
}

function fail(res: ServerResponse, e: AdmissionRequestError): void {
  if (res.headersSent) return void res.destroy()
  const body = `${e.message}\n`
  res.writeHead(e.statusCode, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function quote(v: unknown): string {
  const s = v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v)
  return s.length > QUOTE_MAX ? `${s.slice(0, QUOTE_MAX)}...` : s
}
