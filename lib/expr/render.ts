/**
 * nft text: rendering of operations (the transaction view) and of rule
 * expressions, in nft's syntax and spelling.
 * @module
 */
import { type Family, priorityText } from '../kernel/constants.js'
import { type Datatype, DATATYPES, isWrittenRange, type KeyTypeName } from '../kernel/datatypes.js'
import { type Element, isAnonymousSetElement, isSpec } from '../model/element-types.js'
import type { RawExpr } from './decode.js'
import { normalizeSelector, SELECTORS, selectorText } from './selectors.js'
import { BIT_PRECEDENCE, bitsOperand, markExprText } from './bitwise.js'
import { limitText, logText, objectBodyText, quotaText } from './stmt-stateful.js'
import { natFlagsText, redirectText, synproxyText, tproxyText } from './stmt-nat.js'
import { synproxyObjectCommand } from './synproxy-object.js'
import type { Synproxy } from '../model/objects.js'
import { setStatefulText } from './set-stateful.js'
import { meterText } from './stmt-meter.js'
import { numgenHashText } from './numgen-hash.js'
import { natMapShowsFamily, natMapValueText } from './stmt-natmap.js'
import { dupText, fwdText } from './stmt-dup.js'
import { ctObjectLines, type CtStatement, ctStatementText } from './ct.js'
import { setStmtText } from './stmt-set.js'
import { isRawPayload, rawDecimalType, rawType } from './raw-payload.js'
import { rawPayloadSetText } from './stmt-raw-payload.js'
import type { BindingStmt, BitwiseStep, CtObjectMapStmt, MapValue, Match, NatMapStmt, NatMapValue, ObjectMapStmt, RuleExpr, Selector, Statement, Verdict } from '../model/rule-types.js'
import type { Chain, Counter, CtExpectation, CtHelper, Elements, Limit, NamedMap, NamedSet, NftObject, Quota, Rule, Table } from '../model/objects.js'
import type { RuleRef, SetRef, Verb } from '../model/operations.js'

/** Rendering options. */
export interface RenderOptions {
  /** Print counter values (as `nft list` does). */
  readonly counters?: boolean
  /**
   * Print exactly as `nft list ruleset` does, even where nft's listing does not
   * read back the same: nft 1.0.6 lists an exact compare of several flags as
   * `ct state established | related` (which `nft -f` reads as a bit test) and
   * `tcp flags == 0x12`. Without it such a match prints as
   * `ct state == established | related`, which loads back unchanged.
   */
  readonly listing?: boolean
}

/** nft quoting of a string (comments, prefixes, interface names). */
export function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/** nft time notation of milliseconds: `1d2h3m4s5ms`. */
export function formatTime(ms: number): string {
  if (ms === 0) return '0s'
  const parts: string[] = []
  const units: [string, number][] = [['d', 86400000], ['h', 3600000], ['m', 60000], ['s', 1000], ['ms', 1]]
  let left = ms
  for (const [u, n] of units) {
    const q = Math.floor(left / n)
    if (q > 0) {
      parts.push(`${q}${u}`)
      left -= q * n
    }
  }
  return parts.join('')
}

function typeOf(sel: Selector): Datatype {
  return SELECTORS[sel].type
}

function valueText(t: Datatype, v: unknown, sel?: Selector): string {
  // Interfaces by name print quoted (`iif "lo"`); an index without an interface as a number.
  // Named sets of interfaces (`type iface_index`) list names quoted too.
  if ((sel && SELECTORS[sel].ifindex) || t === DATATYPES.iface_index) return typeof v === 'string' ? quote(v) : String(v)
  if (typeof v === 'string' && sel && SELECTORS[sel].wildcard && v.endsWith('*') && !v.endsWith('\\*')) return quote(v)
  try {
    const iv = t.parse(v, 'value')
    // A range written as a range prints as one (nft keeps `10.0.0.0-10.0.0.255`).
    if (sel && isWrittenRange(t, v)) {
      if (t.name === 'time') return String(t.format(iv)) // nft's `60s-3600s`
      const f = (x: bigint) => String(t.formatBound?.(x) ?? t.format({ lo: x, hi: x }))
      return `${f(iv.lo)}-${f(iv.hi)}`
    }
    return String(t.format(iv))
  } catch {
    return typeof v === 'string' ? v : String(v)
  }
}

