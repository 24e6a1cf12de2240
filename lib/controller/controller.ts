/**
 * The FirewallConfiguration controller: watches the selected objects
 * ({@link ListWatch}), and on every change makes the kernel hold the tables of
 * all of them in one batch through one long-lived {@link Reconciler}; removes
 * exactly the table of an object that was deleted or no longer selected;
 * reports per host in `status.conditions[]` and, for failures, in Events;
 * repairs kernel drift from its cache without waiting for the API server.
 * @module
 */
import { EventEmitter } from 'node:events'
import { hostname } from 'node:os'
import { createClient, type Client } from '../io/client.js'
import { createMonitor, type Monitor } from '../io/monitor.js'
import { NftError } from '../kernel/errors.js'
import { Reconciler } from '../reconcile/reconciler.js'
import type { ReconcileResult } from '../reconcile/apply.js'
import { matchesSelector } from '../liqo/firewall-configuration.js'
import { type ObjectPlan, planObjects, type Refusal, refKey, type TableRef } from './desired.js'
import { eventFor } from './events.js'
import { ListWatch } from './informer.js'
import { type ApiError, connectKube, fwcSource, type KubeApi, type KubeObject } from './kube.js'
import { conditionsOf, writeStatus } from './status.js'
import { NetworkPolicyEnforcer } from './netpol.js'
import type { ControllerLogger, ControllerMetricsSink } from './types.js'

export type { ControllerLogger, ControllerMetricsSink }

/** Options of {@link FirewallController}. */
export interface ControllerOptions {
  /** The API to use; default: {@link connectKube} with `kubeconfig`. */
  readonly api?: KubeApi
  /** A kubeconfig file (default: in-cluster, `KUBECONFIG`, ~/.kube/config). */
  readonly kubeconfig?: string
  /** Only this namespace (default: all). */
  readonly namespace?: string
  /** Only objects with all these labels, filtered by the API server (`labelSelector`). */
  readonly selector?: Readonly<Record<string, string>>
  /**
   * Several label sets, any of which selects an object (each one AND, the
   * sets OR'ed, as a Liqo gateway's), one server-side filtered list-watch
   * each. Used instead of `selector` when given.
   */
  readonly selectors?: ReadonlyArray<Readonly<Record<string, string>>>
  /** The network namespace to program (name under /run/netns or a path); default the process's own. */
  readonly netns?: string
  /** This controller's `host` in `status.conditions[]`. Default: the hostname (the pod's name). */
  readonly host?: string
  readonly log?: ControllerLogger
  readonly metrics?: ControllerMetricsSink
  /** First and longest pause between API retries, in milliseconds (default 250 and 30 000). */
  readonly backoffMs?: number
  readonly maxBackoffMs?: number
  /** The clock for `lastTransitionTime` and Events (tests). */
  readonly now?: () => Date
  /**
   * Also enforce the cluster's NetworkPolicies (Namespaces, Pods and
   * NetworkPolicies watched cluster-wide; `node`: protect that node's pods only).
   */
  readonly networkPolicies?: { readonly node?: string }
}

/** What one reconcile did (the `reconcile` event). */
export interface ReconcileSummary {
  /** What triggered it (watch events, a relist, drift). */
  readonly reason: string
  readonly operations: number
  readonly messages: number
  /** Commit attempts: 0 when nothing had to change. */
  readonly batches: number
  /** `namespace/name` of the objects applied. */
  readonly applied: readonly string[]
  /** `namespace/name` and why, of the objects refused. */
  readonly refused: ReadonlyArray<{ readonly key: string; readonly reason: Refusal['reason']; readonly message: string }>
  /** Tables deleted because their object went away. */
  readonly removed: readonly string[]
  readonly statusWrites: number
  readonly events: number
  readonly ms: number
  readonly error?: string
}

