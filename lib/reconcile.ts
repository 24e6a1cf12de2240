/**
 * The reconciler: make the kernel hold exactly the declared tables with the
 * smallest change, in one atomic batch bound to the generation it was planned
 * from. A pure planner (`plan`) and a thin apply loop (`reconcile`).
 *
 * Identity: tables by family and name, chains and sets by name, rules by name
 * (their comment). An unchanged rule keeps its handle and counters, a changed
 * one is replaced in place, new rules land at their declared position, rules
 * out of order are moved, set contents move as element deltas.
 * @module
 */
import { AddrIndex } from './addr-index.js'
import { type Client, COMMIT_NATIVE, COMMIT_NATIVE_SYNC } from './client.js'
import { type Family, FAMILY_NUMBER } from './constants.js'
import { decodeElements, type Element, encodeElements, type SetShape } from './elements.js'
import { isGenerationMismatch, NftValidationError } from './errors.js'
import { type AnonSet, decodeRule, decodeVerdict, jsValue, type RawExpr } from './expr/decode.js'
import { compileRule } from './expr/compile.js'
import type { RuleExpr } from './expr/types.js'
import { fastIPv4, fastIPv4Decode, fewIPv4, ipv4Value, put32 } from './elements-fast.js'
import { elementsOf, type ListedRule, type Listing, setShapeOf } from './listing.js'
import type { TableContents } from './nft/ruleset.js'
import { ADD_TRUSTED_ELEMENTS, keyDatatypes, type Operation, type Transaction } from './transaction.js'
import { DATATYPES, type KeyTypeName } from './datatypes.js'
import type { Change, Monitor, MonitorCommit } from './monitor.js'
import type { NativeElementRecord, NativeExpr, NativeOp, NativeRecord } from '../types/native.js'

/** What one reconcile did. */
export interface ReconcileResult {
  /** The operations committed (empty when nothing had to change). */
  readonly operations: readonly Operation[]
  /** Netlink messages sent (0 when nothing changed). */
  readonly messages: number
  /** Generation the plan was made from. */
  readonly genId: number
  /** How many times the plan was redone because another writer moved the generation. */
  readonly retries: number
}

type Desired = TableContents

const strip = (exprs: ReadonlyArray<RuleExpr | RawExpr>): unknown =>
  exprs.map((e) => ('stmt' in e && e.stmt === 'counter' && e.name === undefined ? { stmt: 'counter' } : e))

/** A rule's expressions in the form the kernel gives back (compiled, then decoded). */
export function canonicalExprs(exprs: readonly RuleExpr[], family: Family, table: string): ReadonlyArray<RuleExpr | RawExpr> {
  let id = 1
  // Any named set will do: a lookup decodes the same whatever the set's flags.
  const compiled = compileRule(exprs, { family, table, findSet: (name) => ({ name }), nextSetId: () => id++ }, 'rule.exprs')
  const anon = new Map<string, AnonSet>()
  for (const op of compiled.sets) {
    if (op.kind !== 'element') continue
    const setOp = compiled.sets.find((s) => s.kind === 'set' && s.setId === op.setId) as NativeOp
    const shape = setShapeOf(setOp as unknown as NativeRecord)
    if (!shape) continue // unknown key type: the rule decodes as { raw }, as the listing would
    const key = shape.key
    const els = decodeElements(shape, (op.elements ?? []) as NativeElementRecord[])
    anon.set(`__anon${op.setId}`, {
      elements: els.map((e) => ({
        key: e.fields.length === 1 ? jsValue(key[0], e.fields[0]) : e.fields.map((f, i) => jsValue(key[i], f)),
        ...(e.verdict !== undefined ? { verdict: decodeVerdict(e.verdict, e.chain) } : {}),
      })),
    })
  }
  const renamed = compiled.exprs.map((e) => (e.type === 'lookup' && e.setId !== undefined ? ({ ...e, set: `__anon${e.setId}` } as NativeExpr) : e))
  return decodeRule(renamed, { family, anonSet: (n) => anon.get(n) })
}

