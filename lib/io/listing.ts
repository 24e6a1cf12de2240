/**
 * Read-back: turns a native dump into the same typed objects a transaction
 * takes, with handles, counters and the generation id.
 * @module
 */
import type { InterfaceNames } from '../model/interfaces.js'
import {
  DATATYPE,
  type Family,
  familyName,
  hookName,
  NFT_DATA_VERDICT,
  OBJECT_TYPE,
  SET_FLAG,
  TABLE_FLAG,
  VERDICT_CODE,
  CHAIN_BINDING,
} from '../kernel/constants.js'
import { type Datatype, datatypeById, datatypeFor, DATATYPES, type KeyTypeName, splitConcatTypeId, VALUE_TYPES } from '../kernel/datatypes.js'
import { concatData, isConcatData } from '../kernel/concat-data.js'
import { CATCHALL, decodeElements, unpackElements } from '../elements/elements.js'
import { CT_OBJECT_TYPE } from '../kernel/ct-types.js'
import { type Element, type ElementSpec, OBJECT_MAP_TYPE, type ObjectMapType, type SetShape } from '../model/element-types.js'
import { fastIPv4Decode } from '../elements/elements-fast.js'
import { nameIfaceKeys } from '../elements/iface-keys.js'
import { type AnonSet, decodeRule, decodeVerdict, jsValue, type RawExpr } from '../expr/decode.js'
import type { RuleExpr, SetStatefulStmt, Verdict } from '../model/rule-types.js'
import { decodeObjectAttrs } from '../expr/stmt-stateful.js'
import { decodeCtObject } from '../expr/ct.js'
import { decodeSetStateful, isLoneCounter } from '../expr/set-stateful.js'
import type { Chain, Counter, CtExpectation, CtHelper, Limit, NamedMap, NamedSet, Quota, Rule, SetFlag, Synproxy, Table, TableFlag } from '../model/objects.js'
import { setComment, setDataByteorder, setKeyByteorder, setUserdataExtra } from '../model/set-userdata.js'
import { rawTypeofKeyTypes, typeofKeyTypes, typeofOnlyKeyTypes, typeofSelectors } from '../expr/typeof.js'
import { rawType } from '../expr/raw-payload.js'
import { setKey } from '../model/names.js'
import { bindingChains, inlineBindings } from './bindings.js'
import { commentOf, decodeTlvs, SET_UDATA } from '../kernel/udata.js'
import type { NativeDump, NativeElementRecord, NativeExpr, NativePackedElements, NativeRecord } from '../../types/native.js'

/** A rule as read back: expressions may include `{ raw }` for shapes nftkit cannot map. */
export interface ListedRule extends Omit<Rule, 'exprs'> {
  readonly family: Family
  readonly table: string
  readonly handle: number
  readonly exprs: ReadonlyArray<RuleExpr | RawExpr>
}

/** A table as read back. */
export type ListedTable = Table & { readonly family: Family; readonly name: string; readonly handle: number }
/** A chain as read back (priority as a number). */
export type ListedChain = Chain & { readonly family: Family; readonly table: string; readonly handle: number; readonly priority?: number }
/** A set or map as read back, elements included. */
export type ListedSet = (NamedSet | NamedMap) & { readonly family: Family; readonly table: string; readonly handle: number; readonly elements: readonly Element[] }
/** A named counter as read back. */
export type ListedCounter = Counter & { readonly family: Family; readonly table: string; readonly handle: number; readonly packets: number; readonly bytes: number }

/** A named quota, limit or synproxy as read back (a quota's `used` as the kernel counts it). */
export type ListedObject = (Quota | Limit | Synproxy) & { readonly family: Family; readonly table: string; readonly handle: number }

/** A consistent snapshot of (part of) the ruleset. */
export interface Listing {
  /** Generation id of this snapshot: pass it to commit to detect concurrent changes. */
  readonly genId: number
  readonly tables: readonly ListedTable[]
  readonly chains: readonly ListedChain[]
  readonly sets: readonly ListedSet[]
  readonly rules: readonly ListedRule[]
  readonly counters: readonly ListedCounter[]
  /** Named quotas, limits and synproxies, in kernel order (omitted: none). */
  readonly objects?: readonly ListedObject[]
  /**
   * The interfaces of the listed namespace (not enumerable), when the listing
   * was read with them: the planner compiles `meta iif "lo"` with them to
   * compare desired rules with listed ones.
   */
  readonly interfaces?: InterfaceNames
  /** ct helper and ct expectation objects (kernel order). */
  readonly ctObjects?: readonly ListedCtObject[]
}

