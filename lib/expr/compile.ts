/**
 * Compiles typed rule expressions into kernel expressions exactly as nft does,
 * protocol dependencies included, so `nft list ruleset` prints the same rule.
 * @module
 */
import {
  CMP_OP,
  FAMILY_NUMBER,
  type Family,
  ICMP_CODE,
  ICMPV6_CODE,
  ICMPX_CODE,
  META_KEY,
  NAT_FLAG,
  NAT_TYPE,
  NFT_DATA_VERDICT,
  PAYLOAD_BASE,
  REJECT_TYPE,
  SET_FLAG,
  VERDICT_CODE,
} from '../kernel/constants.js'
import {
  DATATYPES,
  type Datatype,
  fromBytes,
  hostInteger,
  hostU32,
  type Interval,
  networkOrderView,
  isWrittenRange,
  paddedSize,
  parseIPv4,
  parseIPv6,
  prefixLength,
  toBytes,
} from '../kernel/datatypes.js'
import { CATCHALL, encodeElements, verdictFields } from '../elements/elements.js'
import { type Element, type ElementKey, isAnonymousSetElement, type ObjectMapType, type SetShape } from '../model/element-types.js'
import { compileElementStmts } from './set-stateful.js'
import { invalid } from '../kernel/errors.js'
import type { NativeExpr, NativeOp } from '../../types/native.js'
import { setUserdata } from '../model/set-userdata.js'
import { compileFibPresence, compileRedirect, compileSynproxy, compileTproxy, natFlagBits } from './stmt-nat.js'
import { anonymousSetName } from '../model/names.js'
import { compileDup, compileFwd } from './stmt-dup.js'
import { numgenLoadExprs } from './numgen.js'
import { encodeNatMapValue, natMapDataLen, natMapDataType, type NatMapLayout, natMapLayoutFor, natMapLayoutOfData, natMapRegs, natMapUserdata } from './stmt-natmap.js'
import { bitsOperand, compileMarkExpr, foldBits, prefixHostBits } from './bitwise.js'
import { bitfieldMask, bitfieldShift, isShiftedBitfield, refuseBitfield, refuseShiftedBitfield } from './subbyte.js'
import { anonymousKeyTypeof, typeofUdata } from './typeof.js'
import { compileRawPayloadSet } from './stmt-raw-payload.js'
import { type Load, normalizeSelector, SELECTORS, type SelectorSpec } from './selectors.js'
import { compileLimit, compileLog, compileQuota, OBJ_TYPE, objref } from './stmt-stateful.js'
import { exthdrLoadExprs, refuseBitsKey, resetTcpOptionExprs } from './exthdr.js'
import { CT_OBJECT_TYPE } from '../kernel/ct-types.js'
import { compileCtLabelMatch, compileCtStatement, type CtStatement, isCtStatement } from './ct.js'
import { compileSetStmt, type SetStmtHost } from './stmt-set.js'
import { compileMeter } from './stmt-meter.js'
import { compileBinding, isBinding } from './stmt-binding.js'
import { payloadSetExprs, payloadWriteOf } from './stmt-payload.js'
import { hashExpr, isNumgenOrHash, numgenExpr } from './numgen-hash.js'
import type { AnonymousSet, BitwiseStep, CtObjectMapStmt, HashExpr, MapValue, Match, MatchOp, MetaSetKey, NatMapStmt, NatStmt, NumgenExpr, ObjectMapStmt, RuleExpr, Selector, SetRef, Statement, Verdict } from '../model/rule-types.js'

/** What the compiler knows about a named set a rule refers to. */
export interface SetInfo {
  readonly name: string
  /** Set id when the set is created in the same transaction. */
  readonly id?: number
  /** Key field types, when known. */
  readonly key?: readonly Datatype[]
  /** 'verdict' for verdict maps, a datatype for data maps, undefined for sets. */
  readonly data?: Datatype | 'verdict'
  /**
   * Whether the set has the interval flag (default false). Lookups of
   * host-order keys (marks) in interval sets convert the key to network order
   * first, as nft does.
   */
  readonly interval?: boolean
  /** Whether the set has the dynamic flag, when known (set statements need it, as nft gives it). */
  readonly dynamic?: boolean
  /** For an object map (`type ipv4_addr : quota`): the type of the objects its elements name. */
  readonly object?: ObjectMapType
}

/** The environment a rule is compiled in. */
export interface CompileEnv {
  readonly family: Family
  readonly table: string
  /** Looks up a named set; undefined if unknown (the kernel will check). */
  findSet(name: string): SetInfo | undefined
  /** Allocates a set id for an anonymous set in the current transaction. */
  nextSetId(): number
  /**
   * Index of the interface with this name in the network namespace the rule
   * is for (`meta iif "lo"` compiles to `lo`'s index, as nft does). Without
   * it interface names are refused (indexes given as numbers still compile).
   */
  ifindex?(name: string): number | undefined
}

/** A compiled rule: its expressions and the anonymous sets it needs first. */
export interface CompiledRule {
  readonly exprs: NativeExpr[]
  readonly sets: NativeOp[]
}

interface Ctx {
  l2?: boolean
  /** Set by an explicit link-layer match (`meta iiftype`, `ether type`): nft then derives network dependencies from the link layer. */
  l2explicit?: string
  l3?: 'ip' | 'ip6' | 'arp'
  l4?: number
  /** `ether type 8021q` is matched (explicitly or as a vlan dependency): network dependencies then check `vlan type`. */
  vlan?: boolean
  /** The `ether type` match nft adds after `meta iiftype ether` (inet, netdev). */
  etherTypeDep?: NativeExpr
  /** The ICMP(v6) type the rule matched (nft's th_dep: echo-reply counts as echo-request). */
  icmp?: number
  /** A transport protocol set was matched (`meta l4proto { tcp, udp }`): nft then allows port mappings. */
  l4set?: boolean
  /** The compare of the last byte-aligned prefix match (`ip6 saddr fe80::/64`): nft merges no prefix with the next match. */
  prefixCmp?: NativeExpr
  readonly env: CompileEnv
  readonly out: NativeExpr[]
  readonly sets: NativeOp[]
}

const NFPROTO = { ip: 2, ip6: 10 } as const
const ETHERTYPE = { ip: 0x0800, ip6: 0x86dd, arp: 0x0806 } as const
const LOOKUP_F_INV = 1
const BYTEORDER_HTON = 1

/**
 * Compiles one rule's expressions.
 * @param path field path used in error messages, e.g. `rule.exprs`.
 * @throws NftValidationError naming the expression and field on bad input.
 */
export function compileRule(exprs: readonly RuleExpr[], env: CompileEnv, path: string): CompiledRule {
  if (!Array.isArray(exprs)) invalid(path, 'Expected an array of matches and statements', exprs)
  const ctx: Ctx = { env, out: [], sets: [] }
  const stmtStarts = new Set<number>()
  if (env.family === 'ip') ctx.l3 = 'ip'
  if (env.family === 'ip6') ctx.l3 = 'ip6'
  if (env.family === 'arp') ctx.l3 = 'arp'
  exprs.forEach((e, i) => {
    const p = `${path}[${i}]`
    if (typeof e !== 'object' || e === null) invalid(p, 'Expected a match ({ match, value }) or a statement ({ stmt })', e)
    if ('match' in e) compileMatch(ctx, e as Match, p)
    else if ('stmt' in e) {
      if ((e as Statement).stmt !== 'vmap') stmtStarts.add(ctx.out.length)
      compileStatement(ctx, e as Statement, p)
    }
    else if ('raw' in e) ctx.out.push(...((e as unknown as { raw: NativeExpr[] }).raw ?? []))
    else invalid(p, 'Expected a match ({ match, value }) or a statement ({ stmt })', e)
  })
  if (ctx.etherTypeDep) refuseEtherTypeMerge(ctx, path)
  refuseMergeAcrossStatements(ctx.out, stmtStarts, path)
  return { exprs: ctx.out, sets: ctx.sets }
}

/**
 * nft merges equality matches on adjacent header fields into one load
 * (rule.c, stmt_reduce). It means to stop at statements, but a statement
 * after fewer than two such matches does not stop it: `ether saddr X counter
 * ether type Y` loads both after the counter, so the counter counts packets of
 * any source. nftkit does not merge; where nft's merge crosses a statement the
 * rule would behave differently, so it is refused.
 */
function refuseMergeAcrossStatements(out: readonly NativeExpr[], stmtStarts: ReadonlySet<number>, path: string): void {
  let window: { base: number; offset: number; len: number; op: number; epoch: number }[] = []
  let epoch = 0
  const check = () => {
    const sorted = [...window].sort((a, b) => a.base - b.base || a.offset - b.offset)
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1]
      const b = sorted[i]
      const total = a.len + b.len
      const merges = a.base === b.base && a.offset + a.len === b.offset && a.op === b.op && total <= 16 && (total <= 4 || a.base === PAYLOAD_BASE.ll || a.len > 4 || b.len > 4)
      if (merges && a.epoch !== b.epoch)
        invalid(path, 'nftkit does not support matches on adjacent header fields with a statement between them yet (nft merges them into one load after the statement)', out.length)
    }
  }
  out.forEach((e, i) => {
    if (stmtStarts.has(i)) {
      epoch++
      if (window.length >= 2) {
        check()
        window = []
      }
      return
    }
    const next = out[i + 1]
    if (e.type !== 'payload' || next?.type !== 'cmp' || Number(next.op) > CMP_OP.neq) return
    window.push({ base: Number(e.base), offset: Number(e.offset), len: Number(e.len), op: Number(next.op), epoch })
  })
  if (window.length >= 2) check()
}

/**
 * nft merges the `ether type` it adds after `meta iiftype ether` with an
 * adjacent Ethernet header match (`ether saddr`) into one load at the place of
 * the type, which moves that match; nftkit does not merge, so it refuses that.
 */
function refuseEtherTypeMerge(ctx: Ctx, path: string): void {
  ctx.out.forEach((e, i) => {
    if (e === ctx.etherTypeDep || e.type !== 'payload' || Number(e.base) !== PAYLOAD_BASE.ll) return
    const next = ctx.out[i + 1]
    const adjacent = Number(e.offset) + Number(e.len) === 12 || Number(e.offset) === 14
    if (adjacent && next?.type === 'cmp' && (Number(next.op) === CMP_OP.eq || Number(next.op) === CMP_OP.neq))
      invalid(path, "nftkit does not support an Ethernet header match next to the ether type nft adds after 'meta iiftype' yet (nft merges them into one load)", ctx.out.length)
  })
}

// ------------------------------------------------------------------ helpers

function selector(s: unknown, path: string): SelectorSpec {
  const name = typeof s === 'string' ? normalizeSelector(s) : undefined
  if (!name) return invalid(path, `Expected a selector such as 'ip saddr', 'tcp dport', 'meta iifname', 'ct state'`, s)
  return SELECTORS[name]
}