/** Canonical elements of a declared set, as the listing would show them. */
function canonicalElements(set: Desired['sets'][number], family: Family): Element[] {
  const key = keyDatatypes(set.type, 'set.type')
  const flags = set.flags ?? []
  const map = (set as { map?: string }).map
  const data = set.kind === 'map' ? (map === 'verdict' ? 'verdict' : DATATYPES[map as KeyTypeName]) : undefined
  const shape: SetShape = { name: set.name, key, interval: flags.includes('interval'), data, timeout: flags.includes('timeout') || set.timeout !== undefined }
  void family
  // IPv4 keys (pod IPs): the number-only paths, no bigint and no object per element.
  const few = fewIPv4(shape, set.elements ?? [], {})
  if (few) return fastIPv4Decode(shape.interval, few.packedKeys, few.packedFlags)
  const fast = fastIPv4(shape, set.elements ?? [], {})
  if (fast) return fastIPv4Decode(shape.interval, fast.packedKeys, fast.packedFlags)
  const enc = encodeElements(shape, set.elements ?? [], 'set.elements', { leadingZero: true })
  return elementsOf(shape, enc as NativeElementRecord[])
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/** Longest increasing subsequence (indices into `xs`), to move as few rules as possible. */
function lis(xs: readonly number[]): Set<number> {
  const tails: number[] = []
  const prev: number[] = new Array(xs.length).fill(-1)
  for (let i = 0; i < xs.length; i++) {
    let lo = 0
    let hi = tails.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (xs[tails[mid]] < xs[i]) lo = mid + 1
      else hi = mid
    }
    if (lo > 0) prev[i] = tails[lo - 1]
    tails[lo] = i
  }
  const out = new Set<number>()
  let k = tails.length ? tails[tails.length - 1] : -1
  while (k >= 0) {
    out.add(k)
    k = prev[k]
  }
  return out
}

/**
 * Plans the operations that turn `observed` into `desired` for the declared
 * tables only. Pure: no I/O.
 */
