/**
 * Masked comparisons (`meta mark & 0x03 == 0x01`, `tcp flags & (syn | ack) ==
 * syn`, `ip saddr & 0.0.0.255 == 0.0.0.1`): how nft folds a chain of `&`, `|`
 * and `^` with constants into the kernel's one `bitwise` (mask, xor) and how it
 * reads one back (nft's evaluate.c, netlink_linearize.c and
 * netlink_delinearize.c). Pure functions over selector specs; compile.ts,
 * decode.ts, render.ts and the parser call them.
 * @module
 */
import { invalid } from '../kernel/errors.js'
import type { NativeExpr } from '../../types/native.js'
import type { BitwiseStep, MarkExpr } from '../model/rule-types.js'
import type { SelectorSpec } from './selectors.js'

/** nft's print precedence of each operator (lower binds tighter). */
export const BIT_PRECEDENCE: Readonly<Record<BitwiseStep[0], number>> = { '&': 2, '^': 3, '|': 4 }

const ones = (bits: number): bigint => (1n << BigInt(bits)) - 1n

/** Bit names of a flag selector's value (`'syn'`, `'syn | ack'`, `['syn', 'ack']`) as a number. */
function flagBits(s: SelectorSpec, v: unknown, path: string): bigint | undefined {
  const flags = s.flags
  if (!flags) return undefined
  const names = typeof v === 'string' ? v.split(/[|,]/).map((x) => x.trim()) : Array.isArray(v) ? v : undefined
  if (!names || names.length === 0) return undefined
  let bits = 0
  names.forEach((n) => {
    if (typeof n !== 'string' || !Object.hasOwn(flags, n)) invalid(path, `Expected one of ${s.flagOrder?.join(', ')} or a number`, v)
    bits |= flags[n]
  })
  return BigInt(bits)
}

/**
 * One constant of a masked comparison as the number nft computes with: a
 * value of the selector's type (`0.0.0.255`, `0x10`, `tcp`), flag names for
 * flag selectors, or a plain number for any selector (`ip saddr & 0xff` is
 * `& 0.0.0.255`, as nft reads it).
 */
export function bitsOperand(s: SelectorSpec, v: unknown, path: string): bigint {
  const bits = s.size * 8
  let n: bigint | undefined
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) n = BigInt(v)
  else if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v.trim())) n = BigInt(v.trim())
  else if (s.flags && !(typeof v === 'string' && /^\d/.test(v))) n = flagBits(s, v, path)
  if (n === undefined) {
    const iv = s.type.parse(v, path)
    if (iv.lo !== iv.hi) invalid(path, `Expected a single value of ${s.name} (not a range or prefix) in a bitwise expression`, v)
    n = iv.lo
  }
  if (n > ones(bits)) invalid(path, `Expected a value that fits ${s.name} (${bits} bits)`, v)
  return n
}

/**
 * The kernel's `(x & mask) ^ xor` for a chain of steps, as nft's
 * netlink_gen_bitwise combines them; `transfer` is a trailing `^ C` that nft
 * moves to the other side of the comparison (`meta mark xor 3 == 1` compares
 * `meta mark == 2`) instead of emitting it. `emit` says whether a bitwise
 * expression remains.
 */
export function foldBits(
  s: SelectorSpec,
  steps: readonly BitwiseStep[],
  path: string,
): { mask: bigint; xor: bigint; transfer?: bigint; emit: boolean } {
  if (!Array.isArray(steps) || steps.length === 0) invalid(path, "Expected a non-empty list of ['&' | '|' | '^', value] steps", steps)
  const vals = steps.map((st, i) => {
    if (!Array.isArray(st) || st.length !== 2 || !Object.hasOwn(BIT_PRECEDENCE, st[0]))
      invalid(`${path}[${i}]`, "Expected ['&' | '|' | '^', value]", st)
    return bitsOperand(s, st[1], `${path}[${i}][1]`)
  })
  let last = steps.length
  let transfer: bigint | undefined
  if (steps[last - 1][0] === '^') {
    transfer = vals[last - 1]
    last--
  }
  const { mask, xor } = combineBits(s.size * 8, steps.slice(0, last).map((st, i) => [st[0], vals[i]]))
  // A lone `^ C` leaves no bitwise at all; anything else emits one, even an all-ones mask.
  return { mask, xor, ...(transfer !== undefined ? { transfer } : {}), emit: last > 0 }
}

/** nft's combine_binop over `&`, `|`, `^` steps: the one (mask, xor) they amount to. */
export function combineBits(bits: number, steps: ReadonlyArray<readonly ['&' | '|' | '^', bigint]>): { mask: bigint; xor: bigint } {
  const all = ones(bits)
  let mask = all
  let xor = 0n
  // combine_binop: xor = x ^ (xor & m); mask &= m
  const combine = (m: bigint, x: bigint) => {
    xor = x ^ (xor & m)
    mask &= m
  }
  for (const [o, v] of steps) {
    if (o === '&') combine(v, 0n)
    else if (o === '|') combine(all ^ v, v)
    else combine(all, v)
  }
  return { mask, xor }
}

