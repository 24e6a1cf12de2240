/**
 * `snat`/`dnat` whose target comes from a map (`snat to ip saddr map { ... }`,
 * `dnat ip to ip saddr . tcp dport map @m`): the layout of the map's data in
 * the registers, as nft lays it out, and the element values.
 *
 * nft puts the looked-up data in consecutive 32-bit registers starting at
 * register 1: the address, then (with `addr . port` data) the port; with
 * ranges or prefixes in the data (nft's interval data) first the low address
 * and port, then the high ones. The NAT expression names each part's register.
 * @module
 */
import { DATATYPES, type Datatype, fromBytes, prefixLength, toBytes } from '../kernel/datatypes.js'
import { invalid } from '../kernel/errors.js'
import { isConcatData } from '../kernel/concat-data.js'
import { encodeTlvs, SET_UDATA, u32 } from '../kernel/udata.js'
import type { NatMapStmt, NatMapValue, Selector } from '../model/rule-types.js'
import { natFlagsField } from './stmt-nat.js'

/** What the data of a NAT map holds. */
export interface NatMapLayout {
  readonly fam: 'ip' | 'ip6'
  /** `addr . port` data. */
  readonly port: boolean
  /** Ranges or prefixes (nft's `interval` data): low and high bounds. */
  readonly interval: boolean
}

const ADDR = { ip: DATATYPES.ipv4_addr, ip6: DATATYPES.ipv6_addr } as const
const PORT = DATATYPES.inet_service

/** nft's register number of the 32-bit word `w` after register 1 (a 128-bit register when aligned). */
function reg32(w: number): number {
  return w % 4 === 0 ? 1 + w / 4 : 8 + w
}

/**
 * The layout of a named map's data (`: ipv4_addr`, `: ipv4_addr . inet_service`,
 * `: interval ipv4_addr . inet_service`); an address map when its type is not known.
 * @throws NftValidationError for data NAT cannot take.
 */
export function natMapLayoutOfData(fam: 'ip' | 'ip6', d: Datatype | undefined, path: string, value: unknown): NatMapLayout {
  if (d === undefined) return { fam, port: false, interval: false }
  const fields = isConcatData(d) ? d.fields : [d]
  const same = (a: Datatype, b: Datatype) => a.name === b.name && a.size === b.size
  const ok = same(fields[0], ADDR[fam]) && (fields.length === 1 || (fields.length === 2 && same(fields[1], PORT)))
  if (!ok)
    invalid(path, `nftkit does not support NAT from a map of ${d.name} yet (only addresses of the statement's family, optionally with a port)`, value)
  const l = { fam, port: fields.length === 2, interval: isConcatData(d) && d.interval }
  if (l.fam === 'ip6' && l.port && l.interval) invalid(path, 'nftkit does not support IPv6 ranges with ports in a NAT map (nor does the kernel)', value)
  return l
}

/** The NAT expression's registers for data of this layout. */
export function natMapRegs(l: NatMapLayout): { regAddrMin: number; regAddrMax?: number; regProtoMin?: number; regProtoMax?: number } {
  const a = l.fam === 'ip' ? 1 : 4
  const half = a + (l.port ? 1 : 0)
  return {
    regAddrMin: reg32(0),
    ...(l.port ? { regProtoMin: reg32(a) } : {}),
    ...(l.interval ? { regAddrMax: reg32(half) } : {}),
    ...(l.interval && l.port ? { regProtoMax: reg32(half + a) } : {}),
  }
}

/** The layout a NAT expression's registers describe, or undefined if nft would not lay it out so. */
export function natMapLayoutOf(fam: 'ip' | 'ip6', e: { regAddrMin?: unknown; regAddrMax?: unknown; regProtoMin?: unknown; regProtoMax?: unknown }): NatMapLayout | undefined {
  // The kernel reports a max register equal to the min one when there was none.
  const same = (a: unknown, b: unknown) => a !== undefined && b !== undefined && Number(a) === Number(b)
  if (same(e.regAddrMax, e.regAddrMin)) e = { ...e, regAddrMax: undefined }
  if (same(e.regProtoMax, e.regProtoMin)) e = { ...e, regProtoMax: undefined }
  const l: NatMapLayout = { fam, port: e.regProtoMin !== undefined, interval: e.regAddrMax !== undefined }
  const want = natMapRegs(l) as Record<string, number | undefined>
  for (const k of ['regAddrMin', 'regAddrMax', 'regProtoMin', 'regProtoMax'] as const) {
    const have = (e as Record<string, unknown>)[k]
    if ((have === undefined ? undefined : Number(have)) !== want[k]) return undefined
  }
  return l
}