export function plan(desired: readonly Desired[], observed: Listing): Operation[] {
  // Deletions first, rules before what they may refer to (chains, sets, counters).
  const ruleDels: Operation[] = []
  const dels: Operation[] = []
  const lateDels: Operation[] = []
  const adds: Operation[] = []
  for (const d of desired) {
    const family = d.table.family as Family
    const table = d.table.name
    const mine = <T extends { family?: Family; table?: string }>(xs: readonly T[]) => xs.filter((x) => x.family === family && x.table === table)
    const exists = observed.tables.some((t) => t.family === family && t.name === table)
    const oChains = mine(observed.chains)
    const oSets = mine(observed.sets)
    const oRules = mine(observed.rules) as ListedRule[]
    const oCounters = mine(observed.counters)
    if (!exists) adds.push({ verb: 'add', object: { ...d.table, handle: undefined } as never })
    else if (!same(d.table.flags ?? [], observed.tables.find((t) => t.family === family && t.name === table)?.flags ?? []) || !same(d.table.comment, observed.tables.find((t) => t.family === family && t.name === table)?.comment))
      adds.push({ verb: 'add', object: { ...d.table, handle: undefined } as never })

    // Counters.
    for (const c of oCounters) if (!d.counters.some((x) => x.name === c.name)) lateDels.push({ verb: 'delete', object: { kind: 'counter', family, table, name: c.name } })
    for (const c of d.counters) if (!oCounters.some((x) => x.name === c.name)) adds.push({ verb: 'add', object: { ...c, family, table } as never })

    // Chains: recreate when an immutable property changed.
    const recreate = new Set<string>()
    for (const oc of oChains) {
      const dc = d.chains.find((c) => c.name === oc.name)
      if (!dc) {
        dels.push({ verb: 'flush', object: { kind: 'chain', family, table, name: oc.name } })
        dels.push({ verb: 'delete', object: { kind: 'chain', family, table, name: oc.name } })
        continue
      }
      const base = (c: typeof dc) => ({ hook: c.hook, type: c.hook ? (c.type ?? 'filter') : undefined, priority: c.hook ? c.priority : undefined, devices: c.devices ?? [] })
      if (!same(base(dc), { ...base(oc as typeof dc), devices: oc.devices ?? [] })) {
        recreate.add(oc.name)
        dels.push({ verb: 'flush', object: { kind: 'chain', family, table, name: oc.name } })
        dels.push({ verb: 'delete', object: { kind: 'chain', family, table, name: oc.name } })
      }
    }
    for (const dc of d.chains) {
      const oc = oChains.find((c) => c.name === dc.name)
      const policyChanged = oc && dc.hook && (dc.policy ?? 'accept') !== (oc.policy ?? 'accept')
      const commentChanged = oc && dc.comment !== oc.comment
      if (!oc || recreate.has(dc.name) || policyChanged || commentChanged) adds.push({ verb: 'add', object: { ...dc, family, table, handle: undefined } as never })
    }

    // Sets: element deltas; a changed declaration recreates the set.
    for (const os of oSets) {
      const ds = d.sets.find((s) => s.name === os.name)
      const decl = (s: typeof os | NonNullable<typeof ds>) => ({ kind: s.kind, type: s.type, map: (s as { map?: string }).map, flags: [...(s.flags ?? [])].sort(), timeout: s.timeout, size: s.size, counter: !!s.counter, comment: s.comment })
      if (!ds || !same(decl(ds), decl(os))) lateDels.push({ verb: 'delete', object: { kind: os.kind, family, table, name: os.name } as never })
    }
    for (const ds of d.sets) {
      const os = oSets.find((s) => s.name === ds.name)
      const decl = (s: typeof ds) => ({ kind: s.kind, type: s.type, map: (s as { map?: string }).map, flags: [...(s.flags ?? [])].sort(), timeout: s.timeout, size: s.size, counter: !!s.counter, comment: s.comment })
      if (!os || !same(decl(ds), decl(os as typeof ds))) {
        adds.push({ verb: 'add', object: { ...ds, family, table, handle: undefined } as never })
        continue
      }
      const want = canonicalElements(ds, family)
      const key = (e: Element) => JSON.stringify(e)
      const have = new Map(os.elements.map((e) => [key(e), e]))
      const wantKeys = new Set(want.map(key))
      const gone = os.elements.filter((e) => !wantKeys.has(key(e)))
      const fresh = want.filter((e) => !have.has(key(e)))
      if (gone.length) dels.push({ verb: 'delete', object: { kind: 'element', family, table, set: ds.name, elements: gone.map(plain) } as never })
      if (fresh.length) adds.push({ verb: 'add', object: { kind: 'element', family, table, set: ds.name, elements: fresh } })
    }

    // Rules, chain by chain.
    for (const dc of d.chains) {
      const want = d.rules.filter((r) => r.chain === dc.name)
      const fresh = !oChains.some((c) => c.name === dc.name) || recreate.has(dc.name)
      const have = fresh ? [] : oRules.filter((r) => r.chain === dc.name)
      planRules(family, table, dc.name, want, have, ruleDels, adds)
    }
  }
  return [...ruleDels, ...dels, ...lateDels, ...adds]
}

