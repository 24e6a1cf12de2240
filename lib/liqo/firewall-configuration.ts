/**
 * Liqo's FirewallConfiguration (networking.liqo.io/v1beta1) as nftkit objects:
 * reading YAML/JSON documents, validating them with field paths (what Liqo's
 * webhook checks and what it misses), and mapping them to nftables the way
 * Liqo's agent intends, with its known defects fixed (see
 * docs/firewall-configuration.md).
 * @module
 */
import { Transaction } from '../batch/transaction.js'
import { verdictFields } from '../elements/elements.js'
import { type Family, type Hook, hooksFor, ICMP_CODE, ICMPV6_CODE, ICMPX_CODE } from '../kernel/constants.js'
import { DATATYPES, type KeyTypeName, parseAddress } from '../kernel/datatypes.js'
import { didYouMean, NftValidationError } from '../kernel/errors.js'
import { findDataProblem } from '../model/validate.js'
import type { Problem } from './yaml.js'
import type { Element } from '../model/element-types.js'
import type { Match, RuleExpr, Statement } from '../model/rule-types.js'
import type { Chain, NamedSet, NamedMap, Rule, Table } from '../model/objects.js'
import type { Operation } from '../model/operations.js'

export { type Document, type Problem, readDocuments, readYaml, type YamlDocument } from './yaml.js'

/** A FirewallConfiguration as read from YAML/JSON (loosely typed: validate() checks it). */
export interface FirewallConfiguration {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> }
  readonly spec: { readonly table: FwTable }
  readonly status?: unknown
}

interface FwTable {
  readonly name: string
  readonly family: 'INET' | 'IPV4' | 'IPV6' | 'ARP' | 'NETDEV' | 'BRIDGE'
  readonly chains?: readonly FwChain[]
  readonly sets?: readonly FwSet[]
}
interface FwChain {
  readonly name: string
  readonly type: 'filter' | 'nat' | 'route'
  readonly hook: Hook
  readonly priority?: number
  readonly policy: 'accept' | 'drop'
  readonly rules: { readonly filterRules?: readonly FwFilterRule[]; readonly natRules?: readonly FwNatRule[]; readonly routeRules?: readonly { name?: string }[] }
}
interface FwMatch {
  readonly op: 'eq' | 'neq'
  readonly ip?: { readonly value: string; readonly position: 'src' | 'dst' }
  readonly port?: { readonly value: string; readonly position: 'src' | 'dst' }
  readonly proto?: { readonly value: 'tcp' | 'udp' }
  readonly dev?: { readonly value: string; readonly position: 'in' | 'out' }
  readonly ctstate?: { readonly value: readonly string[] }
}
interface FwFilterRule {
  readonly name?: string
  readonly counter?: boolean
  readonly match: readonly FwMatch[]
  readonly action: 'accept' | 'drop' | 'reject' | 'ctmark' | 'metamarkfromctmark' | 'tcpmssclamp' | 'notrack'
  readonly value?: string
}
interface FwNatRule {
  readonly name?: string
  readonly match: readonly FwMatch[]
  readonly natType: 'dnat' | 'snat' | 'masquerade'
  readonly to?: string
  readonly targetRef?: unknown
}
interface FwSet {
  readonly name: string
  readonly keyType: string
  readonly dataType?: string
  readonly elements?: readonly { readonly key: string; readonly data?: string }[]
}

/** Family names of the API to nft families. */
export const FAMILY: Readonly<Record<FwTable['family'], Family>> = {
  INET: 'inet',
  IPV4: 'ip',
  IPV6: 'ip6',
  ARP: 'arp',
  NETDEV: 'netdev',
  BRIDGE: 'bridge',
}

/** Set key types of the sets extension, with the nftkit type and interval flag. */
const SET_KEYS: Readonly<Record<string, { type: KeyTypeName; interval: boolean }>> = {
  ipv4_addr: { type: 'ipv4_addr', interval: false },
  ipv4_cidr: { type: 'ipv4_addr', interval: true },
  ipv6_addr: { type: 'ipv6_addr', interval: false },
  ipv6_cidr: { type: 'ipv6_addr', interval: true },
  inet_service: { type: 'inet_service', interval: false },
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Reports every field of `v` not in `allowed` (at the top level when `path` is
 * empty), with the closest allowed name as a hint when there is one.
 */
export function keysOnly(v: Record<string, unknown>, allowed: readonly string[], path: string, out: Problem[]): void {
  for (const k of Object.keys(v)) {
    if (allowed.includes(k)) continue
    const hint = didYouMean(k, allowed)
    out.push({ path: path ? `${path}.${k}` : k, message: `unknown field '${k}' (expected one of ${allowed.join(', ')})${hint ? ` – did you mean '${hint}'?` : ''}` })
  }
}

function str(v: unknown, path: string, out: Problem[], what: string): v is string {
  if (typeof v === 'string' && v.length > 0) return true
  out.push({ path, message: `expected ${what} (a non-empty string), got ${JSON.stringify(v)}` })
  return false
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], path: string, out: Problem[]): v is T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return true
  out.push({ path, message: `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}` })
  return false
}

