/**
 * Set statements (`add @s { ip saddr }`, `update @m { ip saddr timeout 1m : tcp sport }`,
 * `delete @s { ... }`): compiled to the kernel's dynset expression as nft 1.0.6
 * compiles them, decoded back, and printed as `nft list ruleset` prints them.
 * @module
 */
import { type Datatype, paddedSize } from '../kernel/datatypes.js'
import { invalid } from '../kernel/errors.js'
import { isConcatData } from '../kernel/concat-data.js'
import type { NativeExpr } from '../../types/native.js'
import type { Selector, SetStmt, SetStmtPart, Statement } from '../model/rule-types.js'
import type { SelectorSpec } from './selectors.js'
import { selectorText } from './selectors.js'

/** NFT_DYNSET_OP_*. */
const DYNSET_OP = { add: 0, update: 1, delete: 2 } as const
/** NFT_DYNSET_F_EXPR: nft sets it on a set statement with several statements. */
const DYNSET_F_EXPR = 2
/** The statements the kernel keeps per element of a set statement. */
const STATEFUL = ['counter', 'limit', 'quota', 'ct count'] as const

/** What compiling a set statement needs from the rule compiler. */
export interface SetStmtHost {
  /** Key and value types of the named set, when nftkit knows it. */
  findSet(
    name: string,
  ): { readonly id?: number; readonly key?: readonly Datatype[]; readonly data?: Datatype | 'verdict'; readonly interval?: boolean; readonly dynamic?: boolean } | undefined
  selector(name: unknown, path: string): SelectorSpec
  /** Adds the protocol dependencies of a selector. */
  deps(s: SelectorSpec, path: string): void
  /** Loads a selector into a register. */
  load(s: SelectorSpec, dreg: number): void
  push(e: NativeExpr): void
  /** Compiles one statement on its own (the per-element statements). */
  statement(st: Statement, path: string): NativeExpr[]
}

const parts = (p: SetStmtPart | readonly SetStmtPart[]): readonly SetStmtPart[] => (Array.isArray(p) ? p : [p as SetStmtPart])
const isConst = (p: SetStmtPart): p is { readonly value: string | number } => typeof p === 'object' && p !== null && 'value' in p

/** nft's register of a 32-bit word: whole 16-byte registers by their old number (1-4), others as NFT_REG32_xx. */
const regOfWord = (w: number): number => (w % 4 === 0 ? 1 + w / 4 : 8 + w)

