/**
 * Fast paths for the hot case of large address sets (pod IPs, allow-lists):
 * IPv4 keys given as plain strings are parsed, sorted, merged and packed with
 * plain numbers, and read back the same way, with no object per element. Any
 * input the fast path does not handle falls back to the general code in
 * elements.ts, which also produces the precise errors.
 * @module
 */
import { ELEM_FLAG_INTERVAL_END } from '../kernel/constants.js'
import type { ElementFields, SetShape } from '../model/element-types.js'
import { dotted, ipv4Span, put32 } from '../kernel/ipv4.js'

const MAX = 0xffffffff

/**
 * Parses `a.b.c.d`, `a.b.c.d/len` or `a.b.c.d-e.f.g.h` into [lo, hi] at
 * `out[2i]`, `out[2i + 1]`; false if not that shape or not canonical.
 */
function parse(s: string, out: Float64Array, i: number): boolean {
  const n = s.length
  // A plain address (the common case) in one pass; else find the '/' or '-'.
  const v = ipv4Span(s, 0, n)
  if (v >= 0) {
    out[2 * i] = v
    out[2 * i + 1] = v
    return true
  }
  let d = 0
  while (d < n) {
    const c = s.charCodeAt(d)
    if (c === 47 || c === 45) break
    d++
  }
  if (d === n) return false
  const lo = ipv4Span(s, 0, d)
  if (lo < 0) return false
  if (s.charCodeAt(d) === 47) {
    let len = 0
    let p = d + 1
    while (p < n && s.charCodeAt(p) >= 48 && s.charCodeAt(p) <= 57) len = len * 10 + (s.charCodeAt(p++) - 48)
    if (p !== n || p === d + 1 || p - d - 1 > 2 || len > 32) return false
    const span = 2 ** (32 - len)
    if (lo % span !== 0) return false // host bits: the general path reports it
    out[2 * i] = lo
    out[2 * i + 1] = lo + span - 1
    return true
  }
  const hi = ipv4Span(s, d + 1, n)
  if (hi < 0 || hi < lo) return false
  out[2 * i] = lo
  out[2 * i + 1] = hi
  return true
}

/** Parse space of {@link fewIPv4} (at most 15 intervals), reused: no allocation per call. */
const SCRATCH = new Float64Array(32)
/** Scratch of {@link fewIPv4} (fewer than 16 elements: at most 32 keys). */
const ORDER = new Uint8Array(16)
/** Keys written by {@link packFewIPv4} (at most 30: 15 intervals of two ends). */
export const FEW_KEYS = new Uint8Array(4 * 32)
/** Flags of {@link FEW_KEYS}, one byte per key. */
export const FEW_FLAGS = new Uint8Array(32)

/**
 * Packed kernel elements for a handful of IPv4 keys (a pod coming or going),
 * the same ones the general path makes, without its bigint parser:
 * plain addresses, prefixes or ranges that do not overlap. Anything else
 * (or 16 and more elements: see {@link fastIPv4}) returns undefined.
 */
export function fewIPv4(
  shape: SetShape,
  elements: readonly unknown[],
  opts: { leadingZero?: boolean },
): (ElementFields & { packedKeys: Uint8Array; keyLen: number; packedFlags: Uint8Array }) | undefined {
  if (opts.leadingZero) return undefined
  const w = packFewIPv4(shape, elements)
  if (w < 0) return undefined
  // Keys and flags go to two exact-size Uint8Arrays: small typed arrays live
  // on V8's heap, so this costs less than slicing a pooled Buffer (a Buffer
  // per subarray call).
  return { elements: undefined, packedKeys: FEW_KEYS.slice(0, 4 * w), keyLen: 4, packedFlags: FEW_FLAGS.slice(0, w) }
}

/**
 * The packing of {@link fewIPv4} without the copies: the kernel keys (4 bytes
 * each) and their flags go to {@link FEW_KEYS} and {@link FEW_FLAGS}, valid
 * until the next call. Returns the number of keys written, or -1 for input
 * the general path must handle (not 1-15 plain IPv4 strings, an interval on a
 * set without intervals, duplicates or overlaps).
 */
export function packFewIPv4(shape: SetShape, elements: readonly unknown[]): number {
  const n = elements.length
  if (n === 0 || n >= 16 || shape.key.length !== 1 || shape.key[0].name !== 'ipv4_addr' || shape.data !== undefined || shape.object !== undefined) return -1
  const iv = SCRATCH
  for (let i = 0; i < n; i++) {
    const e = elements[i]
    if (typeof e !== 'string' || !parse(e, iv, i)) return -1
    if (!shape.interval && iv[2 * i] !== iv[2 * i + 1]) return -1
  }
  // Sorted by start (insertion sort: n < 16), merged nothing (overlaps fall back).
  const order = ORDER
  for (let i = 0; i < n; i++) {
    let j = i
    while (j > 0 && iv[2 * order[j - 1]] > iv[2 * i]) {
      order[j] = order[j - 1]
      j--
    }
    order[j] = i
  }
  let w = 0
  let prevHi = -1
  for (let k = 0; k < n; k++) {
    const j = order[k]
    const lo = iv[2 * j]
    const hi = iv[2 * j + 1]
    if (lo <= prevHi) return -1 // duplicates and overlaps: the general path merges or reports them
    prevHi = hi
    put32(FEW_KEYS, 4 * w, lo)
    FEW_FLAGS[w++] = 0
    if (shape.interval && hi !== MAX) {
      put32(FEW_KEYS, 4 * w, hi + 1)
      FEW_FLAGS[w++] = ELEM_FLAG_INTERVAL_END
    }
  }
  return w
}