/** The hooks the FirewallConfiguration API can name (no netdev egress). */
const API_HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'] as const

/** NAT types each hook allows (kernel rules). */
const NAT_HOOKS: Record<string, readonly FwNatRule['natType'][]> = {
  prerouting: ['dnat'],
  output: ['dnat'],
  postrouting: ['snat', 'masquerade'],
  input: ['snat'],
}

/**
 * Where the kernel allows reject: nft_reject_validate (ip, ip6; inet adds
 * ingress, which the API cannot use) and nft_reject_bridge_validate (bridge).
 * ARP has no reject; NETDEV chains are ingress-only, which the API cannot use.
 */
const REJECT_HOOKS: Partial<Record<Family, readonly Hook[]>> = {
  ip: ['prerouting', 'input', 'forward', 'output'],
  ip6: ['prerouting', 'input', 'forward', 'output'],
  inet: ['prerouting', 'input', 'forward', 'output'],
  bridge: ['prerouting', 'input'],
}

/** Where the kernel allows `rt mtu` (nft_rt_validate, NFT_RT_TCPMSS): not in bridge tables. */
const RT_MTU_HOOKS: readonly Hook[] = ['forward', 'output', 'postrouting']

/** Reject codes by reject type, from the library's vocabulary. */
const REJECT_CODES = { icmp: ICMP_CODE, icmpv6: ICMPV6_CODE, icmpx: ICMPX_CODE } as const

/** Field path of a map key: `labels.app`, or `labels["networking.liqo.io/x"]`. */
const keyPath = (p: string, k: string) => (/^[A-Za-z_][\w-]*$/.test(k) ? `${p}.${k}` : `${p}[${JSON.stringify(k)}]`)

/** The address family an `ip.value` (address, CIDR, range or `@set`) selects, if valid. */
function ipValueFamily(v: string, sets: Map<string, string>): 'ip' | 'ip6' | undefined {
  const t = v.trim()
  if (t.startsWith('@')) {
    const k = sets.get(t.slice(1))
    return k?.startsWith('ipv4') ? 'ip' : k?.startsWith('ipv6') ? 'ip6' : undefined
  }
  return ipKind(t.split(/\s*-\s*/)[0].split('/')[0])
}

const L3_NAME = { ip: 'IPv4', ip6: 'IPv6' } as const

function ipKind(v: string): 'ip' | 'ip6' | undefined {
  if (!('code' in parseAddress('ipv4_addr', v))) return 'ip'
  if (!('code' in parseAddress('ipv6_addr', v))) return 'ip6'
  return undefined
}

function ipProblem(v: string): string | undefined {
  for (const name of ['ipv4_addr', 'ipv6_addr'] as const) {
    const r = parseAddress(name, v)
    if (!('code' in r)) return undefined
    if (r.code === 'host-bits' || r.code === 'range-order') return r.message.replace(/^Expected /, 'expected ')
  }
  return 'expected an IPv4/IPv6 address, CIDR (no host bits) or range a-b with a <= b, or @set'
}

/**
 * Every problem of a FirewallConfiguration, with field paths, as an admission
 * webhook would report them. An empty list means it can be applied: each
 * field is checked against what the API, the nftkit transaction and the
 * kernel accept, and an object without field problems is then run through a
 * {@link Transaction} as a last line of defence (a refusal there becomes a
 * problem at `spec.table`).
 */
export function validate(obj: unknown): Problem[] {
  const bad = findDataProblem(obj, '')
  if (bad) return [{ path: bad.path.replace(/^\./, ''), message: bad.reason.replace(/^Expected/, 'expected') }]
  let out: Problem[]
  try {
    out = fieldProblems(obj)
  } catch (e) {
    // A shape no check expected (a bug to report): a problem, not a crash.
    return [{ path: '', message: `cannot check this document (${e instanceof Error ? e.name : typeof e} while checking it)` }]
  }
  if (out.length > 0) return out
  try {
    const tx = new Transaction()
    for (const op of toOperations(obj as FirewallConfiguration)) tx.apply(op)
  } catch (e) {
    if (!(e instanceof NftValidationError)) return [{ path: 'spec.table', message: `cannot map this table (${e instanceof Error ? e.name : typeof e} while mapping it)` }]
    return [{ path: 'spec.table', message: `the nftkit transaction refuses the mapped table: ${e.message}` }]
  }
  return out
}