/** Bytes of one data value of this layout. */
export function natMapDataLen(l: NatMapLayout): number {
  return (ADDR[l.fam].size + (l.port ? 4 : 0)) * (l.interval ? 2 : 1)
}

/** nft's data type id of the map: the address type, or the concatenation `addr . inet_service`. */
export function natMapDataType(l: NatMapLayout): number {
  return l.port ? ADDR[l.fam].id * 64 + PORT.id : ADDR[l.fam].id
}

/** Set userdata nft writes on an anonymous NAT map (key byte order, data byte order, data interval). */
export function natMapUserdata(key: readonly Datatype[], l: NatMapLayout): Buffer {
  const order = (t: Datatype) => (t.byteorder === 'host' ? 1 : 2)
  return encodeTlvs([
    [SET_UDATA.keyByteorder, u32(key.length === 1 ? order(key[0]) : 0)],
    [SET_UDATA.dataByteorder, u32(l.port ? 0 : 2)],
    [SET_UDATA.dataInterval, u32(l.interval ? 1 : 0)],
  ])
}

function parts(v: unknown, path: string): [unknown, unknown | undefined] {
  if (Array.isArray(v)) {
    if (v.length !== 2) invalid(path, 'Expected an address or an [address, port] pair', v)
    return [v[0], v[1]]
  }
  return [v, undefined]
}

/**
 * The layout of anonymous map values: IPv4 or IPv6 by the table or statement
 * family (or the first address), with a port if the values are pairs,
 * interval if any address or port is a range or prefix.
 */
export function natMapLayoutFor(values: readonly unknown[], fam: 'ip' | 'ip6' | undefined, path: string): NatMapLayout {
  if (values.length === 0) invalid(path, 'Expected a non-empty list of [key, target] pairs', values)
  const first = parts(values[0], `${path}[0][1]`)
  const f = fam ?? (String(first[0]).includes(':') ? 'ip6' : 'ip')
  const port = first[1] !== undefined
  let interval = false
  values.forEach((v, i) => {
    const p = `${path}[${i}][1]`
    const [a, pt] = parts(v, p)
    if ((pt !== undefined) !== port) invalid(p, port ? 'Expected an [address, port] pair, as the first element' : 'Expected an address, as the first element', v)
    const iv = ADDR[f].parse(a, p)
    if (iv.lo !== iv.hi || (typeof a === 'string' && /[/-]/.test(a))) interval = true
    if (pt !== undefined) {
      const pv = PORT.parse(pt, p)
      if (pv.lo !== pv.hi) interval = true
    }
  })
  return { fam: f, port, interval }
}

/** Encodes one map value into the map's data bytes. */
export function encodeNatMapValue(l: NatMapLayout, v: unknown, path: string): Buffer {
  const [a, pt] = parts(v, path)
  const t = ADDR[l.fam]
  const addr = t.parse(a, path)
  const port = pt !== undefined ? PORT.parse(pt, path) : undefined
  if ((port !== undefined) !== l.port) invalid(path, l.port ? 'Expected an [address, port] pair' : 'Expected an address', v)
  if (!l.interval && (addr.lo !== addr.hi || (port && port.lo !== port.hi))) invalid(path, 'Expected a single address and port', v)
  const half = (x: bigint, p: bigint | undefined) => (p === undefined ? t.encode(x) : Buffer.concat([t.encode(x), toBytes(p, 2), Buffer.alloc(2)]))
  const lo = half(addr.lo, port?.lo)
  return l.interval ? Buffer.concat([lo, half(addr.hi, port?.hi)]) : lo
}