function planRules(
  family: Family,
  table: string,
  chain: string,
  want: Desired['rules'],
  have: readonly ListedRule[],
  dels: Operation[],
  adds: Operation[],
): void {
  const byName = new Map<string, ListedRule>()
  const dupes = new Set<string>()
  for (const r of have) {
    if (r.comment === undefined || byName.has(r.comment)) {
      if (r.comment !== undefined) dupes.add(r.comment)
      dels.push({ verb: 'delete', object: { kind: 'rule', family, table, chain, handle: r.handle } })
      continue
    }
    byName.set(r.comment, r)
  }
  const wanted = new Set(want.map((r) => r.comment))
  for (const [name, r] of byName) if (!wanted.has(name)) dels.push({ verb: 'delete', object: { kind: 'rule', family, table, chain, handle: r.handle } })
  // Kept rules must stay in declared order: keep the longest run already in order, move the rest.
  const matched = want.map((r) => (r.comment !== undefined ? byName.get(r.comment) : undefined))
  const positions = matched.map((m) => (m ? have.indexOf(m) : -1))
  const idx = positions.map((p, i) => ({ p, i })).filter((x) => x.p >= 0)
  const inOrder = lis(idx.map((x) => x.p))
  const keep = new Set(idx.filter((_, k) => inOrder.has(k)).map((x) => x.i))
  for (const x of idx) if (!keep.has(x.i)) dels.push({ verb: 'delete', object: { kind: 'rule', family, table, chain, handle: positions[x.i] >= 0 ? have[positions[x.i]].handle : 0 } })
  want.forEach((r, i) => {
    const o = matched[i]
    const body = { kind: 'rule' as const, family, table, chain, exprs: r.exprs as RuleExpr[], ...(r.comment !== undefined ? { comment: r.comment } : {}) }
    if (o && keep.has(i)) {
      if (!same(strip(o.exprs), strip(canonicalExprs(r.exprs as RuleExpr[], family, table)))) adds.push({ verb: 'replace', object: { ...body, handle: o.handle } })
      return
    }
    // New (or moved): before the next kept rule, or appended after the last one.
    const next = want.findIndex((_, j) => j > i && keep.has(j))
    if (next >= 0) adds.push({ verb: 'insert', object: { ...body, position: (matched[next] as ListedRule).handle } })
    else adds.push({ verb: 'add', object: body })
  })
}

/**
 * Makes the kernel hold the desired tables: list, plan, commit bound to the
 * listing's generation; if another writer moved the generation, list, plan and
 * commit again (at most `retries` times).
 * @throws NftError (a kernel refusal: nothing was applied), or ERESTART after the retries.
 */
export function reconcileSync(client: Client, desired: readonly Desired[], opts: { retries?: number } = {}): ReconcileResult {
  const retries = opts.retries ?? 3
  for (let attempt = 0; ; attempt++) {
    const observed = client.listSync()
    const ops = plan(desired, observed)
    if (ops.length === 0) return { operations: [], messages: 0, genId: observed.genId, retries: attempt }
    const tx = client.transaction()
    for (const op of ops) tx.apply(op)
    try {
      const r = client.commitSync(tx, { genId: observed.genId, handles: false })
      return { operations: ops, messages: r.messages, genId: observed.genId, retries: attempt }
    } catch (e) {
      if (isGenerationMismatch(e) && attempt < retries) continue
      throw e
    }
  }
}

/** Async {@link reconcileSync}. */
export async function reconcile(client: Client, desired: readonly Desired[], opts: { retries?: number } = {}): Promise<ReconcileResult> {
  const retries = opts.retries ?? 3
  for (let attempt = 0; ; attempt++) {
    const observed = await client.list()
    const ops = plan(desired, observed)
    if (ops.length === 0) return { operations: [], messages: 0, genId: observed.genId, retries: attempt }
    const tx = client.transaction()
    for (const op of ops) tx.apply(op)
    try {
      const r = await client.commit(tx, { genId: observed.genId, handles: false })
      return { operations: ops, messages: r.messages, genId: observed.genId, retries: attempt }
    } catch (e) {
      if (isGenerationMismatch(e) && attempt < retries) continue
      throw e
    }
  }
}

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