function load(ctx: Ctx, l: Load, dreg: number, lenOverride?: number): void {
  if (l.kind === 'payload') {
    ctx.out.push({ type: 'payload', dreg, base: l.base, offset: l.offset, len: lenOverride ?? l.len })
    if (l.bits) ctx.out.push(bitfieldMask(l, dreg))
  }
  else if (l.kind === 'meta') ctx.out.push({ type: 'meta', key: l.key, dreg })
  else if (l.kind === 'exthdr') ctx.out.push(...exthdrLoadExprs(l, dreg, lenOverride))
  else if (l.kind === 'rt') ctx.out.push({ type: 'rt', key: l.key, dreg })
  else if (l.kind === 'socket') ctx.out.push({ type: 'socket', key: l.key, dreg })
  else if (l.kind === 'xfrm') ctx.out.push({ type: 'xfrm', key: l.key, dir: l.dir, spnum: l.spnum, dreg })
  else if (l.kind === 'fib') ctx.out.push({ type: 'fib', flags: l.flags, result: l.result, dreg })
  else if (l.kind === 'osf') ctx.out.push({ type: 'osf', dreg, ttl: l.ttl, ...(l.flags ? { flags: l.flags } : {}) })
  else if (l.kind === 'numgen' || l.kind === 'hash') ctx.out.push(...numgenLoadExprs(l, dreg, (src, reg) => load(ctx, src.load as Load, reg)))
  else ctx.out.push({ type: 'ct', key: l.key, dreg, ...(l.dir !== undefined ? { dir: l.dir } : {}) })
}

/**
 * Converts a host-order integer (mark, ct state, interface type) loaded into
 * `reg` to network order, as nft does before comparing it by order: in ranges
 * and interval-set lookups, whose bounds and elements are big-endian.
 */
function hton(ctx: Ctx, s: SelectorSpec, reg: number): void {
  if (hostInteger(s.type)) ctx.out.push({ type: 'byteorder', sreg: reg, dreg: reg, op: BYTEORDER_HTON, len: s.size, size: s.size })
}

/** Loads a set key (one selector or a concatenation), converted to network order for interval sets. */
function loadKey(ctx: Ctx, specs: readonly SelectorSpec[], interval: boolean): void {
  // jhash loads its source into register 2, where a concatenation's next field may be.
  if (specs.length > 1 && specs.some((s) => s.load.kind === 'hash')) invalid('key', 'nftkit does not support jhash or symhash in a concatenation yet', specs.map((s) => s.name))
  let word = 0
  specs.forEach((s, i) => {
    const reg = i === 0 ? 1 : 8 + word
    load(ctx, s.load, reg)
    if (interval) hton(ctx, s, reg)
    word += paddedSize(s.size) / 4
  })
}

/**
 * Whether a lookup in a named set compares by order. Only matters for host-order
 * keys; for those nftkit must know the set (declared in the transaction or
 * listed), or the rule would compare in the wrong byte order.
 */
function namedInterval(info: SetInfo | undefined, specs: readonly SelectorSpec[], name: string, path: string): boolean {
  const host = specs.find((s) => hostInteger(s.type))
  if (!host) return false
  if (!info)
    invalid(
      path,
      `Expected a set nftkit knows (declared in this transaction, or read with list() first): a ${host.name} lookup compiles differently for interval sets, so the flags of set ${name} are needed`,
      { set: name },
    )
  return info.interval === true
}

function cmp(ctx: Ctx, op: number, data: Uint8Array): void {
  ctx.out.push({ type: 'cmp', sreg: 1, op, data })
}

/** Adds the network-protocol dependency nft adds for `l3` (or checks it is already met). */
function needL3(ctx: Ctx, l3: 'ip' | 'ip6' | 'arp', what: string, path: string): void {
  if (ctx.l3 === l3) return
  if (ctx.env.family === 'arp') invalid(path, `Expected a match valid in an arp table: ${what} needs ${l3}`, what)
  if (ctx.l3) invalid(path, `Expected a ${ctx.l3} match: ${what} needs ${l3}, but this rule already matches ${ctx.l3}`, what)
  const fam = ctx.env.family
  if (l3 === 'arp' && fam !== 'bridge' && fam !== 'netdev')
    invalid(path, `Expected a match valid in a ${fam} table: ${what} is an ARP header field (arp, bridge and netdev tables)`, what)
  if (ctx.vlan && fam === 'bridge') {
    // Behind an 802.1Q header nft checks the vlan header's type.
    load(ctx, SELECTORS['vlan type'].load, 1)
    cmp(ctx, CMP_OP.eq, toBytes(BigInt(ETHERTYPE[l3]), 2))
    ctx.l3 = l3
    return
  }
  // nft then checks `ether type` (and merges it with adjacent link-layer matches), not meta nfproto/protocol.
  if (ctx.l2explicit === 'meta iiftype' && (fam === 'inet' || fam === 'netdev')) {
    // After `meta iiftype ether` nft checks the Ethernet header's type.
    const dep: NativeExpr = { type: 'payload', dreg: 1, base: PAYLOAD_BASE.ll, offset: 12, len: 2 }
    ctx.out.push(dep)
    cmp(ctx, CMP_OP.eq, toBytes(BigInt(ETHERTYPE[l3]), 2))
    ctx.l3 = l3
    ctx.etherTypeDep = dep
    return
  }
  // In bridge tables `meta iiftype` changes nothing: meta protocol as usual.
  if (ctx.l2explicit && fam !== 'ip' && fam !== 'ip6' && !(ctx.l2explicit === 'meta iiftype' && fam === 'bridge'))
    invalid(path, `nftkit does not support ${what} after '${ctx.l2explicit}' in a ${fam} table yet`, what)
  if (fam === 'inet' && l3 !== 'arp') {
    ctx.out.push({ type: 'meta', key: META_KEY.nfproto, dreg: 1 })
    cmp(ctx, CMP_OP.eq, Buffer.from([NFPROTO[l3]]))
  } else if (fam === 'bridge' || fam === 'netdev') {
    ctx.out.push({ type: 'meta', key: META_KEY.protocol, dreg: 1 })
    cmp(ctx, CMP_OP.eq, toBytes(BigInt(ETHERTYPE[l3]), 2))
  } else {
    invalid(path, `Expected a match valid in a ${fam} table: ${what} needs ${l3}`, what)
  }
  ctx.l3 = l3
}

/** Adds the `meta l4proto` dependency nft adds for a transport match. */
function needL4(ctx: Ctx, l4: number, what: string, path: string): void {
  if (ctx.l4 === l4) return
  if (ctx.l4 !== undefined)
    invalid(path, `Expected one transport protocol per rule: ${what} needs protocol ${l4}, but this rule already matches protocol ${ctx.l4}`, what)
  ctx.out.push({ type: 'meta', key: META_KEY.l4proto, dreg: 1 })
  cmp(ctx, CMP_OP.eq, Buffer.from([l4]))
  ctx.l4 = l4
}

function deps(ctx: Ctx, s: SelectorSpec, path: string): void {
  if ((s.l2 || s.vlan) && !ctx.l2) {
    const fam = ctx.env.family
    if (fam !== 'bridge') {
      // Link-layer headers are only Ethernet when the input interface is.
      ctx.out.push({ type: 'meta', key: META_KEY.iiftype, dreg: 1 })
      cmp(ctx, CMP_OP.eq, SELECTORS['meta iiftype'].type.encode(1n))
    }
    ctx.l2 = true
  }
  if (s.vlan && !ctx.vlan) {
    if (ctx.l2explicit === 'ether type') invalid(path, `nftkit does not support ${s.name} after an 'ether type' other than 8021q yet`, s.name)
    // In ip, ip6 and arp tables the network protocol is the family's, not a link-layer match the vlan's would contradict.
    if (ctx.l3 && ctx.env.family !== 'ip' && ctx.env.family !== 'ip6' && ctx.env.family !== 'arp')
      invalid(path, `nftkit does not support ${s.name} after a network header match yet`, s.name)
    const et = SELECTORS['ether type']
    load(ctx, et.load, 1)
    cmp(ctx, CMP_OP.eq, et.type.encode(0x8100n))
    ctx.vlan = true
  }
  // As nft: a transport field whose protocol the rule already matched needs no
  // network dependency, and one of another network protocol than the rule's
  // (icmpv6 after `meta nfproto ipv4`, icmp in an ip6 table) only its l4proto.
  const l4known = s.l4 !== undefined && ctx.l4 === s.l4
  const l3other = s.l4 !== undefined && ctx.l3 !== undefined && ctx.l3 !== s.l3
  if (s.l3 && !l4known && !l3other) needL3(ctx, s.l3, s.name, path)
  if (s.l4 !== undefined) needL4(ctx, s.l4, s.name, path)
  if (s.icmpType) needIcmpType(ctx, s, path)
  if (s.name === 'ether type') ctx.l2explicit = 'ether type'
}

/**
 * The `icmp type` match nft adds before a field that exists only in some ICMP
 * messages (payload.c, payload_gen_icmp_dependency): a compare, or for the
 * echo fields an anonymous set `{ echo-request, echo-reply }`; none when the
 * rule already matched that type, an error when it matched another.
 */
function needIcmpType(ctx: Ctx, s: SelectorSpec, path: string): void {
  const want = s.icmpType as readonly number[]
  const type = SELECTORS[s.l4 === 58 ? 'icmpv6 type' : 'icmp type']
  if (ctx.icmp === want[0]) return
  if (ctx.icmp !== undefined)
    invalid(path, `Expected a matching ${type.name}: ${s.name} needs type ${want[0]}, but this rule matches type ${ctx.icmp} (nft: incompatible icmp match)`, s.name)
  if (want.length === 1) {
    load(ctx, type.load, 1)
    cmp(ctx, CMP_OP.eq, type.type.encode(BigInt(want[0])))
  } else {
    const set = anonymousSet(ctx, [type.type], want as Element[], path)
    load(ctx, type.load, 1)
    lookup(ctx, set.name, set.id, false)
  }
  ctx.icmp = want[0]
}

/** nft's protocol context for ICMP types: echo-reply stands for echo-request. */
function icmpContext(s: SelectorSpec, v: bigint): number {
  if (s.name === 'icmp type' && v === 0n) return 8
  if (s.name === 'icmpv6 type' && v === 129n) return 128
  return Number(v)
}

function isSetRef(v: unknown): v is SetRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as SetRef).set === 'string'
}

function isAnonymousSet(v: unknown): v is AnonymousSet {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Array.isArray((v as AnonymousSet).elements)
}

function opOf(m: Match, path: string): '==' | '!=' {
  if (m.op === undefined || m.op === '==') return '=='
  if (m.op === '!=') return '!='
  if (m.op === 'in' || m.op === '!')
    return invalid(`${path}.op`, `Expected '==' or '!=' ('${m.op}' is a bit test of tcp flags, ct state or ct status against flag names, not a set lookup)`, m.op)
  return invalid(`${path}.op`, "Expected '==' or '!=' (or for flag selectors 'in' or '!')", m.op)
}

// ------------------------------------------------------------------ matches

function hasIfindex(sel: unknown): boolean {
  const list = Array.isArray(sel) ? sel : [sel]
  return list.some((x) => typeof x === 'string' && SELECTORS[normalizeSelector(x) as Selector]?.ifindex)
}