/** A ct helper or ct expectation object as read back (l3proto always set by the kernel). */
export type ListedCtObject = (CtHelper | CtExpectation) & { readonly family: Family; readonly table: string; readonly handle: number }

const n = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number))

/** Key and data types of a dumped set, or undefined if nftkit does not know them. */
export function setShapeOf(r: NativeRecord): SetShape | undefined {
  const keyType = n(r.keyType)
  const keyLen = n(r.keyLen)
  let key: Datatype[] | undefined
  const single = datatypeFor(keyType, keyLen, setKeyByteorder(r.userdata as Uint8Array | undefined))
  if (single) key = [single]
  else key = splitConcatTypeId(keyType, keyLen)
  // Raw payload keys: their integer fields are sized by the set's typeof.
  key = rawTypeofKeyTypes(r.userdata as Uint8Array | undefined, keyLen) ?? key
  // `typeof ct original proto-dst`: nft's key type id says 0 (invalid) for that field; the typeof says it.
  key = typeofOnlyKeyTypes(r.userdata as Uint8Array | undefined, keyLen) ?? key
  // An integer key of a size no selector has (a raw payload's verdict map, whose key nft gives no typeof).
  if (!key && keyType === DATATYPE.integer && keyLen > 0 && keyLen <= 16) key = [rawType(keyLen)]
  if (!key) return undefined
  // Anonymous sets of `ip dscp` hold the field shifted in place (named dscp sets hold it unshifted).
  if (n(r.flags) & SET_FLAG.anonymous && key.length === 1 && key[0] === DATATYPES.dscp) key = [VALUE_TYPES.ip_dscp]
  // nft's integer fields have the size and byte order of their typeof selector.
  const udata = setUserdataExtra(r.userdata as Uint8Array | undefined)
  key = typeofKeyTypes(key, udata.keyTypeof)
  if (!key) return undefined
  let data: Datatype | 'verdict' | undefined
  if (r.dataType !== undefined) {
    const dt = n(r.dataType)
    if (dt === NFT_DATA_VERDICT) data = 'verdict'
    else if (r.dataLen !== undefined && (dt >= 64 || dataIntervalOf(r))) {
      // A map to a concatenation or to interval data: each field padded to 4 bytes, low bounds then high ones.
      const iv = dataIntervalOf(r)
      const len = n(r.dataLen) / (iv ? 2 : 1)
      const fields = dt >= 64 ? splitConcatTypeId(dt, len) : [datatypeFor(dt, len, setDataByteorder(r.userdata as Uint8Array | undefined))]
      const typed = fields?.every((t) => t !== undefined) ? typeofKeyTypes(fields as Datatype[], udata.dataTypeof) : undefined
      if (!typed) return undefined
      try {
        data = concatData(typed, iv, 'data')
      } catch {
        return undefined
      }
      if (data.size !== n(r.dataLen)) return undefined
    } else {
      // The map's data byte order (userdata) tells a host-order integer (ct zone) from a big-endian one.
      const bo = setDataByteorder(r.userdata as Uint8Array | undefined)
      const sized = r.dataLen !== undefined ? datatypeFor(dt, n(r.dataLen), bo) : undefined
      const t = sized && (bo === undefined || sized.byteorder === bo) ? sized : datatypeById(dt)
      if (!t) return undefined
      data = typeofKeyTypes([t], udata.dataTypeof)?.[0]
      if (!data) return undefined
    }
  }
  const flags = n(r.flags)
  let object: ObjectMapType | undefined
  if (r.objType !== undefined && flags & SET_FLAG.object) {
    object = (Object.keys(OBJECT_MAP_TYPE) as ObjectMapType[]).find((k) => OBJECT_MAP_TYPE[k] === n(r.objType))
    // Anonymous ct object maps (`ct helper set tcp dport map { ... }`): their elements still name objects.
    const ctObjectMap = (flags & SET_FLAG.anonymous) !== 0 && Object.values(CT_OBJECT_TYPE).includes(n(r.objType) as never)
    if (!object && !ctObjectMap) return undefined
  }
  return { name: String(r.name), key, interval: (flags & SET_FLAG.interval) !== 0, data, timeout: (flags & SET_FLAG.timeout) !== 0, ...(object ? { object } : {}) }
}

