/**
 * The stateful statements `limit`, `quota` and `log`: compiled as nft 1.0.6
 * compiles them, decoded from the kernel's expressions and printed as
 * `nft list ruleset` prints them.
 * @module
 */
import { LIMIT_UNIT, LOG_LEVEL } from '../kernel/constants.js'
import { invalid } from '../kernel/errors.js'
import type { NativeExpr } from '../../types/native.js'
import type { LimitRefStmt, LimitStmt, LogFlag, LogStmt, QuotaRefStmt, QuotaStmt } from '../model/rule-types.js'
import type { Limit, Quota, Synproxy } from '../model/objects.js'
import { decodeSynproxyObject, synproxyObjectAttrs } from './synproxy-object.js'

/** NFT_LIMIT_PKTS / NFT_LIMIT_PKT_BYTES. */
const LIMIT_TYPE = { packets: 0, bytes: 1 } as const
/** NFT_LIMIT_F_INV / NFT_QUOTA_F_INV. */
const F_INV = 1
/** NFT_QUOTA_F_DEPLETED. */
const QUOTA_F_DEPLETED = 2
/** Objref types (NFT_OBJECT_*) of the objects a statement can name. */
export const OBJ_TYPE = { counter: 1, quota: 2, limit: 4, synproxy: 10 } as const
/** Burst nft gives a packet limit that names none. */
const DEFAULT_PACKET_BURST = 5

/** Log flags (NF_LOG_*), in the order nft prints them. */
export const LOG_FLAG: Readonly<Record<LogFlag, number>> = {
  'tcp sequence': 0x01,
  'tcp options': 0x02,
  'ip options': 0x04,
  skuid: 0x08,
  ether: 0x20,
}
/** NF_LOG_MASK: every flag, nft's `flags all`. */
const LOG_ALL = 0x2f

const UNITS = ['bytes', 'kbytes', 'mbytes'] as const

/** nft's byte amount: the largest of bytes, kbytes, mbytes that divides it (`1049600` is `1025 kbytes`). */
export function byteText(n: number): string {
  let v = n
  let i = 0
  while (v !== 0 && i < UNITS.length - 1 && v % 1024 === 0) {
    v /= 1024
    i++
  }
  return `${v} ${UNITS[i]}`
}

/** Bytes of `N UNIT` (`bytes`, `kbytes`, `mbytes`); undefined for another unit. */
export function unitBytes(n: number, unit: string): number | undefined {
  const i = (UNITS as readonly string[]).indexOf(unit)
  return i < 0 ? undefined : n * 1024 ** i
}

const u64 = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0
const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number))

// ------------------------------------------------------------------ compile

/** `limit` as a kernel expression, or an objref for `limit name "x"`. */
export function compileLimit(st: LimitStmt | LimitRefStmt, path: string): NativeExpr {
  if (st.name !== undefined) return objref('limit', st.name, path)
  const bytes = st.bytes === true
  if (st.bytes !== undefined && typeof st.bytes !== 'boolean') invalid(`${path}.bytes`, 'Expected true (a byte rate) or false', st.bytes)
  if (!(Number.isSafeInteger(st.rate) && st.rate > 0)) invalid(`${path}.rate`, `Expected a positive integer rate${bytes ? ' in bytes' : ''}`, st.rate)
  if (!Object.hasOwn(LIMIT_UNIT, st.per)) invalid(`${path}.per`, `Expected one of ${Object.keys(LIMIT_UNIT).join(', ')}`, st.per)
  if (st.burst !== undefined && !(Number.isInteger(st.burst) && st.burst >= 0 && st.burst <= 0xffffffff))
    invalid(`${path}.burst`, `Expected a burst of 0-4294967295 ${bytes ? 'bytes' : 'packets'}`, st.burst)
  return {
    type: 'limit',
    rate: st.rate,
    unit: LIMIT_UNIT[st.per],
    burst: st.burst ?? (bytes ? 0 : DEFAULT_PACKET_BURST),
    limitType: bytes ? LIMIT_TYPE.bytes : LIMIT_TYPE.packets,
    flags: st.over ? F_INV : 0,
  }
}

/** `quota` as a kernel expression, or an objref for `quota name "x"`. */
export function compileQuota(st: QuotaStmt | QuotaRefStmt, path: string): NativeExpr {
  if (st.name !== undefined) return objref('quota', st.name, path)
  if (!u64(st.bytes)) invalid(`${path}.bytes`, 'Expected a quota in bytes (a non-negative integer)', st.bytes)
  if (st.used !== undefined && !u64(st.used)) invalid(`${path}.used`, 'Expected the bytes used so far (a non-negative integer)', st.used)
  return { type: 'quota', bytes: st.bytes, consumed: st.used ?? 0, flags: st.over ? F_INV : 0 }
}

/** A reference to a named counter, quota, limit or synproxy. */
export function objref(kind: keyof typeof OBJ_TYPE, name: unknown, path: string): NativeExpr {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) invalid(`${path}.name`, `Expected the name of a ${kind} object`, name)
  return { type: 'objref', objType: OBJ_TYPE[kind], name }
}