/** One interface: a name resolved in the target namespace (as nft: a name first, then a number), or an index. */
function ifindexOf(ctx: Ctx, v: unknown, path: string): unknown {
  if (typeof v !== 'string') return v
  const idx = ctx.env.ifindex?.(v)
  if (idx !== undefined) return idx
  if (/^\d+$/.test(v)) return Number(v)
  if (!ctx.env.ifindex)
    invalid(path, `Expected an interface index: interface names are resolved in the network namespace the rule is committed to, which this compile has no access to (use a client's transaction, or give the index as a number)`, v)
  return invalid(path, `Expected an existing interface: there is no interface "${v}" in the target network namespace`, v)
}

/** Resolves the interface names of interface-index selectors in a value (single, list, set, tuples, map keys). */
function ifindexValue(ctx: Ctx, sels: readonly unknown[], v: unknown, path: string): unknown {
  const ifx = sels.map((x) => typeof x === 'string' && SELECTORS[normalizeSelector(x) as Selector]?.ifindex === true)
  const key = (k: unknown, p: string): unknown => {
    if (sels.length === 1) return ifx[0] ? ifindexOf(ctx, k, p) : k
    return Array.isArray(k) ? k.map((x, j) => (ifx[j] ? ifindexOf(ctx, x, `${p}[${j}]`) : x)) : k
  }
  // An element with statements: its key resolved, its statements kept.
  const elem = (e: unknown, p: string): unknown => (isAnonymousSetElement(e) ? { ...e, key: key(e.key, `${p}.key`) } : key(e, p))
  if (isSetRef(v)) return v
  if (isAnonymousSet(v)) return { elements: v.elements.map((e, i) => elem(e, `${path}.elements[${i}]`)) }
  if (Array.isArray(v) && (sels.length === 1 || Array.isArray(v[0]) || isAnonymousSetElement(v[0]))) return v.map((e, i) => elem(e, `${path}[${i}]`))
  return key(v, path)
}

function compileMatch(ctx: Ctx, m: Match, path: string): void {
  if (Array.isArray(m.match) && m.match.length === 1) {
    compileMatch(ctx, { ...m, match: m.match[0] }, path)
    return
  }
  if (m.bits !== undefined) return void compileBitsMatch(ctx, m, path)
  if (hasIfindex(m.match)) m = { ...m, value: ifindexValue(ctx, [m.match].flat(), m.value, `${path}.value`) as Match['value'] }
  const flagSpec = typeof m.match === 'string' ? SELECTORS[normalizeSelector(m.match) as Selector] : undefined
  if (flagSpec?.flags && !isSetRef(m.value) && !isAnonymousSet(m.value)) {
    if (m.value === undefined) invalid(`${path}.value`, `Expected a value for ${flagSpec.name}`, m.value)
    if (m.op !== undefined && m.op !== '==' && m.op !== '!=' && m.op !== 'in' && m.op !== '!')
      invalid(`${path}.op`, "Expected '==', '!=', 'in' or '!'", m.op)
    deps(ctx, flagSpec, path)
    compileFlags(ctx, flagSpec, m.op, m.value, `${path}.value`)
    return
  }
  if (m.op === '<' || m.op === '>' || m.op === '<=' || m.op === '>=') {
    compileRelational(ctx, m, m.op, path)
    return
  }
  if (flagSpec?.load.kind === 'fib' && flagSpec.load.result === 1 && (m.value === 'exists' || m.value === 'missing')) {
    compileFibPresence(ctx.out, flagSpec, m, path)
    return
  }
  if (flagSpec?.name === 'ct label') {
    compileCtLabelMatch(ctx.out, m, path)
    return
  }
  const op = opOf(m, path)
  if (Array.isArray(m.match)) {
    compileConcatMatch(ctx, m.match, op, m.value, path)
    return
  }
  const s = selector(m.match, `${path}.match`)
  const vpath = `${path}.value`
  const v = m.value
  if (v === undefined) invalid(vpath, `Expected a value for ${s.name}`, v)
  deps(ctx, s, path)
  if (isSetRef(v)) {
    const info = ctx.env.findSet(v.set)
    const shift = namedKeyShift(s, info)
    if (shift) {
      load(ctx, s.load, 1)
      ctx.out.push(shift)
      lookup(ctx, v.set, info?.id, op === '!=')
      return
    }
    refuseShiftedBitfield(s, 'a lookup in a named set', vpath)
    checkSetKey(info, [s], vpath)
    loadKey(ctx, [s], namedInterval(info, [s], v.set, vpath))
    lookup(ctx, v.set, info?.id, op === '!=')
    return
  }
  if (isAnonymousSet(v)) {
    if (!Array.isArray(v.elements) || v.elements.length === 0) invalid(`${vpath}.elements`, 'Expected a non-empty list of values', v.elements)
    const set = anonymousSet(ctx, [s.type], v.elements as Element[], `${vpath}.elements`, undefined, anonymousKeyTypeof([s], vpath))
    loadKey(ctx, [s], set.interval)
    lookup(ctx, set.name, set.id, op === '!=')
    trackIcmpSet(ctx, s, op, v.elements, vpath)
    if (op === '==') trackContext(ctx, s, op, undefined)
    return
  }
  if (Array.isArray(v)) {
    if (v.length === 0) invalid(vpath, 'Expected a non-empty list of values', v)
    // An element with statements needs a set, even alone (nft 1.0.8 and later keep it one).
    if (v.length > 1 || isAnonymousSetElement(v[0])) {
      const set = anonymousSet(ctx, [s.type], v as Element[], vpath, undefined, anonymousKeyTypeof([s], vpath))
      loadKey(ctx, [s], set.interval)
      lookup(ctx, set.name, set.id, op === '!=')
      trackIcmpSet(ctx, s, op, v, vpath)
      if (op === '==') trackContext(ctx, s, op, undefined)
      return
    }
    compileSingle(ctx, s, op, v[0], vpath)
    return
  }
  compileSingle(ctx, s, op, v, vpath)
}

const RELATIONAL = { '<': CMP_OP.lt, '>': CMP_OP.gt, '<=': CMP_OP.lte, '>=': CMP_OP.gte } as const

/**
 * `meta skuid < 3000`: one order compare, in network byte order (host-order
 * keys are converted first, as nft does).
 */
function compileRelational(ctx: Ctx, m: Match, op: keyof typeof RELATIONAL, path: string): void {
  if (Array.isArray(m.match)) invalid(`${path}.match`, `Expected one selector for '${op}' (not a concatenation)`, m.match)
  const s = selector(m.match, `${path}.match`)
  const vpath = `${path}.value`
  const v = m.value
  if (s.flags || s.wildcard || s.ifindex || s.type.name === 'ifname' || s.type.name === 'ether_addr')
    invalid(`${path}.op`, `Expected '==' or '!=' for ${s.name} ('${op}' compares integers, addresses, times and class ids)`, op)
  if (typeof v !== 'string' && typeof v !== 'number') invalid(vpath, `Expected one value to compare ${s.name} with (not a set or list)`, v)
  const iv = s.type.parse(v, vpath)
  if (iv.lo !== iv.hi || isWrittenRange(s.type, v)) invalid(vpath, `Expected one value to compare ${s.name} with (not a range or prefix)`, v)
  deps(ctx, s, path)
  load(ctx, s.load, 1)
  hton(ctx, s, 1)
  cmp(ctx, RELATIONAL[op], networkOrderView(s.type).encode(iv.lo))
}

function compileSingle(ctx: Ctx, s: SelectorSpec, op: '==' | '!=', v: unknown, vpath: string): void {
  const cmpOp = op === '==' ? CMP_OP.eq : CMP_OP.neq
  if (s.wildcard && typeof v === 'string' && v.endsWith('*') && !v.endsWith('\\*')) {
    const stem = v.slice(0, -1)
    if (stem.length === 0 || Buffer.byteLength(stem) > 15 || stem.includes('*'))
      invalid(vpath, 'Expected an interface name or prefix wildcard like "eth*" (1-15 bytes before the *)', v)
    load(ctx, s.load, 1)
    cmp(ctx, cmpOp, Buffer.from(stem))
    return
  }
  let iv = s.type.parse(v, vpath)
  // A range written as a range stays one (nft compiles `a-b` to >= and <=
  // even when it covers exactly one prefix or one value).
  const written = isWrittenRange(s.type, v)
  if (iv.lo === iv.hi && !written) {
    if (s.load.kind === 'payload') refuseReversedMerge(ctx, s, vpath)
    load(ctx, s.load, 1)
    cmp(ctx, cmpOp, s.type.encode(iv.lo))
    trackContext(ctx, s, op, iv.lo)
    return
  }
  const bits = s.size * 8
  if (hostInteger(s.type) && !written && prefixLength(iv.lo, iv.hi, bits) !== undefined) {
    // `meta mark 0x10/28`: nft masks the host-order value (no conversion) and compares it.
    const mask = ((1n << BigInt(bits)) - 1n) ^ (iv.hi - iv.lo)
    load(ctx, s.load, 1)
    ctx.out.push({ type: 'bitwise', sreg: 1, dreg: 1, len: s.size, mask: s.type.encode(mask), xor: s.type.encode(0n) })
    cmp(ctx, cmpOp, s.type.encode(iv.lo))
    return
  }
  const isAddr = s.type.name === 'ipv4_addr' || s.type.name === 'ipv6_addr'
  const plen = isAddr && !written ? prefixLength(iv.lo, iv.hi, bits) : undefined
  if (plen !== undefined) {
    const full = s.type.encode(iv.lo)
    // Byte-aligned prefixes load fewer bytes; others (and /0) mask the whole address, as nft does.
    if (plen % 8 === 0 && plen > 0) {
      load(ctx, s.load, 1, plen / 8)
      cmp(ctx, cmpOp, full.subarray(0, plen / 8))
      ctx.prefixCmp = ctx.out.at(-1)
    } else {
      load(ctx, s.load, 1)
      const mask = toBytes(((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - plen)) - 1n), s.size)
      ctx.out.push({ type: 'bitwise', sreg: 1, dreg: 1, len: s.size, mask, xor: Buffer.alloc(s.size) })
      cmp(ctx, cmpOp, full)
    }
    return
  }
  if (!s.type.ordered) invalid(vpath, `Expected a single value: ranges are not supported for ${s.name}`, v)
  load(ctx, s.load, 1)
  // Ranges compare in network order: host-order integers are converted first.
  hton(ctx, s, 1)
  const t = networkOrderView(s.type)
  if (iv.lo > iv.hi) {
    // A range of hours that wraps past midnight (in UTC): nft compiles the
    // range between its ends, negated (`"21:00"-"02:00"` is `!= "02:00"-"21:00"`).
    op = op === '==' ? '!=' : '=='
    iv = { lo: iv.hi, hi: iv.lo }
  }
  if (op === '==') {
    cmp(ctx, CMP_OP.gte, t.encode(iv.lo))
    cmp(ctx, CMP_OP.lte, t.encode(iv.hi))
  } else {
    ctx.out.push({ type: 'range', sreg: 1, op: 1, from: t.encode(iv.lo), to: t.encode(iv.hi) })
  }
}

/**
 * A masked comparison (`meta mark & 0x3 == 1`, `tcp flags & (syn | ack) ==
 * syn`): the selector, one bitwise (mask, xor) as nft folds the steps, then a
 * compare or an anonymous-set lookup (see bitwise.ts).
 */
