/**
 * Decodes kernel expressions back into typed rule expressions: the inverse of
 * compile.ts, with nft's dependency elimination (a `meta l4proto tcp` that only
 * guards a `tcp dport` match is not shown). A rule nftkit cannot read comes
 * back as one `{ raw }` expression, which still round-trips.
 * @module
 */
import {
  CMP_OP,
  type Family,
  ICMP_CODE,
  ICMPV6_CODE,
  ICMPX_CODE,
  LIMIT_UNIT,
  LOG_LEVEL,
  REJECT_TYPE,
  VERDICT_CODE,
} from '../kernel/constants.js'
import {
  DATATYPES,
  type Datatype,
  fromBytes,
  hostInteger,
  type Interval,
  networkOrderView,
  prefixLength,
  readHostU32,
} from '../kernel/datatypes.js'
import type { NativeExpr } from '../../types/native.js'
import { isAnonymousSetName } from '../model/names.js'
import { SELECTORS, type SelectorSpec } from './selectors.js'
import { type DecodedPart, decodeSetStmt } from './stmt-set.js'
import type { Match, RuleExpr, Selector, Statement, Verdict } from '../model/rule-types.js'

/** An anonymous set's contents, for inlining into the rule that uses it. */
export interface AnonSet {
  /** Decoded elements: key values (per field) and verdicts for maps. */
  readonly elements: ReadonlyArray<{ key: unknown; verdict?: Verdict }>
}

/** A rule nftkit could not map onto typed expressions: the kernel expressions as they are. */
export interface RawExpr {
  readonly raw: readonly NativeExpr[]
}

/** Decode environment. */
export interface DecodeEnv {
  readonly family: Family
  /** Anonymous set contents by kernel name (`__set0`). */
  anonSet(name: string): AnonSet | undefined
  /** Key and value types of a named set (to print the constants of set statements). */
  namedSet?(name: string): { readonly key?: readonly Datatype[]; readonly data?: Datatype | 'verdict' } | undefined
}

class Unsupported extends Error {}

type Reg =
  | { kind: 'load'; spec?: SelectorSpec; native: NativeExpr; len: number; mask?: Buffer; hton?: boolean }
  | { kind: 'imm'; data: Buffer }

interface Item {
  expr: RuleExpr
  dep?: { l2?: boolean; l3?: 'ip' | 'ip6'; l4?: number }
  dropped?: boolean
}

const buf = (v: unknown): Buffer => {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  throw new Unsupported('expected bytes')
}
const num = (v: unknown): number => {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  throw new Unsupported('expected a number')
}

/** JS value of a decoded interval, in the form compile.ts accepts. */
export function jsValue(t: Datatype, iv: Interval): string | number {
  if (t.name === 'mark' || t.name === 'bitmask' || t.name === 'integer') {
    if (iv.lo !== iv.hi) return t.name === 'mark' ? String(t.format(iv)) : `${iv.lo}-${iv.hi}`
    return Number(iv.lo)
  }
  if (t.name === 'ifname') {
    const f = t.format(iv)
    return typeof f === 'string' ? JSON.parse(f) : f
  }
  return t.format(iv)
}

/** A range as written in a rule (`a-b`, even when it is a whole prefix or one value), as nft prints it. */
export function rangeValue(t: Datatype, lo: bigint, hi: bigint): string {
  const one = (v: bigint) => String(jsValue(t, { lo: v, hi: v }))
  return `${one(lo)}-${one(hi)}`
}

/** Decodes one rule's kernel expressions. Never throws: unknown shapes become `{ raw }`. */
export function decodeRule(exprs: readonly NativeExpr[], env: DecodeEnv): Array<RuleExpr | RawExpr> {
  try {
    return decode(exprs, env)
  } catch (e) {
    if (e instanceof Unsupported) return [{ raw: exprs }]
    throw e
  }
}

const PAYLOAD_SELECTORS = Object.values(SELECTORS).filter((s) => s.load.kind === 'payload')

