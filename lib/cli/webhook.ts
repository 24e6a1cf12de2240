/**
 * `nftkit webhook`: its options, and running the admission webhook server
 * (lib/controller/webhook.ts) until SIGINT or SIGTERM.
 * @module
 */
import type { LogFormat } from '../controller/log.js'
import { UsageError } from './args.js'

/** Parsed `nftkit webhook` options. */
export interface WebhookArgs {
  readonly tlsCert: string
  readonly tlsKey: string
  readonly listen: string
  readonly logFormat: LogFormat
  readonly help: boolean
}

/** Parses the words after `webhook`. Throws UsageError for an unknown or incomplete option. */
export function parseWebhookArgs(argv: readonly string[]): WebhookArgs {
  const o: Record<string, string> = {}
  let help = false
  const names = ['--tls-cert', '--tls-key', '--listen', '--log-format']
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--help' || a === '-h') {
      help = true
      continue
    }
    const eq = a.indexOf('=')
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a
    if (!names.includes(name)) throw new UsageError(a.startsWith('-') ? `unknown option ${a}` : `webhook takes no operands (got ${a})`)
    const v = eq > 0 && name !== a ? a.slice(eq + 1) : argv[++i]
    if (v === undefined || v === '') throw new UsageError(`${name} needs a value`)
    o[name] = v
  }
  if (help) return { tlsCert: '', tlsKey: '', listen: '', logFormat: 'text', help }
  if (!o['--tls-cert'] || !o['--tls-key']) throw new UsageError('webhook needs --tls-cert FILE and --tls-key FILE (the API server only calls webhooks over HTTPS)')
  const logFormat = o['--log-format'] ?? 'text'
  if (logFormat !== 'json' && logFormat !== 'text') throw new UsageError(`--log-format expects json or text, got ${logFormat}`)
  return { tlsCert: o['--tls-cert'], tlsKey: o['--tls-key'], listen: o['--listen'] ?? ':8443', logFormat, help }
}

/**
 * Serves the webhook until `signal` aborts; one log line when listening and
 * one per refused review or bad request. Rejects if it cannot start.
 */
export async function runWebhook(a: WebhookArgs, err: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  const { serveWebhook } = await import('../controller/webhook.js')
  const { createLogger } = await import('../controller/log.js')
  const log = createLogger(a.logFormat, err)
  const server = await serveWebhook({ tlsCert: a.tlsCert, tlsKey: a.tlsKey, listen: a.listen, log })
  log.info('webhook listening', { address: server.address, port: server.port, paths: ['/validate-firewallconfiguration', '/validate-networkpolicy', '/healthz'] })
  try {
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve()
      signal.addEventListener('abort', () => resolve(), { once: true })
    })
  } finally {
    await server.close()
    log.info('webhook stopped')
  }
}