/** An anonymous set of TCP flag combinations (`tcp flags { syn, syn | ack }`): nft's kernel keeps them in the order they were added. */
const isFlagKey = (shape: SetShape): boolean => !shape.interval && shape.key.length === 1 && shape.key[0].name === 'tcp_flag'

/**
 * The elements of an anonymous set in the order nft lists them. For TCP flag
 * sets nft reads the kernel's elements (in the order they were added) into a
 * list in reverse, then sorts them by their lowest flag, a stable sort: `{ fin,
 * fin | ack, syn }` added so lists as `fin | ack, fin, syn`.
 */
function anonOrder<T extends { fields: readonly { lo: bigint }[] }>(shape: SetShape, elements: T[]): T[] {
  if (!isFlagKey(shape)) return elements
  const low = (e: T) => (e.fields.length ? e.fields[0].lo & -e.fields[0].lo : 1n << 64n)
  return [...elements].reverse().sort((a, b) => (low(a) === low(b) ? 0 : low(a) < low(b) ? -1 : 1))
}

/** Whether a map's userdata marks its data as interval data (nft's `: interval ...`). */
function dataIntervalOf(r: NativeRecord): boolean {
  const t = decodeTlvs(r.userdata as Uint8Array | undefined).get(SET_UDATA.dataInterval)
  return t?.some((x) => x !== 0) === true
}

/** JS value of map data: one value, or one per field of a map to a concatenation. */
function dataValue(t: Datatype, b: Uint8Array): ElementSpec['value'] | undefined {
  if (!isConcatData(t)) {
    const v = t.decode(b)
    return jsValue(t, { lo: v, hi: v })
  }
  const parts = t.split(b)
  if (!parts) return undefined
  const vals = parts.map((iv, i) => (iv.lo === iv.hi ? jsValue(t.fields[i], iv) : String(t.fields[i].format(iv))))
  return vals.length === 1 ? vals[0] : vals
}

/** The value of an anonymous data map's element (`{ data }`), as nftkit reads values of the map's type. */
export function anonElementData(shape: SetShape, e: { readonly data?: Uint8Array }): { data?: string | number } {
  // Concatenated and interval data stay bytes here (NAT maps read them: lib/expr/stmt-natmap.ts).
  if (!shape.data || shape.data === 'verdict' || isConcatData(shape.data) || !e.data) return {}
  const v = shape.data.decode(e.data)
  return { data: jsValue(shape.data, { lo: v, hi: v }) }
}

/**
 * An element's stateful statements as the listing gives them: a counter
 * alone as `counter` with its values, others as `stmts` (counters with their
 * values, quotas with their use); none when it has none or one nftkit cannot name.
 */
export function elementStmts(e: { readonly counter?: { packets: number; bytes: number }; readonly exprs?: ReadonlyArray<Record<string, unknown>> }): {
  counter?: { packets: number; bytes: number }
  stmts?: SetStatefulStmt[]
} {
  const stmts = e.exprs ? decodeSetStateful(e.exprs as readonly NativeExpr[], true) : undefined
  if (stmts) return { stmts }
  return e.counter ? { counter: { packets: e.counter.packets, bytes: e.counter.bytes } } : {}
}

/**
 * An anonymous data map (data other than verdicts: a NAT map's addresses, a
 * mark map's marks): its keys decoded, each element's data both as bytes
 * (`dataBytes`, with nft's data type, length and interval flag in `dataMap`;
 * lib/expr/stmt-natmap.ts reads them) and, where nftkit reads the map's data
 * type, as a value (`data`); undefined for other sets.
 */