/** Compiles a set statement into its loads and one dynset expression. */
export function compileSetStmt(host: SetStmtHost, st: SetStmt, path: string): void {
  if (!Object.hasOwn(DYNSET_OP, st.op)) invalid(`${path}.op`, 'Expected add, update or delete', st.op)
  if (typeof st.set !== 'string' || st.set.length === 0) invalid(`${path}.set`, 'Expected the name of a set or map', st.set)
  const info = host.findSet(st.set)
  const key = parts(st.key)
  const data = st.data === undefined ? undefined : parts(st.data)
  if (key.length === 0) invalid(`${path}.key`, 'Expected a key', st.key)
  if (info && data && info.data === undefined) invalid(`${path}.data`, `Expected no value: ${st.set} is a set, not a map`, st.data)
  if (info && !data && info.data !== undefined && st.op !== 'delete') invalid(`${path}.data`, `Expected a value for map ${st.set}`, st.data)
  // nft gives a set (not a map) its dynamic flag when a set statement uses it; the kernel does not.
  if (info?.dynamic === false && info.data === undefined) invalid(`${path}.set`, `Expected set ${st.set} with the dynamic flag (flags: ['dynamic']): set statements need it`, st.set)
  if (info?.data === 'verdict') invalid(`${path}.set`, `nftkit does not support set statements on verdict maps yet`, st.set)
  // A map to a concatenation takes one part per field (`: ip daddr . tcp dport`).
  const dataFields = info?.data === undefined ? undefined : isConcatData(info.data) ? info.data.fields : [info.data]
  if (info && isConcatData(info.data) && info.data.interval) invalid(`${path}.set`, `nftkit does not support set statements on maps to interval data yet`, st.set)
  if (data && dataFields && data.length !== dataFields.length) invalid(`${path}.data`, `Expected a value of type ${dataFields.map((t) => t.name).join(' . ')} for ${st.set}`, st.data)
  if (data && data.length > 1 && !info) invalid(`${path}.data`, `Expected a map nftkit knows (declared in this transaction, or read with list() first) for a concatenated value`, st.data)
  // Specs first: nft adds every dependency of the statement before its loads.
  const specOf = (p: SetStmtPart, i: number, where: string) => (isConst(p) ? undefined : host.selector(p, `${where}[${i}]`))
  const keySpecs = key.map((p, i) => specOf(p, i, `${path}.key`))
  const dataSpecs = (data ?? []).map((p, i) => specOf(p, i, `${path}.data`))
  for (const s of [...keySpecs, ...dataSpecs]) if (s) host.deps(s, path)
  const typeOf = (spec: SelectorSpec | undefined, t: Datatype | undefined, p: SetStmtPart, where: string): Datatype => {
    if (spec) {
      if (spec.flags) invalid(where, `nftkit does not support ${spec.name} in set statements yet`, p)
      return spec.type
    }
    if (!t) invalid(where, `Expected a set nftkit knows (declared in this transaction, or read with list() first): a constant needs the type of ${st.set}`, p)
    return t
  }
  const keyTypes = key.map((p, i) => typeOf(keySpecs[i], info?.key?.[i], p, key.length > 1 ? `${path}.key[${i}]` : `${path}.key`))
  if (info?.key && (info.key.length !== key.length || info.key.some((t, i) => t.size !== keyTypes[i].size)))
    invalid(`${path}.key`, `Expected a key of type ${info.key.map((t) => t.name).join(' . ')} for ${st.set}`, st.key)
  if (info?.interval && keyTypes.some((t) => t.byteorder === 'host'))
    invalid(`${path}.key`, `nftkit does not support set statements with host-order keys on interval sets yet`, st.key)
  const dataTypes = (data ?? []).map((p, i) => typeOf(dataSpecs[i], dataFields?.[i], p, data && data.length > 1 ? `${path}.data[${i}]` : `${path}.data`))
  if (dataFields && dataFields.length > 1 && dataTypes.some((t, i) => t.size !== dataFields[i].size))
    invalid(`${path}.data`, `Expected a value of type ${dataFields.map((t) => t.name).join(' . ')} for ${st.set}`, st.data)
  let word = 0
  const emit = (list: readonly SetStmtPart[], specs: readonly (SelectorSpec | undefined)[], types: readonly Datatype[], where: string): number => {
    const first = regOfWord(word)
    const concat = list.length > 1
    list.forEach((p, i) => {
      const reg = regOfWord(word)
      const spec = specs[i]
      if (spec) host.load(spec, reg)
      else {
        const t = types[i]
        const v = (p as { value: unknown }).value
        const iv = t.parse(typeof v === 'string' && /^\d+$/.test(v) && t.name !== 'ipv4_addr' ? Number(v) : v, concat ? `${where}[${i}].value` : `${where}.value`)
        if (iv.lo !== iv.hi) invalid(concat ? `${where}[${i}].value` : `${where}.value`, 'Expected a single value', v)
        host.push({ type: 'immediate', dreg: reg, data: t.encode(iv.lo) })
      }
      word += concat ? paddedSize(types[i].size) / 4 : 4
    })
    return first
  }
  const sregKey = emit(key, keySpecs, keyTypes, `${path}.key`)
  // The value starts in the next whole 16-byte register, as nft allocates them.
  word = Math.ceil(word / 4) * 4
  const sregData = data ? emit(data, dataSpecs, dataTypes, `${path}.data`) : undefined
  if (st.timeout !== undefined && !(Number.isSafeInteger(st.timeout) && st.timeout >= 0)) invalid(`${path}.timeout`, 'Expected a timeout in milliseconds', st.timeout)
  const stmts = st.stmts ?? []
  if (!Array.isArray(stmts)) invalid(`${path}.stmts`, 'Expected a list of statements', stmts)
  const nested = stmts.flatMap((x, i) => {
    const p = `${path}.stmts[${i}]`
    const name = (x as { stmt?: string })?.stmt
    if (!(STATEFUL as readonly (string | undefined)[]).includes(name) || (x as { name?: string }).name !== undefined)
      invalid(`${p}.stmt`, `Expected a stateful statement (${STATEFUL.join(', ')})`, name)
    const out = host.statement(x, p)
    if (out.length !== 1) invalid(p, 'Expected a statement the kernel can keep per element', x)
    return out
  })
  host.push({
    type: 'dynset',
    sregKey,
    ...(sregData !== undefined ? { sregData } : {}),
    op: DYNSET_OP[st.op],
    set: st.set,
    ...(info?.id !== undefined ? { setId: info.id } : {}),
    ...(st.timeout ? { timeout: st.timeout } : {}),
    ...(nested.length > 1 && sregData === undefined ? { flags: DYNSET_F_EXPR } : {}),
    ...(nested.length ? { exprs: nested } : {}),
  } as NativeExpr)
}