function verdictText(v: Verdict): string {
  if (typeof v === 'string') return v
  if ('jump' in v) return `jump ${v.jump}`
  return `goto ${v.goto}`
}

function keyText(types: readonly Datatype[], key: unknown, sels?: readonly Selector[]): string {
  if (types.length > 1 && Array.isArray(key)) return key.map((k, i) => valueText(types[i], k, sels?.[i])).join(' . ')
  return valueText(types[0], key, sels?.[0])
}

function selectors(m: Selector | readonly Selector[]): Selector[] {
  return (Array.isArray(m) ? m : [m]).map((s) => normalizeSelector(s as string) ?? (s as Selector))
}

/** A flag selector's match (see MatchOp): `syn,ack` / `! syn,ack` are bit tests, `==` / `!=` exact compares. */
function flagMatchText(lhs: string, spec: (typeof SELECTORS)[Selector], m: Match, listing: boolean): string {
  const v = m.value
  const names = typeof v === 'string' && v.includes('|') ? v.split('|').map((x) => x.trim()) : (Array.isArray(v) ? v : [v]).map(String)
  if (m.op === '!') return `${lhs} ! ${names.join(',')}`
  if (m.op !== '==' && m.op !== '!=') return `${lhs} ${names.join(',')}`
  const op = `${m.op} `
  if (names.length === 1) return `${lhs} ${op}${names[0]}`
  if (!listing) return `${lhs} ${op}${names.join(' | ')}`
  const flags = spec.flags ?? {}
  if (spec.name === 'tcp flags' && names.every((n) => Object.hasOwn(flags, n)))
    return `${lhs} ${op}0x${names.reduce((a, n) => a | flags[n], 0).toString(16)}`
  return `${lhs} ${m.op === '==' ? '' : op}${names.join(' | ')}`
}

/** A bitwise operand as nft prints it: flag names, an address, a mark in hex, else a decimal number. */
function bitsOperandText(spec: (typeof SELECTORS)[Selector], v: unknown, paren: boolean): string {
  const n = bitsOperand(spec, v, 'value')
  if (spec.flags) {
    const flags = spec.flags
    const names = (spec.flagOrder ?? []).filter((x) => (BigInt(flags[x]) & n) !== 0n)
    if (names.length === 0 || names.reduce((a, x) => a | BigInt(flags[x]), 0n) !== n) return `0x${n.toString(16).padStart(2, '0')}`
    return names.length > 1 && paren ? `(${names.join(' | ')})` : names.join(' | ')
  }
  const t = spec.type.name
  if (t === 'ipv4_addr' || t === 'ipv6_addr' || t === 'ether_addr' || t === 'mark') return String(spec.type.format({ lo: n, hi: n }))
  // Raw payloads are nft's xinteger: hex.
  if (isRawPayload(spec.name)) return `0x${n.toString(16)}`
  return String(n)
}

/** A selector with bitwise steps, as nft prints it: `tcp flags & (ack | urg)`, `(meta mark & 0x3) | 0x4`. */
function bitsLhsText(sel: Selector, steps: readonly BitwiseStep[]): string {
  const spec = SELECTORS[sel]
  let lhs = selectorText(sel)
  let prev = 0
  for (const [o, x] of steps) {
    if (prev !== 0 && BIT_PRECEDENCE[o] < prev) lhs = `(${lhs})`
    lhs = `${lhs} ${o} ${bitsOperandText(spec, x, true)}`
    prev = BIT_PRECEDENCE[o]
  }
  return lhs
}