/** The field-by-field checks of {@link validate}. */
function fieldProblems(obj: unknown): Problem[] {
  const out: Problem[] = []
  if (!isObj(obj)) return [{ path: '', message: 'expected an object' }]
  keysOnly(obj, ['apiVersion', 'kind', 'metadata', 'spec', 'status'], '', out)
  if (obj.apiVersion !== 'networking.liqo.io/v1beta1') out.push({ path: 'apiVersion', message: `expected networking.liqo.io/v1beta1, got ${JSON.stringify(obj.apiVersion)}` })
  if (obj.kind !== 'FirewallConfiguration') out.push({ path: 'kind', message: `expected FirewallConfiguration, got ${JSON.stringify(obj.kind)}` })
  if (obj.metadata !== undefined && isObj(obj.metadata) && obj.metadata.labels !== undefined) {
    const labels = obj.metadata.labels
    if (!isObj(labels)) out.push({ path: 'metadata.labels', message: 'expected a map of strings' })
    else
      for (const [k, v] of Object.entries(labels))
        if (typeof v !== 'string') out.push({ path: keyPath('metadata.labels', k), message: `expected a string label value, got ${JSON.stringify(v)}` })
  }
  if (!isObj(obj.spec)) return [...out, { path: 'spec', message: 'expected an object with table' }]
  keysOnly(obj.spec, ['table'], 'spec', out)
  const t = obj.spec.table
  if (!isObj(t)) return [...out, { path: 'spec.table', message: 'expected an object with name, family and chains' }]
  keysOnly(t, ['name', 'family', 'chains', 'sets'], 'spec.table', out)
  if (str(t.name, 'spec.table.name', out, 'a table name') && Buffer.byteLength(t.name) > 255)
    out.push({ path: 'spec.table.name', message: 'expected at most 255 bytes (the kernel limit)' })
  const famOk = oneOf(t.family, Object.keys(FAMILY) as FwTable['family'][], 'spec.table.family', out)
  const family = famOk ? FAMILY[t.family as FwTable['family']] : undefined
  const sets = new Map<string, string>()
  if (t.sets !== undefined) {
    if (!Array.isArray(t.sets)) out.push({ path: 'spec.table.sets', message: 'expected a list' })
    else
      t.sets.forEach((s, i) => {
        const p = `spec.table.sets[${i}]`
        if (!isObj(s)) {
        out.push({ path: p, message: 'expected an object' })
        return
      }
        keysOnly(s, ['name', 'keyType', 'dataType', 'elements'], p, out)
        if (str(s.name, `${p}.name`, out, 'a set name')) {
          if (sets.has(s.name)) out.push({ path: `${p}.name`, message: `duplicate set name '${s.name}'` })
          if (Buffer.byteLength(s.name) > 255) out.push({ path: `${p}.name`, message: 'expected at most 255 bytes' })
        }
        if (oneOf(s.keyType, Object.keys(SET_KEYS), `${p}.keyType`, out) && typeof s.name === 'string') sets.set(s.name, s.keyType as string)
        if (s.dataType !== undefined) oneOf(s.dataType, ['verdict', 'mark', 'ipv4_addr', 'inet_service'], `${p}.dataType`, out)
        if (s.elements !== undefined && !Array.isArray(s.elements)) out.push({ path: `${p}.elements`, message: 'expected a list' })
        if (Array.isArray(s.elements) && typeof s.keyType === 'string' && SET_KEYS[s.keyType]) {
          const k = SET_KEYS[s.keyType]
          s.elements.forEach((e, j) => {
            const ep = `${p}.elements[${j}]`
            if (!isObj(e)) {
        out.push({ path: ep, message: 'expected { key, data? }' })
        return
      }
            keysOnly(e, ['key', 'data'], ep, out)
            try {
              const iv = DATATYPES[k.type].parse(e.key, `${ep}.key`)
              if (!k.interval && iv.lo !== iv.hi) out.push({ path: `${ep}.key`, message: `expected a single value for keyType ${s.keyType} (use ${String(s.keyType).replace('_addr', '_cidr')} for prefixes and ranges)` })
            } catch (err) {
              out.push({ path: `${ep}.key`, message: ((err as { reason?: string }).reason ?? String(err)).replace(/^Expected/, 'expected') })
            }
            if (s.dataType === undefined && e.data !== undefined) out.push({ path: `${ep}.data`, message: 'expected no data: the set has no dataType' })
            if (s.dataType !== undefined && e.data === undefined) out.push({ path: `${ep}.data`, message: 'expected data: the set has a dataType' })
            if (e.data !== undefined && typeof s.dataType === 'string') {
              const why = mapDataProblem(s.dataType, e.data)
              if (why) out.push({ path: `${ep}.data`, message: `${why}, got ${JSON.stringify(e.data)}` })
            }
          })
        }
      })
  }
  if (t.chains === undefined) return out
  if (!Array.isArray(t.chains)) return [...out, { path: 'spec.table.chains', message: 'expected a list' }]
  const names = new Set<string>()
  t.chains.forEach((c, i) => {
    const p = `spec.table.chains[${i}]`
    if (!isObj(c)) {
        out.push({ path: p, message: 'expected an object' })
        return
      }
    keysOnly(c, ['name', 'type', 'hook', 'priority', 'policy', 'rules'], p, out)
    if (str(c.name, `${p}.name`, out, 'a chain name')) {
      if (names.has(c.name)) out.push({ path: `${p}.name`, message: `duplicate chain name '${c.name}'` })
      if (Buffer.byteLength(c.name) > 255) out.push({ path: `${p}.name`, message: 'expected at most 255 bytes' })
      names.add(c.name)
    }
    const typeOk = oneOf(c.type, ['filter', 'nat', 'route'] as const, `${p}.type`, out)
    const hookOk = oneOf(c.hook, API_HOOKS, `${p}.hook`, out)
    oneOf(c.policy, ['accept', 'drop'] as const, `${p}.policy`, out)
    if (c.priority !== undefined && !(Number.isInteger(c.priority) && (c.priority as number) >= -2147483648 && (c.priority as number) <= 2147483647))
      out.push({ path: `${p}.priority`, message: `expected a 32-bit integer, got ${JSON.stringify(c.priority)}` })
    if (family && typeOk && hookOk) {
      const allowed = hooksFor(family, c.type as FwChain['type'])?.filter((h) => (API_HOOKS as readonly string[]).includes(h))
      if (!allowed) out.push({ path: `${p}.type`, message: `a ${c.type} chain is not valid in a ${t.family} table` })
      else if (!allowed.includes(c.hook as Hook)) out.push({ path: `${p}.hook`, message: `a ${c.type} chain in a ${t.family} table cannot hook ${c.hook} (allowed: ${allowed.join(', ')})` })
      if (c.hook === 'ingress') out.push({ path: `${p}.hook`, message: 'ingress chains need a device, which the FirewallConfiguration API cannot express' })
    }
    if (!isObj(c.rules)) {
        out.push({ path: `${p}.rules`, message: 'expected an object with filterRules, natRules or routeRules' })
        return
      }
    keysOnly(c.rules, ['filterRules', 'natRules', 'routeRules'], `${p}.rules`, out)
    const present = Object.keys(c.rules).filter((k) => (c.rules as Record<string, unknown>)[k] !== undefined && (c.rules as Record<string, unknown>)[k] !== null)
    if (present.length > 1) out.push({ path: `${p}.rules`, message: `expected at most one of filterRules, natRules, routeRules (got ${present.join(', ')})` })
    const want = c.type === 'filter' ? 'filterRules' : c.type === 'nat' ? 'natRules' : 'routeRules'
    for (const k of present) if (typeOk && k !== want) out.push({ path: `${p}.rules.${k}`, message: `a ${c.type} chain takes ${want}, not ${k}` })
    const list = (c.rules as Record<string, unknown>)[want]
    if (list === undefined || list === null) return
    if (!Array.isArray(list)) {
        out.push({ path: `${p}.rules.${want}`, message: 'expected a list' })
        return
      }
    const ruleNames = new Set<string>()
    list.forEach((r, j) => {
      const rp = `${p}.rules.${want}[${j}]`
      if (!isObj(r)) {
        out.push({ path: rp, message: 'expected an object' })
        return
      }
      if (str(r.name, `${rp}.name`, out, 'a rule name (rules are identified by name)')) {
        if (ruleNames.has(r.name)) out.push({ path: `${rp}.name`, message: `duplicate rule name '${r.name}' in chain ${c.name}` })
        if (Buffer.byteLength(r.name) > 127) out.push({ path: `${rp}.name`, message: 'expected at most 127 bytes (stored as the rule comment)' })
        ruleNames.add(r.name)
      }
      if (want === 'routeRules') {
        keysOnly(r, ['name'], rp, out)
        return
      }
      const matches = Array.isArray(r.match) ? r.match : []
      if (!Array.isArray(r.match)) out.push({ path: `${rp}.match`, message: 'expected a list (may be empty)' })
      for (const [k, m] of matches.entries()) validateMatch(m, `${rp}.match[${k}]`, sets, out)
      const ctx = ruleContext(matches, family, t.family as string, sets, rp, out)
      if (want === 'filterRules') {
        keysOnly(r, ['name', 'counter', 'match', 'action', 'value'], rp, out)
        if (r.counter !== undefined && typeof r.counter !== 'boolean') out.push({ path: `${rp}.counter`, message: 'expected true or false' })
        if (!oneOf(r.action, ['accept', 'drop', 'reject', 'ctmark', 'metamarkfromctmark', 'tcpmssclamp', 'notrack'] as const, `${rp}.action`, out)) return
        if (family === 'arp' && (r.action === 'ctmark' || r.action === 'metamarkfromctmark'))
          out.push({ path: `${rp}.action`, message: `expected no ${r.action} in an ARP table (the kernel has no connection tracking for ARP)` })
        if (r.action === 'ctmark' && !(typeof r.value === 'string' && /^\d+$/.test(r.value) && Number(r.value) <= 0xffffffff))
          out.push({ path: `${rp}.value`, message: `expected a mark 0-4294967295 for ctmark, got ${JSON.stringify(r.value)}` })
        if (r.action === 'tcpmssclamp') {
          if (r.value !== undefined && !(typeof r.value === 'string' && /^\d+$/.test(r.value) && Number(r.value) <= 65535))
            out.push({ path: `${rp}.value`, message: `expected an MSS 0-65535 (0 = route MTU), got ${JSON.stringify(r.value)}` })
          if (!matches.some((m) => isObj(m) && m.op === 'eq' && isObj(m.proto) && m.proto.value === 'tcp'))
            out.push({ path: `${rp}.match`, message: 'tcpmssclamp needs a match with proto tcp and op eq' })
          // No value or 0 clamps to the route MTU (`rt mtu`), which the kernel allows only where a route is known.
          if (r.value === undefined || (typeof r.value === 'string' && /^\d+$/.test(r.value) && Number(r.value) === 0)) {
            if (family === 'bridge') out.push({ path: `${rp}.value`, message: 'expected an MSS: the kernel has no route MTU (value 0 or absent) in BRIDGE tables' })
            else if (hookOk && !RT_MTU_HOOKS.includes(c.hook as Hook))
              out.push({ path: `${rp}.value`, message: `expected an MSS: the kernel allows the route MTU (value 0 or absent) only in ${RT_MTU_HOOKS.join(', ')} chains, not ${c.hook}` })
          }
        }
        if (r.action === 'reject') {
          const hooks = family ? REJECT_HOOKS[family] : undefined
          if (family === 'arp') out.push({ path: `${rp}.action`, message: 'expected no reject in an ARP table (the kernel has none there)' })
          else if (hooks && hookOk && !hooks.includes(c.hook as Hook))
            out.push({ path: `${rp}.action`, message: `the kernel allows reject in ${t.family} tables only in ${hooks.join(', ')} chains, not ${c.hook}` })
          const w = typeof r.value === 'string' ? rejectWith(r.value) : undefined
          if (r.value !== undefined && !w) out.push({ path: `${rp}.value`, message: `expected a reject type: 'tcp reset', 'icmp <code>', 'icmpv6 <code>' or 'icmpx <code>', got ${JSON.stringify(r.value)}` })
          const why = w && family !== 'arp' ? rejectProblem(w, family, t.family as string, ctx) : undefined
          if (why) out.push({ path: `${rp}.value`, message: why })
        }
      } else {
        keysOnly(r, ['name', 'match', 'natType', 'to', 'targetRef'], rp, out)
        if (!oneOf(r.natType, ['dnat', 'snat', 'masquerade'] as const, `${rp}.natType`, out)) return
        if (hookOk && !NAT_HOOKS[c.hook as string]?.includes(r.natType as FwNatRule['natType']))
          out.push({ path: `${rp}.natType`, message: `${r.natType} is not valid at hook ${c.hook} (allowed: ${(NAT_HOOKS[c.hook as string] ?? []).join(', ') || 'none'})` })
        if (r.natType === 'masquerade' && r.to !== undefined && r.to !== '') out.push({ path: `${rp}.to`, message: 'expected no to for masquerade' })
        if (r.natType !== 'masquerade') {
          if (typeof r.to !== 'string' || r.to === '') out.push({ path: `${rp}.to`, message: `expected an address or CIDR for ${r.natType}` })
          else if (r.to.includes('-') || !ipKind(r.to)) out.push({ path: `${rp}.to`, message: `expected an address or CIDR (no host bits), got ${JSON.stringify(r.to)}` })
          else if (family === 'ip' && ipKind(r.to) !== 'ip') out.push({ path: `${rp}.to`, message: 'expected an IPv4 target in an IPV4 table' })
          else if (family === 'ip6' && ipKind(r.to) !== 'ip6') out.push({ path: `${rp}.to`, message: 'expected an IPv6 target in an IPV6 table' })
          else if (ctx.l3 && ctx.l3At && ipKind(r.to) !== ctx.l3)
            out.push({ path: `${rp}.to`, message: `expected an ${L3_NAME[ctx.l3]} target: the rule matches ${L3_NAME[ctx.l3]} at ${ctx.l3At}, so this NAT would never apply` })
        }
      }
    })
  })
  return out
}

