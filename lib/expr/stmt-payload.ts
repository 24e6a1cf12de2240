/**
 * Payload statements (`ip ttl set 64`, `tcp dport set 80`, `ip dscp set cs1`,
 * `ether saddr set ...`): header writes compiled as nft compiles them
 * (evaluate.c stmt_evaluate_payload, netlink_linearize.c
 * netlink_gen_payload_stmt), decoded back and printed as nft lists them.
 *
 * A whole-byte field is written from an immediate. A bitfield, and a field
 * of odd length in a header with a checksum (the kernel updates checksums in
 * 16-bit words), is read, masked, xored with the shifted value and written
 * back over whole bytes (two for a checksummed header, starting at an even
 * offset). The write carries the header's checksum (type and offset) and, for
 * the fields of the transport pseudo-header (addresses, protocol, length),
 * the flag asking the kernel to update the transport checksum too.
 * @module
 */
import { PAYLOAD_BASE } from '../kernel/constants.js'
import { fromBytes, toBytes } from '../kernel/datatypes.js'
import { invalid } from '../kernel/errors.js'
import type { NativeExpr } from '../../types/native.js'
import type { SelectorSpec } from './selectors.js'

/** NFT_PAYLOAD_CSUM_INET, NFT_PAYLOAD_CSUM_SCTP. */
const CSUM = { inet: 1, sctp: 2 } as const
/** NFT_PAYLOAD_L4CSUM_PSEUDOHDR. */
const L4CSUM_PSEUDOHDR = 1

/** The checksum of each header nft knows one of (proto.c checksum_key): type and byte offset. */
const CHECKSUM: Readonly<Record<string, { type: number; offset: number }>> = {
  ip: { type: CSUM.inet, offset: 10 },
  tcp: { type: CSUM.inet, offset: 16 },
  udp: { type: CSUM.inet, offset: 6 },
  icmp: { type: CSUM.inet, offset: 2 },
  igmp: { type: CSUM.inet, offset: 2 },
  icmpv6: { type: CSUM.inet, offset: 2 },
  sctp: { type: CSUM.sctp, offset: 8 },
}

/** Fields of the transport pseudo-header (proto.c pseudohdr). */
const PSEUDOHDR: ReadonlySet<string> = new Set(['ip saddr', 'ip daddr', 'ip protocol', 'ip length', 'ip6 saddr', 'ip6 daddr', 'ip6 nexthdr', 'ip6 length'])

type PayloadLoad = Extract<SelectorSpec['load'], { kind: 'payload' }>

/** The field's position in bits from the start of its header: first bit and width. */
function fieldBits(l: PayloadLoad): { start: number; width: number } {
  if (!l.bits) return { start: l.offset * 8, width: l.len * 8 }
  return { start: l.offset * 8 + l.len * 8 - l.bits.shift - l.bits.width, width: l.bits.width }
}

/** The header protocol a selector belongs to (its first word). */
function protoOf(s: SelectorSpec): string {
  return s.name.split(' ')[0]
}

/** Whether a selector can be written by a payload statement. */
export function isPayloadSettable(s: SelectorSpec): boolean {
  return s.load.kind === 'payload' && s.load.base !== PAYLOAD_BASE.inner && s.flags === undefined
}

/** The bytes nft reads and writes for a field: offset, size and the field's shift above their end. */
function writeWindow(s: SelectorSpec): { offset: number; size: number; shift: number; masked: boolean } {
  const l = s.load as PayloadLoad
  const { start, width } = fieldBits(l)
  const csum = Object.hasOwn(CHECKSUM, protoOf(s))
  const aligned = start % 8 === 0 && width % 8 === 0
  if (aligned && (!csum || (width / 8) % 2 === 0)) return { offset: start / 8, size: width / 8, shift: 0, masked: false }
  let offset = Math.floor(start / 8)
  const inByte = start % 8
  let shift = Math.ceil(width / 8) * 8 - (inByte + width)
  let extra = 0
  while (shift < 0) {
    shift += 8
    extra += 8
  }
  let size = Math.ceil((width + extra) / 8)
  if (csum && size % 2 === 1) {
    size++
    if (offset % 2 === 1) offset--
    else shift += 8
  }
  return { offset, size, shift, masked: true }
}

/** The checksum attributes of a write to this field. */
function csumAttrs(s: SelectorSpec): Partial<NativeExpr> {
  const c = CHECKSUM[protoOf(s)]
  return {
    ...(c ? { csumType: c.type, csumOffset: c.offset } : {}),
    ...(PSEUDOHDR.has(s.name) ? { csumFlags: L4CSUM_PSEUDOHDR } : {}),
  }
}

/**
 * The kernel expressions of `FIELD set VALUE` (after the field's protocol
 * dependencies, which the caller adds). @throws NftValidationError
 */
export function payloadSetExprs(s: SelectorSpec, value: unknown, path: string): NativeExpr[] {
  if (!isPayloadSettable(s)) invalid(`${path}.key`, `Expected a packet header field nft can write (not ${s.name})`, s.name)
  if (typeof value !== 'string' && typeof value !== 'number') invalid(`${path}.value`, `Expected one value of ${s.name}`, value)
  const iv = s.type.parse(value, `${path}.value`)
  if (iv.lo !== iv.hi) invalid(`${path}.value`, `Expected one value of ${s.name}, not a range or prefix`, value)
  return writeExprs(s, iv.lo)
}

