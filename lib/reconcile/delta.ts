/**
 * The reconciler's O(delta) path: per set, an index of the elements the
 * kernel holds, so an element delta is planned from memory whatever the
 * set's size, into a prepared batch of at most two element operations.
 * @module
 */
import type { Family } from '../kernel/constants.js'
import { NftValidationError } from '../kernel/errors.js'
import type { Element, SetShape } from '../model/element-types.js'
import { setKey } from '../model/names.js'
import { AddrIndex } from '../elements/addr-index.js'
import { ipv4Value } from '../kernel/ipv4.js'
import { type PreparedBatch, prepareElements, prepareIPv4Elements } from '../batch/prepared.js'
import type { Listing } from '../io/listing.js'
import { canonicalElements, declaredShape, type Desired, keyOf, plain, sameElement } from './plan.js'

/** Names the set of an element delta; family and table default to the client's. */
export interface SetDeltaRef {
  readonly family?: Family
  readonly table?: string
  readonly set: string
}

/** Elements to add to and remove from one set. */
export interface SetDelta {
  readonly add?: readonly Element[]
  readonly remove?: readonly Element[]
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
  /** Key of the set in the indexes. */
  readonly id: string
  readonly index: ElementIndex
  /** An ipv4_addr hash set: canonical dotted quads are their own canonical form. */
  readonly plainHash: boolean
  readonly shape: SetShape
}

/**
 * What a delta becomes: its batch (undefined when nothing changes) bound to
 * the generation it was planned from, and what to fold into the index once
 * committed: keys and elements for a Map index, 32-bit values for an
 * AddrIndex (the other pair undefined). A `Step` of the apply loop as it is.
 */
export interface DeltaPlan {
  readonly batch: PreparedBatch | undefined
  readonly genId: number
  readonly target: DeltaTarget
  readonly goneKeys: readonly string[] | undefined
  readonly freshKeys: readonly string[] | undefined
  readonly fresh: readonly Element[] | undefined
  readonly goneValues: readonly number[] | undefined
  readonly freshValues: readonly number[] | undefined
}

/**
 * The element indexes of the sets deltas went to. The index of a set is the
 * truth for its elements; a listing's element arrays are brought up to date
 * only when a full plan needs them ({@link SetDeltas.fold}), which keeps a
 * delta O(delta).
 */
export class SetDeltas {
  /** Per set (family, table, name): its elements by key, built on the first delta, kept O(delta) after. */
  readonly #index = new Map<string, ElementIndex>()
  /** Sets whose index is newer than the listing's element arrays. */
  readonly #dirty = new Set<string>()
  /** The set a delta last went to, resolved (valid while the state's set list and the index are the same). */
  #target: DeltaTarget | undefined
  /** The listed sets by key, per listing (a table of thousands of sets made every lookup a linear search). */
  readonly #byKey = new WeakMap<Listing['sets'], Map<string, Listing['sets'][number]>>()

  /** Forgets every index (the listing they were built from is gone). */
  clear(): void {
    this.#index.clear()
    this.#dirty.clear()
  }

