/**
 * Address arithmetic for node-policy peer sets, in the node compiler's terms
 * (families `ip`/`ip6`, ranges without a family) over the NetworkPolicy
 * compiler's own (`cidr.ts`): CIDRs minus their exceptions, address lists
 * merged into the disjoint intervals an nftables interval set holds.
 * @module
 */
import { type IPFamily, mergeSpans, parseCIDR, parseIP as parseAddress, spanText, subtract } from './cidr.js'

/** An address family as nft names it in rules. */
export type AddrFamily = 'ip' | 'ip6'

/** An inclusive range of addresses of one family. */
export interface AddrRange {
  readonly lo: bigint
  readonly hi: bigint
}

const toAddr = (f: IPFamily): AddrFamily => (f === 4 ? 'ip' : 'ip6')
const toIP = (f: AddrFamily): IPFamily => (f === 'ip' ? 4 : 6)
const range = (s: { lo: bigint; hi: bigint }): AddrRange => ({ lo: s.lo, hi: s.hi })

/** The family and value of an address, or undefined if it is not one. */
export function parseIP(s: string): { family: AddrFamily; value: bigint } | undefined {
  const a = parseAddress(s)
  return a && { family: toAddr(a.family), value: a.value }
}

/**
 * A CIDR (or a bare address, as a /32 or /128) as a range; host bits are
 * cleared as Go's net.ParseCIDR does. Undefined if malformed.
 */
export function cidrRange(s: string): { family: AddrFamily; range: AddrRange } | undefined {
  let text = s
  if (!s.includes('/')) {
    const a = parseAddress(s)
    if (!a) return undefined
    text = `${s}/${a.family === 4 ? 32 : 128}`
  }
  const c = parseCIDR(text)
  return c && { family: toAddr(c.family), range: range(c) }
}

/**
 * Sorted, disjoint copy of `ranges`: overlapping ranges are joined (the kernel
 * refuses overlapping interval elements), adjacent ones are not, so one
 * address more (a new pod) stays one element more instead of a changed range.
 */
export function mergeRanges(ranges: readonly AddrRange[]): AddrRange[] {
  return mergeSpans(ranges.map((r) => ({ family: 4 as const, ...r })), false).map(range)
}

/** `from` minus every range of `minus`: the addresses of an ipBlock with `except`. */
export function subtractRanges(from: AddrRange, minus: readonly AddrRange[]): AddrRange[] {
  return subtract({ family: 4, ...from }, minus.map((m) => ({ family: 4 as const, ...m }))).map(range)
}

/** A range as a set element: an address, a CIDR when it is one, else `a-b`. */
export function formatRange(family: AddrFamily, r: AddrRange): string {
  return spanText({ family: toIP(family), ...r })
}
