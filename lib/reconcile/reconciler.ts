/**
 * The stateful reconciler: the state it committed kept in memory (so a
 * controller's next change plans from memory), element deltas in O(delta)
 * through {@link SetDeltas}, and an optional monitor subscription that drops
 * the state when someone else changes a reconciled table.
 * @module
 */
import type { Client } from '../io/client.js'
import type { Family } from '../kernel/constants.js'
import type { Element } from '../model/element-types.js'
import { setKey, tableKey } from '../model/names.js'
import type { Operation } from '../model/operations.js'
import type { Listing } from '../io/listing.js'
import type { Change, Monitor, MonitorCommit } from '../io/monitor.js'
import { type Desired, keyOf, plan } from './plan.js'
import { afterConflict, type Loop, pauseStep, READ, type ReconcileResult, run, runSync } from './apply.js'
import { Retry, type RetryOptions, sleepSync } from './retry.js'
import { SetDeltas, type SetDelta, type SetDeltaRef } from './delta.js'
import type { PreparedBatch } from '../batch/prepared.js'
import { NftValidationError } from '../kernel/errors.js'

/** Why a subscribed {@link Reconciler} dropped its in-memory state. */
export interface Drift {
  /** `commit`: another socket's batch touched a reconciled table; `overrun`: notifications were lost. */
  readonly reason: 'commit' | 'overrun'
  /** The foreign batch (reason `commit`). */
  readonly commit?: MonitorCommit
  /** Its changes to reconciled tables (reason `commit`). */
  readonly changes: readonly Change[]
}

/** Options of a {@link Reconciler}. */
export interface ReconcilerOptions {
  /**
   * A monitor of the client's namespace to subscribe to. The reconciler then
   * learns about foreign commits as they happen instead of from a refused
   * commit: one that touches a reconciled table (or an overrun) drops the
   * in-memory state and calls `onDrift`; one that does not touch them keeps
   * the state valid (its generation moves along), so the next reconcile
   * neither re-reads nor retries. Batches committed through the client itself
   * (same `portId`) are ignored.
   */
  readonly monitor?: Monitor
  /** Called (from the monitor's event) after a drift; e.g. schedule a `reconcileSync` to repair it. */
  readonly onDrift?: (drift: Drift) => void
}

/**
 * A long-lived reconciler for one connection: it keeps the state it committed
 * in memory, so the common case of a controller loop (set elements changing:
 * pods coming and going) plans from memory and sends only the element deltas,
 * without re-reading the kernel. Anything else, an error, or a change by
 * someone else (the kernel refuses the stale generation; with a monitor,
 * as soon as the change is announced) makes it read the kernel again.
 */
export class Reconciler {
  readonly #client: Client
  #state?: Listing
  /** Element indexes of the sets deltas went to (newer than `#state`'s element arrays where changed). */
  readonly #deltas = new SetDeltas()
  /** The newest generation a read or commit of ours reflected. */
  #seen = -1
  /** Tables of the last desired state (family, name). */
  #tables = new Set<string>()
  readonly #detach?: () => void
  /** Kernel reads done so far (for tests and metrics). */
  reads = 0