function decode(exprs: readonly NativeExpr[], env: DecodeEnv): RuleExpr[] {
  const items: Item[] = []
  const regs = new Map<number, Reg>()
  let loads: Reg[] = [] // loads since the last consumer, for concatenations
  let l3: 'ip' | 'ip6' | undefined = env.family === 'ip' ? 'ip' : env.family === 'ip6' ? 'ip6' : undefined
  let l4: number | undefined
  let depL2: Item | undefined
  let depL3: Item | undefined
  let depL4: Item | undefined

  const useDeps = (s: { l2?: boolean; l3?: 'ip' | 'ip6'; l4?: number; adjacent?: boolean }) => {
    if (s.l2 && depL2) depL2.dropped = true
    if (s.l3 && depL3 && depL3.dep?.l3 === s.l3) depL3.dropped = true
    // `adjacent`: nft hides this dependency only right before its user (reject with tcp reset).
    if (s.l4 !== undefined && depL4 && depL4.dep?.l4 === s.l4 && (!s.adjacent || items[items.length - 1] === depL4)) depL4.dropped = true
  }
  const push = (expr: RuleExpr, dep?: Item['dep']) => {
    const it: Item = { expr, dep }
    items.push(it)
    if (dep?.l2) depL2 = it
    if (dep?.l3) depL3 = it
    if (dep?.l4 !== undefined) depL4 = it
    return it
  }

  /** Finds the selector a load stands for, given the protocol context. */
  const identify = (e: NativeExpr): { spec: SelectorSpec; len: number } | undefined => {
    if (e.type === 'meta' || e.type === 'ct') {
      const key = num(e.key)
      const spec = Object.values(SELECTORS).find((s) => s.load.kind === e.type && (s.load as { key?: number }).key === key)
      return spec ? { spec, len: spec.size } : undefined
    }
    const base = num(e.base)
    const offset = num(e.offset)
    const len = num(e.len)
    // Selectors of the matched transport protocol first (sctp dport before th dport).
    for (const s of PAYLOAD_SELECTORS) {
      if (s.load.kind !== 'payload' || s.load.base !== base || s.load.offset !== offset) continue
      const isAddr = s.type.name === 'ipv4_addr' || s.type.name === 'ipv6_addr'
      if (!(len === s.load.len || (isAddr && len < s.load.len))) continue
      if (s.l3 && s.l3 !== l3) continue
      if (s.l4 !== undefined && s.l4 !== l4) continue
      if (s.name.startsWith('th ') && l4 !== undefined && PAYLOAD_SELECTORS.some((o) => o.l4 === l4 && o.load.kind === 'payload' && o.load.base === base && o.load.offset === offset && o.load.len === len))
        continue
      return { spec: s, len }
    }
    return undefined
  }

  for (let i = 0; i < exprs.length; i++) {
    const e = exprs[i]
    switch (e.type) {
      case 'payload':
      case 'meta':
      case 'ct': {
        if (e.sreg !== undefined && e.dreg === undefined) {
          // meta/ct set: a statement fed by a register.
          const r = regs.get(num(e.sreg))
          const key = num(e.key)
          if (e.type === 'payload' || key !== 3 || !r) throw new Unsupported('set')
          if (r.kind === 'imm') {
            const v = readHostU32(r.data)
            push(e.type === 'ct' ? { stmt: 'ct mark set', value: v } : { stmt: 'meta mark set', value: v })
          } else if (e.type === 'meta' && r.native.type === 'ct' && num(r.native.key) === 3) {
            push({ stmt: 'meta mark set', value: 'ct mark' })
          } else throw new Unsupported('set source')
          loads = []
          break
        }
        const dreg = num(e.dreg)
        const id = identify(e)
        if (!id) throw new Unsupported(`load ${e.type}`)
        useDeps(id.spec)
        const r: Reg = { kind: 'load', spec: id.spec, native: e, len: id.len }
        regs.set(dreg, r)
        if (dreg === 1) loads = [r]
        else loads.push(r)
        break
      }
      case 'bitwise': {
        const r = regs.get(num(e.sreg))
        if (r?.kind !== 'load' || r.hton || num(e.dreg) !== num(e.sreg)) throw new Unsupported('bitwise')
        if (e.xor && fromBytes(buf(e.xor)) !== 0n) throw new Unsupported('xor')
        if (e.op !== undefined && num(e.op) !== 0) throw new Unsupported('shift')
        r.mask = buf(e.mask)
        break
      }
      case 'byteorder': {
        // hton of a host-order integer (mark) before an order compare: a range or an interval-set lookup.
        const r = regs.get(num(e.sreg))
        const ok =
          r?.kind === 'load' &&
          r.spec !== undefined &&
          hostInteger(r.spec.type) &&
          !r.hton &&
          !r.mask &&
          num(e.dreg) === num(e.sreg) &&
          num(e.op) === 1 &&
          num(e.len) === r.spec.size &&
          num(e.size) === r.spec.size
        if (!ok) throw new Unsupported('byteorder')
        r.hton = true
        break
      }
      case 'cmp': {
        const r = regs.get(num(e.sreg))
        if (r?.kind !== 'load' || !r.spec) throw new Unsupported('cmp')
        const s = r.spec
        const op = num(e.op)
        const data = buf(e.data)
        const next = exprs[i + 1]
        if (op === CMP_OP.gte && next?.type === 'cmp' && num(next.op) === CMP_OP.lte && num(next.sreg) === num(e.sreg)) {
          const t = orderView(r)
          push({ match: s.name, value: rangeValue(s.type, t.decode(data), t.decode(buf(next.data))) })
          i++
          loads = []
          break
        }
        if (r.hton) throw new Unsupported('cmp after byteorder')
        if (op !== CMP_OP.eq && op !== CMP_OP.neq) throw new Unsupported('cmp op')
        const neg = op === CMP_OP.neq
        const m = cmpMatch(s, r, data, neg)
        let dep: Item['dep']
        if (!neg && typeof m.value !== 'object') {
          if (s.name === 'meta iiftype' && m.value === 'ether') dep = { l2: true }
          if (s.name === 'meta nfproto' && (m.value === 'ipv4' || m.value === 'ipv6')) {
            l3 = m.value === 'ipv4' ? 'ip' : 'ip6'
            dep = { l3 }
          }
          if ((s.name === 'meta protocol' || s.name === 'ether type') && (m.value === 'ip' || m.value === 'ip6')) {
            l3 = m.value
            dep = { l3 }
          }
          // nft hides `ip protocol X` / `ip6 nexthdr X` as a dependency only in
          // single-family tables; in inet/bridge/netdev they also pin the
          // network protocol, so they stay visible.
          const hides =
            s.name === 'meta l4proto' ||
            (s.name === 'ip protocol' && env.family === 'ip') ||
            (s.name === 'ip6 nexthdr' && env.family === 'ip6')
          if (s.name === 'meta l4proto' || s.name === 'ip protocol' || s.name === 'ip6 nexthdr') {
            l4 = Number(DATATYPES.inet_proto.parse(m.value, 'value').lo)
            if (hides) dep = { l4 }
          }
        }
        push(m, dep)
        loads = []
        break
      }
      case 'range': {
        const r = regs.get(num(e.sreg))
        if (r?.kind !== 'load' || !r.spec || num(e.op) !== 1) throw new Unsupported('range')
        const t = orderView(r)
        push({ match: r.spec.name, op: '!=', value: rangeValue(r.spec.type, t.decode(buf(e.from)), t.decode(buf(e.to))) })
        loads = []
        break
      }
      case 'lookup': {
        if (num(e.sreg) !== 1 || loads.length === 0) throw new Unsupported('lookup')
        const specs = loads.map((l) => (l.kind === 'load' && l.spec ? l.spec : undefined))
        if (specs.some((x) => !x)) throw new Unsupported('lookup key')
        const sels = (specs as SelectorSpec[]).map((x) => x.name)
        const key: Selector | Selector[] = sels.length === 1 ? sels[0] : sels
        const name = String(e.set)
        const anon = isAnonymousSetName(name) ? env.anonSet(name) : undefined
        if (isAnonymousSetName(name) && !anon) throw new Unsupported('anonymous set of unknown type')
        const inv = e.flags !== undefined && (num(e.flags) & 1) === 1
        if (e.dreg !== undefined && num(e.dreg) === 0) {
          if (anon) {
            const map = anon.elements.map((x) => [x.key as never, x.verdict as Verdict] as const)
            push({ stmt: 'vmap', key, map })
          } else push({ stmt: 'vmap', key, map: { set: name } })
        } else if (e.dreg !== undefined) {
          throw new Unsupported('data map lookup')
        } else if (anon) {
          const elements = anon.elements.map((x) => x.key)
          // Flag selectors read a plain list as a bit test, so their sets stay explicit.
          const value = specs.length === 1 && (specs[0] as SelectorSpec).flags ? { elements } : elements
          push({ match: key, ...(inv ? { op: '!=' as const } : {}), value: value as never })
        } else {
          push({ match: key, ...(inv ? { op: '!=' as const } : {}), value: { set: name } })
        }
        loads = []
        break
      }
      case 'immediate': {
        const dreg = num(e.dreg)
        if (dreg === 0) {
          push({ ...verdictStmt(num(e.verdict), e.chain as string | undefined) })
          break
        }
        const imm: Reg = { kind: 'imm', data: buf(e.data) }
        regs.set(dreg, imm)
        // A constant part of a set statement's key or value.
        if (dreg === 1) loads = [imm]
        else loads.push(imm)
        break
      }
      case 'dynset': {
        const dataReg = e.sregData === undefined ? undefined : regs.get(num(e.sregData))
        const split = dataReg ? loads.indexOf(dataReg) : loads.length
        if (split < 0 || regs.get(num(e.sregKey)) !== loads[0]) throw new Unsupported('dynset registers')
        const part = (r: Reg): DecodedPart => {
          if (r.kind === 'imm') return { data: r.data }
          if (!r.spec || r.mask || r.hton || r.len !== r.spec.size) throw new Unsupported('dynset key')
          return { sel: r.spec.name }
        }
        const st = decodeSetStmt(e, loads.slice(0, split).map(part), loads.slice(split).map(part), env.namedSet?.(String(e.set)), (x) => {
          const d = decode([x], env)
          return d.length === 1 && 'stmt' in d[0] ? d[0] : undefined
        })
        if (!st) throw new Unsupported('dynset')
        push(st)
        loads = []
        break
      }
      case 'counter': {
        const p = num(e.packets ?? 0)
        const b = num(e.bytes ?? 0)
        push(p || b ? { stmt: 'counter', packets: p, bytes: b } : { stmt: 'counter' })
        break
      }
      case 'objref':
        if (num(e.objType) !== 1) throw new Unsupported('objref type')
        push({ stmt: 'counter', name: String(e.name) })
        break
      case 'notrack':
        push({ stmt: 'notrack' })
        break
      case 'rt': {
        // rt tcpmss, converted to network order, feeds an MSS option write.
        if (num(e.key) !== 3 || e.dreg === undefined) throw new Unsupported('rt')
        regs.set(num(e.dreg), { kind: 'imm', data: Buffer.from('rt mtu') })
        if (exprs[i + 1]?.type === 'byteorder') i++
        break
      }
      case 'exthdr': {
        // TCP option maxseg size set VALUE (op 1 = tcp option, type 2 = maxseg).
        if (e.sreg === undefined || num(e.exthdrType) !== 2 || num(e.op ?? 0) !== 1 || num(e.offset) !== 2 || num(e.len) !== 2)
          throw new Unsupported('exthdr')
        const r = regs.get(num(e.sreg))
        if (r?.kind !== 'imm') throw new Unsupported('exthdr source')
        useDeps({ l4: 6 })
        const v = r.data.toString() === 'rt mtu' ? ('rt mtu' as const) : Number(fromBytes(r.data))
        push({ stmt: 'tcp mss set', value: v })
        break
      }
      case 'log': {
        const st: { stmt: 'log'; prefix?: string; level?: Extract<Statement, { stmt: 'log' }>['level'] } = { stmt: 'log' }
        if (e.prefix !== undefined) st.prefix = String(e.prefix)
        // The kernel reports the default level (warn) even when none was given; nft omits it.
        if (e.level !== undefined && num(e.level) !== LOG_LEVEL.warn) {
          const lv = Object.entries(LOG_LEVEL).find(([, v]) => v === num(e.level))
          if (!lv) throw new Unsupported('log level')
          st.level = lv[0] as never
        }
        if (e.group !== undefined || e.snaplen !== undefined || e.qthreshold !== undefined) throw new Unsupported('log group')
        push(st)
        break
      }
      case 'limit': {
        if (num(e.limitType ?? 0) !== 0) throw new Unsupported('byte limit')
        const per = Object.entries(LIMIT_UNIT).find(([, v]) => v === num(e.unit))
        if (!per) throw new Unsupported('limit unit')
        const burst = num(e.burst ?? 0)
        const over = (num(e.flags ?? 0) & 1) === 1
        push({
          stmt: 'limit',
          rate: num(e.rate),
          per: per[0] as never,
          ...(burst !== 5 ? { burst } : {}),
          ...(over ? { over: true } : {}),
        })
        break
      }
      case 'reject':
        push(decodeReject(e, env.family, l3, useDeps))
        break
      case 'nat':
        push(decodeNat(e, regs))
        break
      case 'masq': {
        if (e.regProtoMin === undefined) {
          push({ stmt: 'masquerade' })
          break
        }
        const lo = regs.get(num(e.regProtoMin))
        const hi = e.regProtoMax !== undefined ? regs.get(num(e.regProtoMax)) : lo
        if (lo?.kind !== 'imm' || hi?.kind !== 'imm') throw new Unsupported('masq port')
        const a = Number(fromBytes(lo.data))
        const b = Number(fromBytes(hi.data))
        push({ stmt: 'masquerade', port: a === b ? a : `${a}-${b}` })
        break
      }
      default:
        throw new Unsupported(e.type)
    }
  }
  return items.filter((x) => !x.dropped).map((x) => x.expr)
}