/** What the matches of a rule select, as the rule compiler tracks it. */
interface RuleContext {
  /** Network protocol: fixed by an IPV4/IPV6 table or by the first address match. */
  l3?: 'ip' | 'ip6'
  /** Where a match fixed `l3` (`match[k]`), when the table did not. */
  l3At?: string
  /** Transport protocol (tcp, udp) the rule is known to match, and where. */
  l4?: string
  l4At?: string
}

/**
 * Checks each address match against the table family (none in ARP tables,
 * IPv4 in IPV4 tables, IPv6 in IPV6 tables) and against the rule's other
 * address matches (one rule cannot match both), and ct matches (none in ARP
 * tables); returns what the rule selects, for the action checks.
 */
function ruleContext(matches: readonly unknown[], family: Family | undefined, tableFamily: string, sets: Map<string, string>, rp: string, out: Problem[]): RuleContext {
  const ctx: RuleContext = family === 'ip' || family === 'ip6' ? { l3: family } : {}
  matches.forEach((m, k) => {
    if (!isObj(m)) return
    const mp = `${rp}.match[${k}]`
    // In compile order: proto (fixes the protocol when eq), then a port read through that protocol.
    if (isObj(m.proto) && (m.proto.value === 'tcp' || m.proto.value === 'udp')) {
      if (m.op === 'eq' || (isObj(m.port) && ctx.l4 === undefined)) {
        ctx.l4 = m.proto.value
        ctx.l4At = `match[${k}]`
      }
    }
    if (family === 'arp' && m.ctstate !== undefined)
      out.push({ path: `${mp}.ctstate`, message: 'expected no ctstate match in an ARP table (the kernel has no connection tracking for ARP)' })
    if (!isObj(m.ip) || typeof m.ip.value !== 'string') return
    const f = ipValueFamily(m.ip.value, sets)
    if (!f) return
    const p = `${mp}.ip.value`
    const what = m.ip.value.trim().startsWith('@') ? `set '${m.ip.value.trim().slice(1)}' holds ${L3_NAME[f]} addresses` : `got ${JSON.stringify(m.ip.value)}`
    if (family === 'arp') out.push({ path: p, message: `expected no address match in an ARP table (the kernel reads no IP header there), ${what}` })
    else if (ctx.l3 && !ctx.l3At && f !== ctx.l3) out.push({ path: p, message: `expected an ${L3_NAME[ctx.l3]} address, CIDR, range or set in an ${tableFamily} table, ${what}` })
    else if (ctx.l3 && f !== ctx.l3) out.push({ path: p, message: `expected an ${L3_NAME[ctx.l3]} value: ${ctx.l3At} already matches ${L3_NAME[ctx.l3]} and one rule cannot match both, ${what}` })
    else if (!ctx.l3) {
      ctx.l3 = f
      ctx.l3At = `match[${k}]`
    }
  })
  return ctx
}

