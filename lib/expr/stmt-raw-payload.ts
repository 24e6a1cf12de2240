/**
 * The payload statement of raw payload expressions, nft's
 * `@BASE,OFFSET,LENGTH set VALUE`: whole bytes are an immediate written in
 * place; any other field is read, masked and written back (nft's
 * stmt_evaluate_payload), and an inner-header write asks the kernel to fix the
 * transport checksum (`NFT_PAYLOAD_L4CSUM_PSEUDOHDR`), on 16-bit aligned bytes.
 * nft lists a masked write by the bytes it rewrites:
 * `@ih,58,6 set 1` is `@ih,48,16 set @ih,48,16 & 0xffc1 | 0x1`.
 * @module
 */
import { fromBytes, toBytes } from '../kernel/datatypes.js'
import { invalid } from '../kernel/errors.js'
import type { BitwiseStep, RawPayloadSetStmt } from '../model/rule-types.js'
import type { NativeExpr } from '../../types/native.js'
import { isRawPayload, rawPayloadName, rawPayloadSpec } from './raw-payload.js'

/** nft's inner-header write flag (NFT_PAYLOAD_L4CSUM_PSEUDOHDR). */
const L4CSUM_PSEUDOHDR = 1
/** The kernel's inner header base (NFT_PAYLOAD_INNER_HEADER). */
const INNER = 3

/** The fields a payload statement writes: raw payloads, and the ports nft reads `@th,0,16`/`@th,16,16` as. */
function fieldOf(f: unknown, path: string): { base: number; offset: number; len: number } {
  const name = f === 'th sport' ? '@th,0,16' : f === 'th dport' ? '@th,16,16' : f
  const spec = typeof name === 'string' ? rawPayloadSpec(name) : undefined
  if (!spec) return invalid(path, "Expected a raw payload expression such as '@nh,16,16' (1-128 bits)", f)
  const m = /,(\d+),(\d+)$/.exec(spec.name) as RegExpExecArray
  return { base: spec.load.base, offset: Number(m[1]), len: Number(m[2]) }
}

const ones = (bits: number): bigint => (1n << BigInt(bits)) - 1n

/** Folds `& | ^` steps with numbers into nft's one mask and xor over `bits` bits. */
function fold(steps: readonly BitwiseStep[], bits: number, path: string): { mask: bigint; xor: bigint } {
  let mask = ones(bits)
  let xor = 0n
  if (!Array.isArray(steps) || steps.length === 0) invalid(path, 'Expected bitwise steps such as [["&", 0xff00], ["|", 5]]', steps)
  steps.forEach(([op, v], i) => {
    const n = typeof v === 'number' && Number.isInteger(v) && v >= 0 ? BigInt(v) : typeof v === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v) ? BigInt(v) : undefined
    if (n === undefined || n > ones(bits)) invalid(`${path}[${i}]`, `Expected a number of at most ${bits} bits`, v)
    if (op === '&') {
      mask &= n
      xor &= n
    } else if (op === '|') {
      mask &= ~n & ones(bits)
      xor |= n
    } else if (op === '^') xor ^= n
    else invalid(`${path}[${i}]`, "Expected '&', '|' or '^'", op)
  })
  return { mask, xor }
}

/** The kernel expressions of a payload statement, as nft emits them. */
export function compileRawPayloadSet(st: RawPayloadSetStmt, path: string): NativeExpr[] {
  const f = fieldOf(st.field, `${path}.field`)
  const v = st.value
  let fieldMask = 0n
  let fieldXor: bigint
  if (typeof v === 'object' && v !== null) {
    // The field's own value, masked: only whole bytes (nft's listing of a masked write).
    if (v.from !== st.field) invalid(`${path}.value.from`, `Expected the written field ${st.field} itself`, v.from)
    if (f.offset % 8 !== 0 || f.len % 8 !== 0) invalid(`${path}.value`, 'Expected a field of whole bytes for a masked write', v)
    ;({ mask: fieldMask, xor: fieldXor } = fold(v.bits, f.len, `${path}.value.bits`))
  } else {
    const n = typeof v === 'number' && Number.isInteger(v) && v >= 0 ? BigInt(v) : typeof v === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v) ? BigInt(v) : undefined
    if (n === undefined || n > ones(f.len)) invalid(`${path}.value`, `Expected an integer of at most ${f.len} bits (0x hex or decimal)`, v)
    fieldXor = n
  }
  const csum = f.base === INNER
  let first = Math.floor(f.offset / 8)
  let size = Math.ceil((f.offset + f.len) / 8) - first
  const whole = f.offset % 8 === 0 && f.len % 8 === 0
  let adjusted = false
  if (csum && size % 2 === 1) {
    // The checksum fix-up works on 16-bit words: one more byte, before when the field starts on an odd byte.
    size++
    if (first % 2 === 1) first--
    adjusted = true
  }
  const write: NativeExpr = { type: 'payload', sreg: 1, base: f.base, offset: first, len: size, ...(csum ? { csumFlags: L4CSUM_PSEUDOHDR } : {}) }
  if (whole && !adjusted && fieldMask === 0n) return [{ type: 'immediate', dreg: 1, data: toBytes(fieldXor, size) }, write]
  const shift = BigInt((first + size) * 8 - (f.offset + f.len))
  const mask = (ones(size * 8) & ~(ones(f.len) << shift)) | (fieldMask << shift)
  return [
    { type: 'payload', dreg: 1, base: f.base, offset: first, len: size },
    { type: 'bitwise', sreg: 1, dreg: 1, len: size, mask: toBytes(mask, size), xor: toBytes(fieldXor << shift, size) },
    write,
  ]
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined)
const bytes = (v: unknown): Buffer | undefined => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : undefined)
const intValue = (v: bigint): string | number => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : `0x${v.toString(16)}`)