/** A masked comparison: `meta mark & 0x00000003 == 0x00000001`, `tcp flags syn / syn,ack`. */
function bitsMatchText(m: Match): string {
  const sel = selectors(m.match)[0]
  const spec = SELECTORS[sel]
  const steps = m.bits ?? []
  const v = m.value
  const flagNames = (x: unknown) => bitsOperandText(spec, x, false).split(' | ').join(',')
  if (spec.flags && steps.length === 1 && steps[0][0] === '&' && (typeof v === 'string' || typeof v === 'number')) {
    const mask = bitsOperand(spec, steps[0][1], 'bits')
    const val = bitsOperand(spec, v, 'value')
    // nft lists `flags & M == V` as `V / M` unless V is 0, or V is M and M one flag.
    if (val !== 0n && (val !== mask || (mask & (mask - 1n)) !== 0n)) return `${selectorText(sel)} ${m.op === '!=' ? '!= ' : ''}${flagNames(v)} / ${flagNames(steps[0][1])}`
  }
  const lhs = bitsLhsText(sel, steps)
  const op = m.op === '!=' || m.op === '<' || m.op === '>' || m.op === '<=' || m.op === '>=' ? m.op : '=='
  // nft prints the keys of a masked raw payload's set as plain integers.
  const keyType = isRawPayload(spec.name) ? rawDecimalType(spec.type) : spec.type
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'elements' in v)
    return `${lhs} ${op} { ${v.elements.map((k) => (spec.flags ? bitsOperandText(spec, k, false) : keyText([keyType], k))).join(', ')} }`
  if (Array.isArray(v) && v.length > 1)
    return `${lhs} ${op} { ${v.map((k) => (spec.flags ? bitsOperandText(spec, k, false) : keyText([keyType], k))).join(', ')} }`
  const one = Array.isArray(v) ? v[0] : v
  return `${lhs} ${op} ${spec.flags || /^(0x[0-9a-fA-F]+|\d+)$/.test(String(one)) ? bitsOperandText(spec, one, false) : keyText([spec.type], one)}`
}

/** An anonymous set's element: its key's text, then its statements as nft lists them (`0x0000000a counter packets 0 bytes 0`). */
function withElementStmts(e: unknown, key: (k: unknown) => string): string {
  if (!isAnonymousSetElement(e)) return key(e)
  let s = key(e.key)
  if (e.stmts?.length) s += ` ${setStatefulText(e.stmts)}`
  if (e.counter) s += typeof e.counter === 'object' ? ` counter packets ${e.counter.packets} bytes ${e.counter.bytes}` : ' counter'
  return s
}

function matchText(m: Match, opts: RenderOptions = {}): string {
  if (m.bits !== undefined) return bitsMatchText(m)
  const sels = selectors(m.match)
  const lhs = sels.map(selectorText).join(' . ')
  const op = m.op === '!=' || m.op === '<' || m.op === '>' || m.op === '<=' || m.op === '>=' ? `${m.op} ` : ''
  const v = m.value
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'elements' in v) {
    const types = sels.map(typeOf)
    const flagSpec = sels.length === 1 ? SELECTORS[sels[0]] : undefined
    // A combination of flags in a set prints as nft lists it: `syn | ack`.
    const elem = (k: unknown) => (flagSpec?.flags && typeof k === 'string' && k.includes('|') ? bitsOperandText(flagSpec, k, false) : keyText(types, k, sels))
    return `${lhs} ${op}{ ${v.elements.map((k) => withElementStmts(k, elem)).join(', ')} }`
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return `${lhs} ${op}@${(v as { set: string }).set}`
  const spec = SELECTORS[sels[0]]
  if (spec?.flags && sels.length === 1) return flagMatchText(lhs, spec, m, opts.listing === true)
  const types = sels.map(typeOf)
  if (Array.isArray(v) && (sels.length === 1 || Array.isArray(v[0]) || isAnonymousSetElement(v[0]))) {
    return `${lhs} ${op}{ ${v.map((k) => withElementStmts(k, (x) => keyText(types, x, sels))).join(', ')} }`
  }
  return `${lhs} ${op}${keyText(types, v, sels)}`
}

