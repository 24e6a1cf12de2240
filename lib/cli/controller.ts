/**
 * `nftkit controller`: its options, and running the FirewallConfiguration
 * controller (lib/controller/controller.ts) with its log, metrics and
 * health endpoints until SIGINT or SIGTERM.
 * @module
 */
import type { LogFormat } from '../controller/log.js'
import { UsageError, parseSelector } from './args.js'

/** Parsed `nftkit controller` options. */
export interface ControllerArgs {
  readonly kubeconfig?: string
  readonly namespace?: string
  /** One label set per `--selector` (each AND; the sets OR'ed). */
  readonly selectors: Array<Record<string, string>>
  readonly netns?: string
  readonly host?: string
  readonly listen?: string
  readonly logFormat: LogFormat
  readonly networkpolicies: boolean
  readonly node?: string
  readonly help: boolean
}

const VALUED = ['--kubeconfig', '--namespace', '--selector', '--netns', '--host', '--listen', '--log-format', '--node']

/** Parses the words after `controller`. Throws UsageError for an unknown or incomplete option. */
export function parseControllerArgs(argv: readonly string[]): ControllerArgs {
  const o: Record<string, string> = {}
  let help = false
  let networkpolicies = false
  const selectors: Array<Record<string, string>> = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--help' || a === '-h') help = true
    else if (a === '--networkpolicies') networkpolicies = true
    else {
      const eq = a.indexOf('=')
      const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a
      if (!VALUED.includes(name)) throw new UsageError(a.startsWith('-') ? `unknown option ${a}` : `controller takes no operands (got ${a})`)
      const v = eq > 0 && name !== a ? a.slice(eq + 1) : argv[++i]
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`)
      if (name === '--selector') selectors.push(parseSelector(v))
      else o[name] = v
    }
  }
  const logFormat = o['--log-format'] ?? 'text'
  if (logFormat !== 'json' && logFormat !== 'text') throw new UsageError(`--log-format expects json or text, got ${logFormat}`)
  if (o['--node'] && !networkpolicies) throw new UsageError('--node NAME only applies with --networkpolicies')
  return {
    kubeconfig: o['--kubeconfig'],
    namespace: o['--namespace'],
    selectors,
    netns: o['--netns'],
    host: o['--host'],
    listen: o['--listen'],
    logFormat,
    networkpolicies,
    node: o['--node'],
    help,
  }
}

/**
 * Runs the controller until `signal` aborts (then lets the reconcile in
 * flight finish). Rejects if it cannot start (bad kubeconfig, plain http
 * without insecure-skip-tls-verify, no CAP_NET_ADMIN, the listen address taken).
 */
export async function runControllerCommand(a: ControllerArgs, err: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  const { createLogger } = await import('../controller/log.js')
  const { runController } = await import('../controller/controller.js')
  const log = createLogger(a.logFormat, err)
  let owned: ReadonlySet<string> = new Set()
  // Metrics only with --listen: prom-client's process metrics sample the event loop every few
  // milliseconds, which a controller with nothing to serve them to should not pay for.
  const served = a.listen ? await metricsFor(a.netns, () => owned) : undefined
  let http: { address: string; port: number; close(): Promise<void> } | undefined
  try {
    await runController({
      kubeconfig: a.kubeconfig,
      namespace: a.namespace,
      selectors: a.selectors,
      networkPolicies: a.networkpolicies ? { node: a.node } : undefined,
      netns: a.netns,
      host: a.host,
      log,
      metrics: served?.metrics,
      signal,
      onStart: async (c) => {
        c.on('reconcile', () => {
          owned = c.ownedTables
        })
        if (!served || !a.listen) return
        http = await served.serve({ listen: a.listen, metrics: served.metrics, isReady: () => c.ready })
        log.info('serving /healthz /readyz /metrics', { address: http.address, port: http.port })
      },
    })
  } finally {
    await http?.close()
    served?.reader.close()
  }
}

/** The metrics of `--listen`: read from the kernel on a socket of their own (a scrape never busies the reconciler's), limited to the controller's tables. */
async function metricsFor(netns: string | undefined, owned: () => ReadonlySet<string>) {
  const { ControllerMetrics } = await import('../controller/metrics.js')
  const { serveControllerHttp } = await import('../controller/http.js')
  const { createClient } = await import('../io/client.js')
  const reader = createClient(netns ? { netns } : {})
  const mine = <T extends { family: string; table: string }>(xs: readonly T[]): T[] => {
    const o = owned()
    return xs.filter((x) => o.has(`${x.family} ${x.table}`))
  }
  const metrics = new ControllerMetrics({
    readTables: async () => {
      const l = await reader.list()
      return { rules: mine(l.rules), sets: mine(l.sets), counters: mine(l.counters) }
    },
  })
  return { reader, metrics, serve: serveControllerHttp }
}
