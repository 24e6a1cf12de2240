/**
 * The controller's Prometheus metrics (prom-client, in a registry of their
 * own): reconciles, their duration and errors, the applied generation, and
 * what the kernel counts, per rule and per set, read when scraped.
 * @module
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { ListedCounter, ListedRule, ListedSet } from '../io/listing.js'

/**
 * The part of a listing the per-rule and per-set metrics read: a
 * `Listing` (`client.list()`) fits, or one filtered to the controller's
 * tables.
 */
export interface ObservedTables {
  readonly rules: readonly ListedRule[]
  /** Named sets and maps; their sizes are `elements.length` unless `setSizes` is given. */
  readonly sets: readonly ListedSet[]
  /** Named counter objects (`counter name "x"` targets); optional. */
  readonly counters?: readonly ListedCounter[]
  /**
   * Set sizes, when known without reading the elements (for example from the
   * reconciler's in-memory state): then `sets` is not used for
   * `nftkit_set_elements`, and `readTables` may list with
   * `{ elements: false }`, which costs a fraction of a listing with the
   * elements of large sets.
   */
  readonly setSizes?: readonly SetSize[]
}

/** The number of elements of one named set or map. */
export interface SetSize {
  readonly family: string
  readonly table: string
  readonly set: string
  readonly elements: number
}

/** Options of {@link ControllerMetrics}. */
export interface ControllerMetricsOptions {
  /**
   * Reads the tables to report, called once per scrape (concurrent scrapes
   * share one read). Without it, the per-rule and per-set series are what
   * the last {@link ControllerMetrics.observeTables} call gave. When it
   * throws or rejects, that scrape has no per-rule or per-set series (stale
   * counters would read as a stopped firewall) and
   * `nftkit_ruleset_read_errors_total` goes up.
   */
  readonly readTables?: () => ObservedTables | Promise<ObservedTables>
  /**
   * Also export Node's process metrics (`process_cpu_seconds_total`,
   * `process_resident_memory_bytes`, event loop lag, ...). Default true.
   */
  readonly processMetrics?: boolean
}

/** What a reconcile ended with. */
export type ReconcileOutcome = 'ok' | 'error'

/**
 * Buckets of the reconcile duration histogram, in seconds: an element delta
 * commits in about 100 µs, a full table of thousands of rules in hundreds of
 * milliseconds, so the buckets start below a millisecond (prom-client's
 * defaults start at 5 ms and would put every small change in one bucket).
 */
export const RECONCILE_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Longest error reason kept as a label value (reasons are codes, not messages). */
const REASON_MAX = 64

const RULE_LABELS = ['family', 'table', 'chain', 'rule'] as const

/**
 * The controller's metrics. Names (all in the text format of
 * {@link ControllerMetrics.text}):
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `nftkit_reconciles_total` | counter | `outcome` (`ok`, `error`) |
 * | `nftkit_reconcile_duration_seconds` | histogram | (none) |
 * | `nftkit_reconcile_errors_total` | counter | `reason` |
 * | `nftkit_applied_generation` | gauge | (none) |
 * | `nftkit_last_reconcile_success_timestamp_seconds` | gauge | (none) |
 * | `nftkit_rule_packets_total`, `nftkit_rule_bytes_total` | counter | `family`, `table`, `chain`, `rule` |
 * | `nftkit_counter_packets_total`, `nftkit_counter_bytes_total` | counter | `family`, `table`, `counter` |
 * | `nftkit_set_elements` | gauge | `family`, `table`, `set` |
 * | `nftkit_ruleset_read_errors_total` | counter | (none) |
 *
 * A rule is named by its comment (nftkit's rule identity), or `#HANDLE` when
 * it has none, as `nftkit status` prints it; rules without an anonymous
 * `counter` statement have no series. The per-rule, per-counter and per-set
 * series are rebuilt from each read, so a removed rule's series disappears at
 * the next scrape; a replaced rule's counter starts again from zero, which
 * Prometheus's `rate()` treats as a counter reset. Two rules of one chain with
 * the same comment are summed into one series.
 */
export class ControllerMetrics {
  /** The registry holding these metrics only (not prom-client's global one). */
  readonly registry: Registry
  private readonly reconciles: Counter<'outcome'>
  private readonly duration: Histogram<string>
  private readonly errors: Counter<'reason'>
  private readonly generation: Gauge<string>
  private readonly lastSuccess: Gauge<string>
  private readonly rulePackets: Counter<(typeof RULE_LABELS)[number]>
  private readonly ruleBytes: Counter<(typeof RULE_LABELS)[number]>
  private readonly counterPackets: Counter<'family' | 'table' | 'counter'>
  private readonly counterBytes: Counter<'family' | 'table' | 'counter'>
  private readonly setElements: Gauge<'family' | 'table' | 'set'>
  private readonly readErrors: Counter<string>
  private readonly readTables?: () => ObservedTables | Promise<ObservedTables>
  /** The read in flight: every metric's collect of one scrape waits for the same one. */
  private reading?: Promise<void>