function stmtText(s: Statement, family: Family | undefined, opts: RenderOptions): string {
  switch (s.stmt) {
    case 'counter':
      if ('key' in s) return objectMapText(s)
      if (s.name !== undefined) return `counter name ${quote(s.name)}`
      return opts.counters || s.packets || s.bytes ? `counter packets ${s.packets ?? 0} bytes ${s.bytes ?? 0}` : 'counter'
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
      return s.stmt
    case 'jump':
    case 'goto':
      if ('rules' in s) return bindingText(s, family, opts)
      return `${s.stmt} ${s.chain}`
    case 'reject': {
      const w = s.with
      if (w === undefined) return 'reject'
      if (w === 'tcp reset') return 'reject with tcp reset'
      if ('icmp' in w) return `reject with icmp ${w.icmp}`
      if ('icmpv6' in w) return `reject with icmpv6 ${w.icmpv6}`
      return `reject with icmpx ${w.icmpx}`
    }
    case 'ct mark set':
      if (typeof s.value === 'object' && 'map' in s.value) return `ct mark set ${mapValueText(s.value, typeOf('ct mark'))}`
      if (typeof s.value === 'object' && !('from' in s.value)) return `ct mark set ${numgenHashText(s.value, keySelText)}`
      if (typeof s.value === 'object') return `ct mark set ${markExprText(s.value)}`
      return `ct mark set 0x${s.value.toString(16).padStart(8, '0')}`
    case 'ct event set':
    case 'ct zone set':
    case 'ct label set':
    case 'ct helper set':
    case 'ct timeout set':
    case 'ct expectation set':
    case 'ct count':
      if ('key' in s && s.key !== undefined) return ctObjectMapText(s as CtObjectMapStmt)
      return ctStatementText(s as CtStatement, quote, (m) => mapValueText(m, typeOf('ct zone')))
    case 'meta mark set':
      if (typeof s.value === 'object' && 'map' in s.value) return `meta mark set ${mapValueText(s.value, typeOf('meta mark'))}`
      if (typeof s.value === 'object' && !('from' in s.value)) return `meta mark set ${numgenHashText(s.value, keySelText)}`
      if (typeof s.value === 'object') return `meta mark set ${markExprText(s.value)}`
      return s.value === 'ct mark' ? 'meta mark set ct mark' : `meta mark set 0x${s.value.toString(16).padStart(8, '0')}`
    case 'meta set': {
      const t = SELECTORS[s.key === 'priority' ? 'meta priority' : 'meta pkttype'].type
      if (typeof s.value === 'object') return `meta ${s.key} set ${mapValueText(s.value, t)}`
      return `meta ${s.key} set ${s.key === 'nftrace' ? s.value : valueText(t, s.value)}`
    }
    case 'notrack':
      return 'notrack'
    case 'log':
      return logText(s)
    case 'limit':
      return 'key' in s ? objectMapText(s) : limitText(s)
    case 'quota':
      return 'key' in s ? objectMapText(s) : quotaText(s)
    case 'snat':
    case 'dnat': {
      if ('key' in s && s.key !== undefined) return natMapText(s, family)
      const f = s.family ?? (s.to.startsWith(':') ? undefined : natFamily(s.to))
      const fam = family === 'inet' && f ? ` ${f}` : ''
      return `${s.stmt}${fam}${s.prefix ? ' prefix' : ''} to ${s.to}${natFlagsText(s.flags)}`
    }
    case 'dup':
      return dupText(s)
    case 'fwd':
      return fwdText(s)
    case 'masquerade':
      return `${s.port !== undefined ? `masquerade to :${s.port}` : 'masquerade'}${natFlagsText(s.flags)}`
    case 'redirect':
      return redirectText(s)
    case 'tproxy':
      return tproxyText(s, family)
    case 'synproxy':
      if ('key' in s) return objectMapText(s)
      return s.name !== undefined ? `synproxy name ${quote(s.name)}` : synproxyText(s)
    case 'tcp mss set':
      return `tcp option maxseg size set ${s.value === 'rt mtu' ? 'rt mtu' : s.value}`
    case 'payload set':
      if (typeof s.value === 'object') return `${selectorText(s.key)} set ${mapValueText(s.value, typeOf(s.key))}`
      return `${selectorText(s.key)} set ${valueText(typeOf(s.key), s.value)}`
    case 'raw payload set':
      return rawPayloadSetText(s, opts.listing === true)
    case 'reset tcp option':
      return `reset tcp option ${s.option}`
    case 'vmap': {
      const sels = selectors(s.key)
      const lhs = s.bits?.length && sels.length === 1 ? bitsLhsText(sels[0], s.bits) : sels.map(selectorText).join(' . ')
      if (!Array.isArray(s.map)) return `${lhs} vmap @${(s.map as { set: string }).set}`
      // nft prints the keys of a single raw payload's verdict map as plain integers.
      const types = sels.length === 1 && isRawPayload(sels[0]) ? [rawDecimalType(typeOf(sels[0]))] : sels.map(typeOf)
      return `${lhs} vmap { ${s.map.map(([k, v]) => `${keyText(types, k, sels)} : ${verdictText(v)}`).join(', ')} }`
    }
    case 'set':
      return setStmtText(s, (x) => stmtText(x, family, {}), formatTime, opts.listing === true)
    case 'meter':
      return meterText(s, (k) => selectorText(k as Selector), (x) => stmtText(x, family, {}), formatTime)
  }
}