/**
 * A payload write nft lists as a raw payload statement, from the expressions
 * before it (`prev` ends right before the write): an immediate, or a load of
 * the same bytes with one mask and xor. Undefined for anything else. `named`
 * says whether nft names the written bytes (then it lists another statement).
 */
export function decodeRawPayloadWrite(e: NativeExpr, prev: readonly NativeExpr[], named: boolean): RawPayloadSetStmt | undefined {
  const base = num(e.base)
  const offset = num(e.offset)
  const len = num(e.len)
  const sreg = num(e.sreg)
  if (base === undefined || offset === undefined || len === undefined || sreg === undefined) return undefined
  if ((num(e.csumType) ?? 0) !== 0 || (num(e.csumOffset) ?? 0) !== 0 || (num(e.csumFlags) ?? 0) !== (base === INNER ? L4CSUM_PSEUDOHDR : 0)) return undefined
  const field = rawPayloadName(base, offset, len)
  if (named || !field || !isRawPayload(field)) return undefined
  const imm = prev[prev.length - 1]
  if (imm?.type === 'immediate' && num(imm.dreg) === sreg && prev.length >= 1) {
    const data = bytes(imm.data)
    if (!data || data.length !== len) return undefined
    return { stmt: 'raw payload set', field, value: intValue(fromBytes(data)) }
  }
  const [ld, bw] = prev.slice(-2)
  if (ld?.type !== 'payload' || bw?.type !== 'bitwise') return undefined
  if (num(ld.dreg) !== sreg || num(ld.base) !== base || num(ld.offset) !== offset || num(ld.len) !== len) return undefined
  if (num(bw.sreg) !== sreg || num(bw.dreg) !== sreg || (num(bw.op) ?? 0) !== 0 || num(bw.len) !== len) return undefined
  const mask = bytes(bw.mask)
  const xor = bytes(bw.xor)
  if (!mask || !xor || mask.length !== len || xor.length !== len) return undefined
  const m = fromBytes(mask)
  const x = fromBytes(xor)
  const all = ones(len * 8)
  // As nft lists it: `^ x` under an all-ones mask, `| x` when mask and xor fill
  // the bytes, else `& (mask | xor) | xor`; a mask alone is `& mask` (nft prints its complement).
  const bits: BitwiseStep[] =
    m === all ? [['^', intValue(x)]] : x === 0n ? [['&', intValue(m)]] : (m | x) === all ? [['|', intValue(x)]] : [['&', intValue(m | x)], ['|', intValue(x)]]
  return { stmt: 'raw payload set', field, value: { from: field, bits } }
}

/**
 * nft's text of a payload statement. `listing`: as nft 1.0.6 lists it, which
 * prints a lone mask's complement (`@nh,16,16 set @nh,16,16 & 0xff00` lists as
 * `& 0xff`, which nft would read as another mask).
 */
export function rawPayloadSetText(st: RawPayloadSetStmt, listing = false): string {
  const h = (v: bigint | string | number | readonly string[]): string => (Array.isArray(v) ? v.join(' | ') : `0x${BigInt(v as bigint | string | number).toString(16)}`)
  const v = st.value
  if (typeof v === 'object' && v !== null) {
    const bytes = /,(\d+)$/.exec(String(v.from))
    if (listing && bytes && v.bits.length === 1 && v.bits[0][0] === '&' && !Array.isArray(v.bits[0][1]))
      return `${st.field} set ${v.from} & ${h(ones(Number(bytes[1])) & ~BigInt(v.bits[0][1] as string | number))}`
    return `${st.field} set ${v.from}${v.bits.map(([o, x]) => ` ${o} ${h(x)}`).join('')}`
  }
  return `${st.field} set ${st.field === 'th sport' || st.field === 'th dport' ? String(v) : h(v)}`
}