const tableKey = (family: string, name: string) => `${family}\u0000${name}`

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
  /** Per set (family, table, name): its elements by key, built on the first delta, kept O(delta) after. */
  readonly #index = new Map<string, ElementIndex>()
  /** Sets whose index is newer than `#state`'s element arrays. */
  readonly #dirty = new Set<string>()
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
    this.#index.clear()
    this.#dirty.clear()
  }

  /** Unsubscribes from the monitor given at construction (the monitor stays open). */
  detach(): void {
    this.#detach?.()
  }

  /** Makes the kernel hold `desired`; see {@link reconcileSync}. */
  reconcileSync(desired: readonly Desired[], opts: { retries?: number } = {}): ReconcileResult {
    const tables = new Set(desired.map((d) => tableKey(d.table.family, d.table.name)))
    // Foreign changes to a table that was not ours were not tracked: read it.
    for (const t of tables) if (!this.#tables.has(t)) this.invalidate()
    this.#tables = tables
    const retries = opts.retries ?? 3
    for (let attempt = 0; ; attempt++) {
      const observed = this.#current()
      const ops = plan(desired, observed)
      if (ops.length === 0) {
        this.#state = observed
        return { operations: [], messages: 0, genId: observed.genId, retries: attempt }
      }
      const messages = this.#commitBound(ops, observed.genId, attempt < retries)
      if (messages === undefined) continue
      // A batch bound to generation g that succeeded made generation g + 1,
      // unless the kernel found nothing to do (e.g. adding elements a broken
      // listing had hidden): then the generation stays g. Ask, it is cheap.
      const now = this.#client.generationSync()
      this.#seen = Math.max(this.#seen, now)
      if (now === observed.genId + 1 && ops.every((o) => o.object.kind === 'element')) {
        this.#index.clear()
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
  updateSetSync(ref: SetDeltaRef, delta: SetDelta, opts: { retries?: number } = {}): ReconcileResult {
    const retries = opts.retries ?? 3
    for (let attempt = 0; ; attempt++) {
      const p = this.#planDelta(ref, delta)
      if (p.ops.length === 0) return { operations: [], messages: 0, genId: p.genId, retries: attempt }
      const messages = p.native
        ? this.#settle(() => this.#client[COMMIT_NATIVE_SYNC](p.native as NativeOp[], p.genId, p.ops), attempt < retries)
        : this.#commitBound(p.ops, p.genId, attempt < retries)
      if (messages === undefined) continue
      p.done()
      return { operations: p.ops, messages, genId: p.genId, retries: attempt }
    }
  }

  /** Async {@link Reconciler.updateSetSync} (the kernel round trip off the event loop). */
  async updateSet(ref: SetDeltaRef, delta: SetDelta, opts: { retries?: number } = {}): Promise<ReconcileResult> {
    const retries = opts.retries ?? 3
    for (let attempt = 0; ; attempt++) {
      if (!this.#state) this.#state = await this.#readAsync()
      const p = this.#planDelta(ref, delta)
      if (p.ops.length === 0) return { operations: [], messages: 0, genId: p.genId, retries: attempt }
      const messages = p.native
        ? await this.#settleAsync(() => this.#client[COMMIT_NATIVE](p.native as NativeOp[], p.genId, p.ops), attempt < retries)
        : await this.#commitBoundAsync(p.ops, p.genId, attempt < retries)
      if (messages === undefined) continue
      p.done()
      return { operations: p.ops, messages, genId: p.genId, retries: attempt }
    }
  }

  /**
   * Commits `ops` as one batch bound to `genId`; its message count, or
   * undefined when another writer moved the generation and a retry is allowed
   * (the in-memory state is dropped on any failure).
   */
  #commitBound(ops: readonly Operation[], genId: number, mayRetry: boolean): number | undefined {
    return this.#settle(() => this.#client.commitSync(this.#transaction(ops), { genId, handles: false }).messages, mayRetry)
  }

  /** Runs a bound commit: its message count, or undefined to retry after a foreign change (state dropped on any failure). */
  #settle(commit: () => number, mayRetry: boolean): number | undefined {
    try {
      return commit()
    } catch (e) {
      this.invalidate()
      if (isGenerationMismatch(e) && mayRetry) return undefined
      throw e
    }
  }

  /** Async {@link Reconciler.#settle}. */
  async #settleAsync(commit: () => Promise<number>, mayRetry: boolean): Promise<number | undefined> {
    try {
      return await commit()
    } catch (e) {
      this.invalidate()
      if (isGenerationMismatch(e) && mayRetry) return undefined
      throw e
    }
  }

  /**
   * The transaction of planned operations. Element operations were planned
   * from validated, canonical elements of a known set, so they skip the
   * transaction's per-operation checks (the delta path's hot spot).
   */
  #transaction(ops: readonly Operation[]): Transaction {
    const tx = this.#client.transaction()
    for (const op of ops) {
      const o = op.object as { kind: string; family?: Family; table?: string; set?: string; elements?: readonly Element[] }
      const trusted =
        o.kind === 'element' &&
        (op.verb === 'add' || op.verb === 'delete') &&
        o.family !== undefined &&
        o.table !== undefined &&
        o.set !== undefined &&
        o.elements !== undefined &&
        tx[ADD_TRUSTED_ELEMENTS](op.verb, o.family, o.table, o.set, o.elements)
      if (!trusted) tx.apply(op)
    }
    return tx
  }

  /** Async {@link Reconciler.#commitBound}. */
  async #commitBoundAsync(ops: readonly Operation[], genId: number, mayRetry: boolean): Promise<number | undefined> {
    return this.#settleAsync(async () => (await this.#client.commit(this.#transaction(ops), { genId, handles: false })).messages, mayRetry)
  }

  /** The set a delta last went to, resolved (valid while the state's set list and the index are the same). */
  #target: DeltaTarget | undefined

  /** The set a delta refers to, its index (built on first use) and whether it is a plain IPv4 hash set. */
  #resolveTarget(state: Listing, ref: SetDeltaRef) {
    const family = ref.family ?? this.#client.family
    const table = ref.table ?? this.#client.table
    const t = this.#target
    if (t && t.sets === state.sets && t.name === ref.set && t.table === table && t.family === family && this.#index.get(t.id) === t.index) return t
    const set = state.sets.find((s) => s.family === family && s.table === table && s.name === ref.set)
    if (!set) throw new NftValidationError('set', `no set ${family} ${table ?? '?'} ${ref.set} in the reconciled state (declare it with reconcile() first)`, ref.set)
    const id = `${family}\u0000${table}\u0000${set.name}`
    const plainHash = set.kind === 'set' && set.type === 'ipv4_addr' && !(set.flags ?? []).includes('interval')
    let index = this.#index.get(id)
    if (!index) {
      index = (plainHash ? AddrIndex.of(set.elements) : undefined) ?? new Map(set.elements.map((e) => [keyOf(e), e]))
      this.#index.set(id, index)
    }
    this.#target = { sets: state.sets, family, table, name: ref.set, set, id, index, plainHash }
    return this.#target
  }

  /** Canonical forms of delta elements (pod IPs in a hash set are their own). */
  #canon(target: DeltaTarget, els: readonly Element[] | undefined, path: string): readonly Element[] {
    if (!els?.length) return []
    if (target.plainHash) {
      let plain = true
      for (let i = 0; i < els.length && plain; i++) plain = isDottedQuad(els[i])
      if (plain) return els
    }
    try {
      return canonicalElements({ ...target.set, elements: els } as Desired['sets'][number], target.family)
    } catch (e) {
      if (e instanceof NftValidationError) throw new NftValidationError(`${path}${e.path.replace(/^set\.elements/, '')}`, e.reason, e.value)
      throw e
    }
  }

  /** The element operations of a delta, and how to fold them into the in-memory state once committed. */
  #planDelta(ref: SetDeltaRef, delta: SetDelta): DeltaPlan {
    // The set's index is the truth for its elements; the listing's arrays are
    // folded back only when a full plan needs them (keeps this O(delta)).
    const state = this.#state ?? this.#read()
    this.#state = state
    let target = this.#resolveTarget(state, ref)
    if (target.index instanceof AddrIndex) {
      const planned = this.#planAddrDelta(target, target.index, delta, state)
      if (planned) return planned
    }
    const removeIn = this.#canon(target, delta.remove, 'delta.remove')
    const addIn = this.#canon(target, delta.add, 'delta.add')
    if (target.index instanceof AddrIndex && !allStrings(addIn)) {
      // Elements with options (a timeout, a comment) need the general index.
      this.#index.set(target.id, new Map(Array.from(target.index.values(), (v): [string, Element] => [v, v])))
      target = this.#resolveTarget(state, ref)
    }
    const { index: idx, set, family } = target
    const gone: Element[] = []
    const goneKeys = new Seen<string>()
    for (const e of removeIn) {
      const k = keyOf(e)
      const have = idx.get(k)
      if (have !== undefined && !goneKeys.has(k)) {
        gone.push(have)
        goneKeys.add(k)
      }
    }
    const fresh: Element[] = []
    const freshKeys = new Seen<string>()
    for (const e of addIn) {
      const k = keyOf(e)
      if (freshKeys.has(k)) continue
      const have = idx.get(k)
      if (have !== undefined && !goneKeys.has(k)) {
        if (have === e || JSON.stringify(have) === JSON.stringify(e)) continue
        gone.push(have) // same key, other data (maps): replace
        goneKeys.add(k)
      }
      fresh.push(e)
      freshKeys.add(k)
    }
    const ops: Operation[] = []
    if (gone.length) ops.push({ verb: 'delete', object: { kind: 'element', family, table: set.table, set: set.name, elements: gone.map(plain) } as never })
    if (fresh.length) ops.push({ verb: 'add', object: { kind: 'element', family, table: set.table, set: set.name, elements: fresh } })
    const done = () => {
      for (const k of goneKeys.list) idx.delete(k)
      for (let i = 0; i < fresh.length; i++) idx.set(freshKeys.list[i], fresh[i])
      this.#committedDelta(target, state)
    }
    // Committed through a transaction (the pod-IP hot case is #planAddrDelta's).
    return { ops, native: undefined, genId: state.genId, done }
  }

  /**
   * {@link Reconciler.#planDelta} for a set indexed by an {@link AddrIndex}
   * when every element of the delta is a canonical dotted quad (pod IPs):
   * each address is parsed once, and the index and the packed keys work on
   * its 32-bit value. Undefined for anything else (the general path then
   * canonicalises, or reports the bad element with its path).
   */
  #planAddrDelta(target: DeltaTarget, idx: AddrIndex, delta: SetDelta, state: Listing): DeltaPlan | undefined {
    const remove = delta.remove ?? []
    const add = delta.add ?? []
    const goneV = new Seen<number>()
    const gone: string[] = []
    for (let i = 0; i < remove.length; i++) {
      const e = remove[i]
      const v = typeof e === 'string' ? ipv4Value(e) : undefined
      if (v === undefined) return undefined
      if (idx.hasValue(v) && !goneV.has(v)) {
        goneV.add(v)
        gone.push(e as string)
      }
    }
    const freshV = new Seen<number>()
    const fresh: string[] = []
    for (let i = 0; i < add.length; i++) {
      const e = add[i]
      const v = typeof e === 'string' ? ipv4Value(e) : undefined
      if (v === undefined) return undefined
      if (freshV.has(v) || (idx.hasValue(v) && !goneV.has(v))) continue
      freshV.add(v)
      fresh.push(e as string)
    }
    const { set, family } = target
    const table = set.table as string
    const ops: Operation[] = []
    const native: NativeOp[] = []
    const f = FAMILY_NUMBER[family]
    if (gone.length) {
      ops.push({ verb: 'delete', object: { kind: 'element', family, table, set: set.name, elements: gone } as never })
      native.push({ verb: 'delete', kind: 'element', family: f, table, set: set.name, packedKeys: packValues(goneV.list), keyLen: 4 })
    }
    if (fresh.length) {
      ops.push({ verb: 'add', object: { kind: 'element', family, table, set: set.name, elements: fresh } })
      native.push({ verb: 'add', kind: 'element', family: f, table, set: set.name, packedKeys: packValues(freshV.list), keyLen: 4 })
    }
    const done = () => {
      for (const v of goneV.list) idx.deleteValue(v)
      for (const v of freshV.list) idx.addValue(v)
      this.#committedDelta(target, state)
    }
    return { ops, native, genId: state.genId, done }
  }

  /** Bookkeeping after a delta batch was committed: its set's index is ahead of the listing, the generation moved by one. */
  #committedDelta(target: DeltaTarget, state: Listing): void {
    this.#dirty.add(target.id)
    this.#seen = Math.max(this.#seen, state.genId + 1)
    if (this.#state) this.#state = { ...this.#state, genId: state.genId + 1 }
  }

  /** The in-memory state with element indexes folded back in (reads the kernel if there is none). */
  #current(): Listing {
    const state = this.#state ?? this.#read()
    this.#state = state
    if (this.#dirty.size === 0) return state
    const sets = state.sets.map((s) => {
      const id = `${s.family}\u0000${s.table}\u0000${s.name}`
      const index = this.#dirty.has(id) ? this.#index.get(id) : undefined
      return index ? { ...s, elements: [...index.values()] } : s
    })
    this.#dirty.clear()
    this.#state = { ...state, sets }
    return this.#state
  }

  #read(): Listing {
    return this.#took(this.#client.listSync())
  }

  async #readAsync(): Promise<Listing> {
    return this.#took(await this.#client.list())
  }

  /** Bookkeeping of a fresh kernel read: the indexes of the old state go. */
  #took(l: Listing): Listing {
    this.reads++
    this.#index.clear()
    this.#dirty.clear()
    this.#seen = Math.max(this.#seen, l.genId)
    return l
  }
}