/** A register's content as the decoder saw it: a selector's load or a constant. */
export type DecodedPart = { readonly sel: Selector } | { readonly data: Buffer }

/**
 * Decodes a dynset expression, given what the registers of its key and value
 * hold (in order) and the types of the named set.
 * @returns undefined when nftkit cannot express it.
 */
export function decodeSetStmt(
  e: NativeExpr,
  key: readonly DecodedPart[],
  data: readonly DecodedPart[],
  types: { readonly key?: readonly Datatype[]; readonly data?: Datatype | 'verdict' } | undefined,
  nested: (x: NativeExpr) => Statement | undefined,
): SetStmt | undefined {
  const op = (Object.keys(DYNSET_OP) as (keyof typeof DYNSET_OP)[]).find((k) => DYNSET_OP[k] === Number(e.op))
  if (!op || key.length === 0 || typeof e.set !== 'string') return undefined
  const constant = (p: DecodedPart, t: Datatype | 'verdict' | undefined): SetStmtPart | undefined => {
    if ('sel' in p) return p.sel
    if (!t || t === 'verdict' || p.data.length !== t.size) return undefined
    const v = t.decode(p.data)
    return { value: t.name === 'mark' ? String(t.format({ lo: v, hi: v })) : (t.format({ lo: v, hi: v }) as string | number) }
  }
  const k = key.map((p, i) => constant(p, types?.key?.[i]))
  const d = data.map((p, i) => constant(p, isConcatData(types?.data) ? types.data.fields[i] : types?.data))
  if (k.some((x) => x === undefined) || d.some((x) => x === undefined)) return undefined
  const stmts: Statement[] = []
  for (const x of (e.exprs as readonly NativeExpr[] | undefined) ?? []) {
    const s = nested(x)
    if (!s) return undefined
    // The kernel's per-element template starts from zero: nft prints a bare `counter`.
    stmts.push(s.stmt === 'counter' ? { stmt: 'counter' } : s)
  }
  const timeout = e.timeout === undefined ? 0 : Number(e.timeout)
  return {
    stmt: 'set',
    op,
    set: e.set,
    key: (k.length === 1 ? k[0] : k) as SetStmt['key'],
    ...(timeout ? { timeout } : {}),
    ...(d.length ? { data: (d.length === 1 ? d[0] : d) as SetStmt['data'] } : {}),
    ...(stmts.length ? { stmts } : {}),
  }
}

/**
 * How nft 1.0.6 lists a key that is one constant (`add @s { 10.2.3.4 }`): as
 * the raw number and `[invalid type]` (it does not give the constant the set's
 * type), e.g. `0xa020304 [invalid type]`.
 */
function nftConstantKeyText(v: string | number): string {
  if (typeof v === 'number') return `0x${v.toString(16)} [invalid type]`
  const ip = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v)
  if (ip) return `0x${ip.slice(1).reduce((a, x) => a * 256 + Number(x), 0).toString(16)} [invalid type]`
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(v)) return `0x${BigInt(v).toString(16)} [invalid type]`
  return v
}

/**
 * nft text of a set statement; `stmt` prints a per-element statement.
 * `listing`: print a single constant key as `nft list` does (see {@link nftConstantKeyText}).
 */
export function setStmtText(s: SetStmt, stmt: (x: Statement) => string, time: (ms: number) => string, listing = false): string {
  const part = (p: SetStmtPart) => (isConst(p) ? String(p.value) : selectorText(p as Selector))
  const key = parts(s.key)
  let body = listing && key.length === 1 && isConst(key[0]) ? nftConstantKeyText(key[0].value) : key.map(part).join(' . ')
  if (s.timeout) body += ` timeout ${time(s.timeout)}`
  for (const x of s.stmts ?? []) body += ` ${stmt(x.stmt === 'counter' ? { stmt: 'counter' } : x)}`
  if (s.data !== undefined) body += ` : ${parts(s.data).map(part).join(' . ')}`
  return `${s.op} @${s.set} { ${body} }`
}