function compileBitsMatch(ctx: Ctx, m: Match, path: string): void {
  if (typeof m.match !== 'string') invalid(`${path}.match`, 'Expected one selector (not a concatenation) with bits', m.match)
  const s = selector(m.match, `${path}.match`)
  refuseBitfield(s, 'a bitwise expression', `${path}.bits`)
  const rel = m.op === '<' || m.op === '>' || m.op === '<=' || m.op === '>=' ? m.op : undefined
  if (m.op !== undefined && m.op !== '==' && m.op !== '!=' && !rel) invalid(`${path}.op`, "Expected '==', '!=', '<', '>', '<=' or '>=' with bits", m.op)
  // An order compare of masked bits (`ip saddr & 0.0.0.255 < 0.0.0.127`): network-order fields only, as their bytes compare in order.
  if (rel && (hostInteger(s.type) || s.flags)) invalid(`${path}.op`, `nftkit does not support the comparison '${s.name} & ... ${rel}' yet`, m.op)
  const neg = m.op === '!='
  const f = foldBits(s, m.bits as readonly BitwiseStep[], `${path}.bits`)
  const v = m.value
  const vpath = `${path}.value`
  if (v === undefined) invalid(vpath, `Expected a value for ${s.name}`, v)
  deps(ctx, s, path)
  const bitwise = () => {
    load(ctx, s.load, 1)
    if (f.emit) ctx.out.push({ type: 'bitwise', sreg: 1, dreg: 1, len: s.size, mask: s.type.encode(f.mask), xor: s.type.encode(f.xor) })
  }
  const list = isAnonymousSet(v) ? v.elements : Array.isArray(v) && v.length > 1 ? v : undefined
  if ((list ?? (Array.isArray(v) ? v : [])).some(isAnonymousSetElement)) invalid(vpath, 'nftkit does not support statements in the elements of a set after a bitwise expression yet', v)
  if (rel && (list !== undefined || isSetRef(v) || f.transfer !== undefined))
    invalid(vpath, `Expected one value to compare ${s.name} & ... with '${rel}' (no set, no trailing '^')`, v)
  if (list !== undefined) {
    if (f.transfer !== undefined) invalid(`${path}.bits`, "nftkit does not support a trailing '^' step with a set of values yet", m.bits)
    if (list.length === 0) invalid(vpath, 'Expected a non-empty list of values', list)
    const elems = list.map((x, i) => (s.flags ? Number(bitsOperand(s, x, `${vpath}[${i}]`)) : x))
    const set = anonymousSet(ctx, [s.type], elems as Element[], vpath)
    if (set.interval) invalid(vpath, 'nftkit does not support ranges in a set after a bitwise expression yet', v)
    bitwise()
    lookup(ctx, set.name, set.id, neg)
    return
  }
  if (isSetRef(v)) invalid(vpath, 'nftkit does not support a named set after a bitwise expression yet', v)
  const one = Array.isArray(v) ? v[0] : v
  let x = bitsOperand(s, one, vpath)
  if (f.transfer !== undefined) x ^= f.transfer
  // nft lists an address compared under a prefix mask as a prefix (`ip daddr >= 10.1.0.0/16`), a form nftkit has no typed match for yet.
  const host = prefixHostBits(f.mask, s.size * 8)
  if (rel && (s.type.name === 'ipv4_addr' || s.type.name === 'ipv6_addr') && host !== undefined && (x & host) === 0n)
    invalid(`${path}.bits`, `nftkit does not support the comparison '${s.name} & PREFIX ${rel}' yet (nft lists it as a prefix)`, m.bits)
  bitwise()
  cmp(ctx, rel ? RELATIONAL[rel] : neg ? CMP_OP.neq : CMP_OP.eq, s.type.encode(x))
}

/**
 * A verdict map looked up with a masked field (`tcp flags & (ack | urg) vmap
 * { ack : jump a, urg : jump u }`): the selector, one bitwise (mask, xor) as
 * for a masked match, then the lookup of an anonymous verdict map.
 */
function compileBitsVmap(ctx: Ctx, st: Extract<Statement, { stmt: 'vmap' }>, path: string): void {
  if (typeof st.key !== 'string') invalid(`${path}.key`, 'Expected one selector (not a concatenation) with bits', st.key)
  const s = selector(st.key, `${path}.key`)
  refuseBitfield(s, 'a bitwise expression', `${path}.bits`)
  refuseBitsKey(s, `${path}.key`, 'a verdict map key')
  if (s.ifindex) invalid(`${path}.key`, `nftkit does not support a bitwise expression on ${s.name} in a verdict map yet`, st.key)
  const f = foldBits(s, st.bits as readonly BitwiseStep[], `${path}.bits`)
  if (f.transfer !== undefined) invalid(`${path}.bits`, "nftkit does not support a trailing '^' step before a verdict map yet", st.bits)
  if (isSetRef(st.map)) invalid(`${path}.map`, 'nftkit does not support a named verdict map after a bitwise expression yet', st.map)
  if (!Array.isArray(st.map) || st.map.length === 0) invalid(`${path}.map`, 'Expected a non-empty list of [key, verdict] pairs', st.map)
  const elems: Element[] = st.map.map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) invalid(`${path}.map[${i}]`, 'Expected a [key, verdict] pair', pair)
    verdictFields(pair[1], `${path}.map[${i}][1]`)
    const k = pair[0] === CATCHALL ? pair[0] : s.flags ? Number(bitsOperand(s, pair[0], `${path}.map[${i}][0]`)) : pair[0]
    return { key: k as never, value: pair[1] as Verdict }
  })
  deps(ctx, s, path)
  const set = anonymousSet(ctx, [s.type], elems, `${path}.map`, 'verdict')
  if (set.interval) invalid(`${path}.map`, 'nftkit does not support ranges in a verdict map after a bitwise expression yet', st.map)
  load(ctx, s.load, 1)
  if (f.emit) ctx.out.push({ type: 'bitwise', sreg: 1, dreg: 1, len: s.size, mask: s.type.encode(f.mask), xor: s.type.encode(f.xor) })
  lookup(ctx, set.name, set.id, false, 0)
}

/**
 * nft merges equality matches on adjacent header fields into one load, in
 * header order (`icmp code 1 icmp type 2` loads as `icmp type 2 icmp code 1`).
 * nftkit does not merge yet; in header order the two loads list the same,
 * out of order they would not, so that case is refused.
 */
function refuseReversedMerge(ctx: Ctx, s: SelectorSpec, vpath: string): void {
  if (s.load.kind === 'payload' && s.load.base === (SELECTORS['ether type'].load as { base: number }).base) refuseLinkMerge(ctx, s, vpath)
  const [p, c] = ctx.out.slice(-2)
  if (s.load.kind !== 'payload' || p?.type !== 'payload' || c?.type !== 'cmp' || Number(c.op) !== CMP_OP.eq || c === ctx.prefixCmp) return
  if (Number(p.base) === s.load.base && Number(p.offset) === s.load.offset + s.load.len)
    invalid(vpath, `nftkit does not support ${s.name} right after a match on the next header field yet (nft merges and reorders them); write them in header order`, s.name)
}

/**
 * nft also merges link-layer equality matches on adjacent fields when other
 * expressions stand between them (the `ether type 8021q` a vlan match needs
 * and a later `ether saddr`, or `ether saddr X counter ether type Y`), and
 * moves the merged load: refused, as nftkit does not merge.
 */
function refuseLinkMerge(ctx: Ctx, s: SelectorSpec, vpath: string): void {
  const l = s.load as Extract<Load, { kind: 'payload' }>
  if (l.bits) return
  // The pair right before is fine: nft lists the merged load split in the same order.
  for (let i = 0; i < ctx.out.length - 2; i++) {
    const p = ctx.out[i]
    const c = ctx.out[i + 1]
    if (p.type !== 'payload' || c.type !== 'cmp' || Number(c.op) !== CMP_OP.eq || Number(p.base) !== l.base || p.dreg === undefined) continue
    const po = Number(p.offset)
    const pl = Number(p.len)
    if (po + pl === l.offset || l.offset + l.len === po)
      invalid(vpath, `nftkit does not support ${s.name} with a match on the adjacent link-layer field earlier in the rule yet (nft merges and moves them)`, s.name)
  }
}

/** Explicit protocol matches satisfy later dependencies, as in nft. */
function trackContext(ctx: Ctx, s: SelectorSpec, op: '==' | '!=', v: bigint | undefined): void {
  if (op === '==' && v === undefined && (s.name === 'meta l4proto' || s.name === 'ip protocol' || s.name === 'ip6 nexthdr')) ctx.l4set = true
  if (op !== '==' || v === undefined) return
  if (s.name === 'meta iiftype' && v === 1n) {
    ctx.l2 = true
    ctx.l2explicit = 'meta iiftype'
  }
  if (s.name === 'meta protocol' || s.name === 'ether type' || s.name === 'vlan type')
    ctx.l3 = v === 0x0800n ? 'ip' : v === 0x86ddn ? 'ip6' : v === 0x0806n ? 'arp' : ctx.l3
  if (s.name === 'ether type' && v === 0x8100n) ctx.vlan = true
  if (s.name === 'meta nfproto') ctx.l3 = v === 2n ? 'ip' : v === 10n ? 'ip6' : ctx.l3
  // `ct protocol` also sets nft's transport context: no `meta l4proto` before a later tcp/udp match.
  if (s.name === 'meta l4proto' || s.name === 'ip protocol' || s.name === 'ip6 nexthdr' || (s.load.kind === 'ct' && s.load.key === 10)) ctx.l4 = Number(v)
  if (s.name === 'icmp type' || s.name === 'icmpv6 type') ctx.icmp = icmpContext(s, v)
}

/** An `icmp type { ... }` set lookup: nft's context is its last element's type. */
function trackIcmpSet(ctx: Ctx, s: SelectorSpec, op: '==' | '!=', elements: readonly unknown[], path: string): void {
  if (op !== '==' || (s.name !== 'icmp type' && s.name !== 'icmpv6 type')) return
  const last = elements[elements.length - 1]
  const iv = s.type.parse(isAnonymousSetElement(last) ? last.key : last, path)
  if (iv.lo === iv.hi) ctx.icmp = icmpContext(s, iv.lo)
}

/**
 * A flag selector against flag names (`'syn'`, `['syn', 'ack']`, `'syn | ack'`
 * all name the same bits), as nft compiles each operator:
 * none or `in` is a bit test (`tcp flags syn`: any of the bits set), `!` its
 * negation (none of them set), `==` / `!=` compare the whole field exactly.
 */
function compileFlags(ctx: Ctx, s: SelectorSpec, op: MatchOp | undefined, v: unknown, vpath: string): void {
  const names = typeof v === 'string' && v.includes('|') ? v.split('|').map((x) => x.trim()) : Array.isArray(v) ? v : [v]
  if (names.length === 0) invalid(vpath, `Expected one or more of ${s.flagOrder?.join(', ')}`, v)
  let mask = 0
  names.forEach((n, i) => {
    const bit = typeof n === 'string' && s.flags && Object.hasOwn(s.flags, n) ? s.flags[n] : undefined
    if (bit === undefined)
      invalid(Array.isArray(v) ? `${vpath}[${i}]` : vpath, `Expected one of ${s.flagOrder?.join(', ')}`, n)
    mask |= bit
  })
  load(ctx, s.load, 1)
  const enc = (x: number) => s.type.encode(BigInt(x))
  if (op === '==' || op === '!=') {
    cmp(ctx, op === '==' ? CMP_OP.eq : CMP_OP.neq, enc(mask))
    return
  }
  ctx.out.push({ type: 'bitwise', sreg: 1, dreg: 1, len: s.size, mask: enc(mask), xor: enc(0) })
  cmp(ctx, op === '!' ? CMP_OP.eq : CMP_OP.neq, enc(0))
}

