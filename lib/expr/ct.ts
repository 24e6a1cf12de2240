/**
 * Conntrack statements and the `ct label` bit test: compiled as nft compiles
 * them (ct.c, netlink_linearize.c), decoded back and printed as nft lists them.
 * @module
 */
import { CMP_OP } from '../kernel/constants.js'
import {
  CT_DIRECTION,
  CT_KEYS,
  CT_LABEL_TYPE,
  CT_OBJECT_TYPE,
  ctEventMask,
  ctEventNames,
  hostUint,
  readHostUint,
} from '../kernel/ct-types.js'
import { invalid } from '../kernel/errors.js'
import { DATATYPES } from '../kernel/datatypes.js'
import { formatMs } from '../kernel/ct-types.js'
import type { CtExpectation, CtHelper } from '../model/objects.js'
import type { NativeExpr } from '../../types/native.js'
import type { MapValue, CtCountStmt, CtEventSetStmt, CtLabelSetStmt, CtObjectSetStmt, CtZoneSetStmt, Match, Statement } from '../model/rule-types.js'

/** The conntrack statements of this module. */
export type CtStatement = CtEventSetStmt | CtZoneSetStmt | CtLabelSetStmt | CtObjectSetStmt | CtCountStmt

const CT_STMTS = new Set(['ct event set', 'ct zone set', 'ct label set', 'ct helper set', 'ct timeout set', 'ct expectation set', 'ct count'])

/** Whether a statement is one of the conntrack statements compiled here. */
export function isCtStatement(st: { stmt: string }): st is CtStatement {
  return CT_STMTS.has(st.stmt)
}

const OBJECT_OF = { 'ct helper set': CT_OBJECT_TYPE.helper, 'ct timeout set': CT_OBJECT_TYPE.timeout, 'ct expectation set': CT_OBJECT_TYPE.expectation } as const

function ctSet(out: NativeExpr[], key: number, data: Buffer, dir?: number): void {
  out.push({ type: 'immediate', dreg: 1, data })
  out.push({ type: 'ct', key, sreg: 1, ...(dir !== undefined ? { dir } : {}) })
}

/** Compiles a conntrack statement into `out`. @throws NftValidationError */
export function compileCtStatement(out: NativeExpr[], st: CtStatement, path: string): void {
  switch (st.stmt) {
    case 'ct event set': {
      const v = st.value as unknown
      if (!Array.isArray(v)) invalid(`${path}.value`, 'Expected a list of conntrack events (new, related, destroy, ...; [] for none)', v)
      ctSet(out, CT_KEYS.eventmask, hostUint(ctEventMask(v as string[], `${path}.value`), 4))
      return
    }
    case 'ct zone set': {
      const v = st.value
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) invalid(`${path}.value`, 'Expected a zone 0-65535', v)
      if (st.dir !== undefined && !Object.hasOwn(CT_DIRECTION, st.dir)) invalid(`${path}.dir`, "Expected 'original' or 'reply'", st.dir)
      ctSet(out, CT_KEYS.zone, hostUint(v, 2), st.dir !== undefined ? CT_DIRECTION[st.dir] : undefined)
      return
    }
    case 'ct label set': {
      const iv = CT_LABEL_TYPE.parse(st.value, `${path}.value`)
      ctSet(out, CT_KEYS.labels, CT_LABEL_TYPE.encode(iv.lo))
      return
    }
    case 'ct helper set':
    case 'ct timeout set':
    case 'ct expectation set': {
      if (typeof st.name !== 'string' || st.name.length === 0 || Buffer.byteLength(st.name) > 255)
        invalid(`${path}.name`, `Expected the name of a ${st.stmt.split(' ')[1]} object of the table`, st.name)
      out.push({ type: 'objref', objType: OBJECT_OF[st.stmt], name: st.name })
      return
    }
    case 'ct count': {
      if (!Number.isInteger(st.count) || st.count < 0 || st.count > 0xffffffff) invalid(`${path}.count`, 'Expected a connection count 0-4294967295', st.count)
      if (st.over !== undefined && typeof st.over !== 'boolean') invalid(`${path}.over`, 'Expected true or false', st.over)
      out.push({ type: 'connlimit', count: st.count, flags: st.over ? 1 : 0 })
      return
    }
  }
}

/**
 * `ct label N` is a bit test (`(label & bit) != 0`), as nft compiles it;
 * `ct label != N` compares the whole label mask with that one bit.
 */
export function compileCtLabelMatch(out: NativeExpr[], m: Match, path: string): void {
  if (m.op !== undefined && m.op !== '!=' && m.op !== 'in')
    invalid(`${path}.op`, "Expected no op (label bit set) or '!=' (nft's exact compare) for ct label", m.op)
  if (typeof m.value === 'object') invalid(`${path}.value`, 'Expected one label bit number 0-127 (sets of labels are not supported)', m.value)
  const mask = CT_LABEL_TYPE.encode(CT_LABEL_TYPE.parse(m.value, `${path}.value`).lo)
  out.push({ type: 'ct', key: CT_KEYS.labels, dreg: 1 })
  if (m.op === '!=') {
    out.push({ type: 'cmp', sreg: 1, op: CMP_OP.neq, data: mask })
    return
  }
  out.push({ type: 'bitwise', sreg: 1, dreg: 1, len: 16, mask, xor: Buffer.alloc(16) })
  out.push({ type: 'cmp', sreg: 1, op: CMP_OP.neq, data: Buffer.alloc(16) })
}

