/**
 * `typeof` set declarations: nft stores the expressions a set's key (and a
 * map's value) are declared with in the set's userdata, so that `nft list`
 * prints `typeof ip saddr . tcp dport` instead of the key type. This file
 * writes and reads that encoding (nft 1.0.6's `build_udata`/`parse_udata` of
 * payload, meta, ct, numgen, xfrm, concat and verdict expressions).
 * @module
 */
import { type Datatype, paddedSize } from '../kernel/datatypes.js'
import { invalid } from '../kernel/errors.js'
import { isConcatData } from '../kernel/concat-data.js'
import { decodeTlvs, encodeTlvs, u32 } from '../kernel/udata.js'
import type { Selector } from '../model/rule-types.js'
import { normalizeSelector, SELECTORS, type SelectorSpec } from './selectors.js'
import { isShiftedBitfield } from './subbyte.js'
import { xfrmName } from './xfrm.js'

/**
 * The datatype of an `integer` key field (or map value) declared with
 * `typeof SELECTOR`: nft's integer of the selector's width and byte order.
 * @throws NftValidationError without a selector of type integer.
 */
export function integerKeyType(sel: Selector | undefined, path: string): Datatype {
  const n = typeof sel === 'string' ? normalizeSelector(sel) : undefined
  const spec = n ? SELECTORS[n] : undefined
  if (spec?.type.name !== 'integer' || isShiftedBitfield(spec) || !typeofUdata([spec.name]))
    return invalid(path, "Expected typeof with a selector of type integer for an 'integer' field (typeof vlan id, typeof ct bytes)", sel)
  return spec.type
}
import { isRawPayload, rawPayloadFromUdata, rawPayloadUdata, rawType } from './raw-payload.js'
import { setUserdataExtra } from '../model/set-userdata.js'

/** nft's expression types (enum expr_types) that appear in typeof userdata. */
const EXPR = { verdict: 1, payload: 7, meta: 9, ct: 12, concat: 13, numgen: 23, xfrm: 27 } as const

/** nft's protocol descriptions (enum proto_desc_id) and their header fields in template order (index 0 unused). */
const PROTO: Readonly<Record<string, { readonly id: number; readonly fields: readonly string[] }>> = {
  ah: { id: 1, fields: ['', 'nexthdr', 'hdrlength', 'reserved', 'spi', 'sequence'] },
  esp: { id: 2, fields: ['', 'spi', 'sequence'] },
  comp: { id: 3, fields: ['', 'nexthdr', 'flags', 'cpi'] },
  icmp: { id: 4, fields: ['', 'type', 'code', 'checksum', 'id', 'sequence', 'gateway', 'mtu'] },
  igmp: { id: 5, fields: ['', 'type', 'checksum', 'mrt', 'group'] },
  udp: { id: 6, fields: ['', 'sport', 'dport', 'length', 'checksum'] },
  udplite: { id: 7, fields: ['', 'sport', 'dport', 'csumcov', 'checksum'] },
  tcp: { id: 8, fields: ['', 'sport', 'dport', 'sequence', 'ackseq', 'doff', 'reserved', 'flags', 'window', 'checksum', 'urgptr'] },
  dccp: { id: 9, fields: ['', 'sport', 'dport', 'type'] },
  sctp: { id: 10, fields: ['', 'sport', 'dport', 'vtag', 'checksum'] },
  th: { id: 11, fields: ['', 'sport', 'dport'] },
  ip: { id: 12, fields: ['', 'version', 'hdrlength', 'dscp', 'ecn', 'length', 'id', 'frag-off', 'ttl', 'protocol', 'checksum', 'saddr', 'daddr'] },
  ip6: { id: 13, fields: ['', 'version', 'dscp', 'ecn', 'flowlabel', 'length', 'nexthdr', 'hoplimit', 'saddr', 'daddr'] },
  icmpv6: { id: 14, fields: ['', 'type', 'code', 'checksum', 'parameter-problem', 'mtu', 'id', 'sequence', 'max-delay'] },
  vlan: { id: 16, fields: ['', 'pcp', 'dei', 'cfi', 'id', 'type'] },
  ether: { id: 17, fields: ['', 'daddr', 'saddr', 'type'] },
}

/** ct keys without a direction store -1 as a u32. */
const NO_DIR = 0xffffffff

const nest = (items: ReadonlyArray<readonly [number, Uint8Array]>): Buffer => encodeTlvs(items)

/** The length nft stores for an integer payload: the field's bits (12 for `vlan id`). */
const bitLength = (s: SelectorSpec): number => (s.load.kind === 'payload' && s.load.bits ? s.load.bits.width : s.size * 8)