export function anonDataMap(r: NativeRecord): ((recs: readonly NativeElementRecord[]) => AnonSet) | undefined {
  if (r.dataType === undefined || n(r.dataType) === NFT_DATA_VERDICT || (n(r.flags) & SET_FLAG.object) !== 0) return undefined
  const shape = setShapeOf({ ...r, dataType: undefined } as NativeRecord)
  if (!shape) return undefined
  const full = setShapeOf(r)
  const t = decodeTlvs(r.userdata as Uint8Array | undefined).get(SET_UDATA.dataInterval)
  const dataMap = { type: n(r.dataType), len: n(r.dataLen), interval: t?.some((x) => x !== 0) === true }
  return (recs) => ({
    dataMap,
    elements: decodeElements(shape, recs).map((e) => ({
      key: e.catchall ? CATCHALL : e.fields.length === 1 ? jsValue(shape.key[0], e.fields[0]) : e.fields.map((f, i) => jsValue(shape.key[i], f)),
      ...(e.data ? { dataBytes: e.data, ...(full ? anonElementData(full, e) : {}) } : {}),
    })),
  })
}

/** Elements of a set in the listing's canonical form (keys as nftkit reads them back, options as specs). */
export function elementsOf(shape: SetShape, records: readonly NativeElementRecord[]): Element[] {
  return decodeElements(shape, records).map((d) => {
    const key = d.catchall ? CATCHALL : d.fields.length === 1 ? jsValue(shape.key[0], d.fields[0]) : d.fields.map((f, i) => jsValue(shape.key[i], f))
    let value: ElementSpec['value']
    if (shape.object && d.objref !== undefined) value = d.objref
    else if (shape.data === 'verdict' && d.verdict !== undefined) value = decodeVerdict(d.verdict, d.chain)
    else if (shape.data && shape.data !== 'verdict' && d.data) value = dataValue(shape.data, d.data)
    const comment = commentOf(d.userdata)
    const spec: Record<string, unknown> = { key }
    if (value !== undefined) spec.value = value
    if (d.timeout) spec.timeout = d.timeout
    if (comment !== undefined) spec.comment = comment
    // The element's statements, its own or copies of its set's (counters with their values).
    Object.assign(spec, elementStmts(d))
    return Object.keys(spec).length === 1 ? key : (spec as unknown as ElementSpec)
  })
}

function setFlags(flags: number): SetFlag[] {
  // In the order nft prints them.
  const out: SetFlag[] = []
  if (flags & SET_FLAG.constant) out.push('constant')
  if (flags & SET_FLAG.eval) out.push('dynamic')
  if (flags & SET_FLAG.interval) out.push('interval')
  if (flags & SET_FLAG.timeout) out.push('timeout')
  return out
}

/**
 * Decodes a native dump. With the namespace's interfaces, interface indexes
 * (`meta iif`) come back as names, as nft prints them; the listing keeps them
 * (not enumerable) for planning against it.
 */
