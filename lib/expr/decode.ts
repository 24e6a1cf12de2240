/**
 * Decodes kernel expressions back into typed rule expressions: the inverse of
 * compile.ts, with nft's dependency elimination (a `meta l4proto tcp` that only
 * guards a `tcp dport` match is not shown). A rule nftkit cannot read comes
 * back as one `{ raw }` expression, which still round-trips.
 * @module
 */
import { decodePayloadWrite, payloadFieldOf } from './stmt-payload.js'
import { decodeHash, decodeNumgen } from './numgen-hash.js'
import {
  CMP_OP,
  type Family,
  ICMP_CODE,
  ICMPV6_CODE,
  ICMPX_CODE,
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
  paddedSize,
  prefixLength,
  readHostU32,
  toBytes,
} from '../kernel/datatypes.js'
import type { NativeExpr } from '../../types/native.js'
import type { SetStatefulStmt } from '../model/objects.js'
import { CT_KEYS, CT_OBJECT_TYPE } from '../kernel/ct-types.js'
import { isAnonymousSetName } from '../model/names.js'
import { normalizeSelector, SELECTORS, type SelectorSpec, selectorText } from './selectors.js'
import { xfrmName } from './xfrm.js'
import { isRawPayload, rawPayloadName } from './raw-payload.js'
import { decodeRawPayloadWrite } from './stmt-raw-payload.js'
import { prefixHostBits, typedOperand, unfoldBits } from './bitwise.js'
import { decodeLimit, decodeLog, decodeQuota, OBJ_TYPE } from './stmt-stateful.js'
import { bitfieldByMask, bitfieldMaskValue, isShiftedBitfield } from './subbyte.js'
import { decodeResetTcpOption, exthdrSetKey, identifyExthdr } from './exthdr.js'
import { decodeSynproxy, decodeTproxy, FIB_F_PRESENT, natFlagsField, portText } from './stmt-nat.js'
import { decodeNatMap } from './stmt-natmap.js'
import { decodeDupFwd } from './stmt-dup.js'
import { hashName, numgenName } from './numgen.js'
import { decodeCtCount, decodeCtLabelMatch, decodeCtObjref, decodeCtSet } from './ct.js'
import { type DecodedPart, decodeSetStmt } from './stmt-set.js'
import { meterOf } from './stmt-meter.js'
import type { BitwiseStep, CtObjectMapStmt, JumpStmt, VerdictStmt, HashExpr, MapValue, MarkExpr, MarkStep, Match, MetaSetKey, NumgenExpr, RuleExpr, Selector, Statement, Verdict } from '../model/rule-types.js'

/** An anonymous set's contents, for inlining into the rule that uses it. */
export interface AnonSet {
  /** Decoded elements: key values (per field), verdicts for maps, the data of data maps (as a value where nftkit reads the map's data type, and as bytes). */
  readonly elements: ReadonlyArray<{
    key: unknown
    verdict?: Verdict
    objref?: string
    data?: string | number
    dataBytes?: Uint8Array
    /** The element's stateful statements: a counter alone, with its values, or others. */
    counter?: { packets: number; bytes: number }
    stmts?: readonly SetStatefulStmt[]
  }>
  /** For a data map (not verdicts): nft's data type id, its length and whether it holds intervals. */
  readonly dataMap?: { readonly type: number; readonly len: number; readonly interval: boolean }
  /** For an object map: the type of the objects its elements name (NFT_OBJECT_*). */
  readonly objType?: number
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
  /**
   * The name of the interface with this index in the listed network namespace
   * (`meta iif` prints `iif "lo"`, as nft does); without it, or for an index no
   * interface has, the index is kept as a number.
   */
  ifname?(index: number): string | undefined
  /** Key and value types of a named set (to print the constants of set statements); `object` for an object map. */
  namedSet?(name: string): { readonly key?: readonly Datatype[]; readonly data?: Datatype | 'verdict'; readonly object?: string } | undefined
  /** A meter's set (anonymous, named after the meter): its size; undefined for other sets. */
  meter?(name: string): { readonly size?: number } | undefined
}

class Unsupported extends Error {}

/** The value of a data map lookup, for a statement that sets one (a map whose data nftkit does not read has none). */
function mapValueOf(r: Extract<Reg, { kind: 'map' }>): MapValue {
  if (r.value === undefined) throw new Unsupported('data map values')
  return r.value
}

type Reg =
  | {
      kind: 'load'
      spec?: SelectorSpec
      native: NativeExpr
      len: number
      mask?: Buffer
      xor?: Buffer
      hton?: boolean
      /** Bitfields this load may be, until the mask after it says which. */
      cands?: SelectorSpec[]
      /** The raw payload (`@nh,0,8`) the load lists as when no bitfield has the mask after it. */
      raw?: SelectorSpec
      /** Bitwise operations after a shift or a second mask: only a mark statement reads them. */
      ops?: Array<{ mask: Buffer; xor?: Buffer } | { shift: '<<' | '>>'; n: number }>
    }
  | { kind: 'imm'; data: Buffer }
  /**
   * A data map lookup's result: the value for a statement that sets one
   * (`value`, when nftkit reads the map's data), and the key, map and raw data
   * for a NAT statement (stmt-natmap.ts).
   */
  | { kind: 'map'; value?: MapValue; key: Selector | Selector[]; set: string; anon?: AnonSet }
  /** A number generator or a hash, for a statement to set. */
  | { kind: 'computed'; value: NumgenExpr | HashExpr }