/** Why a parsed reject type cannot be used in this table and rule, or undefined. */
function rejectProblem(w: NonNullable<Extract<Statement, { stmt: 'reject' }>['with']>, family: Family | undefined, tableFamily: string, ctx: RuleContext): string | undefined {
  if (w === 'tcp reset') {
    if (ctx.l4 && ctx.l4 !== 'tcp') return `expected no 'tcp reset': the rule matches proto ${ctx.l4} at ${ctx.l4At}`
    return undefined
  }
  const [type, code] = Object.entries(w)[0] as [keyof typeof REJECT_CODES, unknown]
  const codes = REJECT_CODES[type]
  if (typeof code !== 'string' || !Object.hasOwn(codes, code)) {
    const hint = typeof code === 'string' ? didYouMean(code, Object.keys(codes)) : undefined
    return `unknown ${type} code ${JSON.stringify(code)}${hint ? ` – did you mean '${hint}'?` : ''} (expected one of ${Object.keys(codes).join(', ')})`
  }
  if (type === 'icmpx') {
    if (family === 'ip' || family === 'ip6') return `expected 'icmp${family === 'ip6' ? 'v6' : ''} <code>' or 'tcp reset' in an ${tableFamily} table (icmpx is for INET and BRIDGE tables)`
    return undefined
  }
  const needs = type === 'icmp' ? 'ip' : 'ip6'
  if (ctx.l3 && ctx.l3 !== needs) {
    const other = ctx.l3 === 'ip' ? 'icmp' : 'icmpv6'
    return ctx.l3At
      ? `expected '${other} <code>', 'icmpx <code>' or 'tcp reset': reject with ${type} answers ${L3_NAME[needs]} only, and the rule matches ${L3_NAME[ctx.l3]} at ${ctx.l3At}`
      : `expected '${other} <code>' or 'tcp reset' in an ${tableFamily} table: reject with ${type} answers ${L3_NAME[needs]} only`
  }
  return undefined
}

