/**
 * Address arithmetic for NetworkPolicy peers: pod IPs in canonical text,
 * `ipBlock` CIDRs as intervals, and a block minus its exceptions as the
 * elements of an interval set.
 * @module
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../kernel/datatypes.js'

/** Address family of a pod IP or a block: 4 or 6. */
export type IPFamily = 4 | 6

/** A closed interval of addresses of one family. */
export interface Span {
  readonly family: IPFamily
  readonly lo: bigint
  readonly hi: bigint
}

const bitsOf = (f: IPFamily) => (f === 4 ? 32 : 128)

/** An address's family and value, or undefined when it is neither IPv4 nor IPv6. */
export function parseIP(s: string): { family: IPFamily; value: bigint } | undefined {
  const v4 = parseIPv4(s)
  if (v4 !== undefined) return { family: 4, value: v4 }
  const v6 = s.includes(':') ? parseIPv6(s) : undefined
  return v6 === undefined ? undefined : { family: 6, value: v6 }
}

/** An address as nft prints it (IPv6 compressed, lowercase). */
export function formatIP(family: IPFamily, v: bigint): string {
  return family === 4 ? formatIPv4(v) : formatIPv6(v)
}

/**
 * A CIDR as an interval; host bits are cleared, as the API server's parser
 * (`ParseCIDRSloppy`) does. Undefined when malformed.
 */
export function parseCIDR(s: string): (Span & { prefix: number }) | undefined {
  const slash = s.indexOf('/')
  if (slash < 0) return undefined
  const ip = parseIP(s.slice(0, slash))
  const lenText = s.slice(slash + 1)
  if (!ip || !/^\d{1,3}$/.test(lenText)) return undefined
  const bits = bitsOf(ip.family)
  const prefix = Number(lenText)
  if (prefix > bits) return undefined
  const host = (1n << BigInt(bits - prefix)) - 1n
  const lo = ip.value & ~host & ((1n << BigInt(bits)) - 1n)
  return { family: ip.family, lo, hi: lo | host, prefix }
}

/**
 * `spans` sorted, merged where they overlap (per family), and where they touch
 * unless `adjacent` is false: an interval set must not hold overlapping
 * elements, but keeping neighbours apart lets one more address (a new pod) be
 * one more element instead of a changed range.
 */
export function mergeSpans(spans: readonly Span[], adjacent = true): Span[] {
  const sorted = [...spans].sort((a, b) => a.family - b.family || (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0))
  const out: Span[] = []
  const reach = adjacent ? 1n : 0n
  for (const s of sorted) {
    const last = out[out.length - 1]
    if (last && last.family === s.family && s.lo <= last.hi + reach) {
      if (s.hi > last.hi) out[out.length - 1] = { ...last, hi: s.hi }
    } else out.push(s)
  }
  return out
}

/** `block` without the addresses of `except` (same family). */
export function subtract(block: Span, except: readonly Span[]): Span[] {
  let parts: Span[] = [block]
  for (const x of mergeSpans(except)) {
    const next: Span[] = []
    for (const p of parts) {
      if (x.hi < p.lo || x.lo > p.hi) {
        next.push(p)
        continue
      }
      if (x.lo > p.lo) next.push({ ...p, hi: x.lo - 1n })
      if (x.hi < p.hi) next.push({ ...p, lo: x.hi + 1n })
    }
    parts = next
  }
  return parts
}

/** An interval as an interval-set element: an address, a CIDR when aligned, otherwise a range `a-b`. */
export function spanText(s: Span): string {
  if (s.lo === s.hi) return formatIP(s.family, s.lo)
  const size = s.hi - s.lo + 1n
  if ((size & (size - 1n)) === 0n && (s.lo & (size - 1n)) === 0n) {
    const len = bitsOf(s.family) - (size.toString(2).length - 1)
    return `${formatIP(s.family, s.lo)}/${len}`
  }
  return `${formatIP(s.family, s.lo)}-${formatIP(s.family, s.hi)}`
}