/** Decodes `ct label` after its load: undefined when the shape is not nft's. */
export function decodeCtLabelMatch(mask: Uint8Array | undefined, op: number, data: Uint8Array): Match | undefined {
  const bit = (b: Uint8Array) => {
    const n = CT_LABEL_TYPE.decode(b)
    return n < 0n ? undefined : Number(n)
  }
  if (mask) {
    const b = bit(mask)
    if (b === undefined || op !== CMP_OP.neq || readHostUint(data) !== 0n) return undefined
    return { match: 'ct label', value: b }
  }
  const b = bit(data)
  if (b === undefined || op !== CMP_OP.neq) return undefined
  return { match: 'ct label', op: '!=', value: b }
}

/**
 * Decodes `ct set KEY` fed by an immediate (`data`): undefined when nftkit has
 * no typed form for it.
 */
export function decodeCtSet(key: number, dir: number | undefined, data: Uint8Array): Statement | undefined {
  switch (key) {
    case CT_KEYS.eventmask: {
      if (dir !== undefined || data.length !== 4) return undefined
      const names = ctEventNames(Number(readHostUint(data)))
      return names ? ({ stmt: 'ct event set', value: names } as CtEventSetStmt) : undefined
    }
    case CT_KEYS.zone: {
      if (data.length !== 2) return undefined
      const d = dir === undefined ? undefined : dir === 0 ? 'original' : dir === 1 ? 'reply' : null
      if (d === null) return undefined
      return { stmt: 'ct zone set', value: Number(readHostUint(data)), ...(d ? { dir: d } : {}) }
    }
    case CT_KEYS.labels: {
      if (dir !== undefined || data.length !== 16) return undefined
      const n = CT_LABEL_TYPE.decode(data)
      return n < 0n ? undefined : { stmt: 'ct label set', value: Number(n) }
    }
    default:
      return undefined
  }
}

/** Decodes an objref to a ct object; undefined for other object types. */
export function decodeCtObjref(objType: number, name: string): CtObjectSetStmt | undefined {
  const e = Object.entries(OBJECT_OF).find(([, t]) => t === objType)
  return e ? { stmt: e[0] as CtObjectSetStmt['stmt'], name } : undefined
}

/** Decodes a connlimit expression. */
export function decodeCtCount(count: number, flags: number): CtCountStmt | undefined {
  if (flags !== 0 && flags !== 1) return undefined
  return flags ? { stmt: 'ct count', count, over: true } : { stmt: 'ct count', count }
}

/** nft text of a conntrack statement. */
export function ctStatementText(st: CtStatement, quote: (s: string) => string, mapText: (m: MapValue) => string): string {
  switch (st.stmt) {
    case 'ct event set':
      return `ct event set ${st.value.length ? st.value.join(',') : '0x0'}`
    case 'ct zone set':
      return `ct ${st.dir ? `${st.dir} ` : ''}zone set ${typeof st.value === 'object' ? mapText(st.value) : st.value}`
    case 'ct label set':
      return `ct label set ${st.value}`
    case 'ct helper set':
    case 'ct timeout set':
    case 'ct expectation set':
      return `${st.stmt} ${quote(st.name)}`
    case 'ct count':
      return `ct count ${st.over ? 'over ' : ''}${st.count}`
  }
}

/** The lines of a ct object's body as nft lists them (comment first). */
export function ctObjectLines(o: CtHelper | CtExpectation, quote: (s: string) => string): string[] {
  const lines = o.comment !== undefined ? [`comment ${quote(o.comment)}`] : []
  const proto = String(DATATYPES.inet_proto.format({ lo: BigInt(ctProto(o.protocol)), hi: BigInt(ctProto(o.protocol)) }))
  if (o.kind === 'ct helper') lines.push(`type ${quote(o.type)} protocol ${proto}`)
  else lines.push(`protocol ${proto}`, `dport ${o.dport}`, `timeout ${formatMs(BigInt(o.timeout))}`, `size ${o.size}`)
  if (o.l3proto !== undefined) lines.push(`l3proto ${o.l3proto}`)
  return lines
}

function ctProto(p: unknown): number {
  try {
    return Number(DATATYPES.inet_proto.parse(p, 'protocol').lo)
  } catch {
    return 0
  }
}

/** A dumped ct object's attributes as the typed object; undefined for other object types. */
export function decodeCtObject<B extends { name: string }>(objType: number, r: Record<string, unknown>, base: B): ((CtHelper | CtExpectation) & B) | undefined {
  const num = (v: unknown) => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0))
  const l3 = ({ 2: 'ip', 10: 'ip6', 1: 'inet' } as Record<number, 'ip' | 'ip6' | 'inet'>)[num(r.l3proto)]
  const proto = String(DATATYPES.inet_proto.format({ lo: BigInt(num(r.l4proto)), hi: BigInt(num(r.l4proto)) }))
  if (objType === CT_OBJECT_TYPE.helper)
    return { ...base, kind: 'ct helper', type: String(r.helper ?? ''), protocol: proto as 'tcp', ...(l3 ? { l3proto: l3 } : {}) }
  if (objType === CT_OBJECT_TYPE.expectation)
    return {
      ...base,
      kind: 'ct expectation',
      protocol: proto,
      dport: num(r.dport),
      timeout: num(r.expTimeout),
      size: num(r.expSize),
      ...(l3 === 'ip' || l3 === 'ip6' ? { l3proto: l3 } : {}),
    }
  return undefined
}
