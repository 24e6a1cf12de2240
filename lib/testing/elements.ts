/**
 * Set elements as nf_tables stores them: hash sets keyed by the exact key,
 * interval sets as start/end bounds checked for overlaps the way the rbtree
 * backend does, concatenated interval sets as [key, keyEnd] ranges checked the
 * way the pipapo backend does.
 * @module
 */
import { refuse } from './errno.js'
import { type FakeElement, type FakeSet, INTERVAL_END, SET } from './model.js'

/** The set backend the kernel would choose, which decides duplicate and overlap rules. */
type Backend = 'hash' | 'rbtree' | 'pipapo'

function backendOf(s: FakeSet): Backend {
  if (!(s.flags & SET.interval)) return 'hash'
  return s.flags & SET.concat ? 'pipapo' : 'rbtree'
}

/** memcmp of two byte strings of the same length. */
function cmp(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

const same = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a === undefined || b === undefined ? a === b : a.length === b.length && cmp(a, b) === 0
const isEnd = (e: FakeElement): boolean => (e.flags & INTERVAL_END) !== 0

/** Interval bounds in rbtree order (ascending key; at one key an end bound before a start bound). */
function rbOrder(a: FakeElement, b: FakeElement): number {
  return cmp(a.key, b.key) || (isEnd(a) === isEnd(b) ? 0 : isEnd(a) ? -1 : 1)
}

/**
 * The rbtree backend's overlap check (net/netfilter/nft_set_rbtree.c,
 * __nft_rbtree_insert): the closest bounds greater-or-equal and less-or-equal
 * to the new one decide. Returns the existing element the new one duplicates,
 * or 'overlap'.
 */
function rbtreeClash(s: FakeSet, e: FakeElement): FakeElement | 'overlap' | undefined {
  let ge: FakeElement | undefined
  let le: FakeElement | undefined
  // The kernel walks from the greatest bound down.
  for (let i = s.elements.length - 1; i >= 0; i--) {
    const x = s.elements[i]
    const d = cmp(x.key, e.key)
    if (d > 0) {
      ge = x
      continue
    }
    if (d < 0) {
      le = x
      break
    }
    if (isEnd(x)) {
      le = x
      break
    }
    if (!ge || cmp(ge.key, e.key) !== 0 || isEnd(e) === isEnd(ge)) ge = x
  }
  if (ge && cmp(ge.key, e.key) === 0 && isEnd(ge) === isEnd(e)) return ge
  if (le && cmp(le.key, e.key) === 0 && isEnd(le) === isEnd(e)) return le
  if (!(s.flags & SET.anonymous) && le && !isEnd(le) && !isEnd(e)) return 'overlap'
  if (le && isEnd(le) && isEnd(e)) return 'overlap'
  if (ge && isEnd(ge) && isEnd(e)) return 'overlap'
  return undefined
}

/** Field byte ranges of a concatenated key (each field padded to 4 bytes). */
function fields(s: FakeSet): Array<[number, number]> {
  const lens = s.concat?.length ? s.concat : [s.keyLen]
  const out: Array<[number, number]> = []
  let off = 0
  for (const l of lens) {
    const padded = Math.ceil(l / 4) * 4
    out.push([off, off + padded])
    off += padded
  }
  return out
}

/** True if `point` lies in the range of element `x` in every field (pipapo matching). */
function contains(s: FakeSet, x: FakeElement, point: Uint8Array): boolean {
  const end = x.keyEnd ?? x.key
  return fields(s).every(([a, b]) => cmp(x.key.subarray(a, b), point.subarray(a, b)) <= 0 && cmp(point.subarray(a, b), end.subarray(a, b)) <= 0)
}

/** The pipapo backend's check (nft_pipapo_insert): the new start, then the new end, must match no element. */
function pipapoClash(s: FakeSet, e: FakeElement): FakeElement | 'overlap' | undefined {
  const end = e.keyEnd ?? e.key
  const dup = s.elements.find((x) => contains(s, x, e.key))
  if (dup) return same(dup.key, e.key) && same(dup.keyEnd ?? dup.key, end) ? dup : 'overlap'
  return s.elements.some((x) => contains(s, x, end)) ? 'overlap' : undefined
}

/**
 * Key index of a hash set's element list (key string -> element). A batch
 * works on its own copy of each list ({@link copyElements}, which copies the
 * index with it), so an index never outlives the list it describes.
 */
const hashIndex = new WeakMap<FakeElement[], Map<string, FakeElement>>()

/** A copy of an element list for a batch to change, with its key index if it has one. */
export function copyElements(list: FakeElement[]): FakeElement[] {
  const copy = [...list]
  const m = hashIndex.get(list)
  if (m) hashIndex.set(copy, new Map(m))
  return copy
}

function indexOf(s: FakeSet): Map<string, FakeElement> {
  let m = hashIndex.get(s.elements)
  if (!m) {
    m = new Map(s.elements.map((e) => [hex(e.key), e]))
    hashIndex.set(s.elements, m)
  }
  return m
}

/** A Map key for a byte string (one char per byte: cheaper than hex for short keys). */
function hex(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i])
  return s
}

/** True when two elements with the same key carry the same value (the kernel then lets `add` pass). */
function sameValue(a: FakeElement, b: FakeElement): boolean {
  return same(a.data, b.data) && a.verdict === b.verdict && a.chain === b.chain && a.objref === b.objref && isEnd(a) === isEnd(b)
}

/**
 * Inserts one element as nft_add_set_elem does.
 * @returns false when an identical element was already there (`add` leaves it; nothing changes).
 * @throws Refusal EEXIST for a duplicate with `create` (`excl`), a duplicate key with another value, or an overlap; ENFILE when the set is full.
 */
export function insertElement(s: FakeSet, e: FakeElement, excl: boolean): boolean {
  const backend = backendOf(s)
  const clash = backend === 'rbtree' ? rbtreeClash(s, e) : backend === 'pipapo' ? pipapoClash(s, e) : indexOf(s).get(hex(e.key))
  if (clash === 'overlap') refuse('EEXIST', 'interval overlaps with an existing one')
  if (clash) {
    if (excl || !sameValue(clash, e)) refuse('EEXIST', 'element already exists')
    return false
  }
  if (s.size && !isEnd(e) && s.elements.filter((x) => !isEnd(x)).length >= s.size) refuse('ENFILE', 'set is full')
  if (backend === 'rbtree') {
    let i = s.elements.length
    while (i > 0 && rbOrder(s.elements[i - 1], e) > 0) i--
    s.elements.splice(i, 0, e)
  } else {
    if (backend === 'hash') indexOf(s).set(hex(e.key), e)
    s.elements.push(e)
  }
  return true
}

/**
 * Removes the element matching `e` (same key; same bound kind or key end for intervals).
 * @returns false when there is none.
 */
export function removeElement(s: FakeSet, e: FakeElement): boolean {
  const backend = backendOf(s)
  if (backend === 'hash') {
    const index = indexOf(s)
    const x = index.get(hex(e.key))
    if (!x) return false
    index.delete(hex(e.key))
    s.elements.splice(s.elements.indexOf(x), 1)
    return true
  }
  const i = s.elements.findIndex((x) =>
    backend === 'rbtree'
      ? same(x.key, e.key) && isEnd(x) === isEnd(e)
      : backend === 'pipapo'
        ? same(x.key, e.key) && same(x.keyEnd ?? x.key, e.keyEnd ?? e.key)
        : same(x.key, e.key),
  )
  if (i < 0) return false
  s.elements.splice(i, 1)
  return true
}