/** Why `data` is not a value of a map's `dataType`, or undefined. */
function mapDataProblem(dataType: string, data: unknown): string | undefined {
  if (dataType === 'verdict') {
    // Only the plain verdicts: every chain of a FirewallConfiguration is a base chain, which cannot be a jump target.
    const why = 'expected a verdict: accept, drop, continue or return'
    if (typeof data !== 'string') return why
    try {
      verdictFields(data, 'data')
      return undefined
    } catch {
      return why
    }
  }
  if (!Object.hasOwn(DATATYPES, dataType)) return undefined
  try {
    const iv = DATATYPES[dataType as KeyTypeName].parse(data, 'data')
    return iv.lo === iv.hi ? undefined : `expected a single ${dataType} value (map data cannot be a prefix or range)`
  } catch (e) {
    return ((e as { reason?: string }).reason ?? String(e)).replace(/^Expected/, 'expected')
  }
}

function validateMatch(m: unknown, p: string, sets: Map<string, string>, out: Problem[]): void {
  if (!isObj(m)) return void out.push({ path: p, message: 'expected an object' })
  keysOnly(m, ['op', 'ip', 'port', 'proto', 'dev', 'ctstate'], p, out)
  oneOf(m.op, ['eq', 'neq'] as const, `${p}.op`, out)
  if (m.ip !== undefined) {
    if (!isObj(m.ip)) out.push({ path: `${p}.ip`, message: 'expected { value, position }' })
    else {
      keysOnly(m.ip, ['value', 'position'], `${p}.ip`, out)
      oneOf(m.ip.position, ['src', 'dst'] as const, `${p}.ip.position`, out)
      if (str(m.ip.value, `${p}.ip.value`, out, 'an address, CIDR, range or @set')) {
        const v = m.ip.value.trim()
        if (v.startsWith('@')) {
          const k = sets.get(v.slice(1))
          if (!k) out.push({ path: `${p}.ip.value`, message: `no set named '${v.slice(1)}' in spec.table.sets` })
          else if (!k.startsWith('ipv')) out.push({ path: `${p}.ip.value`, message: `set '${v.slice(1)}' holds ${k}, not addresses` })
        } else {
          const problem = ipProblem(v.replace(/\s*-\s*/, '-'))
          if (problem) out.push({ path: `${p}.ip.value`, message: `${problem}, got ${JSON.stringify(m.ip.value)}` })
        }
      }
    }
  }
  if (m.port !== undefined) {
    if (!isObj(m.port)) out.push({ path: `${p}.port`, message: 'expected { value, position }' })
    else {
      keysOnly(m.port, ['value', 'position'], `${p}.port`, out)
      oneOf(m.port.position, ['src', 'dst'] as const, `${p}.port.position`, out)
      const v = typeof m.port.value === 'number' ? String(m.port.value) : m.port.value
      const ok = typeof v === 'string' && /^\s*\d{1,5}\s*(-\s*\d{1,5}\s*)?$/.test(v)
      const [a, b] = ok ? (v as string).split('-').map((x) => Number(x)) : []
      if (!ok || a > 65535 || (b !== undefined && (b > 65535 || a > b)))
        out.push({ path: `${p}.port.value`, message: `expected a port 0-65535 or a range N-M with N <= M, got ${JSON.stringify(m.port.value)}` })
    }
  }
  if (m.proto !== undefined) {
    if (!isObj(m.proto)) out.push({ path: `${p}.proto`, message: 'expected { value }' })
    else {
      keysOnly(m.proto, ['value'], `${p}.proto`, out)
      oneOf(m.proto.value, ['tcp', 'udp'] as const, `${p}.proto.value`, out)
    }
  }
  if (m.dev !== undefined) {
    if (!isObj(m.dev)) out.push({ path: `${p}.dev`, message: 'expected { value, position }' })
    else {
      keysOnly(m.dev, ['value', 'position'], `${p}.dev`, out)
      oneOf(m.dev.position, ['in', 'out'] as const, `${p}.dev.position`, out)
      if (str(m.dev.value, `${p}.dev.value`, out, 'an interface name') && (Buffer.byteLength(m.dev.value) > 15 || m.dev.value.includes('\0')))
        out.push({ path: `${p}.dev.value`, message: `expected an interface name of at most 15 bytes, got ${JSON.stringify(m.dev.value)}` })
    }
  }
  if (m.ctstate !== undefined) {
    const ok = isObj(m.ctstate) && Array.isArray(m.ctstate.value) && m.ctstate.value.length > 0
    if (!ok) out.push({ path: `${p}.ctstate`, message: 'expected { value: [new|established|related|untracked|invalid, ...] }' })
    else
      (m.ctstate as { value: unknown[] }).value.forEach((s, i) => {
        oneOf(s, ['new', 'established', 'related', 'untracked', 'invalid'] as const, `${p}.ctstate.value[${i}]`, out)
      })
  }
}