/** The payload description (protocol id, template index) of a selector, if nft has one. */
function payloadDesc(s: SelectorSpec): { id: number; type: number } | undefined {
  const [proto, ...rest] = s.name.split(' ')
  const p = PROTO[proto]
  const type = p?.fields.indexOf(rest.join(' '))
  return p && type !== undefined && type > 0 ? { id: p.id, type } : undefined
}

/** One expression's `[TYPEOF_EXPR, TYPEOF_DATA]` pair, or undefined if nft could not have written it. */
function exprUdata(s: SelectorSpec): [number, Buffer] | undefined {
  const raw = rawPayloadUdata(s.name)
  if (raw) return [EXPR.payload, nest(raw)]
  if (s.load.kind === 'meta') return [EXPR.meta, nest([[0, u32(s.load.key)]])]
  if (s.load.kind === 'ct') return [EXPR.ct, nest([[0, u32(s.load.key)], [1, u32(s.load.dir ?? NO_DIR)]])]
  // numgen: type, modulus, offset (nft's numgen build_udata).
  if (s.load.kind === 'numgen') return [EXPR.numgen, nest([[0, u32(s.load.ngType)], [1, u32(s.load.modulus)], [2, u32(s.load.offset)]])]
  // ipsec: key, secpath index, direction (nft's xfrm build_udata).
  if (s.load.kind === 'xfrm') return [EXPR.xfrm, nest([[0, u32(s.load.key)], [1, u32(s.load.spnum)], [2, u32(s.load.dir)]])]
  const d = payloadDesc(s)
  if (!d) return undefined
  const items: [number, Uint8Array][] = [[0, u32(d.id)], [1, u32(d.type)]]
  if (s.type.name === 'integer') items.push([4, u32(bitLength(s))])
  return [EXPR.payload, nest(items)]
}

/**
 * The typeof userdata nft writes for a key or a map value (`verdict` for
 * verdict maps): undefined when a selector has no typeof encoding nftkit knows.
 */
export function typeofUdata(sel: readonly Selector[] | 'verdict'): Buffer | undefined {
  if (sel === 'verdict') return nest([[0, u32(EXPR.verdict)], [1, Buffer.alloc(0)]])
  const specs = sel.map((x) => SELECTORS[normalizeSelector(x) as Selector])
  if (specs.some((s) => !s)) return undefined
  const parts = specs.map(exprUdata)
  if (parts.some((p) => !p)) return undefined
  if (parts.length === 1) {
    const [t, d] = parts[0] as [number, Buffer]
    return nest([[0, u32(t)], [1, d]])
  }
  const subs = (parts as [number, Buffer][]).map(([t, d], i) => [i, nest([[0, u32(t)], [1, d]])] as const)
  return nest([[0, u32(EXPR.concat)], [1, nest(subs)]])
}

const readU32 = (b: Buffer | undefined): number | undefined => (b?.length === 4 ? b.readUInt32LE(0) : undefined)

function selectorOf(etype: number | undefined, data: Buffer | undefined): Selector | undefined {
  const t = decodeTlvs(data)
  if (etype === EXPR.meta || etype === EXPR.ct) {
    const key = readU32(t.get(0))
    // ct keys of one direction (`ct reply ip saddr`) store it (0 original, 1 reply); others -1.
    const dir = etype === EXPR.ct ? readU32(t.get(1)) : undefined
    if (etype === EXPR.ct && dir !== NO_DIR && dir !== 0 && dir !== 1) return undefined
    // The canonical row (`meta mark`, not a short form): rows are keyed by their canonical names.
    return Object.values(SELECTORS).find(
      (s) =>
        s.load.kind === (etype === EXPR.meta ? 'meta' : 'ct') &&
        (s.load as { key: number }).key === key &&
        (etype !== EXPR.ct || ((s.load as { dir?: number }).dir ?? NO_DIR) === dir),
    )?.name
  }
  if (etype === EXPR.numgen) {
    const [type, mod, offset] = [0, 1, 2].map((k) => readU32(t.get(k)))
    if ((type !== 0 && type !== 1) || !mod || offset === undefined) return undefined
    return normalizeSelector(`numgen ${type === 0 ? 'inc' : 'random'} mod ${mod}${offset ? ` offset ${offset}` : ''}`)
  }
  if (etype === EXPR.xfrm) {
    const [key, spnum, dir] = [0, 1, 2].map((k) => readU32(t.get(k)))
    const name = key === undefined || spnum === undefined || dir === undefined ? undefined : xfrmName(dir, spnum, key)
    return name ? normalizeSelector(name) : undefined
  }
  if (etype !== EXPR.payload) return undefined
  const id = readU32(t.get(0))
  const type = readU32(t.get(1))
  if (id === 0 && type === 0) return normalizeSelector(rawPayloadFromUdata(readU32(t.get(2)), readU32(t.get(3)), readU32(t.get(4))) ?? '')
  const proto = Object.entries(PROTO).find(([, p]) => p.id === id)
  if (!proto || type === undefined) return undefined
  const name = normalizeSelector(`${proto[0]} ${proto[1].fields[type] ?? ''}`)
  if (!name) return undefined
  const len = readU32(t.get(4))
  if (len !== undefined && len !== bitLength(SELECTORS[name])) return undefined
  return name
}