/** `counter name tcp dport map { 443 : "c1" }`. */
/** Selectors joined by ` . ` as nft prints a key. */
function keySelText(k: Selector | readonly Selector[]): string {
  return selectors(k).map(selectorText).join(' . ')
}

/** `KEY map { k : v, ... }` or `KEY map @m`: a statement's value looked up in a map of values of type `data`. */
function mapValueText(mv: MapValue, data: Datatype): string {
  const sels = selectors(mv.key)
  const lhs = sels.map(selectorText).join(' . ')
  if (!Array.isArray(mv.map)) return `${lhs} map @${(mv.map as { set: string }).set}`
  const types = sels.map(typeOf)
  return `${lhs} map { ${mv.map.map(([k, v]) => `${keyText(types, k, sels)} : ${valueText(data, v)}`).join(', ')} }`
}

/** `ct helper set KEY map { k : "name", ... }`. */
function ctObjectMapText(s: CtObjectMapStmt): string {
  const sels = selectors(s.key)
  const types = sels.map(typeOf)
  return `${s.stmt} ${sels.map(selectorText).join(' . ')} map { ${s.map.map(([k, v]) => `${keyText(types, k, sels)} : ${quote(v)}`).join(', ')} }`
}

function objectMapText(s: ObjectMapStmt): string {
  const sels = selectors(s.key)
  if (!Array.isArray(s.map)) return `${s.stmt} name ${sels.map(selectorText).join(' . ')} map @${(s.map as { set: string }).set}`
  const types = sels.map(typeOf)
  return `${s.stmt} name ${sels.map(selectorText).join(' . ')} map { ${s.map.map(([k, v]) => `${keyText(types, k, sels)} : ${quote(v)}`).join(', ')} }`
}

/** `snat ip to ip saddr map { 10.0.0.1 : 192.168.0.1 . 80 }`: nft names the family in inet tables and for data with ports or intervals. */
function natMapText(s: NatMapStmt, family?: string): string {
  const sels = selectors(s.key)
  const lhs = sels.map(selectorText).join(' . ')
  if (s.map === undefined) return `${s.stmt}${family === 'inet' && s.family ? ` ${s.family}` : ''} to ${lhs}${natFlagsText(s.flags)}`
  const named = !Array.isArray(s.map)
  const pairs = named ? [] : (s.map as ReadonlyArray<readonly [string | number | ReadonlyArray<string | number>, NatMapValue]>)
  const fam = s.family ?? (family === 'ip' || family === 'ip6' ? family : undefined)
  const shown = family === 'inet' || named ? s.family : natMapShowsFamily(pairs.map((p) => p[1])) ? fam : undefined
  const head = `${s.stmt}${shown ? ` ${shown}` : ''}${s.prefix ? ' prefix' : ''} to ${lhs}`
  if (named) return `${head} map @${(s.map as { set: string }).set}${natFlagsText(s.flags)}`
  const types = sels.map(typeOf)
  return `${head} map { ${pairs.map(([k, v]) => `${keyText(types, k, sels)} : ${natMapValueText(v)}`).join(', ')} }${natFlagsText(s.flags)}`
}