function compileConcatMatch(ctx: Ctx, sel: readonly Selector[], op: '==' | '!=', v: unknown, path: string): void {
  const specs = sel.map((x, i) => selector(x, `${path}.match[${i}]`))
  for (const s of specs) refuseBitfield(s, 'a concatenation', `${path}.match`)
  for (const s of specs) {
    // In a concatenation flag selectors (ct state) compare exact values, as in a vmap.
    if (s.name === 'ct label') invalid(`${path}.match`, `Expected selectors usable in a concatenation (not ${s.name})`, sel)
    refuseBitsKey(s, `${path}.match`, 'a concatenation')
    deps(ctx, s, path)
  }
  const vpath = `${path}.value`
  if (isSetRef(v)) {
    const info = ctx.env.findSet(v.set)
    checkSetKey(info, specs, vpath)
    loadKey(ctx, specs, namedInterval(info, specs, v.set, vpath))
    lookup(ctx, v.set, info?.id, op === '!=')
    return
  }
  const list = isAnonymousSet(v) ? v.elements : v
  if (!Array.isArray(list) || list.length === 0)
    invalid(vpath, 'Expected a named set ({ set }) or a non-empty list of tuples for a concatenation', v)
  const set = anonymousSet(ctx, specs.map((s) => s.type), list as Element[], vpath, undefined, anonymousKeyTypeof(specs, vpath))
  loadKey(ctx, specs, set.interval)
  lookup(ctx, set.name, set.id, op === '!=')
}

function lookup(ctx: Ctx, set: string, id: number | undefined, inv: boolean, dreg?: number): void {
  ctx.out.push({
    type: 'lookup',
    sreg: 1,
    set,
    ...(id !== undefined ? { setId: id } : {}),
    ...(dreg !== undefined ? { dreg } : {}),
    ...(inv ? { flags: LOOKUP_F_INV } : {}),
  })
}

function checkSetKey(info: SetInfo | undefined, specs: readonly SelectorSpec[], path: string): void {
  if (!info?.key) return
  const want = specs.map((s) => s.type.name).join(' . ')
  const have = info.key.map((t) => t.name).join(' . ')
  const compatible =
    info.key.length === specs.length && info.key.every((t, i) => t.size === specs[i].type.size && (t.name === specs[i].type.name || t.id === specs[i].type.id))
  if (!compatible) invalid(path, `Expected a set whose key type is ${want}; set ${info.name} has ${have}`, { set: info.name })
}

/** Creates an anonymous set (or map) in the transaction, before the rule that uses it. */
/** The data of an anonymous NAT map: its values as a set data type, nft's data type id and the set userdata. */
interface NatMapData {
  readonly type: Datatype
  readonly id: number
  readonly userdata: Buffer
}

function anonymousSet(
  ctx: Ctx,
  key: readonly Datatype[],
  elements: readonly Element[],
  path: string,
  data?: 'verdict' | Datatype | NatMapData,
  keyTypeof?: Buffer,
): { name: string; id: number; interval: boolean } {
  // A NAT map's data brings its own type id and userdata; other data maps a plain datatype.
  const natData = data !== undefined && data !== 'verdict' && 'userdata' in data ? data : undefined
  const dataType = data === undefined || data === 'verdict' ? undefined : natData ? natData.type : (data as Datatype)
  // Ranges or prefixes need an interval set; detect them by parsing each field.
  let interval = false
  elements.forEach((e, i) => {
    const k = typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as { key: unknown }).key : e
    if (k === CATCHALL) return
    const fields = key.length > 1 ? (Array.isArray(k) ? k : []) : [k]
    fields.forEach((f, j) => {
      const t = key[j]
      if (!t) return
      const iv: Interval = t.parse(f, key.length > 1 ? `${path}[${i}][${j}]` : `${path}[${i}]`)
      if (iv.lo !== iv.hi) interval = true
    })
  })
  const id = ctx.env.nextSetId()
  const name = anonymousSetName(data !== undefined)
  let flags: number = SET_FLAG.anonymous | SET_FLAG.constant
  if (interval) flags |= SET_FLAG.interval
  if (key.length > 1 && interval) flags |= SET_FLAG.concat
  if (data) flags |= SET_FLAG.map
  const shape = { name: 'anonymous set', key, interval, data: data === 'verdict' ? data : dataType }
  const elems = encodeElements(shape, elements, path, { leadingZero: true, mergeAdjacent: true, stmts: compileElementStmts })
  const family = familyNumber(ctx.env.family)
  const keyLen = key.reduce((a, t) => a + (key.length > 1 ? paddedSize(t.size) : t.size), 0)
  ctx.sets.push({
    verb: 'add',
    kind: 'set',
    family,
    table: ctx.env.table,
    name,
    setId: id,
    flags,
    keyType: key.length > 1 ? key.reduce((a, t) => a * 64 + t.id, 0) : key[0].id,
    keyLen,
    ...(data === 'verdict' ? { dataType: NFT_DATA_VERDICT, dataLen: 16 } : dataType ? { dataType: natData ? natData.id : dataType.id, dataLen: dataType.size } : {}),
    ...(key.length > 1 && interval ? { concat: key.map((t) => t.size) } : {}),
    size: elements.length,
    // With a key typeof nft also reads the value's (`verdict`) to list the map.
    userdata: natData
      ? natData.userdata
      : setUserdata(key, data === 'verdict' ? data : dataType, undefined, keyTypeof ? { keyTypeof, ...(data === 'verdict' ? { dataTypeof: typeofUdata('verdict') } : {}) } : {}),
  })
  ctx.sets.push({ verb: 'add', kind: 'element', family, table: ctx.env.table, set: name, setId: id, elements: elems })
  return { name, id, interval }
}

function familyNumber(f: Family): number {
  return FAMILY_NUMBER[f]
}

// ------------------------------------------------------------------ statements

function verdict(ctx: Ctx, code: number, chain?: string): void {
  ctx.out.push({ type: 'immediate', dreg: 0, verdict: code, ...(chain !== undefined ? { chain } : {}) })
}

function compileStatement(ctx: Ctx, st: Statement, path: string): void {
  switch (st.stmt) {
    case 'counter': {
      if ('key' in st) {
        compileObjectMap(ctx, st, path)
        return
      }
      if (st.name !== undefined) {
        if (typeof st.name !== 'string' || st.name.length === 0) invalid(`${path}.name`, 'Expected a counter name', st.name)
        ctx.out.push({ type: 'objref', objType: 1, name: st.name })
        return
      }
      for (const k of ['packets', 'bytes'] as const) {
        const v = st[k]
        if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) invalid(`${path}.${k}`, 'Expected a non-negative integer', v)
      }
      ctx.out.push({ type: 'counter', ...(st.packets !== undefined ? { packets: st.packets } : {}), ...(st.bytes !== undefined ? { bytes: st.bytes } : {}) })
      return
    }
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
      verdict(ctx, VERDICT_CODE[st.stmt])
      return
    case 'jump':
    case 'goto':
      if (isBinding(st)) {
        const env = ctx.env
        const host = { family: env.family, table: env.table, nextId: () => env.nextSetId(), compile: (exprs: readonly RuleExpr[], p: string) => compileRule(exprs, env, p) }
        ctx.out.push(compileBinding(host, st, ctx.sets, path))
        return
      }
      if (typeof st.chain !== 'string' || st.chain.length === 0 || st.chain.length > 255)
        invalid(`${path}.chain`, `Expected the name of the chain to ${st.stmt} to`, st.chain)
      verdict(ctx, VERDICT_CODE[st.stmt], st.chain)
      return
    case 'reject':
      compileReject(ctx, st, path)
      return
    case 'ct mark set':
    case 'meta mark set': {
      const key = 3 // NFT_CT_MARK and NFT_META_MARK are both 3
      if (isNumgenOrHash(st.value)) {
        compileNumgenHash(ctx, st.value, `${path}.value`)
        ctx.out.push(st.stmt === 'ct mark set' ? { type: 'ct', key, sreg: 1 } : { type: 'meta', key, sreg: 1 })
        return
      }
      if (isMapValue(st.value)) {
        compileMapValue(ctx, st.value, SELECTORS['meta mark'].type, `${path}.value`)
        ctx.out.push(st.stmt === 'ct mark set' ? { type: 'ct', key, sreg: 1 } : { type: 'meta', key, sreg: 1 })
        return
      }
      if (typeof st.value === 'object' && st.value !== null) {
        ctx.out.push(...compileMarkExpr(st.value, `${path}.value`))
        ctx.out.push(st.stmt === 'ct mark set' ? { type: 'ct', key, sreg: 1 } : { type: 'meta', key, sreg: 1 })
        return
      }
      if (st.stmt === 'meta mark set' && st.value === 'ct mark') {
        ctx.out.push({ type: 'ct', key, dreg: 1 })
        ctx.out.push({ type: 'meta', key, sreg: 1 })
        return
      }
      const v = st.value
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
        invalid(`${path}.value`, st.stmt === 'meta mark set' ? "Expected a mark 0-4294967295 or 'ct mark'" : 'Expected a mark 0-4294967295', v)
      ctx.out.push({ type: 'immediate', dreg: 1, data: hostU32(v) })
      ctx.out.push(st.stmt === 'ct mark set' ? { type: 'ct', key, sreg: 1 } : { type: 'meta', key, sreg: 1 })
      return
    }
    case 'meta set':
      compileMetaSet(ctx, st, path)
      return
    case 'notrack':
      ctx.out.push({ type: 'notrack' })
      return
    case 'ct zone set':
      if (isMapValue(st.value)) {
        if (st.dir !== undefined && st.dir !== 'original' && st.dir !== 'reply') invalid(`${path}.dir`, "Expected 'original' or 'reply'", st.dir)
        compileMapValue(ctx, st.value, SELECTORS['ct zone'].type, `${path}.value`)
        ctx.out.push({ type: 'ct', key: SELECTORS['ct zone'].load.kind === 'ct' ? SELECTORS['ct zone'].load.key : 0, sreg: 1, ...(st.dir ? { dir: st.dir === 'original' ? 0 : 1 } : {}) })
        return
      }
      compileCtStatement(ctx.out, st as CtStatement, path)
      return
    case 'ct event set':
    case 'ct label set':
    case 'ct helper set':
    case 'ct timeout set':
    case 'ct expectation set':
    case 'ct count':
      // `ct helper set KEY map { k : "name" }`: an anonymous object map, as the counter, quota and limit maps.
      if ('key' in st && st.key !== undefined) compileObjectMap(ctx, st as CtObjectMapStmt, path)
      else if (isCtStatement(st)) compileCtStatement(ctx.out, st, path)
      return
    case 'log':
      ctx.out.push(compileLog(st, path))
      return
    case 'limit':
      if ('key' in st) compileObjectMap(ctx, st, path)
      else ctx.out.push(compileLimit(st, path))
      return
    case 'quota':
      if ('key' in st) compileObjectMap(ctx, st, path)
      else ctx.out.push(compileQuota(st, path))
      return
    case 'snat':
    case 'dnat':
      if ('key' in st && st.key !== undefined) compileNatMap(ctx, st, path)
      else compileNat(ctx, st as NatStmt, path)
      return
    case 'dup':
      compileDup(ctx.out, ctx.env.family, st, (v, p) => ifindexOf(ctx, v, p), path)
      return
    case 'fwd':
      compileFwd(ctx.out, ctx.env.family, st, (v, p) => ifindexOf(ctx, v, p), path)
      return
    case 'masquerade': {
      const flags = natFlagBits(st.flags, `${path}.flags`)
      if (st.port === undefined) {
        ctx.out.push({ type: 'masq', ...(flags ? { flags } : {}) })
        return
      }
      if (ctx.l4 === undefined && !ctx.l4set) invalid(`${path}.port`, 'Expected a transport protocol match (tcp/udp) before a port mapping', st.port)
      const [lo, hi] = portRange(st.port, `${path}.port`)
      ctx.out.push({ type: 'immediate', dreg: 1, data: toBytes(BigInt(lo), 2) })
      if (hi !== lo) ctx.out.push({ type: 'immediate', dreg: 2, data: toBytes(BigInt(hi), 2) })
      ctx.out.push({ type: 'masq', regProtoMin: 1, ...(hi !== lo ? { regProtoMax: 2 } : {}), flags: NAT_FLAG.protoSpecified | flags })
      return
    }
    case 'redirect':
      compileRedirect(ctx.out, ctx.l4 ?? (ctx.l4set ? 0 : undefined), st, path)
      return
    case 'tproxy':
      compileTproxy(ctx.out, ctx.env.family, ctx.l4 ?? (ctx.l4set ? 0 : undefined), st, path)
      return
    case 'synproxy':
      if ('key' in st) compileObjectMap(ctx, st, path)
      else if (st.name !== undefined) ctx.out.push(objref('synproxy', st.name, path))
      else compileSynproxy(ctx.out, st, path)
      return
    case 'tcp mss set': {
      // No protocol dependency: nft emits none (the option write only acts on TCP).
      if (st.value === 'rt mtu') {
        ctx.out.push({ type: 'rt', key: 3, dreg: 1 })
        ctx.out.push({ type: 'byteorder', dreg: 1, sreg: 1, op: 1, len: 2, size: 2 })
      } else {
        const v = st.value
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)
          invalid(`${path}.value`, "Expected an MSS of 0-65535 or 'rt mtu'", v)
        ctx.out.push({ type: 'immediate', dreg: 1, data: toBytes(BigInt(v), 2) })
      }
      ctx.out.push({ type: 'exthdr', sreg: 1, exthdrType: 2, offset: 2, len: 2, op: 1 })
      return
    }
    case 'payload set': {
      const s = selector(st.key, `${path}.key`)
      deps(ctx, s, path)
      if (isMapValue(st.value)) {
        const write = payloadWriteOf(s, `${path}.value`)
        compileMapValue(ctx, st.value, s.type, `${path}.value`)
        ctx.out.push(write)
        return
      }
      ctx.out.push(...payloadSetExprs(s, st.value, path))
      return
    }
    case 'raw payload set':
      // No dependency: nft adds none for raw payloads.
      ctx.out.push(...compileRawPayloadSet(st, path))
      return
    case 'reset tcp option':
      ctx.out.push(...resetTcpOptionExprs(st.option, `${path}.option`))
      return
    case 'vmap':
      compileVmap(ctx, st, path)
      return
    case 'set':
      compileSetStmt(setStmtHost(ctx), st, path)
      return
    case 'meter':
      compileMeter({ ...setStmtHost(ctx), family: ctx.env.family, table: ctx.env.table, nextSetId: () => ctx.env.nextSetId(), addSet: (op) => ctx.sets.push(op) }, st, path)
      return
    default:
      invalid(`${path}.stmt`, 'Expected a known statement (counter, accept, drop, jump, reject, ...)', (st as { stmt: unknown }).stmt)
  }
}