/** Reads typeof userdata back: the selectors, `'verdict'`, or undefined if nftkit cannot name them. */
export function typeofSelectors(udata: Buffer | undefined): Selector[] | 'verdict' | undefined {
  if (!udata) return undefined
  const t = decodeTlvs(udata)
  const etype = readU32(t.get(0))
  if (etype === EXPR.verdict) return 'verdict'
  if (etype === EXPR.concat) {
    const out: Selector[] = []
    for (const [, sub] of decodeTlvs(t.get(1))) {
      const st = decodeTlvs(sub)
      const s = selectorOf(readU32(st.get(0)), st.get(1))
      if (!s) return undefined
      out.push(s)
    }
    return out.length ? out : undefined
  }
  const s = selectorOf(etype, t.get(1))
  return s ? [s] : undefined
}

/**
 * The key typeof userdata nft writes on an anonymous set whose key holds a raw
 * payload expression (nft needs it to size and print the integer fields);
 * undefined when the key has none. nft writes none for the keys of a
 * single-key verdict map, nor for a field of part of a byte.
 * @throws NftValidationError when another part of the key has no typeof encoding nftkit knows.
 */
export function anonymousKeyTypeof(specs: readonly SelectorSpec[], path: string): Buffer | undefined {
  if (!specs.some((s) => isRawPayload(s.name))) return undefined
  // A field of part of a byte is a masked lookup: nft's set holds plain integers.
  if (specs.length === 1 && specs[0].load.kind === 'payload' && specs[0].load.bits) return undefined
  const u = typeofUdata(specs.map((s) => s.name))
  if (!u) invalid(path, `nftkit does not support raw payload expressions in a concatenation with ${specs.map((s) => s.name).join(' . ')} yet`, specs.map((s) => s.name))
  return u
}

/**
 * The key field types of a set whose typeof holds a raw payload expression,
 * read from its userdata (the key type id alone cannot size nft's integer
 * fields); undefined for other sets or when the sizes do not add up to `keyLen`.
 */
export function rawTypeofKeyTypes(setUserdata: Uint8Array | undefined, keyLen: number): Datatype[] | undefined {
  const sels = typeofSelectors(setUserdataExtra(setUserdata).keyTypeof)
  if (!Array.isArray(sels) || !sels.some((x) => isRawPayload(x))) return undefined
  const types = sels.map((x) => {
    const s = SELECTORS[x]
    return isRawPayload(x) ? rawType(s.size) : s.type
  })
  const len = types.length === 1 ? types[0].size : types.reduce((a, t) => a + paddedSize(t.size), 0)
  return len === keyLen ? types : undefined
}

/** The typeof userdata nft writes for `type a . b`: a concatenation of no expressions. */
const EMPTY_CONCAT = nest([[0, u32(EXPR.concat)], [1, Buffer.alloc(0)]])

/** Whether nft types the selector as its `invalid` type in a key (the ct proto-src/proto-dst of `typeof`, whose type depends on the protocol). */
const untypedInKey = (sel: Selector | undefined): boolean => {
  const n = typeof sel === 'string' ? normalizeSelector(sel) : undefined
  return n !== undefined && /^ct (original |reply )?proto-(src|dst)$/.test(n)
}

/**
 * nft's key type id of a key declared with `typeof`: 6 bits per field, 0 (nft's
 * invalid type) for `ct original proto-dst` and the other ct proto fields.
 */
export function typeofKeyTypeId(key: readonly Datatype[], typeofSel: Selector | readonly Selector[] | undefined): number {
  const sels = typeofSel === undefined ? [] : list(typeofSel)
  const id = (t: Datatype, i: number) => (untypedInKey(sels[i]) ? 0 : t.id)
  return key.length > 1 ? key.reduce((a, t, i) => a * 64 + id(t, i), 0) : id(key[0], 0)
}

/**
 * Key types from a set's typeof selectors, for a key type id nftkit cannot
 * split (nft's invalid type 0 for `ct original proto-dst`); undefined when the
 * sizes do not add up to `keyLen`.
 */