/**
 * The type a register's value is compared in by order: big-endian after a
 * byteorder conversion. A host-order integer compared by order without one was
 * not written by nft or nftkit (it would compare the wrong bytes first).
 */
function orderView(r: Extract<Reg, { kind: 'load' }>): Datatype {
  const t = (r.spec as SelectorSpec).type
  if (!hostInteger(t)) return t
  if (!r.hton) throw new Unsupported('host-order range')
  return networkOrderView(t)
}

function cmpMatch(s: SelectorSpec, r: Extract<Reg, { kind: 'load' }>, data: Buffer, neg: boolean): Match {
  const op = neg ? ({ op: '!=' } as const) : {}
  if (s.flags) {
    const flags = s.flags
    const names = (bits: number) => {
      const list = (s.flagOrder ?? []).filter((n) => (flags[n] & bits) !== 0)
      // Bits without a name (or no bits at all) have no typed form yet.
      if (list.length === 0 || list.reduce((a, n) => a | flags[n], 0) !== bits) throw new Unsupported('flag value')
      return list
    }
    const v = Number(s.type.decode(data))
    if (r.mask) {
      // (x & mask) != 0: any of the flags (nft's implicit operator); == 0: none of them (`!`).
      if (v !== 0) throw new Unsupported('masked flag compare')
      const list = names(Number(s.type.decode(r.mask)))
      const value = list.length === 1 ? list[0] : list
      return neg ? { match: s.name, value } : { match: s.name, op: '!', value }
    }
    // A compare of the whole field: `==` / `!=`.
    const list = names(v)
    return { match: s.name, op: neg ? '!=' : '==', value: list.length === 1 ? list[0] : list.join(' | ') }
  }
  if (s.wildcard && data.length < 16) {
    if (data.includes(0)) throw new Unsupported('ifname')
    return { match: s.name, ...op, value: `${data.toString()}*` }
  }
  const isAddr = s.type.name === 'ipv4_addr' || s.type.name === 'ipv6_addr'
  if (isAddr && (data.length < s.size || r.mask)) {
    const full = Buffer.alloc(s.size)
    data.copy(full)
    const lo = fromBytes(full)
    let plen = data.length * 8
    if (r.mask) {
      const mask = fromBytes(r.mask)
      plen = mask.toString(2).replace(/0+$/, '').length
      if (mask !== ((1n << BigInt(s.size * 8)) - 1n) - ((1n << BigInt(s.size * 8 - plen)) - 1n)) throw new Unsupported('mask')
    }
    const hi = lo | ((1n << BigInt(s.size * 8 - plen)) - 1n)
    if (prefixLength(lo, hi, s.size * 8) !== plen) throw new Unsupported('prefix')
    return { match: s.name, ...op, value: `${s.type.format({ lo, hi: lo })}/${plen}` }
  }
  if (r.mask && s.type.name === 'mark' && data.length === s.size) {
    // `meta mark 0x10/28`: a host-order mask of leading ones, as nft writes a mark prefix.
    const mask = s.type.decode(r.mask)
    const lo = s.type.decode(data)
    const host = ((1n << BigInt(s.size * 8)) - 1n) ^ mask
    if ((host & (host + 1n)) !== 0n || (lo & host) !== 0n) throw new Unsupported('mask')
    return { match: s.name, ...op, value: String(s.type.format({ lo, hi: lo | host })) }
  }
  if (r.mask) throw new Unsupported('mask')
  if (data.length !== s.size) throw new Unsupported('length')
  const v = s.type.decode(data)
  return { match: s.name, ...op, value: jsValue(s.type, { lo: v, hi: v }) }
}