/** Counters since start (tests, benchmarks). */
export interface ControllerStats {
  reconciles: number
  batches: number
  messages: number
  statusWrites: number
  conflicts: number
  events: number
  drifts: number
  skipped: number
}

/** Error reasons as metric label values (few and fixed). */
const METRIC_REASON: Readonly<Record<Refusal['reason'], string>> = { InvalidSpec: 'validation', TableConflict: 'conflict', KernelRefused: 'kernel' }

const NO_LOG: ControllerLogger = { info() {}, warn() {}, error() {} }

/** The selector as a label selector string. */
export const selectorString = (s: Readonly<Record<string, string>> = {}): string =>
  Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')

/**
 * The controller. `start()` connects, lists and applies; `stop()` waits for
 * the reconcile in flight (its batch and status writes), then closes.
 * Emits `reconcile` ({@link ReconcileSummary}) after each reconcile.
 */
export class FirewallController extends EventEmitter<{ reconcile: [ReconcileSummary] }> {
  readonly #opts: ControllerOptions
  readonly host: string
  readonly stats: ControllerStats = { reconciles: 0, batches: 0, messages: 0, statusWrites: 0, conflicts: 0, events: 0, drifts: 0, skipped: 0 }
  #api?: KubeApi
  #client?: Client
  #monitor?: Monitor
  #reconciler?: Reconciler
  #informers: ListWatch[] = []
  #netpol?: NetworkPolicyEnforcer
  readonly #selectors: ReadonlyArray<Readonly<Record<string, string>>>
  readonly #log: ControllerLogger
  /** Tables this controller applied and still holds: table key → ref. */
  readonly #owned = new Map<string, TableRef>()
  /** The last outcome reported per object (for Events on changes only). */
  readonly #reported = new Map<string, { applied: boolean; message?: string }>()
  /** What the last reconcile was made from: spec and labels of each object. */
  #fingerprint = ''
  #reasons = new Set<string>()
  #force = false
  #timer?: NodeJS.Timeout
  #retryTimer?: NodeJS.Timeout
  #retries = 0
  #running?: Promise<void>
  #stopped = false
  #ready = false

  constructor(opts: ControllerOptions = {}) {
    super()
    this.#opts = opts
    this.host = opts.host ?? hostname()
    this.#selectors = opts.selectors?.length ? opts.selectors : [opts.selector ?? {}]
    this.#log = opts.log ?? NO_LOG
  }

  /** True after the first reconcile that succeeded (`/readyz`). */
  get ready(): boolean {
    return this.#ready
  }