/**
 * `log`: to the kernel log (prefix, level, flags) or to an nflog group (prefix,
 * group, snaplen, queue-threshold); the kernel takes one or the other.
 */
export function compileLog(st: LogStmt, path: string): NativeExpr {
  const e: Record<string, unknown> = { type: 'log' }
  if (st.prefix !== undefined) {
    if (typeof st.prefix !== 'string' || Buffer.byteLength(st.prefix) > 127) invalid(`${path}.prefix`, 'Expected a log prefix of at most 127 bytes', st.prefix)
    e.prefix = st.prefix
  }
  const int = (k: 'group' | 'snaplen' | 'queueThreshold', max: number) => {
    const v = st[k]
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= max)) invalid(`${path}.${k}`, `Expected an integer 0-${max}`, v)
    return v
  }
  const group = int('group', 0xffff)
  const snaplen = int('snaplen', 0xffffffff)
  const qthreshold = int('queueThreshold', 0xffff)
  if (group === undefined && (snaplen !== undefined || qthreshold !== undefined))
    invalid(`${path}.group`, 'Expected a group: snaplen and queueThreshold are options of logging to an nflog group', group)
  if (group !== undefined) {
    if (st.level !== undefined) invalid(`${path}.level`, 'Expected no level with a group (nflog groups have no log level)', st.level)
    if (st.flags !== undefined) invalid(`${path}.flags`, 'Expected no flags with a group (they are options of the kernel log)', st.flags)
    e.group = group
    if (snaplen !== undefined) e.snaplen = snaplen
    if (qthreshold !== undefined) e.qthreshold = qthreshold
    return e as NativeExpr
  }
  if (st.level !== undefined) {
    if (!Object.hasOwn(LOG_LEVEL, st.level)) invalid(`${path}.level`, `Expected one of ${Object.keys(LOG_LEVEL).join(', ')}`, st.level)
    e.level = LOG_LEVEL[st.level]
  }
  if (st.flags !== undefined) {
    const list = st.flags === 'all' ? ['all'] : st.flags
    if (!Array.isArray(list) || list.length === 0) invalid(`${path}.flags`, `Expected 'all' or a list of ${Object.keys(LOG_FLAG).join(', ')}`, st.flags)
    let bits = 0
    list.forEach((f, i) => {
      if (f === 'all') bits |= LOG_ALL
      else if (typeof f === 'string' && Object.hasOwn(LOG_FLAG, f)) bits |= LOG_FLAG[f as LogFlag]
      else invalid(`${path}.flags[${i}]`, `Expected one of all, ${Object.keys(LOG_FLAG).join(', ')}`, f)
    })
    e.flags = bits
  }
  return e as NativeExpr
}

// ------------------------------------------------------------------ decode

/** The typed `limit` of a kernel limit expression; undefined for a shape nft does not write. */
export function decodeLimit(e: NativeExpr): LimitStmt | undefined {
  const type = num(e.limitType ?? 0)
  if (type !== LIMIT_TYPE.packets && type !== LIMIT_TYPE.bytes) return undefined
  const per = Object.entries(LIMIT_UNIT).find(([, v]) => v === num(e.unit))
  if (!per) return undefined
  const flags = num(e.flags ?? 0)
  if ((flags & ~F_INV) !== 0) return undefined
  const bytes = type === LIMIT_TYPE.bytes
  const burst = num(e.burst ?? 0)
  return {
    stmt: 'limit',
    rate: num(e.rate),
    per: per[0] as LimitStmt['per'],
    ...(bytes ? { bytes: true } : {}),
    ...(burst !== (bytes ? 0 : DEFAULT_PACKET_BURST) ? { burst } : {}),
    ...(flags & F_INV ? { over: true } : {}),
  } as LimitStmt
}

/** The typed `quota` of a kernel quota expression. */
export function decodeQuota(e: NativeExpr): QuotaStmt | undefined {
  // NFT_QUOTA_F_DEPLETED is state the kernel reports once the quota is used up (at once for 0 bytes), not a setting.
  const flags = num(e.flags ?? 0) & ~QUOTA_F_DEPLETED
  if ((flags & ~F_INV) !== 0) return undefined
  const used = num(e.consumed ?? 0)
  return { stmt: 'quota', bytes: num(e.bytes), ...(flags & F_INV ? { over: true } : {}), ...(used ? { used } : {}) } as QuotaStmt
}