/** Address family of a NAT target: IPv6 when bracketed or with more than one ':'. */
function natFamily(to: string): 'ip' | 'ip6' {
  return to.startsWith('[') || (to.match(/:/g) ?? []).length > 1 ? 'ip6' : 'ip'
}

/**
 * `jump { ... }` as nft lists it: the bound chain's rules one per line, one tab
 * deeper than the rule; lines after the first are indented relative to the
 * rule (the caller prefixes them with the rule's own indentation).
 */
function bindingText(s: BindingStmt, family: Family | undefined, opts: RenderOptions): string {
  const inner = s.rules.map((r) => `\t${renderRuleBody({ ...r, family }, opts).replace(/\n/g, '\n\t')}`)
  return `${s.stmt} {\n${inner.join('\n')}\n}`
}

/** nft text of one rule expression. */
export function renderExpr(e: RuleExpr | RawExpr, family?: Family, opts: RenderOptions = {}): string {
  if ('raw' in e) return `# ${e.raw.length} kernel expressions nftkit cannot print`
  if ('match' in e) return matchText(e, opts)
  return stmtText(e, family, opts)
}

/** nft text of a rule body: its expressions and comment. */
export function renderRuleBody(r: { exprs?: readonly (RuleExpr | RawExpr)[]; comment?: string; family?: Family }, opts: RenderOptions = {}): string {
  const parts = (r.exprs ?? []).map((e) => renderExpr(e, r.family, opts))
  if (r.comment !== undefined) parts.push(`comment ${quote(r.comment)}`)
  return parts.join(' ')
}

/** The first line of a set declaration: `type ...` or, when declared so, `typeof ...`. */
export function setTypeLine(
  s: Pick<NamedSet, 'type' | 'typeof'> & { kind: 'set' | 'map'; map?: string | readonly string[]; mapTypeof?: Selector | readonly Selector[]; mapInterval?: boolean },
): string {
  const sels = (x: Selector | readonly Selector[]) => (Array.isArray(x) ? x : [x]).map((y) => selectorText(y)).join(' . ')
  // A map to ranges: nft's `: interval ipv4_addr . inet_service`.
  const iv = s.mapInterval ? 'interval ' : ''
  const map = Array.isArray(s.map) ? s.map.join(' . ') : String(s.map)
  if (s.typeof !== undefined) {
    const key = sels(s.typeof)
    if (s.kind !== 'map') return `typeof ${key}`
    return `typeof ${key} : ${iv}${s.mapTypeof !== undefined ? sels(s.mapTypeof) : map}`
  }
  const key = Array.isArray(s.type) ? s.type.join(' . ') : String(s.type)
  return s.kind === 'map' ? `type ${key} : ${iv}${map}` : `type ${key}`
}

function keyTypes(t: unknown, sels?: Selector | readonly Selector[]): Datatype[] {
  const names = Array.isArray(t) ? t : [t]
  const at = (i: number) => (Array.isArray(sels) ? sels[i] : i === 0 ? sels : undefined) as Selector | undefined
  return names
    .map((n, i) => {
      // A raw payload's type (rawTypeofKey); nft's integer: the type of the typeof selector at this position.
      if (typeof n === 'object' && n !== null) return n as Datatype
      if (n !== 'integer') return DATATYPES[n as KeyTypeName]
      const sel = at(i)
      const spec = sel !== undefined ? SELECTORS[normalizeSelector(sel) as Selector] : undefined
      return spec?.type.name === 'integer' ? spec.type : undefined
    })
    .filter((x): x is Datatype => x !== undefined)
}

/** Value types of object maps: their elements name objects, printed quoted. */
const OBJECT_MAPS = ['counter', 'quota', 'limit', 'synproxy']