/** Meta keys `meta KEY set` writes: kernel key and the selector whose type the value has. */
const META_SET: Readonly<Record<MetaSetKey, { key: number; sel?: Selector }>> = {
  priority: { key: META_KEY.priority, sel: 'meta priority' },
  pkttype: { key: META_KEY.pkttype, sel: 'meta pkttype' },
  nftrace: { key: META_KEY.nftrace },
}

function compileMetaSet(ctx: Ctx, st: Extract<Statement, { stmt: 'meta set' }>, path: string): void {
  if (!Object.hasOwn(META_SET, st.key)) invalid(`${path}.key`, `Expected one of ${Object.keys(META_SET).join(', ')}`, st.key)
  const k = META_SET[st.key]
  if (isMapValue(st.value)) {
    if (k.sel === undefined) invalid(`${path}.value`, 'Expected 0 or 1', st.value)
    compileMapValue(ctx, st.value, SELECTORS[k.sel].type, `${path}.value`)
    ctx.out.push({ type: 'meta', key: k.key, sreg: 1 })
    return
  }
  let data: Buffer
  if (k.sel === undefined) {
    // nftrace: one bit, written as one byte.
    if (st.value !== 0 && st.value !== 1) invalid(`${path}.value`, 'Expected 0 or 1', st.value)
    data = Buffer.from([Number(st.value)])
  } else {
    const t = SELECTORS[k.sel].type
    const iv = t.parse(st.value, `${path}.value`)
    if (iv.lo !== iv.hi || isWrittenRange(t, st.value)) invalid(`${path}.value`, 'Expected one value (not a range)', st.value)
    data = t.encode(iv.lo)
  }
  ctx.out.push({ type: 'immediate', dreg: 1, data })
  ctx.out.push({ type: 'meta', key: k.key, sreg: 1 })
}

/** What a set statement needs of the rule being compiled. */
function setStmtHost(ctx: Ctx): SetStmtHost {
  return {
    findSet: (n) => ctx.env.findSet(n),
    selector,
    deps: (s, p) => deps(ctx, s, p),
    load: (s, r) => load(ctx, s.load, r),
    push: (e) => ctx.out.push(e),
    statement: (st, p) => {
      const sub: Ctx = { ...ctx, out: [] }
      compileStatement(sub, st, p)
      return sub.out
    },
  }
}

function compileReject(ctx: Ctx, st: Extract<Statement, { stmt: 'reject' }>, path: string): void {
  const w = st.with
  const fam = ctx.env.family
  if (w === undefined) {
    if (fam === 'ip' || (fam !== 'ip6' && ctx.l3 === 'ip')) {
      ctx.out.push({ type: 'reject', rejectType: REJECT_TYPE.icmp, code: ICMP_CODE['port-unreachable'] })
    } else if (fam === 'ip6' || ctx.l3 === 'ip6') {
      ctx.out.push({ type: 'reject', rejectType: REJECT_TYPE.icmp, code: ICMPV6_CODE['port-unreachable'] })
    } else if (fam === 'arp') {
      invalid(path, 'Expected no reject in an arp table (the kernel supports it in ip, ip6, inet, bridge and netdev)', st)
    } else {
      ctx.out.push({ type: 'reject', rejectType: REJECT_TYPE.icmpx, code: ICMPX_CODE['port-unreachable'] })
    }
    return
  }
  if (w === 'tcp reset') {
    if (ctx.l4 === undefined && ctx.out.length > 0) {
      // nft puts this dependency at the start of the rule.
      const dep: NativeExpr[] = [{ type: 'meta', key: META_KEY.l4proto, dreg: 1 }, { type: 'cmp', sreg: 1, op: CMP_OP.eq, data: Buffer.from([6]) }]
      ctx.out.unshift(...dep)
      ctx.l4 = 6
    }
    needL4(ctx, 6, 'reject with tcp reset', path)
    ctx.out.push({ type: 'reject', rejectType: REJECT_TYPE.tcpReset })
    return
  }
  const code = (table: Readonly<Record<string, number>>, v: unknown, p: string): number => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255) return v
    if (typeof v === 'string' && Object.hasOwn(table, v)) return table[v]
    return invalid(p, `Expected one of ${Object.keys(table).join(', ')}`, v)
  }
  if (typeof w === 'object' && w !== null && 'icmp' in w) {
    needL3(ctx, 'ip', 'reject with icmp', path)
    ctx.out.push({ type: 'reject', rejectType: REJECT_TYPE.icmp, code: code(ICMP_CODE, w.icmp, `${path}.with.icmp`) })
    return
  }
  if (typeof w === 'object' && w !== null && 'icmpv6' in w) {
    needL3(ctx, 'ip6', 'reject with icmpv6', path)
    ctx.out.push({ type: 'reject', rejectType: REJECT_TYPE.icmp, code: code(ICMPV6_CODE, w.icmpv6, `${path}.with.icmpv6`) })
    return
  }
  if (typeof w === 'object' && w !== null && 'icmpx' in w) {
    if (fam === 'ip' || fam === 'ip6') invalid(`${path}.with`, `Expected icmp/icmpv6 or 'tcp reset' (icmpx is for inet, bridge and netdev tables)`, w)
    ctx.out.push({ type: 'reject', rejectType: REJECT_TYPE.icmpx, code: code(ICMPX_CODE, w.icmpx, `${path}.with.icmpx`) })
    return
  }
  invalid(`${path}.with`, "Expected { icmp: CODE }, { icmpv6: CODE }, { icmpx: CODE } or 'tcp reset'", w)
}

function portRange(v: unknown, path: string): [number, number] {
  const iv = DATATYPES.inet_service.parse(v, path)
  return [Number(iv.lo), Number(iv.hi)]
}

/** Splits `addr`, `addr:port`, `[v6]:port`, `addr-addr`, `cidr` of a NAT target. */
function parseNatTarget(to: string, path: string): { fam: 'ip' | 'ip6'; lo: Buffer; hi?: Buffer; cidr: boolean; port?: [number, number] } {
  let addr = to.trim()
  let port: [number, number] | undefined
  // `[a]`, `[a]:port`, `[a]-[b]:port`, `[a]/64`: bracketed IPv6, as nft writes it with a port.
  const v6 = /^\[([^\]]+)\](?:-\[([^\]]+)\])?(\/\d+)?(?::(.+))?$/.exec(addr)
  if (v6) {
    addr = v6[2] ? `${v6[1]}-${v6[2]}` : `${v6[1]}${v6[3] ?? ''}`
    if (v6[4]) port = portRange(v6[4], path)
  } else if ((addr.match(/:/g) ?? []).length === 1) {
    const [a, p] = addr.split(':')
    addr = a
    port = portRange(p, path)
  }
  const fam: 'ip' | 'ip6' = addr.includes(':') ? 'ip6' : 'ip'
  const t = fam === 'ip' ? DATATYPES.ipv4_addr : DATATYPES.ipv6_addr
  if (fam === 'ip' && parseIPv4(addr.split(/[/-]/)[0]) === undefined && !addr.includes('/'))
    invalid(path, 'Expected an address, address:port, [ipv6]:port, a range a-b or a CIDR', to)
  if (fam === 'ip6' && parseIPv6(addr.split(/[/-]/)[0]) === undefined)
    invalid(path, 'Expected an address, address:port, [ipv6]:port, a range a-b or a CIDR', to)
  const iv = t.parse(addr, path)
  // A written range or prefix loads both bounds, even when they are equal, as nft does.
  const written = addr.includes('/') || addr.includes('-')
  return { fam, lo: t.encode(iv.lo), hi: iv.hi !== iv.lo || written ? t.encode(iv.hi) : undefined, cidr: addr.includes('/'), port }
}