  /** The tables this controller holds in the kernel, as `family name` (what metrics report). */
  get ownedTables(): ReadonlySet<string> {
    return new Set([...this.#owned.values()].map((t) => `${t.family} ${t.name}`))
  }

  /** The client programming the kernel (for metrics reads); undefined before start. */
  get client(): Client | undefined {
    return this.#client
  }

  /** Connects to the API server and the kernel and starts watching. */
  async start(): Promise<void> {
    const o = this.#opts
    this.#api = o.api ?? (await connectKube({ kubeconfig: o.kubeconfig }))
    const ns = o.netns ? { netns: o.netns } : {}
    this.#client = createClient(ns)
    try {
      this.#monitor = createMonitor(ns)
    } catch (e) {
      this.#client.close()
      throw e
    }
    this.#monitor.on('error', (e) => this.#log.error('nf_tables monitor failed', { error: e }))
    this.#reconciler = new Reconciler(this.#client, {
      monitor: this.#monitor,
      onDrift: (d) => {
        this.stats.drifts++
        const tables = [...new Set(d.changes.map((c) => `${c.family} ${c.table}`))]
        this.#log.warn('kernel drift', { reason: d.reason, by: d.commit ? `${d.commit.procName}[${d.commit.pid}]` : undefined, tables })
        this.#force = true
        this.#schedule(`drift (${d.reason === 'overrun' ? 'notifications lost' : tables.join(', ')})`)
      },
    })
    this.#informers = this.#selectors.map((sel) => new ListWatch(fwcSource(this.#api!, { namespace: o.namespace, labelSelector: selectorString(sel) || undefined }), {
      backoffMs: o.backoffMs,
      maxBackoffMs: o.maxBackoffMs,
      onChange: (why) => this.#schedule(why),
      onError: (err, ms) => this.#log.warn('API server', { error: err.message, status: err.status, retryInMs: ms }),
      onRestart: (what, why) => this.#log.info(what === 'relist' ? 'relisting' : 'watching again', { why }),
    }))
    this.#log.info('controller started', { server: this.#api.server, host: this.host, namespace: o.namespace ?? '(all)', selectors: this.#selectors.map((x) => selectorString(x)), netns: o.netns })
    for (const i of this.#informers) i.start()
    if (o.networkPolicies) {
      this.#netpol = new NetworkPolicyEnforcer(this.#api, { netns: o.netns, node: o.networkPolicies.node, monitor: this.#monitor, log: this.#log, backoffMs: o.backoffMs, maxBackoffMs: o.maxBackoffMs })
      this.#netpol.start()
    }
  }

  /** Stops watching, lets the reconcile in flight finish, closes the kernel sockets. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    for (const i of this.#informers) i.stop()
    this.#netpol?.stop()
    clearTimeout(this.#timer)
    clearTimeout(this.#retryTimer)
    await this.#running
    this.#reconciler?.detach()
    this.#monitor?.close()
    this.#client?.close()
    this.#log.info('controller stopped', this.stats as unknown as Record<string, unknown>)
  }

  #schedule(why: string): void {
    if (this.#stopped) return
    this.#reasons.add(why)
    if (this.#running || this.#timer) return
    // Events that arrive together (one relist, one chunk of a watch stream) make one reconcile.
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#running = this.#drain().finally(() => {
        this.#running = undefined
      })
    }, 0)
  }

  async #drain(): Promise<void> {
    while (this.#reasons.size && !this.#stopped) {
      const why = [...this.#reasons].slice(0, 5).join(', ') + (this.#reasons.size > 5 ? `, +${this.#reasons.size - 5} more` : '')
      this.#reasons.clear()
      try {
        await this.#reconcileOnce(why)
      } catch (e) {
        // A bug, not the world: say so, and try again later rather than die with the kernel half-reported.
        this.#log.error('internal error in a reconcile, please report', { reason: why, error: e })
        this.#force = true
        clearTimeout(this.#retryTimer)
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined
          this.#schedule('retry after an internal error')
        }, this.#retryIn())
      }
    }
  }

  async #reconcileOnce(reason: string): Promise<void> {
    if (!this.#informers.every((i) => i.synced)) return
    const objects = this.#selected()
    const fingerprint = JSON.stringify(objects.map((o) => [o.metadata.namespace, o.metadata.name, o.metadata.labels, o.spec]).sort())
    const pendingStatus = this.#retryTimer !== undefined
    if (fingerprint === this.#fingerprint && !this.#force && !pendingStatus) {
      this.stats.skipped++ // a status write of ours, a bookmark-like change: nothing to do
      return
    }
    this.#force = false
    const t0 = performance.now()
    const plans = planObjects(objects)
    const kernelRefusals = new Map<string, Refusal>()
    let result: ReconcileResult | undefined
    let failure: unknown
    let removed: TableRef[] = []
    for (;;) {
      const good = plans.filter((p) => p.contents && !kernelRefusals.has(p.key))
      const claimed = new Set(plans.flatMap((p) => (p.table ? [refKey(p.table)] : [])))
      removed = [...this.#owned.values()].filter((t) => !claimed.has(refKey(t)))
      try {
        result = this.#reconciler!.reconcileSync(
          good.map((p) => p.contents!),
          { remove: removed },
        )
        for (const p of good) this.#owned.set(refKey(p.table!), p.table!)
        for (const t of removed) this.#owned.delete(refKey(t))
        break
      } catch (e) {
        // The kernel refused the batch (nothing applied): find the object whose table it names, leave it out, try the rest.
        const culprit = e instanceof NftError ? culpritOf(e, good) : undefined
        if (culprit) {
          kernelRefusals.set(culprit.key, { reason: 'KernelRefused', message: `the kernel refused table ${culprit.table!.family} ${culprit.table!.name}: ${e instanceof Error ? e.message : String(e)}` })
          continue
        }
        failure = e
        break
      }
    }
    const seconds = (performance.now() - t0) / 1000
    if (failure !== undefined) {
      // Not the objects' fault (ERESTART past the deadline, a socket error): try again later, report nothing.
      this.#opts.metrics?.recordReconcile(seconds, 'error', 'kernel')
      const ms = this.#retryIn()
      this.#log.error('reconcile failed', { reason, error: failure, retryInMs: ms })
      this.#force = true
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined
        this.#schedule('retry after a failed reconcile')
      }, ms)
      this.emit('reconcile', { reason, operations: 0, messages: 0, batches: 0, applied: [], refused: [], removed: [], statusWrites: 0, events: 0, ms: seconds * 1000, error: String(failure) })
      return
    }
    this.#fingerprint = fingerprint
    const r = result!
    const batches = r.operations.length ? r.retries + 1 : 0
    this.stats.reconciles++
    this.stats.batches += batches
    this.stats.messages += r.messages
    const final = plans.map((p) => (kernelRefusals.has(p.key) ? { ...p, contents: undefined, refusal: kernelRefusals.get(p.key) } : p))
    const refused = final.filter((p) => p.refusal)
    this.#opts.metrics?.recordReconcile(seconds, refused.length ? 'error' : 'ok', refused.length ? METRIC_REASON[refused[0].refusal!.reason] : undefined)
    this.#opts.metrics?.setGeneration(r.operations.length ? r.genId + 1 : r.genId)
    const { writes, events, pending } = await this.#report(final)
    if (pending) this.#retryStatus()
    else {
      clearTimeout(this.#retryTimer)
      this.#retryTimer = undefined
      this.#retries = 0
    }
    this.#ready = true
    const summary: ReconcileSummary = {
      reason,
      operations: r.operations.length,
      messages: r.messages,
      batches,
      applied: final.filter((p) => !p.refusal).map((p) => p.key),
      refused: refused.map((p) => ({ key: p.key, reason: p.refusal!.reason, message: p.refusal!.message })),
      removed: removed.map((t) => `${t.family} ${t.name}`),
      statusWrites: writes,
      events,
      ms: (performance.now() - t0),
    }
    if (summary.operations || summary.refused.length || writes || events)
      this.#log.info('reconciled', { ...summary, tables: [...new Set(r.operations.map((op) => tableOfOp(op.object)))].filter(Boolean) })
    this.emit('reconcile', summary)
  }

  /** Status and Events for every object; returns the writes made and whether some must be retried. */
  async #report(plans: readonly ObjectPlan[]): Promise<{ writes: number; events: number; pending: boolean }> {
    const api = this.#api!
    const now = this.#opts.now ?? (() => new Date())
    let writes = 0
    let events = 0
    let pending = false
    await Promise.all(
      plans.map(async (p) => {
        const applied = !p.refusal
        const last = this.#reported.get(p.key)
        const before = conditionsOf(p.object).find((c) => c.host === this.host && c.type === 'Applied')
        try {
          const w = await writeStatus(api, p.object, this.host, applied, { now })
          writes += w.puts
          this.stats.statusWrites += w.puts
          this.stats.conflicts += w.conflicts
          // Our own write comes back as a watch event; until then the cache holds the stored copy.
          if (w.puts) for (const i of this.#informers) if (i.objects.has(p.key)) i.objects.set(p.key, w.object)
        } catch (e) {
          const err = e as ApiError
          if (err.status === 404) return // deleted meanwhile
          pending = true
          this.#log.warn('status write failed', { object: p.key, error: err.message, status: err.status })
        }
        // Events: a new failure (or a different message), or applied again after a failure.
        const message = p.refusal?.message
        const changed = last ? last.applied !== applied || last.message !== message : !applied || before?.status === 'False'
        if (!changed) {
          this.#reported.set(p.key, { applied, message })
          return
        }
        if (!applied) this.#log.warn('not applied', { object: p.key, reason: p.refusal!.reason, message })
        try {
          await api.createEvent(
            p.object.metadata.namespace ?? 'default',
            eventFor(p.object, this.host, applied ? { type: 'Normal', reason: 'Applied', message: `applied by ${this.host}` } : { type: 'Warning', reason: p.refusal!.reason, message: message! }, now()),
          )
          events++
          this.stats.events++
          this.#reported.set(p.key, { applied, message })
        } catch (e) {
          pending = true
          this.#log.warn('event not recorded', { object: p.key, error: (e as Error).message })
        }
      }),
    )
    // Forget objects that are gone.
    const keys = new Set(plans.map((p) => p.key))
    for (const k of this.#reported.keys()) if (!keys.has(k)) this.#reported.delete(k)
    return { writes, events, pending }
  }

  /** The objects any selector selects (the newest copy of one that several watches hold), not being deleted. */
  #selected(): KubeObject[] {
    const all = new Map<string, KubeObject>()
    for (const i of this.#informers)
      for (const [k, o] of i.objects) {
        const had = all.get(k)
        if (!had || Number(o.metadata.resourceVersion) > Number(had.metadata.resourceVersion)) all.set(k, o)
      }
    return [...all.values()].filter((o) => this.#selectors.some((sel) => matchesSelector(o, sel)) && !o.metadata.deletionTimestamp)
  }

  #retryIn(): number {
    const ms = Math.min(this.#opts.maxBackoffMs ?? 30_000, (this.#opts.backoffMs ?? 250) * 2 ** Math.min(this.#retries, 20))
    this.#retries++
    return ms
  }

  #retryStatus(): void {
    if (this.#retryTimer || this.#stopped) return
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      this.#fingerprint = '' // status is rechecked with the kernel work (a no-op plan from memory)
      this.#schedule('retry status')
    }, this.#retryIn())
  }
}

