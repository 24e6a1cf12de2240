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
  LIMIT_UNIT,
  LOG_LEVEL,
  META_KEY,
  NAT_FLAG,
  NAT_TYPE,
  NFT_DATA_VERDICT,
  REJECT_TYPE,
  SET_FLAG,
  VERDICT_CODE,
} from '../kernel/constants.js'
import {
  DATATYPES,
  type Datatype,
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
import { encodeElements, verdictFields } from '../elements/elements.js'
import type { Element } from '../model/element-types.js'
import { invalid } from '../kernel/errors.js'
import type { NativeExpr, NativeOp } from '../../types/native.js'
import { setUserdata } from '../model/set-userdata.js'
import { anonymousSetName } from '../model/names.js'
import { type Load, normalizeSelector, SELECTORS, type SelectorSpec } from './selectors.js'
import { compileSetStmt, type SetStmtHost } from './stmt-set.js'
import type { AnonymousSet, Match, MatchOp, RuleExpr, Selector, SetRef, Statement, Verdict } from '../model/rule-types.js'

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
}

/** The environment a rule is compiled in. */
export interface CompileEnv {
  readonly family: Family
  readonly table: string
  /** Looks up a named set; undefined if unknown (the kernel will check). */
  findSet(name: string): SetInfo | undefined
  /** Allocates a set id for an anonymous set in the current transaction. */
  nextSetId(): number
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
  l3?: 'ip' | 'ip6'
  l4?: number
  readonly env: CompileEnv
  readonly out: NativeExpr[]
  readonly sets: NativeOp[]
}

const NFPROTO = { ip: 2, ip6: 10 } as const
const ETHERTYPE = { ip: 0x0800, ip6: 0x86dd } as const
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
  if (env.family === 'ip') ctx.l3 = 'ip'
  if (env.family === 'ip6') ctx.l3 = 'ip6'
  exprs.forEach((e, i) => {
    const p = `${path}[${i}]`
    if (typeof e !== 'object' || e === null) invalid(p, 'Expected a match ({ match, value }) or a statement ({ stmt })', e)
    if ('match' in e) compileMatch(ctx, e as Match, p)
    else if ('stmt' in e) compileStatement(ctx, e as Statement, p)
    else if ('raw' in e) ctx.out.push(...((e as unknown as { raw: NativeExpr[] }).raw ?? []))
    else invalid(p, 'Expected a match ({ match, value }) or a statement ({ stmt })', e)
  })
  return { exprs: ctx.out, sets: ctx.sets }
}

// ------------------------------------------------------------------ helpers

function selector(s: unknown, path: string): SelectorSpec {
  const name = typeof s === 'string' ? normalizeSelector(s) : undefined
  if (!name) return invalid(path, `Expected a selector such as 'ip saddr', 'tcp dport', 'meta iifname', 'ct state'`, s)
  return SELECTORS[name]
}

