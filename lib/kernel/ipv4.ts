/**
 * IPv4 addresses as 32-bit numbers: the one dotted-quad parser and
 * formatter of the library, and the big-endian packer of their keys. Every
 * IPv4 path (datatypes, the element fast paths, the reconciler's address
 * index, inventory and FirewallConfiguration checks) goes through it.
 *
 * In `kernel/`, the bottom layer, because the datatypes parse addresses too.
 * No exceptions and no allocation on the hot path; no module state.
 * @module
 */

/**
 * The value of the canonical dotted quad `s[start, end)` (four parts 0-255,
 * no leading zeros, nothing else), or -1.
 */
export function ipv4Span(s: string, start: number, end: number): number {
  let v = 0
  let parts = 0
  let x = 0
  let digits = 0
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || parts === 3) return -1
      v = v * 256 + x
      parts++
      x = 0
      digits = 0
      continue
    }
    if (c < 48 || c > 57 || (digits > 0 && x === 0)) return -1 // not a digit, or after a leading zero
    x = x * 10 + (c - 48)
    if (x > 255) return -1
    digits++
  }
  if (digits === 0 || parts !== 3) return -1
  return v * 256 + x
}

/** The value of a canonical dotted quad (no leading zeros, parts 0-255), or undefined. */
export function ipv4Value(s: string): number | undefined {
  const v = ipv4Span(s, 0, s.length)
  return v < 0 ? undefined : v
}

/** "0" … "255": a listing formats tens of thousands of addresses. */
const OCTET = Array.from({ length: 256 }, (_, i) => String(i))

/** A 32-bit value (0 … 2^32-1) as a dotted quad. */
export const dotted = (v: number): string => `${OCTET[v >>> 24]}.${OCTET[(v >>> 16) & 255]}.${OCTET[(v >>> 8) & 255]}.${OCTET[v & 255]}`

/** Writes a 32-bit value big-endian (no range checks: callers pass 0..2^32-1). */
export function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24
  b[at + 1] = (v >>> 16) & 255
  b[at + 2] = (v >>> 8) & 255
  b[at + 3] = v & 255
}