/**
 * The host bits of a prefix mask over `bits` bits (`255.255.0.0` over 32:
 * 0xffff), or undefined when the mask is no prefix (its ones not all leading).
 */
export function prefixHostBits(mask: bigint, bits: number): bigint | undefined {
  const host = ((1n << BigInt(bits)) - 1n) ^ mask
  return (host & (host + 1n)) === 0n ? host : undefined
}

/**
 * How nft lists a kernel `(x & mask) ^ xor` (netlink_parse_bitwise): an `&`
 * unless the mask covers every bit, then `^` of the xor bits inside the mask,
 * then `|` of the bits outside it. Values are numbers.
 */
export function unfoldBits(bits: number, mask: bigint, xor: bigint): Array<['&' | '^' | '|', bigint]> {
  let m = mask
  let x = xor
  let o = 0n
  const all = ones(bits)
  if (m !== all || x !== 0n) {
    o = (m & x) ^ x
    x &= m
    m |= o
  }
  const out: Array<['&' | '^' | '|', bigint]> = []
  if (m !== all) out.push(['&', m])
  if (x !== 0n) out.push(['^', x])
  if (o !== 0n) out.push(['|', o])
  return out
}

/**
 * A number as the typed operand the model takes: flag names (one name or a
 * list) when every bit has one, an address for address selectors, else a
 * number.
 */
export function typedOperand(s: SelectorSpec, n: bigint): string | number | string[] {
  if (s.flags) {
    const flags = s.flags
    const list = (s.flagOrder ?? []).filter((x) => (BigInt(flags[x]) & n) !== 0n)
    if (list.length > 0 && list.reduce((a, x) => a | BigInt(flags[x]), 0n) === n) return list.length === 1 ? list[0] : list
    return Number(n)
  }
  const name = s.type.name
  if (name === 'ipv4_addr' || name === 'ipv6_addr' || name === 'ether_addr') return String(s.type.format({ lo: n, hi: n }))
  return Number(n)
}

const MARK_BITS = 32
const hostU32Bytes = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}
const markBytes = (n: bigint): Buffer => hostU32Bytes(Number(n))

/**
 * Kernel expressions computing a {@link MarkExpr} into register 1, as nft
 * emits them: the load, one `bitwise` (mask, xor) per run of `&`, `|`, `^`
 * steps, one `bitwise` shift per `<<` / `>>`.
 */
export function compileMarkExpr(v: MarkExpr, path: string): NativeExpr[] {
  if (v.from !== 'meta mark' && v.from !== 'ct mark') invalid(`${path}.from`, "Expected 'meta mark' or 'ct mark'", v.from)
  const out: NativeExpr[] = [v.from === 'ct mark' ? { type: 'ct', key: 3, dreg: 1 } : { type: 'meta', key: 3, dreg: 1 }]
  const steps = v.bits ?? []
  if (!Array.isArray(steps)) invalid(`${path}.bits`, "Expected a list of ['&' | '|' | '^' | '<<' | '>>', number] steps", steps)
  let run: Array<['&' | '|' | '^', bigint]> = []
  const flush = () => {
    if (run.length === 0) return
    const { mask, xor } = combineBits(MARK_BITS, run)
    out.push({ type: 'bitwise', sreg: 1, dreg: 1, len: 4, mask: markBytes(mask), xor: markBytes(xor) })
    run = []
  }
  steps.forEach((st, i) => {
    const p = `${path}.bits[${i}]`
    if (!Array.isArray(st) || st.length !== 2) invalid(p, "Expected ['&' | '|' | '^' | '<<' | '>>', number]", st)
    const [o, n] = st
    if (o === '<<' || o === '>>') {
      if (!Number.isInteger(n) || n < 0 || n > 31) invalid(`${p}[1]`, 'Expected a shift of 0-31 bits', n)
      flush()
      out.push({ type: 'bitwise', sreg: 1, dreg: 1, len: 4, op: o === '<<' ? 1 : 2, data: hostU32Bytes(n) })
      return
    }
    if (o !== '&' && o !== '|' && o !== '^') invalid(`${p}[0]`, "Expected '&', '|', '^', '<<' or '>>'", o)
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) invalid(`${p}[1]`, 'Expected a mark 0-4294967295', n)
    run.push([o, BigInt(n)])
  })
  flush()
  return out
}

/** nft's text of a {@link MarkExpr}: `(meta mark | 0x00000010) << 8`. */
export function markExprText(v: MarkExpr): string {
  let text: string = v.from
  let prev = 0
  for (const [o, n] of v.bits ?? []) {
    const p = o === '<<' || o === '>>' ? 1 : BIT_PRECEDENCE[o]
    if (prev !== 0 && p < prev) text = `(${text})`
    text = `${text} ${o} ${p === 1 ? n : `0x${n.toString(16).padStart(8, '0')}`}`
    prev = p
  }
  return text
}