  constructor(client: Client, opts: ReconcilerOptions = {}) {
    this.#client = client
    const { monitor, onDrift } = opts
    if (!monitor) return
    const onCommit = (c: MonitorCommit) => {
      if (c.portId === client.portId || c.genId <= this.#seen) return // ours, or already read
      const changes = c.changes.filter((x) => this.#tables.has(tableKey(x.family, x.table)))
      if (changes.length === 0) {
        // Nothing of ours changed: the state stays exact at the new generation.
        if (this.#state && c.genId === this.#state.genId + 1) this.#state = { ...this.#state, genId: c.genId }
        return
      }
      this.invalidate()
      onDrift?.({ reason: 'commit', commit: c, changes })
    }
    const onOverrun = () => {
      this.invalidate()
      onDrift?.({ reason: 'overrun', changes: [] })
    }
    monitor.on('commit', onCommit)
    monitor.on('overrun', onOverrun)
    this.#detach = () => {
      monitor.off('commit', onCommit)
      monitor.off('overrun', onOverrun)
    }
  }

  /** The generation the in-memory state corresponds to, if any. */
  get genId(): number | undefined {
    return this.#state?.genId
  }

  /** Forgets the in-memory state: the next reconcile reads the kernel. */
  invalidate(): void {
    this.#state = undefined
    this.#deltas.clear()
  }

  /** Unsubscribes from the monitor given at construction (the monitor stays open). */
  detach(): void {
    this.#detach?.()
  }

  /** Makes the kernel hold `desired`, planned from the in-memory state; see `reconcileSync`. */
  reconcileSync(desired: readonly Desired[], opts: RetryOptions = {}): ReconcileResult {
    const tables = new Set(desired.map((d) => tableKey(d.table.family, d.table.name)))
    // Foreign changes to a table that was not ours were not tracked: read it.
    for (const t of tables) if (!this.#tables.has(t)) this.invalidate()
    this.#tables = tables
    const retry = new Retry(opts)
    for (let attempt = 0; ; attempt++) {
      const observed = this.#current()
      const ops = plan(desired, observed)
      if (ops.length === 0) {
        this.#state = observed
        return { operations: [], messages: 0, genId: observed.genId, retries: attempt }
      }
      const tx = this.#client.transaction()
      for (const op of ops) tx.apply(op)
      let messages: number
      try {
        messages = this.#client.commitSync(tx, { genId: observed.genId, handles: false }).messages
      } catch (e) {
        this.invalidate()
        sleepSync(afterConflict(e, retry, attempt))
        continue
      }
      // A batch bound to generation g that succeeded made generation g + 1,
      // unless the kernel found nothing to do (e.g. adding elements a broken
      // listing had hidden): then the generation stays g. Ask, it is cheap.
      const now = this.#client.generationSync()
      this.#seen = Math.max(this.#seen, now)
      if (now === observed.genId + 1 && ops.every((o) => o.object.kind === 'element')) {
        this.#deltas.clear()
        this.#state = withElementOps(observed, ops, now)
      } else this.invalidate()
      return { operations: ops, messages, genId: observed.genId, retries: attempt }
    }
  }

  /**
   * Adds and removes elements of one set the kernel already holds (declared by
   * an earlier reconcile), without planning the whole state: the work and the
   * batch are O(delta) whatever the set's size, which is how a controller
   * turns "pod 10.200.1.7 came, 10.200.1.3 went" into one atomic batch of two
   * element messages. Additions already present and removals already absent
   * are dropped (declarative: the result is what counts); removals name
   * elements exactly as they were added. Bound to the generation of the
   * in-memory state; a foreign change makes it re-read and retry.
   * @throws NftValidationError for a bad element or an unknown set; NftError when the kernel refuses (nothing applied).
   */
  updateSetSync(ref: SetDeltaRef, delta: SetDelta, opts: RetryOptions = {}): ReconcileResult {
    return runSync(this.#client, this.#updateSet(ref, delta, opts))
  }

  /** Async {@link Reconciler.updateSetSync} (the kernel round trip off the event loop). */
  updateSet(ref: SetDeltaRef, delta: SetDelta, opts: RetryOptions = {}): Promise<ReconcileResult> {
    return run(this.#client, this.#updateSet(ref, delta, opts))
  }

  /**
   * Element deltas to several sets the kernel already holds, in one atomic
   * batch (each set's removals, then its additions), planned from the
   * in-memory indexes as {@link Reconciler.updateSetSync} plans one: O(delta)
   * whatever the sets' sizes. What a controller sends when one pod's new
   * address goes to a dispatch map and to the peer sets of the rules naming it.
   * @throws NftValidationError for a bad element, an unknown set or a set named twice; NftError when the kernel refuses (nothing applied).
   */
  updateSetsSync(deltas: ReadonlyArray<{ readonly ref: SetDeltaRef; readonly delta: SetDelta }>, opts: RetryOptions = {}): ReconcileResult {
    return runSync(this.#client, this.#updateSet(deltas, opts))
  }

  /** The loop of {@link Reconciler.updateSetSync}, {@link Reconciler.updateSet} and {@link Reconciler.updateSetsSync}. */
  *#updateSet(ref: SetDeltaRef | ReadonlyArray<{ readonly ref: SetDeltaRef; readonly delta: SetDelta }>, delta: SetDelta | RetryOptions, opts?: RetryOptions): Loop<ReconcileResult> {
    const many = Array.isArray(ref) ? (ref as ReadonlyArray<{ readonly ref: SetDeltaRef; readonly delta: SetDelta }>) : [{ ref: ref as SetDeltaRef, delta: delta as SetDelta }]
    const retry = new Retry(Array.isArray(ref) ? (delta as RetryOptions) : opts)
    const seen = new Set<string>()
    for (const d of many) {
      const k = setKey(d.ref.family ?? this.#client.family, d.ref.table ?? this.#client.table, d.ref.set)
      if (seen.has(k)) throw new NftValidationError('deltas', 'Expected each set at most once in one batch of deltas', d.ref.set)
      seen.add(k)
    }
    for (let attempt = 0; ; attempt++) {
      if (!this.#state) this.#state = this.#took((yield READ) as Listing)
      const state = this.#state
      const plans = many.map((d) => this.#deltas.plan(state, d.ref, d.ref.family ?? this.#client.family, d.ref.table ?? this.#client.table, d.delta))
      const batches = plans.filter((p) => p.batch !== undefined)
      if (batches.length === 0) return { operations: [], messages: 0, genId: state.genId, retries: attempt }
      const step = batches.length === 1 ? batches[0] : { batch: mergeBatches(batches.map((p) => p.batch as PreparedBatch)), genId: state.genId }
      let messages: number
      try {
        messages = (yield step) as number
      } catch (e) {
        this.invalidate()
        yield pauseStep(afterConflict(e, retry, attempt))
        continue
      }
      // The sets' indexes are ahead of the listing now; the generation moved by one.
      for (const p of batches) this.#deltas.committed(p)
      this.#seen = Math.max(this.#seen, state.genId + 1)
      if (this.#state) this.#state = { ...this.#state, genId: state.genId + 1 }
      return { operations: (step.batch as PreparedBatch).operations, messages, genId: state.genId, retries: attempt }
    }
  }

  /** The in-memory state with element indexes folded back in (reads the kernel if there is none). */
  #current(): Listing {
    const state = this.#state ?? this.#took(this.#client.listSync())
    this.#state = this.#deltas.fold(state)
    return this.#state
  }

  /** Bookkeeping of a fresh kernel read: the indexes of the old state go. */
  #took(l: Listing): Listing {
    this.reads++
    this.#deltas.clear()
    this.#seen = Math.max(this.#seen, l.genId)
    return l
  }
}

/** Element batches of different sets as one batch (element operations map one to one to kernel operations). */
function mergeBatches(bs: readonly PreparedBatch[]): PreparedBatch {
  return { operations: bs.flatMap((b) => b.operations), ops: bs.flatMap((b) => b.ops), owner: undefined, touchesSets: false, declaredSets: undefined }
}

/** The listing after element additions and deletions (canonical forms, as plan() produced them). */
function withElementOps(l: Listing, ops: readonly Operation[], genId: number): Listing {
  const sets = l.sets.map((s) => {
    let elements = s.elements
    for (const op of ops) {
      const o = op.object as { kind: string; family?: Family; table?: string; set?: string; elements?: readonly Element[] }
      if (o.family !== s.family || o.table !== s.table || o.set !== s.name) continue
      if (op.verb === 'delete') {
        const gone = new Set((o.elements ?? []).map(keyOf))
        elements = elements.filter((e) => !gone.has(keyOf(e)))
      } else elements = [...elements, ...(o.elements ?? [])]
    }
    return elements === s.elements ? s : { ...s, elements }
  })
  return { ...l, genId, sets }
}