/** Decodes a map's data bytes into the value nft prints (`10.0.0.1`, `['10.0.0.0/24', '80-90']`). */
export function decodeNatMapValue(l: NatMapLayout, data: Uint8Array): NatMapValue | undefined {
  if (data.length !== natMapDataLen(l)) return undefined
  const t = ADDR[l.fam]
  const b = Buffer.from(data)
  const h = b.length / (l.interval ? 2 : 1)
  const addr = (off: number) => t.decode(b.subarray(off, off + t.size))
  const port = (off: number) => fromBytes(b.subarray(off + t.size, off + t.size + 2))
  const alo = addr(0)
  const ahi = l.interval ? addr(h) : alo
  if (ahi < alo) return undefined
  const isPrefix = alo !== ahi && prefixLength(alo, ahi, t.size * 8) !== undefined
  // nft prints one address of interval data as a prefix (`/32`), except beside a port.
  const a =
    alo === ahi && l.interval && !l.port
      ? `${t.format({ lo: alo, hi: alo })}/${t.size * 8}`
      : alo === ahi || isPrefix
        ? String(t.format({ lo: alo, hi: ahi }))
        : `${t.format({ lo: alo, hi: alo })}-${t.format({ lo: ahi, hi: ahi })}`
  if (!l.port) return a
  const plo = port(0)
  const phi = l.interval ? port(h) : plo
  if (phi < plo) return undefined
  return [a, plo === phi ? Number(plo) : `${plo}-${phi}`]
}

/** nft text of one map value: `10.0.0.1`, `10.0.0.0/24 . 80-90`. */
export function natMapValueText(v: NatMapValue): string {
  return Array.isArray(v) ? `${v[0]} . ${v[1]}` : String(v)
}

/** Whether any value has a port or a range or prefix (nft then prints the family: `snat ip to ...`). */
export function natMapShowsFamily(values: readonly NatMapValue[]): boolean {
  return values.some((v) => Array.isArray(v) || /[/-]/.test(String(v)))
}

/**
 * Decodes a NAT expression whose address register holds a map lookup's data.
 * Undefined when nft would not have written it so (other registers, flags or
 * data), so that the rule stays raw rather than printed wrongly.
 */
export function decodeNatMap(
  stmt: 'snat' | 'dnat',
  fam: 'ip' | 'ip6',
  e: { regAddrMin?: unknown; regAddrMax?: unknown; regProtoMin?: unknown; regProtoMax?: unknown; flags?: unknown },
  src: { key: Selector | Selector[]; set: string; anon?: { elements: ReadonlyArray<{ key: unknown; dataBytes?: Uint8Array }>; dataMap?: { type: number; len: number; interval: boolean } } },
  tableFamily: string,
): NatMapStmt | undefined {
  const l = natMapLayoutOf(fam, e)
  if (!l) return undefined
  let flags = Number(e.flags ?? 0) & ~0x1
  if (l.port) flags &= ~0x2
  const prefix = (flags & 0x40) !== 0
  const extra = natFlagsField(flags & ~0x40)
  if (!extra || (prefix && !l.interval)) return undefined
  let map: NatMapStmt['map']
  if (src.anon) {
    const d = src.anon.dataMap
    if (!d || d.type !== natMapDataType(l) || d.len !== natMapDataLen(l) || d.interval !== l.interval) return undefined
    const out: Array<[unknown, NatMapValue]> = []
    for (const x of src.anon.elements) {
      if (!x.dataBytes) return undefined
      const v = decodeNatMapValue(l, x.dataBytes)
      if (v === undefined) return undefined
      out.push([Array.isArray(x.key) && x.key.length === 0 ? '*' : x.key, v])
    }
    map = out as unknown as NatMapStmt['map']
  } else map = { set: src.set }
  const showFam = tableFamily === 'inet' || l.port || l.interval
  return { stmt, key: src.key, map, ...(showFam ? { family: fam } : {}), ...(prefix ? { prefix: true } : {}), ...extra }
}