export function typeofOnlyKeyTypes(setUserdata: Uint8Array | undefined, keyLen: number): Datatype[] | undefined {
  const sels = typeofSelectors(setUserdataExtra(setUserdata).keyTypeof)
  if (!Array.isArray(sels) || !sels.some((x) => untypedInKey(x))) return undefined
  const types = sels.map((x) => SELECTORS[x].type)
  const len = types.length === 1 ? types[0].size : types.reduce((a, t) => a + paddedSize(t.size), 0)
  return len === keyLen ? types : undefined
}

const list = (x: Selector | readonly Selector[]): readonly Selector[] => (Array.isArray(x) ? x : [x as Selector])

/**
 * Checks a declaration's `typeof` (and a map's `mapTypeof`) against its types
 * and encodes them for the set's userdata.
 * @throws NftValidationError when the selectors do not match the types or nftkit cannot encode them.
 */
export function setTypeofUserdata(
  s: { readonly kind: 'set' | 'map'; readonly typeof?: Selector | readonly Selector[]; readonly mapTypeof?: Selector | readonly Selector[] },
  key: readonly Datatype[],
  data: Datatype | 'verdict' | undefined,
  path: string,
): { keyTypeof?: Buffer; dataTypeof?: Buffer } {
  if (s.typeof === undefined) {
    if (s.mapTypeof !== undefined) invalid(`${path}.mapTypeof`, 'Expected typeof for the key too', s.mapTypeof)
    // `type a . b`: nft writes an empty concatenation as the typeof of a concatenated key or map value.
    return {
      ...(key.length > 1 ? { keyTypeof: EMPTY_CONCAT } : {}),
      ...(isConcatData(data) && data.fields.length > 1 ? { dataTypeof: EMPTY_CONCAT } : {}),
    }
  }
  const check = (sels: readonly Selector[], types: readonly Datatype[], p: string): Buffer => {
    if (!Array.isArray(sels) || sels.length !== types.length) invalid(p, `Expected ${types.length} selector(s), one per key type`, sels)
    sels.forEach((x, i) => {
      const n = typeof x === 'string' ? normalizeSelector(x) : undefined
      if (!n) invalid(`${p}[${i}]`, `Expected a selector such as 'ip saddr'`, x)
      if (SELECTORS[n].type.id !== types[i].id || SELECTORS[n].size !== types[i].size)
        invalid(`${p}[${i}]`, `Expected a selector of type ${types[i].name}; ${n} is ${SELECTORS[n].type.name}`, x)
    })
    const u = typeofUdata(sels.map((x) => normalizeSelector(x) as Selector))
    if (!u) invalid(p, `nftkit does not support typeof ${sels.join(' . ')} yet`, sels)
    return u
  }
  const keyTypeof = check(list(s.typeof), key, `${path}.typeof`)
  if (data === undefined) return { keyTypeof }
  if (data === 'verdict') {
    if (s.mapTypeof !== undefined) invalid(`${path}.mapTypeof`, 'Expected no mapTypeof for a verdict map', s.mapTypeof)
    return { keyTypeof, dataTypeof: typeofUdata('verdict') }
  }
  if (s.mapTypeof === undefined) invalid(`${path}.mapTypeof`, "Expected the selector the map's value is declared with (typeof KEY : VALUE)", s.mapTypeof)
  return { keyTypeof, dataTypeof: check(list(s.mapTypeof), isConcatData(data) ? data.fields : [data], `${path}.mapTypeof`) }
}

/**
 * Key (or map value) datatypes refined by the typeof userdata nft wrote:
 * an `integer` field takes its selector's type (size, byte order, width).
 * Undefined when an integer field of a concatenation has no selector to say
 * its size (its elements could not be read).
 */
export function typeofKeyTypes(key: readonly Datatype[], udata: Buffer | undefined): Datatype[] | undefined {
  if (!key.some((t) => t.name === 'integer')) return [...key]
  const sels = typeofSelectors(udata)
  const specs = Array.isArray(sels) && sels.length === key.length ? sels.map((x) => SELECTORS[x]) : undefined
  const out: Datatype[] = []
  for (const [i, t] of key.entries()) {
    const spec = specs?.[i]
    // In a concatenation the field's own size is not known from the key type, only its padded one.
    const fits = t.name === 'integer' && spec?.type.name === 'integer' && !isShiftedBitfield(spec) && (key.length === 1 ? spec.type.size === t.size : paddedSize(spec.type.size) === paddedSize(t.size))
    if (fits) out.push(spec.type)
    else if (t.name !== 'integer' || key.length === 1) out.push(t)
    else return undefined
  }
  return out
}
