/**
 * Address arithmetic for node-policy peer sets: CIDRs minus their
 * exceptions, address lists merged into the disjoint intervals an nftables
 * interval set holds (the kernel refuses overlapping elements).
 * @module
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, prefixLength } from '../kernel/datatypes.js'

/** An address family as nft names it in rules. */
export type AddrFamily = 'ip' | 'ip6'

/** An inclusive range of addresses of one family. */
export interface AddrRange {
  readonly lo: bigint
  readonly hi: bigint
}

const BITS: Record<AddrFamily, number> = { ip: 32, ip6: 128 }

/** The family and value of an address, or undefined if it is not one. */
export function parseIP(s: string): { family: AddrFamily; value: bigint } | undefined {
  const v4 = parseIPv4(s)
  if (v4 !== undefined) return { family: 'ip', value: v4 }
  const v6 = s.includes(':') ? parseIPv6(s) : undefined
  return v6 !== undefined ? { family: 'ip6', value: v6 } : undefined
}

/**
 * A CIDR (or a bare address, as a /32 or /128) as a range; host bits are
 * cleared as Go's net.ParseCIDR does. Undefined if malformed.
 */
export function cidrRange(s: string): { family: AddrFamily; range: AddrRange } | undefined {
  const slash = s.indexOf('/')
  const a = parseIP(slash < 0 ? s : s.slice(0, slash))
  if (!a) return undefined
  const bits = BITS[a.family]
  const lenStr = slash < 0 ? String(bits) : s.slice(slash + 1)
  if (!/^\d{1,3}$/.test(lenStr) || Number(lenStr) > bits) return undefined
  const host = (1n << BigInt(bits - Number(lenStr))) - 1n
  const lo = a.value & ~host & ((1n << BigInt(bits)) - 1n)
  return { family: a.family, range: { lo, hi: lo | host } }
}

/**
 * Sorted, disjoint copy of `ranges`: overlapping ranges are joined (the kernel
 * refuses overlapping interval elements), adjacent ones are not, so one
 * address more (a new pod) stays one element more instead of a changed range.
 */
export function mergeRanges(ranges: readonly AddrRange[]): AddrRange[] {
  const sorted = [...ranges].sort((x, y) => (x.lo < y.lo ? -1 : x.lo > y.lo ? 1 : 0))
  const out: AddrRange[] = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last && r.lo <= last.hi) {
      if (r.hi > last.hi) out[out.length - 1] = { lo: last.lo, hi: r.hi }
    } else out.push(r)
  }
  return out
}

/** `from` minus every range of `minus`: the addresses of an ipBlock with `except`. */
export function subtractRanges(from: AddrRange, minus: readonly AddrRange[]): AddrRange[] {
  let parts: AddrRange[] = [from]
  for (const m of minus) {
    const next: AddrRange[] = []
    for (const p of parts) {
      if (m.hi < p.lo || m.lo > p.hi) {
        next.push(p)
        continue
      }
      if (m.lo > p.lo) next.push({ lo: p.lo, hi: m.lo - 1n })
      if (m.hi < p.hi) next.push({ lo: m.hi + 1n, hi: p.hi })
    }
    parts = next
  }
  return parts
}

/** A range as a set element: an address, a CIDR when it is one, else `a-b`. */
export function formatRange(family: AddrFamily, r: AddrRange): string {
  const fmt = family === 'ip' ? formatIPv4 : formatIPv6
  if (r.lo === r.hi) return fmt(r.lo)
  const len = prefixLength(r.lo, r.hi, BITS[family])
  return len !== undefined ? `${fmt(r.lo)}/${len}` : `${fmt(r.lo)}-${fmt(r.hi)}`
}