function verdictStmt(code: number, chain: string | undefined): Statement {
  switch (code) {
    case VERDICT_CODE.accept:
      return { stmt: 'accept' }
    case VERDICT_CODE.drop:
      return { stmt: 'drop' }
    case VERDICT_CODE.continue:
      return { stmt: 'continue' }
    case VERDICT_CODE.return:
      return { stmt: 'return' }
    case VERDICT_CODE.jump:
      return { stmt: 'jump', chain: chain ?? '' }
    case VERDICT_CODE.goto:
      return { stmt: 'goto', chain: chain ?? '' }
    default:
      throw new Unsupported('verdict')
  }
}

/** Decodes a verdict (element or immediate) into the public form. */
export function decodeVerdict(code: number, chain?: string): Verdict {
  const s = verdictStmt(code, chain)
  if (s.stmt === 'jump') return { jump: s.chain }
  if (s.stmt === 'goto') return { goto: s.chain }
  return s.stmt as Verdict
}

function codeName(table: Readonly<Record<string, number>>, code: number): string | number {
  return Object.entries(table).find(([, v]) => v === code)?.[0] ?? code
}

function decodeReject(
  e: NativeExpr,
  family: Family,
  l3: 'ip' | 'ip6' | undefined,
  useDeps: (s: { l3?: 'ip' | 'ip6'; l4?: number; adjacent?: boolean }) => void,
): Statement {
  const type = num(e.rejectType)
  const code = num(e.code ?? 0)
  // nft hides the `meta l4proto tcp` it adds for `reject with tcp reset` in
  // ip/ip6 tables, but only right before the reject (with a counter in
  // between it shows it); in inet/bridge/netdev tables it always shows it.
  if (type === REJECT_TYPE.tcpReset) {
    if (family === 'ip' || family === 'ip6') useDeps({ l4: 6, adjacent: true })
    return { stmt: 'reject', with: 'tcp reset' }
  }
  if (type === REJECT_TYPE.icmpx) {
    if (code === ICMPX_CODE['port-unreachable']) return { stmt: 'reject' }
    return { stmt: 'reject', with: { icmpx: codeName(ICMPX_CODE, code) } }
  }
  if (type !== REJECT_TYPE.icmp) throw new Unsupported('reject type')
  const fam = family === 'ip6' || l3 === 'ip6' ? 'ip6' : family === 'ip' || l3 === 'ip' ? 'ip' : undefined
  if (!fam) throw new Unsupported('reject family')
  const port = fam === 'ip' ? ICMP_CODE['port-unreachable'] : ICMPV6_CODE['port-unreachable']
  // A plain `reject` in an ip/ip6 table; in inet/bridge/netdev tables nft
  // prints the ICMP form with its code.
  if (code === port && family === fam) return { stmt: 'reject' }
  useDeps({ l3: fam })
  return fam === 'ip'
    ? { stmt: 'reject', with: { icmp: codeName(ICMP_CODE, code) } }
    : { stmt: 'reject', with: { icmpv6: codeName(ICMPV6_CODE, code) } }
}