/** The expressions writing `v` (as the field's type parses it) into the field. */
function writeExprs(s: SelectorSpec, v: bigint): NativeExpr[] {
  const l = s.load as PayloadLoad
  const { width } = fieldBits(l)
  const w = writeWindow(s)
  const write: NativeExpr = { type: 'payload', sreg: 1, base: l.base, offset: w.offset, len: w.size, ...csumAttrs(s) }
  if (!w.masked) return [{ type: 'immediate', dreg: 1, data: s.type.encode(v) }, write]
  // The value as the field's bits: a bitfield's type parses it unshifted; a whole-byte field is its encoding.
  const bits = l.bits ? v : fromBytes(s.type.encode(v))
  const ones = (n: number) => (1n << BigInt(n)) - 1n
  const mask = ones(w.size * 8) ^ (ones(width) << BigInt(w.shift))
  return [
    { type: 'payload', dreg: 1, base: l.base, offset: w.offset, len: w.size },
    { type: 'bitwise', sreg: 1, dreg: 1, len: w.size, mask: toBytes(mask, w.size), xor: toBytes(bits << BigInt(w.shift), w.size) },
    write,
  ]
}

/**
 * The write of a whole field from register 1, for values that are not
 * constants (a map lookup). @throws NftValidationError for fields nft writes
 * with a read-modify-write (bitfields, odd lengths in checksummed headers).
 */
export function payloadWriteOf(s: SelectorSpec, path: string): NativeExpr {
  if (!isPayloadSettable(s)) invalid(path, `Expected a packet header field nft can write (not ${s.name})`, s.name)
  const w = writeWindow(s)
  if (w.masked) invalid(path, `nftkit does not support '${s.name} set' with a map yet (only with one value)`, s.name)
  const l = s.load as PayloadLoad
  return { type: 'payload', sreg: 1, base: l.base, offset: w.offset, len: w.size, ...csumAttrs(s) }
}

/** The field a whole-field write from a register (a map lookup) writes: undefined when none writes exactly so. */
export function payloadFieldOf(write: NativeExpr, candidates: readonly SelectorSpec[]): SelectorSpec | undefined {
  const attrs = ['base', 'offset', 'len', 'csumType', 'csumOffset', 'csumFlags'] as const
  return candidates.find((s) => {
    if (!isPayloadSettable(s) || writeWindow(s).masked) return false
    const w = payloadWriteOf(s, 'decode')
    return attrs.every((a) => num(w[a]) === num(write[a]))
  })
}

/** What the decoder knows when it meets a payload write. */
export interface PayloadWriteInput {
  /** The write (a payload expression with `sreg`). */
  readonly write: NativeExpr
  /** The immediate that fed it, or the mask and xor of the read-modify-write before it. */
  readonly source: { readonly data: Uint8Array } | { readonly mask: Uint8Array; readonly xor: Uint8Array }
  /** Payload selectors of the protocols the rule matched, best first. */
  readonly candidates: readonly SelectorSpec[]
}

const num = (v: unknown) => Number(v ?? 0)

/**
 * Decodes a payload write back to the field and the value written (as the
 * field's type parses it): undefined when no field nftkit knows compiles to
 * exactly these expressions.
 */
export function decodePayloadWrite(input: PayloadWriteInput): { spec: SelectorSpec; value: bigint } | undefined {
  const w = input.write
  const base = num(w.base)
  const offset = num(w.offset)
  const len = num(w.len)
  let start: number
  let width: number
  let value: bigint
  const src = input.source
  if ('data' in src) {
    if (src.data.length !== len) return undefined
    start = offset * 8
    width = len * 8
    value = fromBytes(src.data)
  } else {
    if (src.mask.length !== len || src.xor.length !== len) return undefined
    // The field is the one run of zero bits in the mask.
    const total = len * 8
    const m = fromBytes(src.mask)
    const field = ((1n << BigInt(total)) - 1n) ^ m
    if (field === 0n) return undefined
    let shift = 0
    while (((field >> BigInt(shift)) & 1n) === 0n) shift++
    width = field.toString(2).length - shift
    if (field >> BigInt(shift) !== (1n << BigInt(width)) - 1n) return undefined
    start = offset * 8 + total - shift - width
    const x = fromBytes(src.xor)
    if ((x & m) !== 0n) return undefined
    value = x >> BigInt(shift)
  }
  for (const s of input.candidates) {
    if (s.load.kind !== 'payload' || s.load.base !== base || !isPayloadSettable(s)) continue
    const f = fieldBits(s.load)
    if (f.start !== start || f.width !== width) continue
    const v = s.load.bits ? value : s.type.decode(toBytes(value, s.load.len))
    // Only a field whose statement compiles back to the same expressions.
    const again = writeExprs(s, v)
    const last = again[again.length - 1]
    const same =
      ('data' in src) === (again.length === 2) &&
      num(last.offset) === offset &&
      num(last.len) === len &&
      num(last.csumType) === num(w.csumType) &&
      num(last.csumOffset) === num(w.csumOffset) &&
      num(last.csumFlags) === num(w.csumFlags)
    if (same) return { spec: s, value: v }
  }
  return undefined
}