interface Item {
  expr: RuleExpr
  dep?: { l2?: boolean; l3?: 'ip' | 'ip6' | 'arp'; l4?: number; vlan?: boolean }
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
    // Wider than a double holds exactly (raw payloads of up to 128 bits): a hex string.
    return iv.lo <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(iv.lo) : `0x${iv.lo.toString(16)}`
  }
  const f = t.format(iv)
  // Quoted forms (interface names, device groups, dates) as plain strings; `eth\*` keeps its backslash.
  if (typeof f === 'string' && f.length >= 2 && f.startsWith('"') && f.endsWith('"')) return f.slice(1, -1).replace(/\\(["\\])/g, '$1')
  return f
}

/** A range as written in a rule (`a-b`, even when it is a whole prefix or one value), as nft prints it. */
export function rangeValue(t: Datatype, lo: bigint, hi: bigint): string {
  if (t.name === 'time') return String(t.format({ lo, hi })) // nft's `60s-3600s`
  const one = (v: bigint) => String(t.formatBound?.(v) ?? jsValue(t, { lo: v, hi: v }))
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

const RELATIONAL_OPS: Readonly<Record<number, '<' | '>' | '<=' | '>='>> = {
  [CMP_OP.lt]: '<',
  [CMP_OP.gt]: '>',
  [CMP_OP.lte]: '<=',
  [CMP_OP.gte]: '>=',
}

/** `meta KEY set` keys by kernel number (the mark has its own statement). */
const META_SET_KEYS: Readonly<Record<number, MetaSetKey>> = { 2: 'priority', 12: 'nftrace', 19: 'pkttype' }

function metaSetValue(key: MetaSetKey, data: Buffer): string | number {
  if (key === 'nftrace') {
    if (data.length !== 1 || data[0] > 1) throw new Unsupported('nftrace value')
    return data[0]
  }
  const t = SELECTORS[key === 'priority' ? 'meta priority' : 'meta pkttype'].type
  if (data.length !== t.size) throw new Unsupported('meta set length')
  const v = t.decode(data)
  return jsValue(t, { lo: v, hi: v })
}

const PAYLOAD_SELECTORS = Object.values(SELECTORS).filter((s) => s.load.kind === 'payload')

function decode(exprs: readonly NativeExpr[], env: DecodeEnv): RuleExpr[] {
  const items: Item[] = []
  const regs = new Map<number, Reg>()
  let loads: Reg[] = [] // loads since the last consumer, for concatenations
  let l3: 'ip' | 'ip6' | 'arp' | undefined = env.family === 'ip' ? 'ip' : env.family === 'ip6' ? 'ip6' : env.family === 'arp' ? 'arp' : undefined
  let l4: number | undefined
  // nft names link-layer fields only where it knows the link layer: bridge and netdev tables, or after `meta iiftype ether`.
  let l2 = env.family === 'bridge' || env.family === 'netdev'
  let depVlan: Item | undefined
  // nft's ICMP type context (th_dep) and the `icmp type X` match it may hide
  // before a field of type-X messages (payload.c, payload_may_dependency_kill_icmp).
  let icmp: number | undefined
  let depIcmp: { item: Item; type: number } | undefined
  // A visible `ip protocol`/`ip6 nexthdr` (inet, bridge, netdev) keeps nft from
  // looking further for a transport dependency to hide.
  let transportPinned = false
  let depL2: Item | undefined
  let depL3: Item | undefined
  let depL4: Item | undefined

  const useDeps = (s: {
    l2?: boolean
    l3?: 'ip' | 'ip6' | 'arp'
    l4?: number
    l3Shown?: boolean
    icmpType?: readonly number[]
    vlan?: boolean
  }) => {
    if (s.vlan && depVlan) depVlan.dropped = true
    if (s.l2 && depL2) depL2.dropped = true
    if (s.l3 && !s.l3Shown && depL3 && depL3.dep?.l3 === s.l3) depL3.dropped = true
    if (s.icmpType?.length === 1 && depIcmp && !transportPinned && depIcmp.type === s.icmpType[0]) {
      depIcmp.item.dropped = true
      depIcmp = undefined
    }
    if (s.l4 !== undefined && depL4 && depL4.dep?.l4 === s.l4) {
      depL4.dropped = true
      // In an ip/ip6 table `meta protocol ip` before it says what the table does: nft hides it with the transport dependency.
      if ((env.family === 'ip' || env.family === 'ip6') && depL3?.dep?.l3 === env.family) depL3.dropped = true
    }
  }
  /** An interface index as its name in the listed namespace (the number when no interface has it). */
  const named = (s: SelectorSpec, v: unknown): string | number => {
    if (!s.ifindex || typeof v !== 'number') return v as string | number
    return env.ifname?.(v) ?? v
  }
  const push = (expr: RuleExpr, dep?: Item['dep']) => {
    const it: Item = { expr, dep }
    items.push(it)
    if (dep?.l2) depL2 = it
    if (dep?.vlan) depVlan = it
    if (dep?.l3) depL3 = it
    if (dep?.l4 !== undefined) depL4 = it
    if ('stmt' in expr && expr.stmt !== 'vmap') {
      // nft forgets the dependencies it could hide at every statement (rule_maybe_reset_payload_deps).
      depL2 = depL3 = depL4 = depVlan = depIcmp = undefined
      transportPinned = false
    }
    return it
  }

  /**
   * The header fields, in the protocol context, that fill a load's bytes
   * exactly (whole-byte fields and runs of bitfields; not nft's `th` fields),
   * in order; undefined unless there are several.
   */
  const headerFields = (e: NativeExpr): Array<{ spec: SelectorSpec; at: number; len: number }> | undefined => {
    const base = num(e.base)
    const start = num(e.offset)
    const total = num(e.len)
    const out: Array<{ spec: SelectorSpec; at: number; len: number }> = []
    let pos = 0
    while (pos < total) {
      let found = false
      for (let n = total - pos; n >= 1 && !found; n--) {
        const id = identify({ type: 'payload', base, offset: start + pos, len: n })
        if (id && id.len === id.spec.size && !id.spec.name.startsWith('th ') && !isRawPayload(id.spec.name)) {
          out.push({ spec: id.spec, at: pos, len: n })
          pos += n
          found = true
          break
        }
        const bits = splitByBitfields(bitfieldsAt(base, start + pos, n, l3, l4), n)
        if (bits) {
          for (const b of bits) out.push({ spec: b, at: pos, len: n })
          pos += n
          found = true
        }
      }
      if (!found) return undefined
    }
    return out.length > 1 ? out : undefined
  }

  /** Finds the selector a load stands for, given the protocol context. */
  const identify = (e: NativeExpr): { spec: SelectorSpec; len: number } | undefined => {
    if (e.type === 'socket' || e.type === 'fib' || e.type === 'osf') {
      const spec = Object.values(SELECTORS).find((s) => {
        const l = s.load as { kind: string; key?: number; flags?: number; result?: number; ttl?: number }
        if (l.kind !== e.type) return false
        if (e.type === 'osf') return l.ttl === num(e.ttl ?? 0) && l.flags === num(e.flags ?? 0)
        return e.type === 'socket' ? l.key === num(e.key) && e.level === undefined : l.flags === (num(e.flags) & ~FIB_F_PRESENT) && l.result === num(e.result)
      })
      return spec ? { spec, len: spec.size } : undefined
    }
    if (e.type === 'xfrm') {
      const name = xfrmName(num(e.dir ?? 0), num(e.spnum ?? 0), num(e.key))
      const n = name ? normalizeSelector(name) : undefined
      return n ? { spec: SELECTORS[n], len: SELECTORS[n].size } : undefined
    }
    if (e.type === 'meta' || e.type === 'ct' || e.type === 'rt') {
      const key = num(e.key)
      const dir = e.type === 'ct' && e.dir !== undefined ? num(e.dir) : undefined
      const spec = Object.values(SELECTORS).find(
        (s) => s.load.kind === e.type && (s.load as { key?: number }).key === key && (s.load as { dir?: number }).dir === dir,
      )
      return spec ? { spec, len: spec.size } : undefined
    }
    const base = num(e.base)
    const offset = num(e.offset)
    const len = num(e.len)
    // Selectors of the matched transport protocol first (sctp dport before th dport).
    for (const s of PAYLOAD_SELECTORS) {
      if (s.load.kind !== 'payload' || s.load.base !== base || s.load.offset !== offset || s.load.bits) continue
      const isAddr = s.type.name === 'ipv4_addr' || s.type.name === 'ipv6_addr'
      if (!(len === s.load.len || (isAddr && len < s.load.len))) continue
      if (s.l2 && !l2) continue
      // The transport protocol tells icmp from icmpv6 (nft reads icmp in ip6 tables too).
      if (s.l3 && s.l4 === undefined && s.l3 !== l3) continue
      if (s.l4 !== undefined && s.l4 !== l4) continue
      // Fields of some ICMP messages only: the matched type tells `icmp mtu` from `icmp sequence`.
      if (s.icmpType && icmp !== undefined && s.icmpType[0] !== icmp) continue
      if (s.name.startsWith('th ') && l4 !== undefined && PAYLOAD_SELECTORS.some((o) => o.l4 === l4 && o.load.kind === 'payload' && o.load.base === base && o.load.offset === offset && o.load.len === len))
        continue
      return { spec: s, len }
    }
    return undefined
  }

  /** Header fields of the protocols the rule matched, as `identify` prefers them. */
  const payloadCandidates = (): SelectorSpec[] => {
    // Link-layer fields only with a link-layer context (bridge/netdev, `meta iiftype ether`), as `identify`.
    const fits = (s: SelectorSpec) => (!s.l2 || l2) && (s.l4 === undefined || s.l4 === l4) && !(s.l3 && s.l4 === undefined && l3 !== undefined && s.l3 !== l3)
    const specific = PAYLOAD_SELECTORS.filter((s) => s.l4 !== undefined && s.l4 === l4)
    return [...specific, ...PAYLOAD_SELECTORS.filter((s) => fits(s) && !specific.includes(s))]
  }

  // A data map lookup no statement has read yet: the rule is nothing nftkit can print.
  let pendingMap: Reg | undefined
  for (let i = 0; i < exprs.length; i++) {
    const e = exprs[i]
    if (pendingMap && e.type !== 'meta' && e.type !== 'ct' && e.type !== 'payload' && e.type !== 'nat') throw new Unsupported('data map lookup')
    switch (e.type) {
      case 'payload':
      case 'meta':
      case 'socket':
      case 'fib':
      case 'osf':
      case 'xfrm':
      case 'ct': {
        if (e.sreg !== undefined && e.dreg === undefined) {
          // meta/ct set: a statement fed by a register.
          const r = regs.get(num(e.sreg))
          if (e.type === 'payload') {
            // `ip daddr set 10.0.0.1`: a header field written from an immediate.
            if (r?.kind === 'map') {
              // `ip daddr set iifname map @m`: the field written from a map lookup.
              const spec = payloadFieldOf(e, payloadCandidates())
              if (!spec) throw new Unsupported('payload set')
              pendingMap = undefined
              useDeps(spec)
              push({ stmt: 'payload set', key: spec.name, value: mapValueOf(r) })
              loads = []
              break
            }
            const d = r?.kind === 'imm' ? decodePayloadWrite({ write: e, source: { data: r.data }, candidates: payloadCandidates() }) : undefined
            if (d) {
              useDeps(d.spec)
              push({ stmt: 'payload set', key: d.spec.name, value: jsValue(d.spec.type, { lo: d.value, hi: d.value }) })
              loads = []
              break
            }
            // A raw payload statement, unless nft names the written bytes (`ip saddr set`).
            const at = identify({ type: 'payload', base: e.base, offset: e.offset, len: e.len })
            const st = decodeRawPayloadWrite(e, exprs.slice(0, i), at !== undefined && !at.spec.name.startsWith('th '))
            if (!st) throw new Unsupported('payload write')
            push(at?.spec.name.startsWith('th ') && typeof st.value !== 'object' ? { ...st, field: at.spec.name as 'th sport' | 'th dport', value: st.value } : st)
            loads = []
            break
          }
          const key = num(e.key)
          const metaSet = e.type === 'meta' ? META_SET_KEYS[key] : undefined
          if (metaSet && r?.kind === 'imm') {
            push({ stmt: 'meta set', key: metaSet, value: metaSetValue(metaSet, r.data) })
            loads = []
            break
          }
          if (metaSet && metaSet !== 'nftrace' && r?.kind === 'map') {
            // `meta priority set ct bytes map @m`
            pendingMap = undefined
            push({ stmt: 'meta set', key: metaSet, value: mapValueOf(r) })
            loads = []
            break
          }
          if (e.type === 'ct' && key === CT_KEYS.zone && r?.kind === 'map') {
            // `ct zone set meta mark map { ... }`
            const dir = e.dir === undefined ? undefined : num(e.dir) === 0 ? 'original' : num(e.dir) === 1 ? 'reply' : null
            if (dir === null) throw new Unsupported('ct zone set dir')
            pendingMap = undefined
            push({ stmt: 'ct zone set', value: mapValueOf(r), ...(dir ? { dir } : {}) })
            loads = []
            break
          }
          if (e.type === 'ct' && key !== 3) {
            const st = r?.kind === 'imm' ? decodeCtSet(key, e.dir !== undefined ? num(e.dir) : undefined, r.data) : undefined
            if (!st) throw new Unsupported('ct set')
            push(st)
            loads = []
            break
          }
          if (key !== 3 || !r) throw new Unsupported('set')
          if (r.kind === 'map' || r.kind === 'computed') {
            if (e.type === 'ct' && e.dir !== undefined) throw new Unsupported('ct mark set dir')
            pendingMap = undefined
            const value = r.kind === 'map' ? mapValueOf(r) : r.value
            push(e.type === 'ct' ? { stmt: 'ct mark set', value } : { stmt: 'meta mark set', value })
            loads = []
            break
          }
          if (r.kind === 'imm') {
            const v = readHostU32(r.data)
            push(e.type === 'ct' ? { stmt: 'ct mark set', value: v } : { stmt: 'meta mark set', value: v })
          } else {
            const from = r.spec?.name
            if ((from !== 'meta mark' && from !== 'ct mark') || r.hton || r.native.dir !== undefined) throw new Unsupported('set source')
            const bits = markSteps(r)
            if (e.type === 'meta' && from === 'ct mark' && bits.length === 0) push({ stmt: 'meta mark set', value: 'ct mark' })
            else {
              const value: MarkExpr = { from, ...(bits.length ? { bits } : {}) }
              push(e.type === 'ct' ? { stmt: 'ct mark set', value } : { stmt: 'meta mark set', value })
            }
          }
          loads = []
          break
        }
        const rmw = e.type === 'payload' ? payloadReadModifyWrite(exprs, i) : undefined
        // `ip dscp set cs1`: a bitfield (or odd-length field) read, masked and written back
        // (one nft does not name is a raw payload statement, read at the write).
        const d = rmw ? decodePayloadWrite({ write: rmw.write, source: rmw, candidates: payloadCandidates() }) : undefined
        if (d) {
          useDeps(d.spec)
          push({ stmt: 'payload set', key: d.spec.name, value: jsValue(d.spec.type, { lo: d.value, hi: d.value }) })
          loads = []
          i += 2
          break
        }
        const dreg = num(e.dreg)
        const id = identify(e)
        // A bitfield (ip dscp, tcp doff, ...) is known by the mask that follows its load.
        const cands = id || e.type !== 'payload' ? [] : bitfieldsAt(num(e.base), num(e.offset), num(e.len), l3, l4)
        // A load nft cannot name lists as a raw payload expression (`@nh,16,16`).
        const raw = id || e.type !== 'payload' ? undefined : rawLoadSpec(e)
        if (!id && cands.length === 0 && !raw) throw new Unsupported(`load ${e.type}`)
        // A `vlan type` hides `ether type 8021q` only when it is listed itself (not a hidden dependency).
        if (id) useDeps(id.spec.name === 'vlan type' ? { ...id.spec, vlan: false } : id.spec)
        // A `th` field after a transport protocol nft has no header for hides that protocol's match (nft 1.0.6).
        if (id?.spec.name.startsWith('th ') && l4 !== undefined) useDeps({ l4 })
        const r: Reg = id
          ? { kind: 'load', spec: id.spec, native: e, len: id.len }
          : cands.length === 0
            ? { kind: 'load', spec: raw, native: e, len: num(e.len) }
            : { kind: 'load', native: e, len: num(e.len), cands, raw }
        regs.set(dreg, r)
        if (dreg === 1) loads = [r]
        else loads.push(r)
        break
      }
      case 'numgen':
      case 'hash': {
        // `ct mark set numgen inc mod 2`, `meta mark set jhash ip saddr mod 4`: a value for the mark statement right after it.
        const next = exprs[i + 1]
        if (e.dreg !== undefined && next && (next.type === 'meta' || next.type === 'ct') && next.sreg !== undefined && num(next.sreg) === num(e.dreg) && num(next.key) === 3) {
          let v: NumgenExpr | HashExpr | undefined
          if (e.type === 'numgen') v = decodeNumgen(e)
          else {
            let key: Selector[] | undefined
            if (e.sreg !== undefined) {
              // jhash's key: loads into register 2, then the 32-bit registers after it.
              let word = 0
              key = loads.map((l, j) => {
                if (l.kind !== 'load' || !l.spec || l.mask || l.hton || l.ops || l.len !== l.spec.size) throw new Unsupported('hash key')
                if (num(l.native.dreg) !== (j === 0 ? 2 : 12 + word)) throw new Unsupported('hash key registers')
                word += paddedSize(l.spec.size) / 4
                return l.spec.name
              })
              const len = key.length === 1 && loads[0].kind === 'load' ? (loads[0].spec as SelectorSpec).size : word * 4
              if (num(e.sreg) !== 2 || num(e.len) !== len) throw new Unsupported('hash key length')
            }
            v = decodeHash(e, key)
          }
          if (!v || e.dreg === undefined) throw new Unsupported(e.type)
          const reg: Reg = { kind: 'computed', value: v }
          regs.set(num(e.dreg), reg)
          pendingMap = reg
          loads = []
          break
        }
        // A generated number or hash: a selector of its own (numgen.ts); jhash consumes its source's load.
        let srcText: string | undefined
        if (e.type === 'hash' && e.sreg !== undefined) {
          const src = regs.get(num(e.sreg))
          if (src?.kind !== 'load' || !src.spec || src.mask || src.ops || src.hton || src.len !== src.spec.size || num(e.len) !== src.spec.size) throw new Unsupported('hash source')
          srcText = selectorText(src.spec.name)
          loads = loads.filter((l) => l !== src)
        }
        const name = normalizeSelector((e.type === 'numgen' ? numgenName(e) : hashName(e, srcText)) ?? '')
        if (!name) throw new Unsupported(e.type)
        const spec = SELECTORS[name]
        const r: Reg = { kind: 'load', spec, native: e, len: 4 }
        const dreg = num(e.dreg)
        regs.set(dreg, r)
        if (dreg === 1) loads = [r]
        else loads.push(r)
        break
      }
      case 'bitwise': {
        const r = regs.get(num(e.sreg))
        if (r?.kind !== 'load' || r.hton || num(e.dreg) !== num(e.sreg)) throw new Unsupported('bitwise')
        if (r.cands) {
          const spec = num(e.op ?? 0) === 0 && !(e.xor && fromBytes(buf(e.xor)) !== 0n) ? bitfieldByMask(r.cands, fromBytes(buf(e.mask))) : undefined
          r.cands = undefined
          if (spec) {
            r.spec = spec
            useDeps(spec)
            break
          }
          // No bitfield has this mask: nft lists the raw bytes and the mask (`@nh,0,8 & 0x1f == 0x3`).
          if (!r.raw) throw new Unsupported('bitfield mask')
          r.spec = r.raw
        }
        const bop = num(e.op ?? 0)
        if (bop !== 0 && bop !== 1 && bop !== 2) throw new Unsupported('bitwise op')
        const xor = bop === 0 && e.xor && fromBytes(buf(e.xor)) !== 0n ? buf(e.xor) : undefined
        if (bop === 0 && !r.mask && !r.ops) {
          r.mask = buf(e.mask)
          if (xor) r.xor = xor
          break
        }
        // A chain (mask then shift, ...): kept apart, for a mark statement to read.
        r.ops = r.ops ?? []
        if (r.mask) r.ops.push({ mask: r.mask, xor: r.xor })
        r.mask = undefined
        r.xor = undefined
        r.ops.push(bop === 0 ? { mask: buf(e.mask), xor } : { shift: bop === 1 ? '<<' : '>>', n: readHostU32(buf(e.data)) })
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
          !r.ops &&
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
        if (r?.kind === 'load' && !r.spec && r.cands && num(e.op) === CMP_OP.eq) {
          // nft lists an equality on bytes its bitfields fill, one match per field (`ip dscp 0x3f ip ecn ce`).
          const fields = splitByBitfields(r.cands, r.len)
          if (!fields) throw new Unsupported('cmp')
          const data = fromBytes(buf(e.data))
          for (const f of fields) {
            useDeps(f)
            push(cmpMatch(f, { ...r, spec: f, cands: undefined }, toBytes(data & bitfieldMaskValue(f.load as PayloadLoad), r.len), false))
          }
          loads = []
          break
        }
        if (r?.kind !== 'load' || !r.spec || r.ops) throw new Unsupported('cmp')
        const s = r.spec
        const op = num(e.op)
        const data = buf(e.data)
        if (r.native.type === 'fib' && (num(r.native.flags) & FIB_F_PRESENT) !== 0) {
          // `fib daddr oif exists` / `missing`: a host-order word 1 or 0.
          const word = (v: number) => Buffer.from(new Uint32Array([v]).buffer)
          const exists = data.equals(word(1))
          if (op !== CMP_OP.eq || !(exists || data.equals(word(0))) || r.mask || num(r.native.result) !== 1) throw new Unsupported('fib present')
          push({ match: s.name, value: exists ? 'exists' : 'missing' })
          loads = []
          break
        }
        const next = exprs[i + 1]
        if (op === CMP_OP.gte && next?.type === 'cmp' && num(next.op) === CMP_OP.lte && num(next.sreg) === num(e.sreg)) {
          if (r.mask) throw new Unsupported('masked range')
          const t = orderView(r)
          push({ match: s.name, value: rangeValue(s.type, t.decode(data), t.decode(buf(next.data))) })
          i++
          loads = []
          break
        }
        const rel = RELATIONAL_OPS[op]
        if (rel && r.mask && !r.hton && !s.flags && s.type.byteorder === 'big' && data.length === s.size) {
          // `ip saddr & 0.0.0.255 < 0.0.0.127`: an order compare of masked network-order bits.
          const steps = bitsOf(s, r)
          // nft lists an address under a prefix mask as a prefix (`ip daddr >= 10.1.0.0/16`): no typed form yet.
          if (steps.length === 0 || plainMask(s, r, data)) throw new Unsupported('relational cmp')
          push({ match: s.name, bits: steps, op: rel, value: jsValue(s.type, { lo: s.type.decode(data), hi: s.type.decode(data) }) as never })
          loads = []
          break
        }
        if (rel) {
          // `meta skuid < 3000`: one order compare, in network order.
          if (r.mask || s.flags || s.wildcard || data.length !== s.size) throw new Unsupported('relational cmp')
          const t = orderView(r)
          push({ match: s.name, op: rel, value: named(s, jsValue(s.type, { lo: t.decode(data), hi: t.decode(data) })) })
          loads = []
          break
        }
        if (r.hton) throw new Unsupported('cmp after byteorder')
        if (s.name === 'ct label') {
          const m = decodeCtLabelMatch(r.mask, op, data)
          if (!m) throw new Unsupported('ct label')
          push(m)
          loads = []
          break
        }
        if (op !== CMP_OP.eq && op !== CMP_OP.neq) throw new Unsupported('cmp op')
        const neg = op === CMP_OP.neq
        // (nft also prefers the transport protocol's fields to `th` ones: `meta l4proto icmp th sport 1` is `icmp type ... icmp code ...`.)
        const parts = r.raw === undefined && !r.mask && (isRawPayload(s.name) || (s.name.startsWith('th ') && l4 !== undefined)) ? headerFields(r.native) : undefined
        if (parts) {
          // nft lists a compare of raw bytes that header fields fill as one compare per field (payload_match_expand).
          for (const p of parts) {
            useDeps(p.spec)
            const slice = data.subarray(p.at, p.at + p.len)
            push(cmpMatch(p.spec, { ...r, spec: p.spec, len: p.len }, p.spec.load.kind === 'payload' && p.spec.load.bits ? toBytes(fromBytes(slice) & bitfieldMaskValue(p.spec.load), p.len) : slice, neg))
          }
          loads = []
          break
        }
        const m = cmpMatch(s, r, data, neg)
        if (s.ifindex) (m as { value: unknown }).value = named(s, m.value)
        let dep: Item['dep']
        if (!neg && typeof m.value !== 'object') {
          if (s.name === 'meta iiftype' && m.value === 'ether') {
            dep = { l2: true }
            l2 = true
          }
          if (s.name === 'meta nfproto' && (m.value === 'ipv4' || m.value === 'ipv6')) {
            l3 = m.value === 'ipv4' ? 'ip' : 'ip6'
            dep = { l3 }
          }
          if (s.name === 'ether type' && m.value === '8021q') dep = { vlan: true }
          if ((s.name === 'meta protocol' || s.name === 'ether type' || s.name === 'vlan type') && (m.value === 'ip' || m.value === 'ip6' || m.value === 'arp')) {
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
            else transportPinned = true
          }
          if (s.load.kind === 'ct' && (s.load.key === CT_KEYS.protocol || s.load.key === CT_KEYS.src || s.load.key === CT_KEYS.dst)) {
            // nft 1.0.6 hides a `meta nfproto`/`meta protocol` before these (their base is the network header) ...
            if (depL3 && (env.family !== 'ip' && env.family !== 'ip6' ? true : depL3.dep?.l3 === env.family)) depL3.dropped = true
            // ... and `ct protocol` sets the transport context, hidden before a transport header match.
            if (s.load.key === CT_KEYS.protocol && env.family !== 'inet' && env.family !== 'bridge' && env.family !== 'netdev') {
              l4 = Number(DATATYPES.inet_proto.parse(m.value, 'value').lo)
              dep = { l4 }
            }
          }
        }
        const it = push(m, dep)
        if (!neg && (s.name === 'icmp type' || s.name === 'icmpv6 type') && typeof m.value !== 'object') {
          icmp = icmpContext(s, s.type.parse(m.value, 'value').lo)
          // nft keeps echo types as context only; other types it may hide.
          depIcmp = icmp === 8 || icmp === 128 ? undefined : { item: it, type: icmp }
        }
        loads = []
        break
      }
      case 'range': {
        const r = regs.get(num(e.sreg))
        if (r?.kind !== 'load' || !r.spec || r.mask || r.ops || num(e.op) !== 1) throw new Unsupported('range')
        const t = orderView(r)
        push({ match: r.spec.name, op: '!=', value: rangeValue(r.spec.type, t.decode(buf(e.from)), t.decode(buf(e.to))) })
        loads = []
        break
      }
      case 'lookup': {
        if (num(e.sreg) !== 1 || loads.length === 0) throw new Unsupported('lookup')
        const specs = loads.map((l) => (l.kind === 'load' && l.spec ? l.spec : undefined))
        if (specs.some((x) => !x)) throw new Unsupported('lookup key')
        const bitfield = specs.find((x) => x?.load.kind === 'payload' && x.load.bits)
        if (bitfield && specs.length > 1) throw new Unsupported('bitfield in a concatenation')
        // `ip dscp @s`: the field masked, then shifted down to a named dscp set's values (as nft compiles it).
        const l0 = loads[0]
        const dscpShift =
          loads.length === 1 && l0.kind === 'load' && l0.spec?.type.name === 'dscp' && l0.spec.load.kind === 'payload' && l0.spec.load.bits && e.dreg === undefined &&
          !isAnonymousSetName(String(e.set)) && l0.ops?.length === 1 && 'shift' in l0.ops[0] && l0.ops[0].shift === '>>' && l0.ops[0].n === l0.spec.load.bits.shift
        if (!dscpShift && loads.some((l) => l.kind === 'load' && l.ops)) throw new Unsupported('lookup of a shifted key')
        const masked = loads.some((l) => l.kind === 'load' && l.mask)
        // A masked key: a set lookup (`tcp flags & (syn | ack) == { ... }`) or a verdict map (`tcp flags & (ack | urg) vmap { ... }`).
        const maskedVmap = masked && e.dreg !== undefined && num(e.dreg) === 0
        if (masked && (loads.length !== 1 || (e.dreg !== undefined && !maskedVmap) || !isAnonymousSetName(String(e.set)))) throw new Unsupported('masked lookup')
        const sels = (specs as SelectorSpec[]).map((x) => x.name)
        const key: Selector | Selector[] = sels.length === 1 ? sels[0] : sels
        const name = String(e.set)
        const anonRead = isAnonymousSetName(name) ? env.anonSet(name) : undefined
        const anon = anonRead && bitfield ? bitfieldSet(bitfield, anonRead) : anonRead
        if (isAnonymousSetName(name) && !anon) throw new Unsupported('anonymous set of unknown type')
        const inv = e.flags !== undefined && (num(e.flags) & 1) === 1
        if (e.dreg !== undefined && num(e.dreg) === 0) {
          if (anon) {
            const ifx = (specs as SelectorSpec[]).map((x) => x.ifindex === true)
            const keyOf = (k: unknown) =>
              !ifx.includes(true) ? k : Array.isArray(k) ? k.map((x, j) => (ifx[j] ? named(specs[j] as SelectorSpec, x) : x)) : named(specs[0] as SelectorSpec, k)
            const map = anon.elements.map((x) => [keyOf(x.key) as never, x.verdict as Verdict] as const)
            const bits = maskedVmap ? bitsOf(specs[0] as SelectorSpec, loads[0] as Extract<Reg, { kind: 'load' }>) : undefined
            if (maskedVmap && (inv || bitfield || !bits?.length)) throw new Unsupported('masked vmap')
            push({ stmt: 'vmap', key, map, ...(bits ? { bits } : {}) })
          } else push({ stmt: 'vmap', key, map: { set: name } })
        } else if (e.dreg !== undefined) {
          // A value looked up in a data map: for the statement that reads the
          // register (a mark, a zone, a header field: `value`), or for a NAT
          // statement (the key, the map and its raw data: stmt-natmap.ts).
          // A named map's bitfield key is masked only when it ends on the last loaded bit (`vlan id`); a shifted one nft lists raw.
          if (inv || masked || (bitfield && !anon && isShiftedBitfield(bitfield))) throw new Unsupported('data map lookup')
          let value: MapValue | undefined = { key, map: { set: name } }
          if (anon) {
            const ifx = (specs as SelectorSpec[]).map((x) => x.ifindex === true)
            const keyOf = (k: unknown) =>
              !ifx.includes(true) ? k : Array.isArray(k) ? k.map((x, j) => (ifx[j] ? named(specs[j] as SelectorSpec, x) : x)) : named(specs[0] as SelectorSpec, k)
            value = anon.elements.some((x) => x.data === undefined || x.verdict !== undefined || x.objref !== undefined)
              ? undefined
              : { key, map: anon.elements.map((x) => [keyOf(x.key) as never, x.data as string | number] as const) }
          }
          const mapReg: Reg = { kind: 'map', ...(value ? { value } : {}), key, set: name, ...(anon ? { anon } : {}) }
          regs.set(num(e.dreg), mapReg)
          pendingMap = mapReg
          loads = []
          break
        } else if (anon) {
          const ifx = (specs as SelectorSpec[]).map((x) => x.ifindex === true)
          const elements = anon.elements.map((x) =>
            specs.length === 1 && !ifx[0]
              ? exthdrSetKey(specs[0] as SelectorSpec, x.key)
              : !ifx.includes(true)
                ? x.key
                : Array.isArray(x.key)
                  ? x.key.map((k, j) => (ifx[j] ? named(specs[j] as SelectorSpec, k) : k))
                  : named(specs[0] as SelectorSpec, x.key),
          )
          const k0 = specs.length === 1 ? (specs[0] as SelectorSpec) : undefined
          if (k0 && !inv && icmp === undefined && (k0.name === 'icmp type' || k0.name === 'icmpv6 type') && elements.length > 0) {
            const types = elements.map((x) => icmpContext(k0, k0.type.parse(x, 'value').lo))
            icmp = types.every((t) => t === types[0]) ? types[0] : Number(k0.type.parse(elements[0], 'value').lo)
          }
          // Elements with statements: `{ key, counter }` / `{ key, stmts }` (nftkit does not name them in flag sets or after a mask).
          const withStmts = anon.elements.some((x) => x.counter !== undefined || x.stmts !== undefined)
          if (withStmts && (masked || (specs.length === 1 && (specs[0] as SelectorSpec).flags))) throw new Unsupported('statements in a flag or masked set')
          const keyed = withStmts
            ? elements.map((k, j) => {
                const x = anon.elements[j]
                return x.stmts ? { key: k, stmts: x.stmts } : x.counter ? { key: k, counter: x.counter } : k
              })
            : elements
          // Flag selectors read a plain list as a bit test, so their sets stay explicit.
          const value = specs.length === 1 && (specs[0] as SelectorSpec).flags ? { elements: flagSetElements(specs[0] as SelectorSpec, elements) } : keyed
          const bits = masked ? bitsOf(specs[0] as SelectorSpec, loads[0] as Extract<Reg, { kind: 'load' }>) : undefined
          push({ match: key, ...(bits ? { bits } : {}), ...(inv ? { op: '!=' as const } : {}), value: value as never })
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
          if (r.kind !== 'load') throw new Unsupported('dynset key')
          if (!r.spec || r.mask || r.hton || r.len !== r.spec.size) throw new Unsupported('dynset key')
          return { sel: r.spec.name }
        }
        const st = decodeSetStmt(e, loads.slice(0, split).map(part), loads.slice(split).map(part), env.namedSet?.(String(e.set)), (x) => {
          const d = decode([x], env)
          return d.length === 1 && 'stmt' in d[0] ? d[0] : undefined
        })
        if (!st) throw new Unsupported('dynset')
        const meter = env.meter?.(String(e.set))
        if (meter) {
          const m = meterOf(st, meter.size)
          if (!m) throw new Unsupported('meter')
          push(m)
        } else push(st)
        loads = []
        break
      }
      case 'counter': {
        const p = num(e.packets ?? 0)
        const b = num(e.bytes ?? 0)
        push(p || b ? { stmt: 'counter', packets: p, bytes: b } : { stmt: 'counter' })
        break
      }
      case 'objref': {
        if (e.set !== undefined) {
          // An object map lookup: `counter name tcp dport map { 443 : "c1" }`.
          const name = String(e.set)
          const anon = isAnonymousSetName(name) ? env.anonSet(name) : undefined
          const specs = loads.map((l) => (l.kind === 'load' ? l.spec : undefined))
          if (!isAnonymousSetName(name)) {
            // `quota name ip saddr map @m`: the kernel's expression names no object type, the map's declaration does.
            const object = env.namedSet?.(name)?.object
            if (!object || !Object.hasOwn(OBJ_TYPE, object) || num(e.sreg) !== 1 || specs.length === 0 || specs.some((x) => !x)) throw new Unsupported('object map')
            const sels = (specs as SelectorSpec[]).map((x) => x.name)
            push({ stmt: object as keyof typeof OBJ_TYPE, key: sels.length === 1 ? sels[0] : sels, map: { set: name } })
            loads = []
            break
          }
          if (!anon || num(e.sreg) !== 1 || specs.length === 0 || specs.some((x) => !x) || anon.elements.some((x) => x.objref === undefined))
            throw new Unsupported('object map')
          const sels = (specs as SelectorSpec[]).map((x) => x.name)
          const ctKind = Object.entries(CT_OBJECT_TYPE).find(([, v]) => v === anon.objType)?.[0]
          if (ctKind) {
            // `ct helper set tcp dport map { 21 : "ftp" }`
            const stmt = `ct ${ctKind} set` as CtObjectMapStmt['stmt']
            push({ stmt, key: sels.length === 1 ? sels[0] : sels, map: anon.elements.map((x) => [x.key as never, x.objref as string] as const) })
            loads = []
            break
          }
          const kind = Object.entries(OBJ_TYPE).find(([, v]) => v === anon.objType)?.[0] as keyof typeof OBJ_TYPE | undefined
          if (kind === undefined) throw new Unsupported('object map type')
          push({ stmt: kind, key: sels.length === 1 ? sels[0] : sels, map: anon.elements.map((x) => [x.key as never, x.objref as string] as const) })
          loads = []
          break
        }
        const ct = decodeCtObjref(num(e.objType), String(e.name))
        if (ct) {
          push(ct)
          break
        }
        const kind = Object.entries(OBJ_TYPE).find(([, v]) => v === num(e.objType))?.[0] as keyof typeof OBJ_TYPE | undefined
        if (!kind || e.name === undefined) throw new Unsupported('objref')
        push({ stmt: kind, name: String(e.name) })
        break
      }
      case 'connlimit': {
        const st = decodeCtCount(num(e.count), num(e.flags ?? 0))
        if (!st) throw new Unsupported('connlimit flags')
        push(st)
        break
      }
      case 'notrack':
        push({ stmt: 'notrack' })
        break
      case 'rt': {
        if (num(e.key) !== 3 && e.dreg !== undefined) {
          // rt classid, rt ipsec: loads like meta keys.
          const id = identify(e)
          if (!id) throw new Unsupported('rt key')
          const r: Reg = { kind: 'load', spec: id.spec, native: e, len: id.len }
          regs.set(num(e.dreg), r)
          loads = num(e.dreg) === 1 ? [r] : [...loads, r]
          break
        }
        // rt tcpmss, converted to network order, feeds an MSS option write.
        if (num(e.key) !== 3 || e.dreg === undefined) throw new Unsupported('rt')
        regs.set(num(e.dreg), { kind: 'imm', data: Buffer.from('rt mtu') })
        if (exprs[i + 1]?.type === 'byteorder') i++
        break
      }
      case 'exthdr': {
        if (e.dreg !== undefined) {
          // A header field, option or chunk (and the bitwise of a sub-byte field).
          const id = identifyExthdr(e, exprs[i + 1], exprs[i + 2])
          if (!id) throw new Unsupported('exthdr load')
          i += id.skip
          useDeps(id.spec)
          const r: Reg = { kind: 'load', spec: id.spec, native: e, len: id.spec.size }
          regs.set(num(e.dreg), r)
          if (num(e.dreg) === 1) loads = [r]
          else loads.push(r)
          break
        }
        const reset = decodeResetTcpOption(e)
        if (reset) {
          push(reset)
          break
        }
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
      case 'log':
      case 'limit':
      case 'quota': {
        const st = e.type === 'log' ? decodeLog(e) : e.type === 'limit' ? decodeLimit(e) : decodeQuota(e)
        if (!st) throw new Unsupported(e.type)
        push(st)
        break
      }
      case 'reject':
        push(decodeReject(e, env.family, l3, useDeps))
        break
      case 'dup':
      case 'fwd': {
        const st = decodeDupFwd(e, (r) => immData(regs, r), env.family, env.ifname)
        if (!st) throw new Unsupported(e.type)
        push(st)
        break
      }
      case 'nat': {
        const src = e.regAddrMin !== undefined ? regs.get(num(e.regAddrMin)) : undefined
        const k = src?.kind === 'load' ? src.spec?.load.kind : undefined
        if (src?.kind === 'load' && (k === 'numgen' || k === 'hash')) {
          // The generated number is the address: `dnat to numgen inc mod 2 offset 167772161`.
          const flags = natFlagsField(num(e.flags ?? 0) & ~0x1)
          if (!flags || num(e.family) !== 2 || (e.regAddrMax !== undefined && num(e.regAddrMax) !== num(e.regAddrMin)) || e.regProtoMin !== undefined || src.mask || src.ops || src.hton || !src.spec) throw new Unsupported('nat from an expression')
          push({ stmt: num(e.natType) === 0 ? 'snat' : 'dnat', key: src.spec.name, ...(env.family === 'inet' ? { family: 'ip' as const } : {}), ...flags })
          loads = []
          break
        }
        push(decodeNat(e, regs, env.family))
        pendingMap = undefined
        break
      }
      case 'masq':
      case 'redir': {
        const stmt = e.type === 'masq' ? 'masquerade' : 'redirect'
        const flags = num(e.flags ?? 0)
        const withPort = e.regProtoMin !== undefined
        // A port comes with NF_NAT_RANGE_PROTO_SPECIFIED, and that flag only with a port.
        const f = natFlagsField(flags & ~0x2)
        if (!f || withPort !== ((flags & 0x2) !== 0)) throw new Unsupported(`${e.type} flags`)
        if (!withPort) {
          push({ stmt, ...f })
          break
        }
        const lo = regs.get(num(e.regProtoMin))
        const hi = e.regProtoMax !== undefined ? regs.get(num(e.regProtoMax)) : lo
        if (lo?.kind !== 'imm' || hi?.kind !== 'imm') throw new Unsupported(`${e.type} port`)
        const text = portText(lo.data, hi.data)
        push({ stmt, port: /^\d+$/.test(text) ? Number(text) : text, ...f })
        break
      }
      case 'tproxy': {
        const st = decodeTproxy(e, (reg) => immData(regs, reg), env.family)
        if (!st) throw new Unsupported('tproxy')
        push(st)
        break
      }
      case 'synproxy': {
        const st = decodeSynproxy(e)
        if (!st) throw new Unsupported('synproxy')
        push(st)
        break
      }
      default:
        throw new Unsupported(e.type)
    }
  }
  // A load (or bitwise) nothing compares has no nft text.
  // Immediates feed statements (nat, meta set, ...) that do not clear `loads`; a load nothing used is not printable.
  if (loads.some((l) => l.kind !== 'imm')) throw new Unsupported('unused load')
  if (depVlan && items.some((x) => !x.dropped && 'match' in x.expr && x.expr.match === 'vlan type')) depVlan.dropped = true
  if (pendingMap) throw new Unsupported('data map lookup')
  return items.filter((x) => !x.dropped).map((x) => x.expr)
}

/** nft's ICMP type context of a matched type: echo-reply stands for echo-request. */
/**
 * A payload read, one mask-and-xor of it and its write back to the same bytes
 * (nft's payload statement on a bitfield): the write and the bitwise operands.
 */
function payloadReadModifyWrite(exprs: readonly NativeExpr[], i: number): { write: NativeExpr; mask: Buffer; xor: Buffer } | undefined {
  const [load, bw, write] = [exprs[i], exprs[i + 1], exprs[i + 2]]
  if (load.dreg === undefined || bw?.type !== 'bitwise' || write?.type !== 'payload' || write.sreg === undefined) return undefined
  const reg = num(load.dreg)
  if (num(bw.sreg) !== reg || num(bw.dreg) !== reg || num(write.sreg) !== reg || num(bw.op ?? 0) !== 0) return undefined
  if (num(write.base) !== num(load.base) || num(write.offset) !== num(load.offset) || num(write.len) !== num(load.len)) return undefined
  if (num(bw.len) !== num(load.len)) return undefined
  return { write, mask: buf(bw.mask), xor: bw.xor === undefined ? Buffer.alloc(num(load.len)) : buf(bw.xor) }
}

function icmpContext(s: SelectorSpec, v: bigint): number {
  if (s.name === 'icmp type' && v === 0n) return 8
  if (s.name === 'icmpv6 type' && v === 129n) return 128
  return Number(v)
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

type PayloadLoad = Extract<SelectorSpec['load'], { kind: 'payload' }>

/** Bitfields among `cands` that fill `len` bytes exactly, first bits first (nft's payload_match_expand), or undefined. */
function splitByBitfields(cands: readonly SelectorSpec[], len: number): SelectorSpec[] | undefined {
  const all = (1n << BigInt(len * 8)) - 1n
  const byShift = [...cands].sort((a, b) => ((b.load as PayloadLoad).bits?.shift ?? 0) - ((a.load as PayloadLoad).bits?.shift ?? 0))
  const out: SelectorSpec[] = []
  let covered = 0n
  for (const c of byShift) {
    const m = bitfieldMaskValue(c.load as PayloadLoad)
    if ((covered & m) !== 0n) continue
    covered |= m
    out.push(c)
  }
  return covered === all && out.length > 1 ? out : undefined
}

/** The whole-byte raw payload selector of a payload load (`@nh,16,16`), registered in the table. */
function rawLoadSpec(e: NativeExpr): SelectorSpec | undefined {
  const name = rawPayloadName(num(e.base), num(e.offset), num(e.len))
  const sel = name ? normalizeSelector(name) : undefined
  return sel ? SELECTORS[sel] : undefined
}

const BITFIELDS = Object.values(SELECTORS).filter((s) => s.load.kind === 'payload' && s.load.bits)

/** Bitfield selectors loaded with these bytes, in the protocol context. */
function bitfieldsAt(base: number, offset: number, len: number, l3: 'ip' | 'ip6' | 'arp' | undefined, l4: number | undefined): SelectorSpec[] {
  return BITFIELDS.filter(
    (s) =>
      s.load.kind === 'payload' &&
      s.load.base === base &&
      s.load.offset === offset &&
      s.load.len === len &&
      (!s.l3 || s.l3 === l3) &&
      (s.l4 === undefined || s.l4 === l4),
  )
}

/**
 * An anonymous set of a bitfield's values. The listing decodes its keys by
 * the set's key type; `ip dscp`, `ip6 dscp` and `dccp type` have types of their own, but
 * integers and `ip6 ecn` are read unshifted, so they are shifted here.
 */
function bitfieldSet(s: SelectorSpec, set: AnonSet): AnonSet {
  const l = s.load as Extract<SelectorSpec['load'], { kind: 'payload' }>
  const shift = l.bits?.shift ?? 0
  if (s.type.name === 'dscp' || s.type.name === 'dccp_pkttype' || shift === 0) return set
  if (s.type.name !== 'integer') throw new Unsupported('bitfield set')
  return {
    elements: set.elements.map((e) => {
      if (typeof e.key !== 'number') throw new Unsupported('bitfield set key')
      return { ...e, key: e.key >> shift }
    }),
  }
}

/** The steps of a computed mark, as nft lists its mask, xor and shifts. */
function markSteps(r: Extract<Reg, { kind: 'load' }>): MarkStep[] {
  const t = (r.spec as SelectorSpec).type
  const out: MarkStep[] = []
  const ops = r.ops ?? (r.mask ? [{ mask: r.mask, xor: r.xor }] : [])
  for (const o of ops) {
    if ('shift' in o) out.push([o.shift, o.n])
    else for (const [op, n] of unfoldBits(32, t.decode(o.mask), o.xor ? t.decode(o.xor) : 0n)) out.push([op, Number(n)])
  }
  return out
}

/** The steps nft lists for a load's bitwise (mask, xor), typed as the model takes them. */
function bitsOf(s: SelectorSpec, r: Extract<Reg, { kind: 'load' }>): BitwiseStep[] {
  if (!r.mask) return []
  const t = s.type
  const steps = unfoldBits(s.size * 8, t.decode(r.mask), r.xor ? t.decode(r.xor) : 0n)
  return steps.map(([o, n]) => [o, bitsValue(s, n)] as BitwiseStep)
}

/** A number as a typed operand; flag bits without a name have no listing nftkit prints. */
/**
 * The elements of a flag set as nft lists them: a combination of flags as
 * `syn | ack`, ordered by lowest flag, combinations before that flag alone
 * (nft sorts the `a | b` expressions by their left-most flag).
 */
function flagSetElements(s: SelectorSpec, elements: readonly unknown[]): unknown[] {
  const low = (v: bigint) => v & -v
  const keyed = elements.map((x) => {
    const v = s.type.parse(x, 'value').lo
    const flags = s.flags ?? {}
    const names = (s.flagOrder ?? []).filter((n) => (BigInt(flags[n]) & v) !== 0n)
    const exact = names.length > 1 && names.reduce((a, n) => a | BigInt(flags[n]), 0n) === v
    return { v, x: exact ? names.join(' | ') : x }
  })
  // TCP flag sets come in nft's order already (lib/io/listing.ts): a stable sort keeps it.
  const within = s.type.name === 'tcp_flag' ? 0 : -1
  keyed.sort((a, b) => (low(a.v) === low(b.v) ? (a.v > b.v ? within : a.v < b.v ? -within : 0) : low(a.v) < low(b.v) ? -1 : 1))
  return keyed.map((k) => k.x)
}

function bitsValue(s: SelectorSpec, n: bigint): string | number | string[] {
  const v = typedOperand(s, n)
  if (s.flags && typeof v === 'number') throw new Unsupported('flag bits')
  return v
}

function cmpMatch(s: SelectorSpec, r: Extract<Reg, { kind: 'load' }>, data: Buffer, neg: boolean): Match {
  const op = neg ? ({ op: '!=' } as const) : {}
  if (r.mask) {
    const steps = bitsOf(s, r)
    // An all-ones mask lists as no mask at all; a lone `&` may still be a prefix or a flag test.
    if (steps.length === 0) r = { ...r, mask: undefined, xor: undefined }
    else if (steps.length > 1 || steps[0][0] !== '&' || !plainMask(s, r, data)) {
      if (data.length !== s.size) throw new Unsupported('length')
      const v = s.type.decode(data)
      const value = s.flags ? bitsValue(s, v) : jsValue(s.type, { lo: v, hi: v })
      if (s.flags && v === 0n) throw new Unsupported('flags & M ^ X == 0')
      return { match: s.name, bits: steps, ...op, value: (Array.isArray(value) ? value.join(' | ') : value) as never }
    }
  }
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

/**
 * Whether an `&` alone lists in one of nft's short forms nftkit reads: a flag
 * test against 0, an address or mark prefix.
 */
function plainMask(s: SelectorSpec, r: Extract<Reg, { kind: 'load' }>, data: Buffer): boolean {
  const mask = s.type.decode(r.mask as Buffer)
  if (s.flags) return s.type.decode(data) === 0n
  const host = prefixHostBits(mask, s.size * 8)
  if (host === undefined) return false
  if (s.type.name === 'ipv4_addr' || s.type.name === 'ipv6_addr') return data.length === s.size && (fromBytes(data) & host) === 0n
  if (s.type.name === 'mark') return mask !== 0n && (s.type.decode(data) & host) === 0n
  return false
}

function verdictStmt(code: number, chain: string | undefined): VerdictStmt | JumpStmt {
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
  l3: 'ip' | 'ip6' | 'arp' | undefined,
  useDeps: (s: { l3?: 'ip' | 'ip6'; l4?: number }) => void,
): Statement {
  const type = num(e.rejectType)
  const code = num(e.code ?? 0)
  // nft hides the `meta l4proto tcp` it adds for `reject with tcp reset` in
  // ip/ip6 tables unless a statement stands between them (`push` forgets
  // dependencies at statements: `meta l4proto tcp counter reject` shows it);
  // in inet/bridge/netdev tables it always shows it.
  if (type === REJECT_TYPE.tcpReset) {
    if (family === 'ip' || family === 'ip6') useDeps({ l4: 6 })
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

function immData(regs: Map<number, Reg>, reg: unknown): Buffer {
  const r = regs.get(num(reg))
  if (r?.kind !== 'imm') throw new Unsupported('register source')
  return r.data
}

function decodeNat(e: NativeExpr, regs: Map<number, Reg>, tableFamily: Family): Statement {
  const natType = num(e.natType) === 0 ? 'snat' : 'dnat'
  const fam = num(e.family) === 2 ? 'ip' : num(e.family) === 10 ? 'ip6' : undefined
  const src = e.regAddrMin !== undefined ? regs.get(num(e.regAddrMin)) : undefined
  if (src?.kind === 'map') {
    if (!fam) throw new Unsupported('nat family')
    const st = decodeNatMap(natType, fam, e as Record<string, unknown>, src, tableFamily)
    if (!st) throw new Unsupported('nat map')
    return st
  }
  // The kernel adds NF_NAT_RANGE_MAP_IPS (0x1) when there is an address.
  const flags = num(e.flags ?? 0) & ~(e.regAddrMin !== undefined ? 0x1 : 0)
  const extra = natFlagsField(flags & ~0x42)
  if (!extra) throw new Unsupported('nat flags')
  if (e.regAddrMin === undefined) {
    // A port alone: `dnat to :80` (family inet in inet tables, else the table's).
    if (e.regProtoMin === undefined || (flags & 0x42) !== 0x2) throw new Unsupported('nat')
    if (num(e.family) === 1 ? tableFamily !== 'inet' : !fam) throw new Unsupported('nat family')
    const port = portText(immData(regs, e.regProtoMin), e.regProtoMax !== undefined ? immData(regs, e.regProtoMax) : undefined)
    return { stmt: natType, to: `:${port}`, ...(fam && tableFamily === 'inet' ? { family: fam } : {}), ...extra }
  }
  if (!fam) throw new Unsupported('nat')
  const t = fam === 'ip' ? DATATYPES.ipv4_addr : DATATYPES.ipv6_addr
  const imm = (reg: unknown): Buffer => immData(regs, reg)
  const lo = t.decode(imm(e.regAddrMin))
  const hi = e.regAddrMax !== undefined ? t.decode(imm(e.regAddrMax)) : lo
  const prefix = (flags & 0x40) !== 0
  // The kernel reports addr_max = addr_min's register when there was no max.
  if (e.regAddrMax !== undefined && num(e.regAddrMax) !== num(e.regAddrMin) && lo === hi) throw new Unsupported('nat range of one address')
  // nft lists a range that is exactly a prefix as the prefix.
  const isPrefix = lo !== hi && prefixLength(lo, hi, t.size * 8) !== undefined
  let to = lo === hi ? String(t.format({ lo, hi: lo })) : prefix || isPrefix ? String(t.format({ lo, hi })) : `${t.format({ lo, hi: lo })}-${t.format({ lo: hi, hi })}`
  if (e.regProtoMin !== undefined) {
    const a = Number(fromBytes(imm(e.regProtoMin)))
    const b = e.regProtoMax !== undefined ? Number(fromBytes(imm(e.regProtoMax))) : a
    const port = a === b ? `${a}` : `${a}-${b}`
    to = fam === 'ip6' ? `[${to.replace('-', ']-[')}]:${port}` : `${to}:${port}`
  }
  return { stmt: natType, to, ...(prefix ? { prefix: true } : {}), ...(fam === 'ip6' ? { family: 'ip6' as const } : { family: 'ip' as const }), ...extra }
}


