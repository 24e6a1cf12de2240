/**
 * Map data of several fields (`type ipv4_addr : ipv4_addr . inet_service`)
 * or of ranges (`: interval ipv4_addr . inet_service`), as one datatype over
 * the whole data bytes, so that element encoding and set declarations treat
 * it like any other map data type.
 *
 * nft lays the data out as it loads it into registers: each field padded to
 * 4 bytes; with interval data first the low bounds of every field, then the
 * high ones (the kernel's NAT expression reads `addr_min`, `proto_min`,
 * `addr_max`, `proto_max` from consecutive registers).
 * @module
 */
import { type Datatype, fromBytes, hostInteger, type Interval, paddedSize, toBytes } from './datatypes.js'
import { invalid } from './errors.js'

/** Map data of several fields, or interval data. */
export interface ConcatData extends Datatype {
  /** The field types, in order. */
  readonly fields: readonly Datatype[]
  /** Ranges and prefixes (nft's `interval` data): low bounds, then high bounds. */
  readonly interval: boolean
  /** The field values of the data bytes, or undefined if they are not of this type. */
  split(b: Uint8Array): Interval[] | undefined
}

/** True for the data type of a map to a concatenation or to interval data. */
export function isConcatData(t: unknown): t is ConcatData {
  return typeof t === 'object' && t !== null && Array.isArray((t as ConcatData).fields)
}

/** nft's data type id of a concatenation (6 bits per field). */
const typeId = (fields: readonly Datatype[]): number => fields.reduce((acc, t) => acc * 64 + t.id, 0)

/**
 * The data type of a map to `fields` (several, or one with `interval`).
 * Values are arrays of one value per field (a single value for one field);
 * with `interval` each may be a range or a prefix.
 */
export function concatData(fields: readonly Datatype[], interval: boolean, path: string): ConcatData {
  if (fields.length === 0 || (fields.length === 1 && !interval)) invalid(path, 'Expected several data types, or interval data', fields.map((t) => t.name))
  // nft would store host-order fields of interval data in network order; nftkit does not lay those out yet.
  if (interval) for (const t of fields) if (hostInteger(t) || t.name === 'ifname') invalid(path, `nftkit does not support interval map data of type ${t.name} yet`, t.name)
  const one = fields.length === 1 ? fields[0].size : fields.reduce((a, t) => a + paddedSize(t.size), 0)
  const size = interval ? 2 * one : one
  const widths = fields.map((t) => (fields.length === 1 ? t.size : paddedSize(t.size)))
  const half = (ivs: readonly Interval[], hi: boolean): Buffer =>
    Buffer.concat(fields.map((t, i) => Buffer.concat([t.encode(hi ? ivs[i].hi : ivs[i].lo), Buffer.alloc(widths[i] - t.size)])))
  const split = (b: Uint8Array): Interval[] | undefined => {
    if (b.length !== size) return undefined
    const out: Interval[] = []
    let off = 0
    for (const [i, t] of fields.entries()) {
      const lo = t.decode(b.subarray(off, off + t.size))
      const hi = interval ? t.decode(b.subarray(one + off, one + off + t.size)) : lo
      if (hi < lo) return undefined
      out.push({ lo, hi })
      off += widths[i]
    }
    return out
  }
  const name = `${interval ? 'interval ' : ''}${fields.map((t) => t.name).join(' . ')}`
  return {
    name,
    id: typeId(fields),
    size,
    byteorder: 'big',
    ordered: false,
    fields,
    interval,
    split,
    parse(value: unknown, p: string): Interval {
      const vals = fields.length === 1 && !Array.isArray(value) ? [value] : value
      if (!Array.isArray(vals) || vals.length !== fields.length) invalid(p, `Expected ${fields.length} values (${name})`, value)
      const ivs = fields.map((t, i) => t.parse(vals[i], fields.length === 1 ? p : `${p}[${i}]`))
      ivs.forEach((iv, i) => {
        if (!interval && iv.lo !== iv.hi) invalid(fields.length === 1 ? p : `${p}[${i}]`, `Expected a single ${fields[i].name} value (the map's data is not interval data)`, vals[i])
      })
      const b = interval ? Buffer.concat([half(ivs, false), half(ivs, true)]) : half(ivs, false)
      const v = fromBytes(b)
      return { lo: v, hi: v }
    },
    encode: (v: bigint) => toBytes(v, size),
    decode: (b: Uint8Array) => fromBytes(b),
    format: (iv: Interval) => {
      const parts = split(toBytes(iv.lo, size))
      return parts ? parts.map((x, i) => String(fields[i].format(x))).join(' . ') : `0x${iv.lo.toString(16)}`
    },
  }
}