  constructor(opts: ControllerMetricsOptions = {}) {
    this.registry = new Registry()
    this.readTables = opts.readTables
    const registers = [this.registry]
    // One collect for the kernel-backed metrics: prom-client calls every
    // metric's collect in parallel, so the first starts the read and the
    // others join it.
    const collect = () => this.refresh()
    this.reconciles = new Counter({ name: 'nftkit_reconciles_total', help: 'Reconciles, by outcome.', labelNames: ['outcome'], registers })
    this.duration = new Histogram({
      name: 'nftkit_reconcile_duration_seconds',
      help: 'Time of one reconcile (plan, commit and read-back), successful or not.',
      buckets: [...RECONCILE_BUCKETS],
      registers,
    })
    this.errors = new Counter({ name: 'nftkit_reconcile_errors_total', help: 'Failed reconciles, by reason.', labelNames: ['reason'], registers })
    this.generation = new Gauge({ name: 'nftkit_applied_generation', help: 'nf_tables generation id of the last successful reconcile.', registers })
    this.lastSuccess = new Gauge({
      name: 'nftkit_last_reconcile_success_timestamp_seconds',
      help: 'Unix time of the last successful reconcile.',
      registers,
    })
    this.rulePackets = new Counter({ name: 'nftkit_rule_packets_total', help: 'Packets counted by a rule\'s counter statement.', labelNames: RULE_LABELS, registers, collect })
    this.ruleBytes = new Counter({ name: 'nftkit_rule_bytes_total', help: 'Bytes counted by a rule\'s counter statement.', labelNames: RULE_LABELS, registers, collect })
    this.counterPackets = new Counter({
      name: 'nftkit_counter_packets_total',
      help: 'Packets of a named counter object.',
      labelNames: ['family', 'table', 'counter'],
      registers,
      collect,
    })
    this.counterBytes = new Counter({
      name: 'nftkit_counter_bytes_total',
      help: 'Bytes of a named counter object.',
      labelNames: ['family', 'table', 'counter'],
      registers,
      collect,
    })
    this.setElements = new Gauge({ name: 'nftkit_set_elements', help: 'Elements in a named set or map.', labelNames: ['family', 'table', 'set'], registers, collect })
    this.readErrors = new Counter({ name: 'nftkit_ruleset_read_errors_total', help: 'Scrapes whose read of the ruleset failed.', registers, collect })
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry })
  }

  /**
   * Counts one reconcile and its duration. `reason` (for errors; default
   * `unknown`) should be a code of bounded variety, such as an errno name
   * (`EBUSY`), `validation`, `conflict` or `unreachable`: each value is a
   * series of its own. It is cut to 64 characters.
   */
  recordReconcile(seconds: number, outcome: ReconcileOutcome, reason?: string): void {
    this.reconciles.inc({ outcome })
    if (Number.isFinite(seconds) && seconds >= 0) this.duration.observe(seconds)
    if (outcome === 'error') this.errors.inc({ reason: (reason || 'unknown').slice(0, REASON_MAX) })
    else this.lastSuccess.set(Date.now() / 1000)
  }

  /** The nf_tables generation id of the last successful reconcile. */
  setGeneration(n: number): void {
    this.generation.set(n)
  }

  /**
   * Replaces the per-rule, per-counter and per-set series with those of
   * `tables`: series of rules, counters and sets not in it disappear.
   */
  observeTables(tables: ObservedTables): void {
    // Synchronous from the first reset to the last inc: a scrape never sees half of it.
    for (const m of [this.rulePackets, this.ruleBytes, this.counterPackets, this.counterBytes, this.setElements]) m.reset()
    for (const r of tables.rules) {
      const c = r.exprs.find((e) => 'stmt' in e && e.stmt === 'counter' && e.name === undefined && !('key' in e)) as { packets?: number; bytes?: number } | undefined
      if (!c) continue
      const labels = { family: r.family, table: r.table, chain: r.chain, rule: r.comment ?? `#${r.handle}` }
      this.rulePackets.inc(labels, c.packets ?? 0)
      this.ruleBytes.inc(labels, c.bytes ?? 0)
    }
    for (const c of tables.counters ?? []) {
      const labels = { family: c.family, table: c.table, counter: c.name }
      this.counterPackets.inc(labels, c.packets)
      this.counterBytes.inc(labels, c.bytes)
    }
    if (tables.setSizes) for (const s of tables.setSizes) this.setElements.set({ family: s.family, table: s.table, set: s.set }, s.elements)
    else for (const s of tables.sets) this.setElements.set({ family: s.family, table: s.table, set: s.name }, s.elements.length)
  }

  /** Every metric in the Prometheus text format (version 0.0.4), reading the kernel first if `readTables` was given. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  /** The Content-Type of {@link ControllerMetrics.text}. */
  get contentType(): string {
    return this.registry.contentType
  }

  private refresh(): Promise<void> | undefined {
    const read = this.readTables
    if (!read) return undefined
    this.reading ??= (async () => {
      // Yield first: a read that throws synchronously must not clear `reading` before it is set.
      await undefined
      try {
        this.observeTables(await read())
      } catch {
        for (const m of [this.rulePackets, this.ruleBytes, this.counterPackets, this.counterBytes, this.setElements]) m.reset()
        this.readErrors.inc()
      } finally {
        this.reading = undefined
      }
    })()
    return this.reading
  }
}