/** Packed kernel elements for an IPv4 set, or undefined to use the general path. */
export function fastIPv4(
  shape: SetShape,
  elements: readonly unknown[],
  opts: { leadingZero?: boolean; forDelete?: boolean; mergeAdjacent?: boolean },
): (ElementFields & { packedKeys: Buffer; keyLen: number; packedFlags: Buffer }) | undefined {
  if (shape.key.length !== 1 || shape.key[0].name !== 'ipv4_addr' || shape.data !== undefined || shape.object !== undefined || elements.length < 16)
    return undefined
  const n = elements.length
  const iv = new Float64Array(2 * n)
  for (let i = 0; i < n; i++) {
    const e = elements[i]
    if (typeof e !== 'string' || !parse(e, iv, i)) return undefined
    if (!shape.interval && iv[2 * i] !== iv[2 * i + 1]) return undefined
  }
  let order: Uint32Array | undefined
  for (let i = 1; i < n; i++) {
    if (iv[2 * i] < iv[2 * i - 2]) {
      order = new Uint32Array(n).map((_, k) => k).sort((a, b) => iv[2 * a] - iv[2 * b])
      break
    }
  }
  if (!shape.interval) {
    const keys = Buffer.allocUnsafe(4 * n)
    let m = 0
    let prev = -1
    for (let k = 0; k < n; k++) {
      const v = iv[2 * (order ? order[k] : k)]
      if (v === prev) continue
      keys.writeUInt32BE(v, 4 * m++)
      prev = v
    }
    return { elements: undefined, packedKeys: keys.subarray(0, 4 * m), keyLen: 4, packedFlags: Buffer.alloc(m) }
  }
  // Merge overlapping intervals (the kernel refuses overlaps); adjacent ones
  // stay separate elements, as nft keeps them (deletes must name stored intervals exactly).
  const lo = new Float64Array(n)
  const hi = new Float64Array(n)
  let m = 0
  for (let k = 0; k < n; k++) {
    const j = order ? order[k] : k
    const a = iv[2 * j]
    const b = iv[2 * j + 1]
    const last = m - 1
    if (last >= 0 && (a <= hi[last] || (opts.mergeAdjacent && a === hi[last] + 1))) {
      if (opts.forDelete) return undefined
      if (b > hi[last]) hi[last] = b
      continue
    }
    lo[m] = a
    hi[m] = b
    m++
  }
  const keys = Buffer.allocUnsafe(4 * (2 * m + 1))
  const flags = Buffer.alloc(2 * m + 1)
  let w = 0
  if (opts.leadingZero && m > 0 && lo[0] !== 0) {
    keys.writeUInt32BE(0, 0)
    flags[w++] = ELEM_FLAG_INTERVAL_END
  }
  for (let k = 0; k < m; k++) {
    put32(keys, 4 * w++, lo[k])
    // An end bound even when the next interval starts right after: the kernel
    // keeps the two elements apart (an end and a start on the same key).
    if (hi[k] !== MAX) {
      put32(keys, 4 * w, hi[k] + 1)
      flags[w++] = ELEM_FLAG_INTERVAL_END
    }
  }
  return { elements: undefined, packedKeys: keys.subarray(0, 4 * w), keyLen: 4, packedFlags: flags.subarray(0, w) }
}

/** Formats [lo, hi] as nft prints it: address, prefix, or range. */
function formatInterval(lo: number, hi: number): string {
  if (lo === hi) return dotted(lo)
  const span = hi - lo + 1
  // log2 of a power of two without Math.log2 (span is at most 2^32).
  const bits = span === 2 ** 32 ? 32 : 31 - Math.clz32(span)
  if (2 ** bits === span && lo % span === 0) return `${dotted(lo)}/${32 - bits}`
  return `${dotted(lo)}-${dotted(hi)}`
}

/** Decodes packed IPv4 elements of a dump into nftkit's canonical strings, sorted. */
export function fastIPv4Decode(interval: boolean, keys: Uint8Array, flags: Uint8Array): string[] {
  const buf = Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength)
  const n = flags.length
  const vals = new Float64Array(n)
  let ascending = true
  let descending = true
  for (let i = 0; i < n; i++) {
    // Sort key: the address, ends before starts at the same address.
    vals[i] = buf.readUInt32BE(4 * i) * 2 + (flags[i] & ELEM_FLAG_INTERVAL_END ? 0 : 1)
    if (i > 0) {
      if (vals[i] < vals[i - 1]) ascending = false
      else descending = false
    }
  }
  // The kernel walks an interval set from its highest key down: reversing is enough.
  if (!ascending) {
    if (descending) vals.reverse()
    else vals.sort()
  }
  const out: string[] = []
  if (!interval) {
    for (let i = 0; i < n; i++) out.push(dotted((vals[i] - 1) / 2))
    return out
  }
  for (let i = 0; i < n; i++) {
    if (vals[i] % 2 === 0) continue // an end bound
    const lo = (vals[i] - 1) / 2
    const hi = i + 1 < n ? Math.floor(vals[i + 1] / 2) - 1 : MAX
    out.push(formatInterval(lo, hi))
  }
  return out
}