/** The typed `log` of a kernel log expression. */
export function decodeLog(e: NativeExpr): LogStmt | undefined {
  const st: { -readonly [K in keyof LogStmt]: LogStmt[K] } = { stmt: 'log' }
  if (e.prefix !== undefined) st.prefix = String(e.prefix)
  if (e.group !== undefined) {
    st.group = num(e.group)
    // nft prints snaplen and queue-threshold only when not 0.
    if (e.snaplen !== undefined && num(e.snaplen) !== 0) st.snaplen = num(e.snaplen)
    if (e.qthreshold !== undefined && num(e.qthreshold) !== 0) st.queueThreshold = num(e.qthreshold)
    return st
  }
  // The kernel reports the default level (warn) even when none was given; nft omits it.
  if (e.level !== undefined && num(e.level) !== LOG_LEVEL.warn) {
    const lv = Object.entries(LOG_LEVEL).find(([, v]) => v === num(e.level))
    if (!lv) return undefined
    st.level = lv[0] as LogStmt['level']
  }
  const bits = num(e.flags ?? 0)
  if (bits !== 0) {
    if ((bits & ~LOG_ALL) !== 0) return undefined
    st.flags = bits === LOG_ALL ? 'all' : (Object.keys(LOG_FLAG) as LogFlag[]).filter((f) => (bits & LOG_FLAG[f]) !== 0)
  }
  return st
}

// ------------------------------------------------------------------ render

const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`

/** nft text of a limit statement. */
export function limitText(s: LimitStmt | LimitRefStmt): string {
  if (s.name !== undefined) return `limit name ${quote(s.name)}`
  const over = s.over ? 'over ' : ''
  if (!s.bytes) return `limit rate ${over}${s.rate}/${s.per}${s.burst !== undefined && s.burst !== DEFAULT_PACKET_BURST && s.burst !== 0 ? ` burst ${s.burst} packets` : ''}`
  return `limit rate ${over}${byteText(s.rate)}/${s.per}${s.burst ? ` burst ${byteText(s.burst)}` : ''}`
}

/** nft text of a quota statement. */
export function quotaText(s: QuotaStmt | QuotaRefStmt): string {
  if (s.name !== undefined) return `quota name ${quote(s.name)}`
  return `quota ${s.over ? 'over ' : ''}${byteText(s.bytes)}${s.used ? ` used ${byteText(s.used)}` : ''}`
}

/** nft text of a log statement, options in nft's order. */
export function logText(s: LogStmt): string {
  const parts = ['log']
  if (s.prefix !== undefined) parts.push(`prefix ${quote(s.prefix)}`)
  if (s.group !== undefined) parts.push(`group ${s.group}`)
  if (s.snaplen) parts.push(`snaplen ${s.snaplen}`)
  if (s.queueThreshold) parts.push(`queue-threshold ${s.queueThreshold}`)
  if (s.level !== undefined && s.level !== 'warn') parts.push(`level ${s.level}`)
  const f = s.flags
  if (f === 'all' || (Array.isArray(f) && (Object.keys(LOG_FLAG) as LogFlag[]).every((x) => f.includes(x)))) parts.push('flags all')
  else if (Array.isArray(f)) {
    const tcp = (['tcp sequence', 'tcp options'] as const).filter((x) => f.includes(x)).map((x) => x.slice(4))
    if (tcp.length) parts.push(`flags tcp ${tcp.join(',')}`)
    if (f.includes('ip options')) parts.push('flags ip options')
    if (f.includes('skuid')) parts.push('flags skuid')
    if (f.includes('ether')) parts.push('flags ether')
  }
  return parts.join(' ')
}

// ------------------------------------------------------------------ named objects

/** The kernel attributes of a named quota or limit (those of the statement it stands for) or synproxy. */
export function objectAttrs(o: Quota | Limit | Synproxy, path: string): Record<string, unknown> {
  if (o.kind === 'synproxy') return synproxyObjectAttrs(o, path)
  const { type: _type, ...attrs } =
    o.kind === 'quota'
      ? compileQuota({ stmt: 'quota', bytes: o.bytes, over: o.over, used: o.used }, path)
      : compileLimit({ stmt: 'limit', rate: o.rate, per: o.per, bytes: o.bytes, burst: o.burst, over: o.over }, path)
  return attrs
}

/** The typed fields of a dumped quota, limit or synproxy object (without kind, name and place); undefined for a shape nft does not write. */
export function decodeObjectAttrs(
  objType: number,
  r: Record<string, unknown>,
): Omit<Quota, 'kind' | 'name'> | Omit<Limit, 'kind' | 'name'> | Omit<Synproxy, 'kind' | 'name'> | undefined {
  if (objType === OBJ_TYPE.synproxy) return decodeSynproxyObject(r)
  const st = objType === OBJ_TYPE.quota ? decodeQuota({ type: 'quota', ...r }) : objType === OBJ_TYPE.limit ? decodeLimit({ type: 'limit', ...r }) : undefined
  if (!st) return undefined
  const { stmt: _stmt, ...fields } = st
  return fields as Omit<Quota, 'kind' | 'name'>
}

/** The body of a quota or limit object as `nft list` prints it (`25 mbytes`, `rate 400/minute`), without the comment. */
export function objectBodyText(o: Quota | Limit): string {
  if (o.kind === 'quota') return quotaText({ stmt: 'quota', bytes: o.bytes, over: o.over, used: o.used }).slice('quota '.length)
  return limitText({ stmt: 'limit', rate: o.rate, per: o.per, bytes: o.bytes, burst: o.burst, over: o.over }).slice('limit '.length)
}