/** nft text of a list of elements for a set or map of the given types. */
export function renderElements(
  elements: readonly Element[],
  type: unknown,
  map?: string | readonly string[],
  decl?: { readonly typeof?: Selector | readonly Selector[]; readonly mapTypeof?: Selector | readonly Selector[] },
): string {
  const types = keyTypes(type, decl?.typeof)
  // A map to a concatenation prints its values as keys are printed (`2.2.2.2 . 30`).
  const dataTypes = Array.isArray(map) ? keyTypes(map, decl?.mapTypeof) : undefined
  const dataType =
    typeof map === 'string' && map !== 'verdict' ? (map === 'integer' ? keyTypes(map, decl?.mapTypeof)[0] : DATATYPES[map as KeyTypeName]) : undefined
  return elements
    .map((e) => {
      if (!isSpec(e)) return keyText(types, e)
      let s = keyText(types, e.key)
      // nft's order: the statements right after the key, then timeout and comment.
      if (e.stmts?.length) s += ` ${setStatefulText(e.stmts)}`
      if (e.counter) s += typeof e.counter === 'object' ? ` counter packets ${e.counter.packets} bytes ${e.counter.bytes}` : ' counter'
      if (e.timeout !== undefined) s += ` timeout ${formatTime(e.timeout)}`
      if (e.comment !== undefined) s += ` comment ${quote(e.comment)}`
      if (e.value !== undefined)
        s += ` : ${
          map === 'verdict'
            ? verdictText(e.value as Verdict)
            : dataTypes
              ? keyText(dataTypes, e.value)
              : dataType
                ? valueText(dataType, e.value)
                : typeof map === 'string' && OBJECT_MAPS.includes(map)
                  ? quote(String(e.value))
                  : String(e.value)
        }`
      return s
    })
    .join(', ')
}

/**
 * The key field types of a set declared with a raw payload in its typeof
 * (nft's integers, printed by their selectors; `undefined` for other sets):
 * what its elements print with.
 */
export function rawTypeofKey(s: { readonly typeof?: Selector | readonly Selector[] }): Datatype[] | undefined {
  const sels = s.typeof === undefined ? [] : ((Array.isArray(s.typeof) ? s.typeof : [s.typeof]) as string[])
  if (!sels.some((x) => isRawPayload(x))) return undefined
  const specs = sels.map((x) => SELECTORS[normalizeSelector(x) as Selector])
  if (specs.some((x) => !x)) return undefined
  return specs.map((x) => (isRawPayload(x.name) ? rawType(x.size) : x.type))
}

function setBody(s: NamedSet | NamedMap, sep: string): string {
  const lines = [setTypeLine(s)]
  if (s.flags?.length) lines.push(`flags ${s.flags.join(',')}`)
  if (s.timeout !== undefined) lines.push(`timeout ${formatTime(s.timeout)}`)
  if (s.gcInterval !== undefined) lines.push(`gc-interval ${formatTime(s.gcInterval)}`)
  if (s.size !== undefined) lines.push(`size ${s.size}`)
  if (s.policy !== undefined) lines.push(`policy ${s.policy}`)
  if (s.counter) lines.push('counter')
  if (s.stmts?.length) lines.push(setStatefulText(s.stmts))
  if (s.autoMerge) lines.push('auto-merge')
  if (s.comment !== undefined) lines.push(`comment ${quote(s.comment)}`)
  if (s.elements?.length) lines.push(`elements = { ${renderElements(s.elements, rawTypeofKey(s) ?? s.type, s.kind === 'map' ? s.map : undefined, s as NamedMap)} }`)
  return lines.join(sep)
}

function chainSpec(c: Chain): string {
  if (c.hook === undefined) return c.comment !== undefined ? ` { comment ${quote(c.comment)}; }` : ''
  const prio = typeof c.priority === 'number' && c.family ? priorityText(c.family, c.hook, c.priority) : String(c.priority)
  const dev = c.devices?.length ? ` device${c.devices.length > 1 ? 's = {' : ''} ${c.devices.map(quote).join(', ')}${c.devices.length > 1 ? ' }' : ''}` : ''
  const parts = [`type ${c.type ?? 'filter'} hook ${c.hook}${dev} priority ${prio}`]
  if (c.policy !== undefined) parts.push(`policy ${c.policy}`)
  if (c.comment !== undefined) parts.push(`comment ${quote(c.comment)}`)
  return ` { ${parts.join('; ')}; }`
}

