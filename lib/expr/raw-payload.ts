/**
 * Raw payload expressions, nft's `@BASE,OFFSET,LENGTH` (`@ll`, `@nh`, `@th`,
 * `@ih`; offset and length in bits): rows of the selector table made on first
 * use. A whole-byte field loads its bytes; any other loads the bytes that hold
 * it and masks the other bits away, as nft's bitfields do (subbyte.ts), so
 * values compare shifted into place. Values are nft's `integer` in network
 * order, printed in hex (nft types raw payloads `xinteger`).
 *
 * nft names a raw load it can place in a header it knows from the rule's
 * protocol context (`@nh,96,32` after `meta nfproto ipv4` lists as
 * `ip saddr`); the decoder does the same and falls back to the byte-aligned
 * raw form (`@nh,0,8 & 0x1f == 0x3`) for everything else.
 * @module
 */
import { PAYLOAD_BASE } from '../kernel/constants.js'
import { type Datatype, integerType, shiftedType } from '../kernel/datatypes.js'
import type { RawPayloadBase, RawPayloadSelector } from '../model/rule-types.js'

/** A raw payload's row of the selector table (a `SelectorSpec` with a payload load). */
export interface RawPayloadSpec {
  readonly name: RawPayloadSelector
  readonly load: {
    readonly kind: 'payload'
    readonly base: number
    readonly offset: number
    readonly len: number
    readonly bits?: { readonly shift: number; readonly width: number }
  }
  readonly size: number
  readonly type: Datatype
}

/** nft's base names and the kernel's payload bases (NFT_PAYLOAD_*_HEADER). */
const BASES: Readonly<Record<RawPayloadBase, number>> = { ll: PAYLOAD_BASE.ll, nh: PAYLOAD_BASE.network, th: PAYLOAD_BASE.transport, ih: PAYLOAD_BASE.inner }

/** The longest raw load nftkit writes, in bits (one 16-byte register run, nft's `@ll,0,128`). */
export const RAW_MAX_BITS = 128

/** nft's integer datatype id. */
const INTEGER = 4

/** A raw payload's value type: nft's integer of `size` bytes, printed in hex. */
export function rawType(size: number): Datatype {
  return integerType('integer', size, 'big', undefined, INTEGER, false, 0)
}

/** The same integer printed in decimal: nft prints keys of a raw single-key verdict map and masked sets so. */
export function rawDecimalType(t: Datatype): Datatype {
  return { ...t, format: (iv) => (iv.lo === iv.hi ? String(iv.lo) : `${iv.lo}-${iv.hi}`), formatBound: (v) => String(v) }
}

/** True for a raw payload selector name (`@nh,16,16`). */
export function isRawPayload(name: string): name is RawPayloadSelector {
  return /^@(ll|nh|th|ih),\d+,\d+$/.test(name)
}

/** Parses `@BASE,OFFSET,LENGTH` (spaces allowed around the commas). */
function parse(s: string): { base: RawPayloadBase; offset: number; len: number } | undefined {
  const m = /^@\s*(ll|nh|th|ih)\s*,\s*(\d{1,6})\s*,\s*(\d{1,4})$/.exec(s.trim())
  if (!m) return undefined
  return { base: m[1] as RawPayloadBase, offset: Number(m[2]), len: Number(m[3]) }
}

/**
 * The selector row of a raw payload expression, or undefined if `s` is not
 * one nftkit writes (zero or more than 128 bits).
 */
export function rawPayloadSpec(s: string): RawPayloadSpec | undefined {
  const p = parse(s)
  if (!p || p.len === 0 || p.len > RAW_MAX_BITS) return undefined
  const name = `@${p.base},${p.offset},${p.len}` as RawPayloadSelector
  const first = Math.floor(p.offset / 8)
  const end = Math.ceil((p.offset + p.len) / 8)
  const size = end - first
  const base = BASES[p.base]
  if (p.offset % 8 === 0 && p.len % 8 === 0) return { name, load: { kind: 'payload', base, offset: first, len: size }, size, type: rawType(size) }
  // Not whole bytes: nft loads the covering bytes and masks (payload_expr_expand of a raw bitfield).
  const shift = end * 8 - (p.offset + p.len)
  return {
    name,
    load: { kind: 'payload', base, offset: first, len: size, bits: { shift, width: p.len } },
    size,
    type: shiftedType(rawType(size), shift, p.len, size),
  }
}

/** The whole-byte raw selector of a payload load nftkit cannot name (`payload load 2b @ network header + 2` is `@nh,16,16`). */
export function rawPayloadName(base: number, offset: number, len: number): RawPayloadSelector | undefined {
  const b = (Object.keys(BASES) as RawPayloadBase[]).find((k) => BASES[k] === base)
  if (b === undefined || len === 0 || len * 8 > RAW_MAX_BITS) return undefined
  return `@${b},${offset * 8},${len * 8}`
}

/**
 * nft's typeof userdata of a raw payload (payload_expr_build_udata): protocol
 * description 0, template 0, then nft's base (`proto_bases`, the kernel's base
 * plus one), offset and length in bits. Undefined for other selectors.
 */
export function rawPayloadUdata(name: string): Array<[number, Uint8Array]> | undefined {
  const p = isRawPayload(name) ? parse(name) : undefined
  if (!p) return undefined
  const u32 = (v: number) => {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(v)
    return b
  }
  return [
    [0, u32(0)],
    [1, u32(0)],
    [2, u32(BASES[p.base] + 1)],
    [3, u32(p.offset)],
    [4, u32(p.len)],
  ]
}

/** The raw payload name of typeof userdata's base, offset and length (see rawPayloadUdata). */
export function rawPayloadFromUdata(base: number | undefined, offset: number | undefined, len: number | undefined): string | undefined {
  const b = (Object.keys(BASES) as RawPayloadBase[]).find((k) => base !== undefined && BASES[k] === base - 1)
  if (b === undefined || offset === undefined || len === undefined) return undefined
  return `@${b},${offset},${len}`
}