function compileNat(ctx: Ctx, st: NatStmt, path: string): void {
  if (typeof st.to !== 'string') invalid(`${path}.to`, 'Expected a NAT target address', st.to)
  const natFlags = natFlagBits(st.flags, `${path}.flags`)
  if (st.to.startsWith(':')) {
    // A port alone (`dnat to :80`): nft loads only the port, with the table's family (inet's is 1).
    if (ctx.l4 === undefined && !ctx.l4set) invalid(`${path}.to`, 'Expected a transport protocol match (e.g. meta l4proto tcp) before a port mapping', st.to)
    if (st.prefix) invalid(`${path}.prefix`, 'Expected an address prefix with prefix: true', st.prefix)
    const fam = ctx.env.family
    if (st.family !== undefined && st.family !== 'ip' && st.family !== 'ip6') invalid(`${path}.family`, "Expected 'ip' or 'ip6'", st.family)
    if (st.family !== undefined && fam !== 'inet' && st.family !== fam) invalid(`${path}.family`, `Expected ${fam} in an ${fam} table`, st.family)
    const [lo, hi] = portRange(st.to.slice(1), `${path}.to`)
    const family = st.family ? NFPROTO[st.family] : fam === 'ip' || fam === 'ip6' ? NFPROTO[fam] : fam === 'inet' ? 1 : invalid(`${path}`, 'Expected NAT in an ip, ip6 or inet table', fam)
    ctx.out.push({ type: 'immediate', dreg: 1, data: toBytes(BigInt(lo), 2) })
    if (hi !== lo) ctx.out.push({ type: 'immediate', dreg: 2, data: toBytes(BigInt(hi), 2) })
    ctx.out.push({ type: 'nat', natType: NAT_TYPE[st.stmt], family, regProtoMin: 1, ...(hi !== lo ? { regProtoMax: 2 } : {}), flags: NAT_FLAG.protoSpecified | natFlags })
    return
  }
  const t = parseNatTarget(st.to, `${path}.to`)
  if (st.family !== undefined && st.family !== t.fam) invalid(`${path}.family`, `Expected ${t.fam} for address ${st.to}`, st.family)
  if (ctx.env.family === 'ip' && t.fam !== 'ip') invalid(`${path}.to`, 'Expected an IPv4 address in an ip table', st.to)
  if (ctx.env.family === 'ip6' && t.fam !== 'ip6') invalid(`${path}.to`, 'Expected an IPv6 address in an ip6 table', st.to)
  if (st.prefix && !t.cidr) invalid(`${path}.to`, 'Expected a CIDR with prefix: true', st.to)
  if (t.port && ctx.l4 === undefined && !ctx.l4set)
    invalid(`${path}.to`, 'Expected a transport protocol match (e.g. meta l4proto tcp) before a port mapping', st.to)
  let reg = 1
  const e: Record<string, unknown> = { type: 'nat', natType: NAT_TYPE[st.stmt], family: t.fam === 'ip' ? 2 : 10 }
  ctx.out.push({ type: 'immediate', dreg: reg, data: t.lo })
  e.regAddrMin = reg++
  let flags = 0
  if (t.hi) {
    ctx.out.push({ type: 'immediate', dreg: reg, data: t.hi })
    e.regAddrMax = reg++
    // Without `prefix` a CIDR is just the range of its addresses (nft lists it as the CIDR).
    if (st.prefix) flags |= NAT_FLAG.netmap
  }
  if (t.port) {
    ctx.out.push({ type: 'immediate', dreg: reg, data: toBytes(BigInt(t.port[0]), 2) })
    e.regProtoMin = reg++
    if (t.port[1] !== t.port[0]) {
      ctx.out.push({ type: 'immediate', dreg: reg, data: toBytes(BigInt(t.port[1]), 2) })
      e.regProtoMax = reg++
    }
    flags |= NAT_FLAG.protoSpecified
  }
  flags |= natFlags
  if (flags) e.flags = flags
  ctx.out.push(e as NativeExpr)
}

/**
 * `snat`/`dnat to KEY map { ... }` / `map @m`: a lookup of the key with the
 * data in registers from 1, and the NAT expression naming where each part is
 * (see stmt-natmap.ts).
 */
function compileNatMap(ctx: Ctx, st: NatMapStmt, path: string): void {
  const sel = Array.isArray(st.key) ? st.key : [st.key]
  const specs = sel.map((x, i) => selector(x, Array.isArray(st.key) ? `${path}.key[${i}]` : `${path}.key`))
  for (const s of specs)
    if (s.load.kind === 'exthdr' && (s.load.bits || specs.length > 1)) invalid(`${path}.key`, `nftkit does not support ${s.name} in a NAT map key yet`, s.name)
  const tfam = ctx.env.family
  if (tfam !== 'ip' && tfam !== 'ip6' && tfam !== 'inet') invalid(path, 'Expected NAT in an ip, ip6 or inet table', tfam)
  if (st.family !== undefined && st.family !== 'ip' && st.family !== 'ip6') invalid(`${path}.family`, "Expected 'ip' or 'ip6'", st.family)
  if (st.family !== undefined && tfam !== 'inet' && st.family !== tfam) invalid(`${path}.family`, `Expected ${tfam} in an ${tfam} table`, st.family)
  if (tfam === 'inet' && st.family === undefined) invalid(`${path}.family`, "Expected family 'ip' or 'ip6' for NAT from a map in an inet table (nft's 'snat ip to ... map')", st.family)
  const fam = (st.family ?? tfam) as 'ip' | 'ip6'
  const natFlags = natFlagBits(st.flags, `${path}.flags`)
  for (const s of specs) deps(ctx, s, path)
  if (st.map === undefined) {
    // The generated number is the address (`dnat to numgen inc mod 2 offset 167772161`).
    if (specs.length !== 1 || (specs[0].load.kind !== 'numgen' && specs[0].load.kind !== 'hash') || fam !== 'ip' || st.prefix)
      invalid(`${path}.map`, `nftkit does not support '${st.stmt} to' an expression yet (only a map lookup, or numgen or a hash as an IPv4 address)`, st.key)
    load(ctx, specs[0].load, 1)
    ctx.out.push({ type: 'nat', natType: NAT_TYPE[st.stmt], family: NFPROTO[fam], regAddrMin: 1, ...(natFlags ? { flags: natFlags } : {}) } as NativeExpr)
    return
  }
  if (specs.length > 1 || isSetRef(st.map)) for (const s of specs) refuseBitfield(s, isSetRef(st.map) ? 'a named map' : 'a concatenation', `${path}.key`)
  let layout: NatMapLayout
  if (isSetRef(st.map)) {
    const info = ctx.env.findSet(st.map.set)
    const d = info?.data
    if (d === 'verdict') invalid(`${path}.map`, `Expected a map of addresses; ${info?.name} is a verdict map`, st.map)
    layout = natMapLayoutOfData(fam, d, `${path}.map`, st.map)
    checkSetKey(info, specs, `${path}.map`)
    loadKey(ctx, specs, namedInterval(info, specs, st.map.set, `${path}.map`))
    lookup(ctx, st.map.set, info?.id, false, 1)
  } else {
    if (!Array.isArray(st.map) || st.map.length === 0) invalid(`${path}.map`, 'Expected a named map ({ set }) or a non-empty list of [key, target] pairs', st.map)
    st.map.forEach((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) invalid(`${path}.map[${i}]`, 'Expected a [key, target] pair', pair)
    })
    layout = natMapLayoutFor(st.map.map((p) => p[1]), fam, `${path}.map`)
    if (layout.fam === 'ip6' && layout.port && layout.interval) invalid(`${path}.map`, 'nftkit does not support IPv6 ranges with ports in a NAT map (nor does the kernel)', st.map)
    const ifx = hasIfindex(st.key)
    const data = natMapDatatype(layout, `${path}.map`)
    const elems: Element[] = st.map.map(([k, v], i) => ({ key: (ifx ? ifindexValue(ctx, sel, k, `${path}.map[${i}][0]`) : k) as never, value: v as never }))
    const set = anonymousSet(ctx, specs.map((s) => s.type), elems, `${path}.map`, { type: data, id: natMapDataType(layout), userdata: natMapUserdata(specs.map((s) => s.type), layout) })
    loadKey(ctx, specs, set.interval)
    lookup(ctx, set.name, set.id, false, 1)
  }
  if (layout.port && ctx.l4 === undefined && !ctx.l4set && !specs.some((s) => s.l4 !== undefined))
    invalid(`${path}.map`, 'Expected a transport protocol match (e.g. meta l4proto tcp) before a port mapping', st.map)
  if (st.prefix && !layout.interval) invalid(`${path}.prefix`, 'Expected prefixes in the map with prefix: true', st.prefix)
  const flags = natFlags | (st.prefix ? NAT_FLAG.netmap : 0)
  ctx.out.push({ type: 'nat', natType: NAT_TYPE[st.stmt], family: NFPROTO[fam], ...natMapRegs(layout), ...(flags ? { flags } : {}) } as NativeExpr)
}

/** The values of an anonymous NAT map as a set data type (its bytes as one number). */
function natMapDatatype(l: NatMapLayout, path: string): Datatype {
  const size = natMapDataLen(l)
  return {
    name: 'NAT map target',
    id: natMapDataType(l),
    size,
    byteorder: 'big',
    ordered: false,
    parse: (v: unknown, p: string) => {
      const b = fromBytes(encodeNatMapValue(l, v, p || path))
      return { lo: b, hi: b }
    },
    encode: (v: bigint) => toBytes(v, size),
    decode: (b: Uint8Array) => fromBytes(b),
    format: (iv: Interval) => String(iv.lo),
  }
}

/**
 * `counter name KEY map { k : "obj", ... }`: an anonymous object map
 * (`__objmap%d`, anonymous, constant, object; with the interval flag when a
 * key is a range or prefix, as nft's anonymous sets) and an objref lookup in
 * it; `counter name KEY map @m`: an objref lookup in the named object map.
 */