function load(ctx: Ctx, l: Load, dreg: number, lenOverride?: number): void {
  if (l.kind === 'payload')
    ctx.out.push({ type: 'payload', dreg, base: l.base, offset: l.offset, len: lenOverride ?? l.len })
  else if (l.kind === 'meta') ctx.out.push({ type: 'meta', key: l.key, dreg })
  else ctx.out.push({ type: 'ct', key: l.key, dreg })
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
function needL3(ctx: Ctx, l3: 'ip' | 'ip6', what: string, path: string): void {
  if (ctx.l3 === l3) return
  if (ctx.l3) invalid(path, `Expected a ${ctx.l3} match: ${what} needs ${l3}, but this rule already matches ${ctx.l3}`, what)
  const fam = ctx.env.family
  // nft then checks `ether type` (and merges it with adjacent link-layer matches), not meta nfproto/protocol.
  if (ctx.l2explicit && fam !== 'ip' && fam !== 'ip6')
    invalid(path, `nftkit does not support ${what} after '${ctx.l2explicit}' in a ${fam} table yet`, what)
  if (fam === 'inet') {
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
  if (s.l2 && !ctx.l2) {
    const fam = ctx.env.family
    if (fam === 'ip' || fam === 'ip6' || fam === 'inet' || fam === 'netdev') {
      // Link-layer headers are only Ethernet when the input interface is.
      ctx.out.push({ type: 'meta', key: META_KEY.iiftype, dreg: 1 })
      cmp(ctx, CMP_OP.eq, SELECTORS['meta iiftype'].type.encode(1n))
    } else if (fam === 'arp') invalid(path, `Expected a match valid in an arp table`, s.name)
    ctx.l2 = true
  }
  if (s.l3) needL3(ctx, s.l3, s.name, path)
  if (s.l4 !== undefined) needL4(ctx, s.l4, s.name, path)
  if (s.name === 'ether type') ctx.l2explicit = 'ether type'
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

function compileMatch(ctx: Ctx, m: Match, path: string): void {
  if (Array.isArray(m.match) && m.match.length === 1) {
    compileMatch(ctx, { ...m, match: m.match[0] }, path)
    return
  }
  const flagSpec = typeof m.match === 'string' ? SELECTORS[normalizeSelector(m.match) as Selector] : undefined
  if (flagSpec?.flags && !isSetRef(m.value) && !isAnonymousSet(m.value)) {
    if (m.value === undefined) invalid(`${path}.value`, `Expected a value for ${flagSpec.name}`, m.value)
    if (m.op !== undefined && m.op !== '==' && m.op !== '!=' && m.op !== 'in' && m.op !== '!')
      invalid(`${path}.op`, "Expected '==', '!=', 'in' or '!'", m.op)
    deps(ctx, flagSpec, path)
    compileFlags(ctx, flagSpec, m.op, m.value, `${path}.value`)
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
    checkSetKey(info, [s], vpath)
    loadKey(ctx, [s], namedInterval(info, [s], v.set, vpath))
    lookup(ctx, v.set, info?.id, op === '!=')
    return
  }
  if (isAnonymousSet(v)) {
    if (!Array.isArray(v.elements) || v.elements.length === 0) invalid(`${vpath}.elements`, 'Expected a non-empty list of values', v.elements)
    const set = anonymousSet(ctx, [s.type], v.elements as Element[], `${vpath}.elements`)
    loadKey(ctx, [s], set.interval)
    lookup(ctx, set.name, set.id, op === '!=')
    return
  }
  if (Array.isArray(v)) {
    if (v.length === 0) invalid(vpath, 'Expected a non-empty list of values', v)
    if (v.length > 1) {
      const set = anonymousSet(ctx, [s.type], v as Element[], vpath)
      loadKey(ctx, [s], set.interval)
      lookup(ctx, set.name, set.id, op === '!=')
      trackContext(ctx, s, op, undefined)
      return
    }
    compileSingle(ctx, s, op, v[0], vpath)
    return
  }
  compileSingle(ctx, s, op, v, vpath)
}

function compileSingle(ctx: Ctx, s: SelectorSpec, op: '==' | '!=', v: unknown, vpath: string): void {
  const cmpOp = op === '==' ? CMP_OP.eq : CMP_OP.neq
  if (s.wildcard && typeof v === 'string' && v.endsWith('*')) {
    const stem = v.slice(0, -1)
    if (stem.length === 0 || Buffer.byteLength(stem) > 15 || stem.includes('*'))
      invalid(vpath, 'Expected an interface name or prefix wildcard like "eth*" (1-15 bytes before the *)', v)
    load(ctx, s.load, 1)
    cmp(ctx, cmpOp, Buffer.from(stem))
    return
  }
  const iv = s.type.parse(v, vpath)
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
  if (op === '==') {
    cmp(ctx, CMP_OP.gte, t.encode(iv.lo))
    cmp(ctx, CMP_OP.lte, t.encode(iv.hi))
  } else {
    ctx.out.push({ type: 'range', sreg: 1, op: 1, from: t.encode(iv.lo), to: t.encode(iv.hi) })
  }
}

/**
 * nft merges equality matches on adjacent header fields into one load, in
 * header order (`icmp code 1 icmp type 2` loads as `icmp type 2 icmp code 1`).
 * nftkit does not merge yet; in header order the two loads list the same,
 * out of order they would not, so that case is refused.
 */
function refuseReversedMerge(ctx: Ctx, s: SelectorSpec, vpath: string): void {
  const [p, c] = ctx.out.slice(-2)
  if (s.load.kind !== 'payload' || p?.type !== 'payload' || c?.type !== 'cmp' || Number(c.op) !== CMP_OP.eq) return
  if (Number(p.base) === s.load.base && Number(p.offset) === s.load.offset + s.load.len)
    invalid(vpath, `nftkit does not support ${s.name} right after a match on the next header field yet (nft merges and reorders them); write them in header order`, s.name)
}

/** Explicit protocol matches satisfy later dependencies, as in nft. */
function trackContext(ctx: Ctx, s: SelectorSpec, op: '==' | '!=', v: bigint | undefined): void {
  if (op !== '==' || v === undefined) return
  if (s.name === 'meta iiftype' && v === 1n) {
    ctx.l2 = true
    ctx.l2explicit = 'meta iiftype'
  }
  if (s.name === 'meta protocol' || s.name === 'ether type') ctx.l3 = v === 0x0800n ? 'ip' : v === 0x86ddn ? 'ip6' : ctx.l3
  if (s.name === 'meta nfproto') ctx.l3 = v === 2n ? 'ip' : v === 10n ? 'ip6' : ctx.l3
  if (s.name === 'meta l4proto' || s.name === 'ip protocol' || s.name === 'ip6 nexthdr') ctx.l4 = Number(v)
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
  for (const s of specs) {
    if (s.flags) invalid(`${path}.match`, `Expected selectors usable in a concatenation (not ${s.name})`, sel)
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
  const set = anonymousSet(ctx, specs.map((s) => s.type), list as Element[], vpath)
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
function anonymousSet(
  ctx: Ctx,
  key: readonly Datatype[],
  elements: readonly Element[],
  path: string,
  data?: 'verdict',
): { name: string; id: number; interval: boolean } {
  // Ranges or prefixes need an interval set; detect them by parsing each field.
  let interval = false
  elements.forEach((e, i) => {
    const k = typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as { key: unknown }).key : e
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
  const shape = { name: 'anonymous set', key, interval, data }
  const elems = encodeElements(shape, elements, path, { leadingZero: true, mergeAdjacent: true })
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
    ...(data ? { dataType: NFT_DATA_VERDICT, dataLen: 16 } : {}),
    ...(key.length > 1 && interval ? { concat: key.map((t) => t.size) } : {}),
    size: elements.length,
    userdata: setUserdata(key, data, undefined),
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
    case 'notrack':
      ctx.out.push({ type: 'notrack' })
      return
    case 'log': {
      const e: Record<string, unknown> = { type: 'log' }
      if (st.prefix !== undefined) {
        if (typeof st.prefix !== 'string' || Buffer.byteLength(st.prefix) > 127)
          invalid(`${path}.prefix`, 'Expected a log prefix of at most 127 bytes', st.prefix)
        e.prefix = st.prefix
      }
      if (st.level !== undefined) {
        if (!Object.hasOwn(LOG_LEVEL, st.level)) invalid(`${path}.level`, `Expected one of ${Object.keys(LOG_LEVEL).join(', ')}`, st.level)
        e.level = LOG_LEVEL[st.level]
      }
      ctx.out.push(e as NativeExpr)
      return
    }
    case 'limit': {
      if (!(Number.isSafeInteger(st.rate) && st.rate > 0)) invalid(`${path}.rate`, 'Expected a positive integer rate', st.rate)
      if (!Object.hasOwn(LIMIT_UNIT, st.per)) invalid(`${path}.per`, `Expected one of ${Object.keys(LIMIT_UNIT).join(', ')}`, st.per)
      if (st.burst !== undefined && !(Number.isInteger(st.burst) && st.burst >= 0 && st.burst <= 0xffffffff))
        invalid(`${path}.burst`, 'Expected a burst of 0-4294967295 packets', st.burst)
      ctx.out.push({
        type: 'limit',
        rate: st.rate,
        unit: LIMIT_UNIT[st.per],
        burst: st.burst ?? 5,
        limitType: 0,
        flags: st.over ? 1 : 0,
      })
      return
    }
    case 'snat':
    case 'dnat':
      compileNat(ctx, st, path)
      return
    case 'masquerade': {
      if (st.port === undefined) {
        ctx.out.push({ type: 'masq' })
        return
      }
      if (ctx.l4 === undefined) invalid(`${path}.port`, 'Expected a transport protocol match (tcp/udp) before a port mapping', st.port)
      const [lo, hi] = portRange(st.port, `${path}.port`)
      ctx.out.push({ type: 'immediate', dreg: 1, data: toBytes(BigInt(lo), 2) })
      if (hi !== lo) ctx.out.push({ type: 'immediate', dreg: 2, data: toBytes(BigInt(hi), 2) })
      ctx.out.push({ type: 'masq', regProtoMin: 1, ...(hi !== lo ? { regProtoMax: 2 } : {}), flags: NAT_FLAG.protoSpecified })
      return
    }
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
    case 'vmap':
      compileVmap(ctx, st, path)
      return
    case 'set':
      compileSetStmt(setStmtHost(ctx), st, path)
      return
    default:
      invalid(`${path}.stmt`, 'Expected a known statement (counter, accept, drop, jump, reject, ...)', (st as { stmt: unknown }).stmt)
  }
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
  const v6 = /^\[([^\]]+)\](?::(.+))?$/.exec(addr)
  if (v6) {
    addr = v6[1]
    if (v6[2]) port = portRange(v6[2], path)
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
  return { fam, lo: t.encode(iv.lo), hi: iv.hi !== iv.lo ? t.encode(iv.hi) : undefined, cidr: addr.includes('/'), port }
}

function compileNat(ctx: Ctx, st: Extract<Statement, { stmt: 'snat' | 'dnat' }>, path: string): void {
  if (typeof st.to !== 'string') invalid(`${path}.to`, 'Expected a NAT target address', st.to)
  const t = parseNatTarget(st.to, `${path}.to`)
  if (st.family !== undefined && st.family !== t.fam) invalid(`${path}.family`, `Expected ${t.fam} for address ${st.to}`, st.family)
  if (ctx.env.family === 'ip' && t.fam !== 'ip') invalid(`${path}.to`, 'Expected an IPv4 address in an ip table', st.to)
  if (ctx.env.family === 'ip6' && t.fam !== 'ip6') invalid(`${path}.to`, 'Expected an IPv6 address in an ip6 table', st.to)
  if (st.prefix && !t.cidr) invalid(`${path}.to`, 'Expected a CIDR with prefix: true', st.to)
  if (t.cidr && !st.prefix) invalid(`${path}.prefix`, `Expected prefix: true to map a whole prefix (nft's '${st.stmt} prefix to')`, st.prefix)
  if (t.port && ctx.l4 === undefined)
    invalid(`${path}.to`, 'Expected a transport protocol match (e.g. meta l4proto tcp) before a port mapping', st.to)
  let reg = 1
  const e: Record<string, unknown> = { type: 'nat', natType: NAT_TYPE[st.stmt], family: t.fam === 'ip' ? 2 : 10 }
  ctx.out.push({ type: 'immediate', dreg: reg, data: t.lo })
  e.regAddrMin = reg++
  let flags = 0
  if (t.hi) {
    ctx.out.push({ type: 'immediate', dreg: reg, data: t.hi })
    e.regAddrMax = reg++
    if (t.cidr) flags |= NAT_FLAG.netmap
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
  if (flags) e.flags = flags
  ctx.out.push(e as NativeExpr)
}

function compileVmap(ctx: Ctx, st: Extract<Statement, { stmt: 'vmap' }>, path: string): void {
  const sel = Array.isArray(st.key) ? st.key : [st.key]
  const specs = sel.map((x, i) => selector(x, Array.isArray(st.key) ? `${path}.key[${i}]` : `${path}.key`))
  for (const s of specs) deps(ctx, s, path)
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
  const elems: Element[] = st.map.map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) invalid(`${path}.map[${i}]`, 'Expected a [key, verdict] pair', pair)
    verdictFields(pair[1], `${path}.map[${i}][1]`)
    return { key: pair[0] as never, value: pair[1] as Verdict }
  })
  const set = anonymousSet(ctx, specs.map((s) => s.type), elems, `${path}.map`, 'verdict')
  loadKey(ctx, specs, set.interval)
  lookup(ctx, set.name, set.id, false, 0)
}