function rejectWith(v: string): Extract<Statement, { stmt: 'reject' }>['with'] | undefined {
  const t = v.trim()
  if (t === 'tcp reset') return 'tcp reset'
  const m = /^(icmp|icmpv6|icmpx)\s+(\S+)$/.exec(t)
  if (!m) return undefined
  return m[1] === 'icmp' ? { icmp: m[2] } : m[1] === 'icmpv6' ? { icmpv6: m[2] } : { icmpx: m[2] }
}

function matchExprs(m: FwMatch): RuleExpr[] {
  const out: RuleExpr[] = []
  const op = m.op === 'neq' ? ({ op: '!=' } as const) : {}
  if (m.proto) out.push({ match: 'meta l4proto', ...op, value: m.proto.value })
  if (m.ctstate) {
    // neq: none of the states (`ct state ! a,b`); `!=` on a list would be an exact compare with a | b.
    const states = m.ctstate.value
    const neq = m.op === 'neq' ? ({ op: states.length > 1 ? '!' : '!=' } as const) : {}
    out.push({ match: 'ct state', ...neq, value: states.length === 1 ? states[0] : [...states] } as Match)
  }
  if (m.dev) out.push({ match: m.dev.position === 'in' ? 'meta iifname' : 'meta oifname', ...op, value: m.dev.value })
  if (m.ip) {
    const v = m.ip.value.trim().replace(/\s*-\s*/, '-')
    if (v.startsWith('@')) {
      out.push({ match: m.ip.position === 'src' ? 'ip saddr' : 'ip daddr', ...op, value: { set: v.slice(1) } })
    } else {
      const fam = ipKind(v.split('-')[0]) ?? 'ip'
      const sel = fam === 'ip6' ? (m.ip.position === 'src' ? 'ip6 saddr' : 'ip6 daddr') : m.ip.position === 'src' ? 'ip saddr' : 'ip daddr'
      out.push({ match: sel, ...op, value: v })
    }
  }
  if (m.port) {
    // A port with a proto in the same match reads that protocol's header; without, the raw transport header.
    const proto = m.proto?.value ?? 'th'
    const v = String(m.port.value).replace(/\s+/g, '')
    out.push({ match: `${proto} ${m.port.position === 'src' ? 'sport' : 'dport'}` as Match['match'], ...op, value: /^\d+$/.test(v) ? Number(v) : v })
  }
  return out
}