/** Names the set of an element delta; family and table default to the client's. */
export interface SetDeltaRef {
  readonly family?: Family
  readonly table?: string
  readonly set: string
}

/** What a delta becomes: its operations, their kernel form when packed directly, and how to fold them in once committed. */
interface DeltaPlan {
  readonly ops: Operation[]
  /** The native operations, when the reconciler packed them itself (else a transaction is built from `ops`). */
  readonly native: NativeOp[] | undefined
  readonly genId: number
  readonly done: () => void
}

/** Elements of one set by key: a Map, or for a plain IPv4 hash set a compact {@link AddrIndex}. */
type ElementIndex = Map<string, Element> | AddrIndex

/** A set a delta goes to, resolved once for as long as the state's set list and its index last. */
interface DeltaTarget {
  readonly sets: Listing['sets']
  readonly family: Family
  readonly table: string | undefined
  readonly name: string
  readonly set: Listing['sets'][number]
  /** Key of the set in the reconciler's indexes. */
  readonly id: string
  readonly index: ElementIndex
  /** An ipv4_addr hash set: canonical dotted quads are their own canonical form. */
  readonly plainHash: boolean
}

/** Elements to add to and remove from one set. */
export interface SetDelta {
  readonly add?: readonly Element[]
  readonly remove?: readonly Element[]
}