function compileObjectMap(ctx: Ctx, st: ObjectMapStmt | CtObjectMapStmt, path: string): void {
  const sel = Array.isArray(st.key) ? st.key : [st.key]
  const specs = sel.map((x, i) => selector(x, Array.isArray(st.key) ? `${path}.key[${i}]` : `${path}.key`))
  const objType = st.stmt in OBJ_TYPE ? OBJ_TYPE[st.stmt as keyof typeof OBJ_TYPE] : CT_OBJECT_TYPE[st.stmt.split(' ')[1] as keyof typeof CT_OBJECT_TYPE]
  if (isSetRef(st.map)) {
    // The kernel's objref set expression carries no object type: the map's declaration names it.
    if (!(st.stmt in OBJ_TYPE)) invalid(`${path}.map`, `nftkit does not support named ${st.stmt} maps yet`, st.map)
    if (specs.length > 1) for (const s of specs) refuseBitfield(s, 'a concatenation', `${path}.key`)
    for (const s of specs) deps(ctx, s, path)
    const info = ctx.env.findSet(st.map.set)
    if (info?.key && (info.object === undefined || OBJ_TYPE[info.object] !== objType))
      invalid(`${path}.map`, `Expected a map to ${st.stmt} objects; ${info.name} ${info.object ? `maps to ${info.object} objects` : 'is not an object map'}`, st.map)
    checkSetKey(info, specs, `${path}.map`)
    loadKey(ctx, specs, namedInterval(info, specs, st.map.set, `${path}.map`))
    ctx.out.push({ type: 'objref', sreg: 1, set: st.map.set, ...(info?.id !== undefined ? { setId: info.id } : {}) })
    return
  }
  if (!Array.isArray(st.map) || st.map.length === 0) invalid(`${path}.map`, `Expected a named map ({ set }) or a non-empty list of [key, ${st.stmt} name] pairs`, st.map)
  for (const s of specs) deps(ctx, s, path)
  const key = specs.map((s) => s.type)
  // Ranges or prefixes need an interval set, as in anonymous sets and maps.
  let interval = false
  const elements: Element[] = st.map.map((pair, i) => {
    const p = `${path}.map[${i}]`
    if (!Array.isArray(pair) || pair.length !== 2) invalid(p, `Expected a [key, ${st.stmt} name] pair`, pair)
    const [k, name] = pair
    if (typeof name !== 'string' || name.length === 0 || name.length > 255) invalid(`${p}[1]`, `Expected the name of a ${st.stmt} object`, name)
    // `*`: the catch-all element (any key the others do not match).
    if (k === CATCHALL) return { key: CATCHALL, value: name }
    const fields = key.length > 1 ? (Array.isArray(k) ? k : []) : [k]
    fields.forEach((f, j) => {
      const iv = key[j]?.parse(f, key.length > 1 ? `${p}[0][${j}]` : `${p}[0]`)
      if (iv && iv.lo !== iv.hi) interval = true
    })
    return { key: k as ElementKey, value: name }
  })
  // The shape's object kind only words the encoder's errors (ct objects have none of their own there).
  const shape: SetShape = { name: 'anonymous object map', key, interval, object: (st.stmt in OBJ_TYPE ? st.stmt : 'counter') as ObjectMapType }
  // As in nft's anonymous maps: no end bound where the next interval starts.
  const elems = encodeElements(shape, elements, `${path}.map`, { leadingZero: true, mergeAdjacent: true })
  const id = ctx.env.nextSetId()
  const name = '__objmap%d'
  const family = familyNumber(ctx.env.family)
  let flags: number = SET_FLAG.anonymous | SET_FLAG.constant | SET_FLAG.object
  if (interval) flags |= SET_FLAG.interval
  if (key.length > 1 && interval) flags |= SET_FLAG.concat
  ctx.sets.push({
    verb: 'add',
    kind: 'set',
    family,
    table: ctx.env.table,
    name,
    setId: id,
    flags,
    keyType: key.length > 1 ? key.reduce((a, t) => a * 64 + t.id, 0) : key[0].id,
    keyLen: key.reduce((a, t) => a + (key.length > 1 ? paddedSize(t.size) : t.size), 0),
    objType,
    ...(key.length > 1 && interval ? { concat: key.map((t) => t.size) } : {}),
    size: elements.length,
    userdata: setUserdata(key, undefined, undefined),
  })
  ctx.sets.push({ verb: 'add', kind: 'element', family, table: ctx.env.table, set: name, setId: id, elements: elems })
  loadKey(ctx, specs, interval)
  ctx.out.push({ type: 'objref', sreg: 1, set: name, setId: id })
}

/**
 * A number generator or a hash into register 1; jhash's key is loaded into
 * register 2 first (then the 32-bit registers after it), as nft allocates it.
 */
function compileNumgenHash(ctx: Ctx, v: NumgenExpr | HashExpr, path: string): void {
  if ('numgen' in v) {
    ctx.out.push(numgenExpr(v, 1, path))
    return
  }
  let len = 0
  if (v.hash === 'jhash' && v.key !== undefined) {
    const sel = Array.isArray(v.key) ? v.key : [v.key]
    const specs = sel.map((x, i) => selector(x, Array.isArray(v.key) ? `${path}.key[${i}]` : `${path}.key`))
    for (const s of specs) {
      if (s.load.kind === 'exthdr') invalid(`${path}.key`, `nftkit does not support ${s.name} in a jhash key yet`, s.name)
      refuseBitfield(s, 'a jhash key', `${path}.key`)
    }
    for (const s of specs) deps(ctx, s, path)
    let word = 0
    specs.forEach((s, i) => {
      load(ctx, s.load, i === 0 ? 2 : 12 + word)
      word += paddedSize(s.size) / 4
    })
    len = specs.length === 1 ? specs[0].size : word * 4
  }
  ctx.out.push(hashExpr(v, 1, len, path))
}

/** Whether a statement's value is a map lookup ({@link MapValue}). */
function isMapValue(v: unknown): v is MapValue {
  return typeof v === 'object' && v !== null && 'key' in v && 'map' in v
}

/**
 * The shift nft adds after a bitfield's mask for a key of a named set or map
 * of the field's own type (`ip dscp @s`, `meta mark set ip6 dscp map @m`, the
 * key of type dscp): the set holds the values unshifted. Undefined otherwise.
 */
function namedKeyShift(s: SelectorSpec, info: SetInfo | undefined): NativeExpr | undefined {
  if (!isShiftedBitfield(s) || s.type.name !== 'dscp' || info?.key?.length !== 1 || info.key[0].name !== 'dscp' || info.key[0].size !== 1) return undefined
  return bitfieldShift(s, 1)
}

/**
 * Loads a value looked up in a map by a packet key into register 1 (nft's
 * `KEY map { ... }` / `KEY map @m` in a statement): the key's dependencies,
 * its load and a lookup with a destination register. `data` is the type of
 * the values (what the statement sets).
 */
function compileMapValue(ctx: Ctx, mv: MapValue, data: Datatype, path: string): void {
  const sel = Array.isArray(mv.key) ? mv.key : [mv.key]
  if (sel.length === 0) invalid(`${path}.key`, 'Expected a selector or a list of selectors', mv.key)
  const specs = sel.map((x, i) => selector(x, Array.isArray(mv.key) ? `${path}.key[${i}]` : `${path}.key`))
  for (const s of specs) if (s.load.kind === 'exthdr') invalid(`${path}.key`, `nftkit does not support ${s.name} as a map key yet`, s.name)
  // A bitfield key is masked after its load; anonymous map keys are then the shifted values, as in anonymous sets.
  if (specs.length > 1) for (const s of specs) refuseBitfield(s, 'a concatenation', `${path}.key`)
  for (const s of specs) deps(ctx, s, path)
  if (isSetRef(mv.map)) {
    const info = ctx.env.findSet(mv.map.set)
    if (info && info.data !== undefined && (info.data === 'verdict' || info.data.id !== data.id))
      invalid(`${path}.map`, `Expected a map to ${data.name}; ${info.name} maps to ${info.data === 'verdict' ? 'verdicts' : info.data.name}`, mv.map)
    if (info && info.data === undefined && info.key) invalid(`${path}.map`, `Expected a map; ${info.name} is a set`, mv.map)
    // A bitfield key: masked after its load (`vlan id`), and shifted down when it does not end on the last bit (`ip6 dscp`), as for named sets.
    const shift = specs.length === 1 ? namedKeyShift(specs[0], info) : undefined
    if (shift) {
      load(ctx, specs[0].load, 1)
      ctx.out.push(shift)
      lookup(ctx, mv.map.set, info?.id, false, 1)
      return
    }
    for (const s of specs) refuseShiftedBitfield(s, 'a named map key', `${path}.key`)
    checkSetKey(info, specs, `${path}.map`)
    loadKey(ctx, specs, namedInterval(info, specs, mv.map.set, `${path}.map`))
    lookup(ctx, mv.map.set, info?.id, false, 1)
    return
  }
  if (!Array.isArray(mv.map) || mv.map.length === 0) invalid(`${path}.map`, 'Expected a named map ({ set }) or a non-empty list of [key, value] pairs', mv.map)
  const ifx = hasIfindex(mv.key)
  const elems: Element[] = mv.map.map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) invalid(`${path}.map[${i}]`, 'Expected a [key, value] pair', pair)
    const k = ifx ? ifindexValue(ctx, sel, pair[0], `${path}.map[${i}][0]`) : pair[0]
    return { key: k as never, value: pair[1] as never }
  })
  const set = anonymousSet(ctx, specs.map((s) => s.type), elems, `${path}.map`, data)
  loadKey(ctx, specs, set.interval)
  lookup(ctx, set.name, set.id, false, 1)
}

function compileVmap(ctx: Ctx, st: Extract<Statement, { stmt: 'vmap' }>, path: string): void {
  if (st.bits !== undefined) {
    compileBitsVmap(ctx, st, path)
    return
  }
  const sel = Array.isArray(st.key) ? st.key : [st.key]
  const specs = sel.map((x, i) => selector(x, Array.isArray(st.key) ? `${path}.key[${i}]` : `${path}.key`))
  for (const s of specs) refuseBitsKey(s, `${path}.key`, 'a verdict map key')
  for (const s of specs) deps(ctx, s, path)
  if (specs.length > 1) for (const s of specs) refuseBitfield(s, 'a concatenation', `${path}.key`)
  else if (isSetRef(st.map)) refuseShiftedBitfield(specs[0], 'a named map', `${path}.key`)
  if (isSetRef(st.map)) {
    const info = ctx.env.findSet(st.map.set)
    if (info && info.data !== undefined && info.data !== 'verdict')
      invalid(`${path}.map`, `Expected a verdict map; ${info.name} maps to ${info.data.name}`, st.map)
    checkSetKey(info, specs, `${path}.map`)
    loadKey(ctx, specs, namedInterval(info, specs, st.map.set, `${path}.map`))
    lookup(ctx, st.map.set, info?.id, false, 0)
    return
  }
  if (!Array.isArray(st.map) || st.map.length === 0)
    invalid(`${path}.map`, 'Expected a named map ({ set }) or a non-empty list of [key, verdict] pairs', st.map)
  const ifx = hasIfindex(st.key)
  const elems: Element[] = st.map.map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) invalid(`${path}.map[${i}]`, 'Expected a [key, verdict] pair', pair)
    verdictFields(pair[1], `${path}.map[${i}][1]`)
    const k = ifx ? ifindexValue(ctx, sel, pair[0], `${path}.map[${i}][0]`) : pair[0]
    return { key: k as never, value: pair[1] as Verdict }
  })
  const set = anonymousSet(ctx, specs.map((s) => s.type), elems, `${path}.map`, 'verdict', specs.length > 1 ? anonymousKeyTypeof(specs, `${path}.map`) : undefined)
  loadKey(ctx, specs, set.interval)
  lookup(ctx, set.name, set.id, false, 0)
}