/** The set key type of an `@name` match in an IPv6 set needs ip6 selectors. */
function fixSetSelectors(exprs: RuleExpr[], sets: readonly FwSet[]): RuleExpr[] {
  return exprs.map((e) => {
    if (!('match' in e) || typeof e.value !== 'object' || e.value === null || Array.isArray(e.value) || !('set' in e.value)) return e
    const s = sets.find((x) => x.name === (e.value as { set: string }).set)
    if (!s?.keyType.startsWith('ipv6')) return e
    return { ...e, match: e.match === 'ip saddr' ? 'ip6 saddr' : 'ip6 daddr' }
  })
}

/**
 * The nftkit operations that build the table a FirewallConfiguration declares:
 * the table, its chains, its sets, then its rules in declared order. Call
 * validate() first; this assumes a valid object.
 */
export function toOperations(fwc: FirewallConfiguration): Operation[] {
  const t = fwc.spec.table
  const family = FAMILY[t.family]
  const ops: Operation[] = [{ verb: 'add', object: { kind: 'table', family, name: t.name } satisfies Table }]
  const rules: Operation[] = []
  for (const c of t.chains ?? []) {
    ops.push({ verb: 'add', object: { kind: 'chain', family, table: t.name, name: c.name, type: c.type, hook: c.hook, priority: c.priority ?? 0, policy: c.policy } satisfies Chain })
    for (const r of c.rules.filterRules ?? []) {
      const exprs: RuleExpr[] = r.match.flatMap(matchExprs)
      if (r.counter !== false) exprs.push({ stmt: 'counter' })
      switch (r.action) {
        case 'accept':
        case 'drop':
        case 'notrack':
          exprs.push({ stmt: r.action })
          break
        case 'reject': {
          const w = r.value !== undefined ? rejectWith(r.value) : undefined
          exprs.push(w ? { stmt: 'reject', with: w } : { stmt: 'reject' })
          break
        }
        case 'ctmark':
          exprs.push({ stmt: 'ct mark set', value: Number(r.value) })
          break
        case 'metamarkfromctmark':
          exprs.push({ stmt: 'meta mark set', value: 'ct mark' })
          break
        case 'tcpmssclamp': {
          const n = Number(r.value ?? 0)
          exprs.push({ match: 'tcp flags', value: 'syn' }, { stmt: 'tcp mss set', value: n === 0 ? 'rt mtu' : n })
          break
        }
      }
      rules.push({ verb: 'add', object: { kind: 'rule', family, table: t.name, chain: c.name, exprs: fixSetSelectors(exprs, t.sets ?? []), comment: r.name } satisfies Rule })
    }
    for (const r of c.rules.natRules ?? []) {
      const exprs: RuleExpr[] = r.match.flatMap(matchExprs)
      if (r.natType === 'masquerade') exprs.push({ stmt: 'masquerade' })
      else {
        const to = (r.to ?? '').trim()
        const fam = ipKind(to.split('/')[0]) ?? 'ip'
        exprs.push({ stmt: r.natType, to, ...(to.includes('/') ? { prefix: true } : {}), family: fam })
      }
      rules.push({ verb: 'add', object: { kind: 'rule', family, table: t.name, chain: c.name, exprs: fixSetSelectors(exprs, t.sets ?? []), comment: r.name } satisfies Rule })
    }
  }
  for (const s of t.sets ?? []) {
    const k = SET_KEYS[s.keyType]
    const elements: Element[] = (s.elements ?? []).map((e) => (s.dataType ? { key: e.key, value: s.dataType === 'verdict' ? (e.data as never) : e.data } : e.key))
    const base = { family, table: t.name, name: s.name, type: k.type, ...(k.interval ? { flags: ['interval' as const] } : {}), elements }
    ops.push({ verb: 'add', object: s.dataType ? ({ kind: 'map', ...base, map: s.dataType as 'verdict' } satisfies NamedMap) : ({ kind: 'set', ...base } satisfies NamedSet) })
  }
  return [...ops, ...rules]
}

/** True if a document looks like a FirewallConfiguration (to pick them out of mixed YAML). */
export function isFirewallConfiguration(v: unknown): boolean {
  return isObj(v) && v.kind === 'FirewallConfiguration'
}

/** True if the object's labels include every `key=value` of the selector. */
export function matchesSelector(fwc: unknown, selector: Readonly<Record<string, string>>): boolean {
  const labels = (isObj(fwc) && isObj(fwc.metadata) && isObj(fwc.metadata.labels) ? fwc.metadata.labels : {}) as Record<string, unknown>
  return Object.entries(selector).every(([k, v]) => labels[k] === v)
}
