/**
 * Meters (`meter m1 size 65535 { ip saddr limit rate 10/second }`): nft 1.0.6
 * creates a set named after the meter in the rule's batch (flags anonymous
 * and dynamic, timeout with a timeout, size 65535 unless given) and compiles
 * the meter as a set statement on it: `add` without a timeout, `update` with
 * one. Listings show the meter in the rule; the set stays hidden (anonymous).
 * @module
 */
import { FAMILY_NUMBER, type Family, SET_FLAG } from '../kernel/constants.js'
import { paddedSize } from '../kernel/datatypes.js'
import { invalid } from '../kernel/errors.js'
import { setUserdata } from '../model/set-userdata.js'
import type { MeterStmt, SetStmt, Statement } from '../model/rule-types.js'
import type { NativeOp } from '../../types/native.js'
import type { SelectorSpec } from './selectors.js'
import { compileSetStmt, type SetStmtHost } from './stmt-set.js'

/** nft's default meter size. */
export const METER_SIZE = 65535

/** What compiling a meter needs from the rule compiler. */
export interface MeterHost extends SetStmtHost {
  readonly family: Family
  readonly table: string
  nextSetId(): number
  /** Adds a set operation the rule's batch needs first. */
  addSet(op: NativeOp): void
}

/** The set statement a meter is, on its own set. */
function asSetStmt(st: MeterStmt): SetStmt {
  return {
    stmt: 'set',
    op: st.timeout ? 'update' : 'add',
    set: st.name,
    key: st.key,
    ...(st.timeout ? { timeout: st.timeout } : {}),
    ...(st.stmts?.length ? { stmts: st.stmts } : {}),
  }
}

/** Compiles a meter: its set (before the rule) and the set statement. */
export function compileMeter(host: MeterHost, st: MeterStmt, path: string): void {
  if (typeof st.name !== 'string' || st.name.length === 0 || st.name.length > 255 || st.name.startsWith('__'))
    invalid(`${path}.name`, 'Expected a meter name of 1-255 bytes (not starting with __)', st.name)
  if (st.size !== undefined && !(Number.isInteger(st.size) && st.size > 0 && st.size <= 0xffffffff)) invalid(`${path}.size`, 'Expected a size of 1-4294967295 entries', st.size)
  const sels = Array.isArray(st.key) ? st.key : [st.key]
  if (sels.length === 0 || sels.some((x) => typeof x !== 'string')) invalid(`${path}.key`, 'Expected the selectors of the meter key', st.key)
  const specs: SelectorSpec[] = sels.map((x, i) => host.selector(x, Array.isArray(st.key) ? `${path}.key[${i}]` : `${path}.key`))
  const key = specs.map((s) => s.type)
  const id = host.nextSetId()
  host.addSet({
    verb: 'add',
    kind: 'set',
    family: FAMILY_NUMBER[host.family],
    table: host.table,
    name: st.name,
    setId: id,
    flags: SET_FLAG.anonymous | SET_FLAG.eval | (st.timeout ? SET_FLAG.timeout : 0),
    keyType: key.length > 1 ? key.reduce((a, t) => a * 64 + t.id, 0) : key[0].id,
    keyLen: key.length > 1 ? key.reduce((a, t) => a + paddedSize(t.size), 0) : key[0].size,
    size: st.size ?? METER_SIZE,
    userdata: setUserdata(key, undefined, undefined),
  })
  compileSetStmt({ ...host, findSet: (n) => (n === st.name ? { id, key, dynamic: true, interval: false } : host.findSet(n)) }, asSetStmt(st), path)
}

/** The meter a decoded set statement on a meter's set is (`size` from the set). */
export function meterOf(st: SetStmt, size: number | undefined): MeterStmt | undefined {
  if (st.data !== undefined || st.op === 'delete' || (st.op === 'update') !== (st.timeout !== undefined)) return undefined
  const key = Array.isArray(st.key) ? st.key : [st.key]
  if (key.some((k) => typeof k !== 'string')) return undefined
  return {
    stmt: 'meter',
    name: st.set,
    ...(size !== undefined ? { size } : {}),
    key: st.key as MeterStmt['key'],
    ...(st.timeout ? { timeout: st.timeout } : {}),
    ...(st.stmts?.length ? { stmts: st.stmts } : {}),
  }
}

/** nft text of a meter (`stmt` prints a per-entry statement, `time` a timeout). */
export function meterText(st: MeterStmt, text: (k: string) => string, stmt: (x: Statement) => string, time: (ms: number) => string): string {
  const key = (Array.isArray(st.key) ? st.key : [st.key]).map((k) => text(k)).join(' . ')
  let body = key
  if (st.timeout) body += ` timeout ${time(st.timeout)}`
  for (const x of st.stmts ?? []) body += ` ${stmt(x.stmt === 'counter' ? { stmt: 'counter' } : x)}`
  return `meter ${st.name}${st.size !== undefined ? ` size ${st.size}` : ''} { ${body} }`
}