/** The plan whose table the kernel's refusal names. */
function culpritOf(e: NftError, good: readonly ObjectPlan[]): ObjectPlan | undefined {
  const o = e.object as { kind?: string; family?: string; table?: string; name?: string } | undefined
  const table = o?.kind === 'table' ? o.name : o?.table
  if (!o || table === undefined) return good.length === 1 ? good[0] : undefined
  return good.find((p) => p.table!.name === table && (o.family === undefined || p.table!.family === o.family))
}

function tableOfOp(o: unknown): string {
  const x = o as { kind?: string; family?: string; table?: string; name?: string }
  return `${x.family ?? ''} ${x.kind === 'table' ? x.name : x.table}`
}

/** Options of {@link runController}. */
export interface RunControllerOptions extends ControllerOptions {
  /** Stops the controller (after the reconcile in flight). */
  readonly signal?: AbortSignal
  /** Called once started (e.g. to serve /healthz and /metrics). */
  readonly onStart?: (c: FirewallController) => void | Promise<void>
}

/** Runs a {@link FirewallController} until `signal` aborts. */
export async function runController(opts: RunControllerOptions): Promise<void> {
  const c = new FirewallController(opts)
  await c.start()
  try {
    await opts.onStart?.(c)
    await new Promise<void>((resolve) => {
      if (opts.signal?.aborted) resolve()
      opts.signal?.addEventListener('abort', () => resolve(), { once: true })
    })
  } finally {
    await c.stop()
  }
}

export type { KubeObject }
