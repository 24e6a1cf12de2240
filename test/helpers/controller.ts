/**
 * A FirewallController against the API server stand-in and a throwaway
 * network namespace, with helpers to wait for its reconciles and to read the
 * kernel back (our listing and `nft list ruleset`).
 */
import { FirewallController, type ControllerOptions, type ReconcileSummary } from '../../lib/controller/controller.js'
import { createClient } from '../../lib/io/client.js'
import { renderRuleset } from '../../lib/nft/ruleset.js'
import { tablesOf } from '../../lib/state/tables.js'
import { type ApiServer, startApiServer } from './apiserver.js'
import { makeNetns, type Netns } from './netns.js'
import { until } from './wait.js'

export interface Rig {
  readonly api: ApiServer
  readonly ns: Netns
  readonly ctl: FirewallController
  readonly summaries: ReconcileSummary[]
  readonly logs: Array<{ level: string; msg: string; fields?: Readonly<Record<string, unknown>> }>
  /** Waits until `n` more reconciles than `from` happened; true if they did within `ms`. */
  reconciles(from: number, n?: number, ms?: number): Promise<boolean>
  /** The tables of the namespace as our listing renders them. */
  listing(): string
  /** Table names in the namespace (our listing). */
  tables(): string[]
  close(): Promise<void>
}

/** Starts a stand-in, a namespace and a controller (not started unless `start`). */
export async function makeRig(tag: string, opts: Partial<ControllerOptions> = {}, start = true): Promise<Rig> {
  const api = await startApiServer()
  const ns = makeNetns(tag)
  const summaries: ReconcileSummary[] = []
  const logs: Rig['logs'] = []
  const log = {
    info: (msg: string, fields?: Readonly<Record<string, unknown>>) => logs.push({ level: 'info', msg, fields }),
    warn: (msg: string, fields?: Readonly<Record<string, unknown>>) => logs.push({ level: 'warn', msg, fields }),
    error: (msg: string, fields?: Readonly<Record<string, unknown>>) => logs.push({ level: 'error', msg, fields }),
  }
  const ctl = new FirewallController({ kubeconfig: api.kubeconfig(), netns: ns.name, host: 'gw-a', log, backoffMs: 50, maxBackoffMs: 400, ...opts })
  ctl.on('reconcile', (s) => summaries.push(s))
  if (start) await ctl.start()
  const reader = createClient({ netns: ns.name })
  return {
    api,
    ns,
    ctl,
    summaries,
    logs,
    reconciles: (from, n = 1, ms = 10_000) => until(() => summaries.length >= from + n, ms),
    listing: () => renderRuleset(tablesOf(reader.listSync())),
    tables: () => reader.listSync().tables.map((t) => `${t.family} ${t.name}`).sort(),
    async close() {
      await ctl.stop()
      reader.close()
      await api.stop()
      ns.remove()
    },
  }
}