function decodeNat(e: NativeExpr, regs: Map<number, Reg>): Statement {
  const natType = num(e.natType) === 0 ? 'snat' : 'dnat'
  const fam = num(e.family) === 2 ? 'ip' : num(e.family) === 10 ? 'ip6' : undefined
  if (!fam || e.regAddrMin === undefined) throw new Unsupported('nat')
  const t = fam === 'ip' ? DATATYPES.ipv4_addr : DATATYPES.ipv6_addr
  const imm = (reg: unknown): Buffer => {
    const r = regs.get(num(reg))
    if (r?.kind !== 'imm') throw new Unsupported('nat reg')
    return r.data
  }
  const lo = t.decode(imm(e.regAddrMin))
  const hi = e.regAddrMax !== undefined ? t.decode(imm(e.regAddrMax)) : lo
  const flags = num(e.flags ?? 0)
  const prefix = (flags & 0x40) !== 0
  let to = lo === hi ? String(t.format({ lo, hi: lo })) : prefix ? String(t.format({ lo, hi })) : `${t.format({ lo, hi: lo })}-${t.format({ lo: hi, hi })}`
  if (e.regProtoMin !== undefined) {
    const a = Number(fromBytes(imm(e.regProtoMin)))
    const b = e.regProtoMax !== undefined ? Number(fromBytes(imm(e.regProtoMax))) : a
    const port = a === b ? `${a}` : `${a}-${b}`
    to = fam === 'ip6' ? `[${to}]:${port}` : `${to}:${port}`
  }
  return { stmt: natType, to, ...(prefix ? { prefix: true } : {}), ...(fam === 'ip6' ? { family: 'ip6' as const } : { family: 'ip' as const }) }
}