export function decodeListing(d: NativeDump, interfaces?: InterfaceNames): Listing {
  const anon = new Map<string, AnonSet>()
  const named = new Map<string, SetShape>()
  const meters = new Map<string, { size?: number }>()
  const sets: ListedSet[] = []
  for (const r of d.sets) {
    const family = familyName(n(r.family)) as Family
    const flags = n(r.flags)
    const shape = setShapeOf(r)
    const records = (): readonly NativeElementRecord[] =>
      r.elementKeys !== undefined ? unpackElements(r as unknown as NativePackedElements) : ((r.elements as NativeElementRecord[] | undefined) ?? [])
    const key = setKey(family, r.table, r.name)
    if (flags & SET_FLAG.anonymous) {
      // A meter's set: anonymous, named after the meter (nft's own anonymous sets are `__set%d`, `__map%d`, ...).
      if (!String(r.name).startsWith('__')) meters.set(key, { ...(r.size !== undefined ? { size: n(r.size) } : {}) })
      const dataMap = anonDataMap(r)
      if (dataMap) {
        anon.set(key, dataMap(records()))
        continue
      }
      if (shape) {
        const recs = records()
        // An object map's elements name objects (decodeElements keeps each name with its key).
        const object = (flags & SET_FLAG.object) !== 0
        const elements = anonOrder(shape, decodeElements(shape, recs, { kernelOrder: isFlagKey(shape) })).map((e) => ({
          key: e.catchall ? CATCHALL : e.fields.length === 1 ? jsValue(shape.key[0], e.fields[0]) : e.fields.map((f, i) => jsValue(shape.key[i], f)),
          ...(e.verdict !== undefined ? { verdict: decodeVerdict(e.verdict, e.chain) as Verdict } : {}),
          ...(e.objref !== undefined ? { objref: e.objref } : {}),
          ...anonElementData(shape, e),
          ...elementStmts(e),
        }))
        anon.set(key, { elements, ...(object ? { objType: n(r.objType) } : {}) })
      }
      continue
    }
    if (!shape) continue
    named.set(key, shape)
    const packed = r.elementKeys !== undefined ? (r as unknown as NativePackedElements) : undefined
    const fastElements =
      packed && shape.key.length === 1 && shape.key[0].name === 'ipv4_addr' && !shape.data && !shape.object && packed.elementKeyLen === 4
        ? fastIPv4Decode(shape.interval, packed.elementKeys, packed.elementFlags)
        : undefined
    const type = shape.key.length === 1 ? (shape.key[0].name as KeyTypeName) : shape.key.map((t) => t.name as KeyTypeName)
    const stateful = decodeSetStateful((r.exprs as NativeExpr[] | undefined) ?? [])
    const counter = isLoneCounter(stateful)
    const comment = setComment(r.userdata as Uint8Array | undefined)
    const extra = setUserdataExtra(r.userdata as Uint8Array | undefined)
    const keyTypeof = typeofSelectors(extra.keyTypeof)
    const dataTypeof = typeofSelectors(extra.dataTypeof)
    const fl = setFlags(flags)
    const base = {
      family,
      table: r.table,
      name: String(r.name),
      handle: n(r.handle),
      type,
      ...(fl.length ? { flags: fl } : {}),
      ...(r.timeout !== undefined ? { timeout: n(r.timeout) } : {}),
      ...(r.gcInterval !== undefined ? { gcInterval: n(r.gcInterval) } : {}),
      ...(r.size !== undefined ? { size: n(r.size) } : {}),
      ...(r.setPolicy !== undefined && n(r.setPolicy) === 1 ? { policy: 'memory' as const } : {}),
      ...(counter ? { counter: true } : stateful?.length ? { stmts: stateful } : {}),
      ...(extra.autoMerge ? { autoMerge: true } : {}),
      ...(Array.isArray(keyTypeof) ? { typeof: keyTypeof.length === 1 ? keyTypeof[0] : keyTypeof } : {}),
      ...(comment !== undefined ? { comment } : {}),
      elements: interfaces ? nameIfaceKeys(shape.key, fastElements ?? elementsOf(shape, records()), (i) => interfaces.name(i)) : (fastElements ?? elementsOf(shape, records())),
    }
    if (shape.object) sets.push({ kind: 'map', ...base, map: shape.object })
    else if (shape.data !== undefined) {
      const mapTypeof = Array.isArray(keyTypeof) && Array.isArray(dataTypeof) ? { mapTypeof: dataTypeof.length === 1 ? dataTypeof[0] : dataTypeof } : {}
      const d = shape.data
      const map = d === 'verdict' ? 'verdict' : isConcatData(d) ? (d.fields.length === 1 ? (d.fields[0].name as KeyTypeName) : d.fields.map((t) => t.name as KeyTypeName)) : (d.name as KeyTypeName)
      sets.push({ kind: 'map', ...base, map, ...(isConcatData(d) && d.interval ? { mapInterval: true } : {}), ...mapTypeof })
    } else sets.push({ kind: 'set', ...base })
  }
  const tables: ListedTable[] = d.tables.map((t) => {
    const flags = n(t.flags)
    const fl = (Object.keys(TABLE_FLAG) as TableFlag[]).filter((k) => flags & TABLE_FLAG[k])
    const comment = commentOf(t.userdata as Uint8Array | undefined)
    return {
      kind: 'table',
      family: familyName(n(t.family)) as Family,
      name: String(t.name),
      handle: n(t.handle),
      ...(fl.length ? { flags: fl } : {}),
      ...(comment !== undefined ? { comment } : {}),
    }
  })
  // Chain bindings (`jump { ... }`): their chains are hidden, their rules shown inline (lib/io/bindings.ts).
  const bound = bindingChains(d.chains, (f) => familyName(f) as string)
  const chains: ListedChain[] = (bound.size ? d.chains.filter((c) => !(Number(c.flags ?? 0) & CHAIN_BINDING)) : d.chains).map((c) => {
    const family = familyName(n(c.family)) as Family
    const comment = commentOf(c.userdata as Uint8Array | undefined)
    const base = { kind: 'chain' as const, family, table: c.table, name: String(c.name), handle: n(c.handle) }
    const hook = c.hook !== undefined ? hookName(family, n(c.hook)) : undefined
    if (!hook) return { ...base, ...(comment !== undefined ? { comment } : {}) }
    return {
      ...base,
      type: c.type as Chain['type'],
      hook,
      priority: n(c.priority),
      policy: n(c.policy) === VERDICT_CODE.drop ? 'drop' : 'accept',
      ...(Array.isArray(c.devices) ? { devices: c.devices as string[] } : {}),
      ...(comment !== undefined ? { comment } : {}),
    }
  })
  const rules: ListedRule[] = inlineBindings(d.rules.map((r): ListedRule => {
    const family = familyName(n(r.family)) as Family
    const comment = commentOf(r.userdata as Uint8Array | undefined)
    const exprs = decodeRule((r.exprs as NativeExpr[]) ?? [], {
      family,
      anonSet: (name) => anon.get(setKey(family, r.table, name)),
      ...(interfaces ? { ifname: (index: number) => interfaces.name(index) } : {}),
      namedSet: (name) => named.get(setKey(family, r.table, name)),
      meter: (name) => meters.get(setKey(family, r.table, name)),
    })
    return {
      kind: 'rule',
      family,
      table: r.table,
      chain: String(r.chain),
      handle: n(r.handle),
      exprs,
      ...(comment !== undefined ? { comment } : {}),
    }
  }), bound)
  const counters: ListedCounter[] = d.objects
    .filter((o) => n(o.objType) === 1)
    .map((o) => {
      const comment = commentOf(o.userdata as Uint8Array | undefined)
      return {
        kind: 'counter',
        family: familyName(n(o.family)) as Family,
        table: o.table,
        name: String(o.name),
        handle: n(o.handle),
        packets: n(o.packets ?? 0),
        bytes: n(o.bytes ?? 0),
        ...(comment !== undefined ? { comment } : {}),
      }
    })
  const objects: ListedObject[] = []
  for (const o of d.objects) {
    const type = n(o.objType)
    if (type !== OBJECT_TYPE.quota && type !== OBJECT_TYPE.limit && type !== OBJECT_TYPE.synproxy) continue
    const fields = decodeObjectAttrs(type, o as unknown as Record<string, unknown>)
    // A shape nft does not write is left out rather than shown as something else.
    if (!fields) continue
    const comment = commentOf(o.userdata as Uint8Array | undefined)
    objects.push({
      kind: type === OBJECT_TYPE.quota ? 'quota' : type === OBJECT_TYPE.synproxy ? 'synproxy' : 'limit',
      family: familyName(n(o.family)) as Family,
      table: o.table,
      name: String(o.name),
      handle: n(o.handle),
      ...fields,
      ...(comment !== undefined ? { comment } : {}),
    } as ListedObject)
  }
  const ctObjects = d.objects.flatMap((o) => {
    const comment = commentOf(o.userdata as Uint8Array | undefined)
    const family = familyName(n(o.family)) as Family
    const base = { family, table: String(o.table), name: String(o.name), handle: n(o.handle), ...(comment !== undefined ? { comment } : {}) }
    const x = decodeCtObject(n(o.objType), o as Record<string, unknown>, base)
    return x ? [x as ListedCtObject] : []
  })
  const listing: Listing = { genId: d.genId, tables, chains, sets, rules, counters, objects, ctObjects }
  if (interfaces) Object.defineProperty(listing, 'interfaces', { value: interfaces, enumerable: false })
  return listing
}