/** nft command text of one transaction operation. */
export function renderOperation(verb: Verb, obj: NftObject | RuleRef | SetRef): string {
  const f = (o: { family?: Family }) => o.family ?? 'inet'
  switch (obj.kind) {
    case 'ruleset':
      return obj.family ? `flush ruleset ${obj.family}` : 'flush ruleset'
    case 'table': {
      const t = obj as Table
      const head = `${verb} table ${f(t)} ${t.name}`
      if (verb !== 'add' && verb !== 'create') return head
      const inner = [t.flags?.length ? `flags ${t.flags.join(',')};` : '', t.comment !== undefined ? `comment ${quote(t.comment)};` : '']
        .filter(Boolean)
        .join(' ')
      return inner ? `${head} { ${inner} }` : head
    }
    case 'chain': {
      const c = obj as Chain
      const head = `${verb} chain ${f(c)} ${c.table} ${c.name}`
      return verb === 'add' || verb === 'create' ? head + chainSpec(c) : head
    }
    case 'rule': {
      const r = obj as Rule
      const head = `${verb} rule ${f(r)} ${r.table} ${r.chain}`
      if (verb === 'delete' || verb === 'destroy') return `${head} handle ${r.handle}`
      const where = verb === 'replace' ? ` handle ${r.handle}` : r.position !== undefined ? ` position ${r.position}` : ''
      return `${head}${where} ${renderRuleBody(r)}`
    }
    case 'set':
    case 'map': {
      const s = obj as NamedSet | NamedMap
      const head = `${verb} ${s.kind} ${f(s)} ${s.table} ${s.name}`
      return verb === 'add' || verb === 'create' ? `${head} { ${setBody(s, '; ')}; }` : head
    }
    case 'element': {
      const e = obj as Elements
      const key = (k: unknown) => (Array.isArray(k) ? k.join(' . ') : String(k))
      const one = (x: Element) => {
        if (!isSpec(x)) return key(x)
        let s = key(x.key)
        if (x.stmts?.length) s += ` ${setStatefulText(x.stmts)}`
        if (x.counter) s += typeof x.counter === 'object' ? ` counter packets ${x.counter.packets} bytes ${x.counter.bytes}` : ' counter'
        if (x.timeout !== undefined) s += ` timeout ${formatTime(x.timeout)}`
        if (x.comment !== undefined) s += ` comment ${quote(x.comment)}`
        if (x.value !== undefined) s += ` : ${Array.isArray(x.value) ? key(x.value) : typeof x.value === 'object' ? verdictText(x.value as Verdict) : String(x.value)}`
        return s
      }
      return `${verb} element ${f(e)} ${e.table} ${e.set} { ${e.elements.map(one).join(', ')} }`
    }
    case 'counter': {
      const c = obj as Counter
      return `${verb} counter ${f(c)} ${c.table} ${c.name}`
    }
    case 'quota':
    case 'limit': {
      const o = obj as Quota | Limit
      const head = `${verb} ${o.kind} ${f(o)} ${o.table} ${o.name}`
      if (verb !== 'add' && verb !== 'create') return head
      return `${head} { ${objectBodyText(o)};${o.comment !== undefined ? ` comment ${quote(o.comment)};` : ''} }`
    }
    case 'synproxy': {
      const o = obj as Synproxy
      const head = `${verb} synproxy ${f(o)} ${o.table} ${o.name}`
      if (verb !== 'add' && verb !== 'create') return head
      return `${head} { ${[synproxyObjectCommand(o), o.comment !== undefined ? `comment ${quote(o.comment)};` : ''].filter(Boolean).join(' ')} }`
    }
    case 'ct helper':
    case 'ct expectation': {
      const o = obj as CtHelper | CtExpectation
      const head = `${verb} ${o.kind} ${f(o)} ${o.table} ${o.name}`
      return verb === 'add' || verb === 'create' ? `${head} { ${ctObjectLines(o, quote).join('; ')}; }` : head
    }
  }
}