  /** `state` with the element arrays of changed sets rebuilt from their indexes (`state` itself if none changed). */
  fold(state: Listing): Listing {
    if (this.#dirty.size === 0) return state
    const sets = state.sets.map((s) => {
      const id = setKey(s.family, s.table, s.name)
      const index = this.#dirty.has(id) ? this.#index.get(id) : undefined
      return index ? { ...s, elements: [...index.values()] } : s
    })
    this.#dirty.clear()
    return { ...state, sets }
  }

  /**
   * The batch of a delta to a set of `state`, planned from the set's index:
   * additions already present and removals already absent are dropped.
   * @throws NftValidationError for an unknown set or a bad element (path `delta.add[i]`/`delta.remove[i]`).
   */
  plan(state: Listing, ref: SetDeltaRef, family: Family, table: string | undefined, delta: SetDelta): DeltaPlan {
    let target = this.#resolve(state, ref, family, table)
    if (target.index instanceof AddrIndex) {
      const planned = planAddrDelta(target, target.index, delta, state.genId)
      if (planned) return planned
    }
    const removeIn = canon(target, delta.remove, 'delta.remove')
    const addIn = canon(target, delta.add, 'delta.add')
    if (target.index instanceof AddrIndex && !allStrings(addIn)) {
      // Elements with options (a timeout, a comment) need the general index.
      this.#index.set(target.id, new Map(Array.from(target.index.values(), (v): [string, Element] => [v, v])))
      target = this.#resolve(state, ref, family, table)
    }
    const idx = target.index
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
        if (have === e || sameElement(have, e, target.set)) continue
        gone.push(have) // same key, other data (maps): replace
        goneKeys.add(k)
      }
      fresh.push(e)
      freshKeys.add(k)
    }
    const batch =
      gone.length || fresh.length ? prepareElements(target.family, target.set.table, target.set.name, target.shape, gone.map(plain), fresh) : undefined
    return { batch, genId: state.genId, target, goneKeys: goneKeys.list, freshKeys: freshKeys.list, fresh, goneValues: undefined, freshValues: undefined }
  }

  /** Folds a committed delta into its set's index (the listing's arrays catch up in {@link SetDeltas.fold}). */
  committed(p: DeltaPlan): void {
    const idx = p.target.index
    if (p.goneValues !== undefined && p.freshValues !== undefined && idx instanceof AddrIndex) {
      for (const v of p.goneValues) idx.deleteValue(v)
      for (const v of p.freshValues) idx.addValue(v)
    } else if (p.goneKeys !== undefined && p.freshKeys !== undefined && p.fresh !== undefined) {
      for (const k of p.goneKeys) idx.delete(k)
      for (let i = 0; i < p.fresh.length; i++) idx.set(p.freshKeys[i], p.fresh[i])
    }
    this.#dirty.add(p.target.id)
  }

  /** The set a delta refers to, its index (built on first use) and whether it is a plain IPv4 hash set. */
  #resolve(state: Listing, ref: SetDeltaRef, family: Family, table: string | undefined): DeltaTarget {
    const t = this.#target
    if (t && t.sets === state.sets && t.name === ref.set && t.table === table && t.family === family && this.#index.get(t.id) === t.index) return t
    let byKey = this.#byKey.get(state.sets)
    if (!byKey) {
      byKey = new Map(state.sets.map((s) => [setKey(s.family, s.table, s.name), s]))
      this.#byKey.set(state.sets, byKey)
    }
    const set = table === undefined ? undefined : byKey.get(setKey(family, table, ref.set))
    if (!set) throw new NftValidationError('set', `no set ${family} ${table ?? '?'} ${ref.set} in the reconciled state (declare it with reconcile() first)`, ref.set)
    const id = setKey(family, table, set.name)
    const plainHash = set.kind === 'set' && set.type === 'ipv4_addr' && !(set.flags ?? []).includes('interval')
    let index = this.#index.get(id)
    if (!index) {
      index = (plainHash ? AddrIndex.of(set.elements) : undefined) ?? new Map(set.elements.map((e) => [keyOf(e), e]))
      this.#index.set(id, index)
    }
    this.#target = { sets: state.sets, family, table, name: ref.set, set, id, index, plainHash, shape: declaredShape(set) }
    return this.#target
  }
}

/** Canonical forms of delta elements (pod IPs in a hash set are their own). */
function canon(target: DeltaTarget, els: readonly Element[] | undefined, path: string): readonly Element[] {
  if (!els?.length) return []
  if (target.plainHash) {
    let plainQuads = true
    for (let i = 0; i < els.length && plainQuads; i++) plainQuads = isDottedQuad(els[i])
    if (plainQuads) return els
  }
  try {
    return canonicalElements({ ...target.set, elements: els } as Desired['sets'][number], target.shape)
  } catch (e) {
    if (e instanceof NftValidationError) throw new NftValidationError(`${path}${e.path.replace(/^set\.elements/, '')}`, e.reason, e.value)
    throw e
  }
}

/**
 * {@link SetDeltas.plan} for a set indexed by an {@link AddrIndex} when every
 * element of the delta is a canonical dotted quad (pod IPs): each address is
 * parsed once, and the index and the packed keys work on its 32-bit value.
 * Undefined for anything else (the general path then canonicalises, or
 * reports the bad element with its path).
 */
function planAddrDelta(target: DeltaTarget, idx: AddrIndex, delta: SetDelta, genId: number): DeltaPlan | undefined {
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
  const batch = gone.length || fresh.length ? prepareIPv4Elements(family, set.table, set.name, gone, goneV.list, fresh, freshV.list) : undefined
  return { batch, genId, target, goneKeys: undefined, freshKeys: undefined, fresh: undefined, goneValues: goneV.list, freshValues: freshV.list }
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

/** A canonical IPv4 address (no leading zeros, each part 0-255). */
const isDottedQuad = (e: Element): boolean => typeof e === 'string' && ipv4Value(e) !== undefined