/**
 * Keys seen in one delta, in order: a short array while the delta is small
 * (a pod or two: no Set to allocate), indexed by a Set beyond 16 keys so a
 * large delta stays linear.
 */
class Seen<T> {
  readonly list: T[] = []
  #set: Set<T> | undefined
  has(k: T): boolean {
    return this.#set ? this.#set.has(k) : this.list.includes(k)
  }
  add(k: T): void {
    this.list.push(k)
    if (this.#set) this.#set.add(k)
    else if (this.list.length > 16) this.#set = new Set(this.list)
  }
}

/** True if every element is a string. */
function allStrings(els: readonly Element[]): boolean {
  for (let i = 0; i < els.length; i++) if (typeof els[i] !== 'string') return false
  return true
}

/** 32-bit address values as 4-byte big-endian keys back to back. */
function packValues(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length)
  for (let i = 0; i < values.length; i++) put32(out, 4 * i, values[i])
  return out
}

/** A canonical IPv4 address (no leading zeros, each part 0-255). */
const isDottedQuad = (e: Element): boolean => typeof e === 'string' && ipv4Value(e) !== undefined

/** An element's key (a map element's without its value). */
const plain = (e: Element): Element => (typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as { key: Element }).key : e)

/**
 * An element's key as a string, for indexes of elements: a string key is its
 * own (the common case, pod IPs: no JSON per element); any other key is its
 * JSON behind a NUL, which no string key starts with.
 */
function keyOf(e: Element): string {
  const k = plain(e)
  return typeof k === 'string' && k.charCodeAt(0) !== 0 ? k : `\u0000${JSON.stringify(k)}`
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
