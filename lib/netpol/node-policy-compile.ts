/**
 * The node-policy compiler: the policies applied to one Node, as one inet
 * table hooked on input and output. Privileged rules come first (no policy
 * can lock the node out), then the interface gate, then every policy's rules
 * in priority order; peers live in named interval sets so cluster changes
 * (a pod, a node address) are element deltas; every rule is named after its
 * policy, direction and index so the reconciler replaces only changed rules.
 * @module
 */
import { createHash } from 'node:crypto'
import { NftValidationError } from '../kernel/errors.js'
import type { Chain, NamedSet, Rule, Table } from '../model/objects.js'
import type { Operation } from '../model/operations.js'
import type { Match, RuleExpr, Selector, Statement } from '../model/rule-types.js'
import type { Declaration } from '../state/desired.js'
import { type AddrFamily, type AddrRange, cidrRange, formatRange, mergeRanges, parseIP, subtractRanges } from './node-addresses.js'
import type { NodePolicyObject, NodePolicyPeer, NodePolicyRule } from './node-policy-read.js'
import { type ClusterState, type NodeObject, selectorMatches } from './types.js'

/** The default table of {@link compileNodePolicies}. */
export const NODE_POLICY_TABLE = 'nftkit-nodepol'

/** Chain names of the node-policy table. */
export const NODE_POLICY_CHAINS = { input: 'input', output: 'output', ingress: 'ingress', egress: 'egress' } as const

/**
 * A control-plane endpoint that is always reachable, whatever the policies
 * say. In `input`: packets from `cidr` to the node's `port`; in `output`:
 * packets from the node to `cidr` at `port` (the kubelet's 10250 called by the
 * API server, the API server's 6443 called by the kubelet). Without `port`,
 * every port of `protocol`; without `protocol` and `port`, all traffic with
 * `cidr`. `port` alone means TCP.
 */
export interface PrivilegedEndpoint {
  /** An address or CIDR, IPv4 or IPv6. */
  readonly cidr: string
  readonly protocol?: 'tcp' | 'udp'
  readonly port?: number
}

/** Options of {@link compileNodePolicies}. */
export interface NodePolicyOptions {
  /** The Node to compile for (a `v1 Node` named so must be in the state: its labels pick the policies). */
  readonly node: string
  /** Table name (family inet); default {@link NODE_POLICY_TABLE}. */
  readonly table?: string
  /**
   * The interfaces policies apply to: names and prefix wildcards (`eth*`,
   * `ens160`); `*` alone is every interface. Default: every interface but
   * `lo`. Traffic through other interfaces is accepted without policy.
   */
  readonly interfaces?: readonly string[]
  /** Rules that come before every policy (after established/related and loopback, which are always there). */
  readonly privileged?: { readonly endpoints?: readonly PrivilegedEndpoint[] }
}

type Dir = 'ingress' | 'egress'

/** The rule-comment length nftkit stores (nft keeps at most 127 bytes plus the NUL). */
const COMMENT_MAX = 127

const short = (name: string, keep: number) =>
  name.length <= keep ? name : `${name.slice(0, keep - 9)}~${createHash('sha256').update(name).digest('hex').slice(0, 8)}`

/** The stable name (rule comment) of a compiled rule: `cnp/POLICY/DIR[i]` plus qualifiers (`/ip`, `/tcp`, ...). */
export function nodeRuleName(policy: string, dir: Dir, index: number, qualifiers: readonly string[] = []): string {
  const tail = `/${dir}[${index}]${qualifiers.map((q) => `/${q}`).join('')}`
  return `cnp/${short(policy, COMMENT_MAX - 4 - tail.length)}${tail}`
}

/** The name of a rule's peer set: `cnp-POLICY-in0-v4` (`out` for egress, `v6` for IPv6). */
export function nodePeerSetName(policy: string, dir: Dir, index: number, family: AddrFamily): string {
  return `cnp-${short(policy, 200)}-${dir === 'ingress' ? 'in' : 'out'}${index}-${family === 'ip' ? 'v4' : 'v6'}`
}

const counter: Statement = { stmt: 'counter' }
const accept: Statement = { stmt: 'accept' }

/** The interface patterns, checked and without duplicates (a rule name must be unique); `*` covers the others. */
function checkInterfaces(list: readonly string[] | undefined): string[] {
  if (list === undefined) return ['*']
  if (!Array.isArray(list) || list.length === 0) throw new NftValidationError('options.interfaces', 'Expected a non-empty list of interface names or wildcards', list)
  const checked = list.map((s, i) => {
    const name = typeof s === 'string' && s.endsWith('*') ? s.slice(0, -1) : s
    if (s === '*') return s
    if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > 15 || name.includes('*') || /[\s/"]/.test(name))
      throw new NftValidationError(`options.interfaces[${i}]`, 'Expected an interface name (1-15 bytes) or a prefix wildcard like "eth*", or "*"', s)
    return s
  })
  return checked.includes('*') ? ['*'] : [...new Set(checked)]
}

interface Endpoint {
  readonly family: AddrFamily
  readonly cidr: string
  readonly protocol?: 'tcp' | 'udp'
  readonly port?: number
}

function checkEndpoints(list: readonly PrivilegedEndpoint[] | undefined): Endpoint[] {
  return (list ?? []).map((e, i) => {
    const at = `options.privileged.endpoints[${i}]`
    const r = typeof e?.cidr === 'string' ? cidrRange(e.cidr) : undefined
    if (!r) throw new NftValidationError(`${at}.cidr`, 'Expected an IPv4 or IPv6 address or CIDR', e?.cidr)
    if (e.protocol !== undefined && e.protocol !== 'tcp' && e.protocol !== 'udp') throw new NftValidationError(`${at}.protocol`, 'Expected tcp or udp', e.protocol)
    if (e.port !== undefined && (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535)) throw new NftValidationError(`${at}.port`, 'Expected a port 1-65535', e.port)
    const protocol = e.protocol ?? (e.port !== undefined ? 'tcp' : undefined)
    return { family: r.family, cidr: formatRange(r.family, r.range), ...(protocol ? { protocol } : {}), ...(e.port !== undefined ? { port: e.port } : {}) }
  })
}

/**
 * A privileged endpoint written on a command line: `ADDR[/LEN]`, optionally
 * `:PORT` and `/udp` (default tcp when a port is given); IPv6 with a port in
 * brackets (`[fd00::1]:6443`). Checked as {@link compileNodePolicies} checks it.
 * @throws NftValidationError naming `path` for anything else.
 */
export function parsePrivilegedEndpoint(text: string, path: string): PrivilegedEndpoint {
  const m = /^(?:\[([^\]]+)\]|([^:\[\]]+|[0-9a-fA-F:.]+(?:\/\d+)?))(?::(\d+))?(?:\/(tcp|udp))?$/.exec(text)
  const bracketed = m?.[1]
  // Without brackets a colon is part of an IPv6 address, never a port.
  const bare = m?.[2]
  const addr = bracketed ?? bare
  const port = bare?.includes(':') ? undefined : m?.[3]
  if (!m || !addr || (bare?.includes(':') && m[3] !== undefined) || !cidrRange(addr))
    throw new NftValidationError(path, 'Expected ADDR[/LEN][:PORT][/udp] (IPv6 with a port in brackets: [fd00::1]:6443)', text)
  const proto = m[4] as 'tcp' | 'udp' | undefined
  if (proto && port === undefined) throw new NftValidationError(path, 'Expected a port before /tcp or /udp', text)
  const n = port === undefined ? undefined : Number(port)
  if (n !== undefined && (n < 1 || n > 65535)) throw new NftValidationError(path, 'Expected a port 1-65535', text)
  return { cidr: addr, ...(n !== undefined ? { port: n, protocol: proto ?? 'tcp' } : {}) }
}

/** The policies that apply to `node`, in evaluation order: tier, then priority (lower first), then name. */
export function policiesForNode(node: NodeObject, policies: readonly NodePolicyObject[]): NodePolicyObject[] {
  return policies
    .filter((p) => p.appliedTo.some((s) => selectorMatches(s, node.labels)))
    .sort((a, b) => a.tierPriority - b.tierPriority || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** The addresses of one peer, per family, from the cluster state. */
function peerRanges(state: ClusterState, peer: NodePolicyPeer): Record<AddrFamily, AddrRange[]> {
  const out: Record<AddrFamily, AddrRange[]> = { ip: [], ip6: [] }
  const addIP = (s: string) => {
    const a = parseIP(s)
    if (a) out[a.family].push({ lo: a.value, hi: a.value })
  }
  if (peer.kind === 'ipBlock') {
    const c = cidrRange(peer.ipBlock.cidr)
    if (!c) return out
    const minus = peer.ipBlock.except.flatMap((x) => {
      const r = cidrRange(x)
      return r && r.family === c.family ? [r.range] : []
    })
    out[c.family].push(...subtractRanges(c.range, minus))
  } else if (peer.kind === 'nodes') {
    for (const n of state.nodes) if (selectorMatches(peer.nodeSelector, n.labels)) n.ips.forEach(addIP)
  } else {
    const nsLabels = new Map(state.namespaces.map((n) => [n.name, n.labels]))
    for (const p of state.pods) {
      // hostNetwork pods have the node's addresses: they are not pod peers (select their Node instead).
      if (p.hostNetwork) continue
      if (peer.podSelector && !selectorMatches(peer.podSelector, p.labels)) continue
      if (peer.namespaceSelector && !selectorMatches(peer.namespaceSelector, nsLabels.get(p.namespace) ?? { 'kubernetes.io/metadata.name': p.namespace })) continue
      p.ips.forEach(addIP)
    }
  }
  return out
}

/** The families a peer can ever hold addresses of: fixed by the policy, so cluster changes never add or remove rules. */
function peerFamilies(peer: NodePolicyPeer): AddrFamily[] {
  if (peer.kind !== 'ipBlock') return ['ip', 'ip6']
  return [cidrRange(peer.ipBlock.cidr)?.family ?? 'ip']
}

/** One service alternative of a rule: its matches, the family it is bound to (ICMP), and whether it is TCP only. */
interface Service {
  readonly key?: string
  readonly exprs: readonly Match[]
  readonly family?: AddrFamily
  readonly tcp: boolean
  /** No protocol restriction at all (a rule without ports and protocols). */
  readonly any?: boolean
}

const PROTOS = ['TCP', 'UDP', 'SCTP'] as const
const range = (a: number, b?: number) => (b !== undefined && b !== a ? `${a}-${b}` : a)

/** Port ranges merged where they overlap or touch (an anonymous interval set refuses overlaps), as set values. */
function portRanges(ranges: ReadonlyArray<readonly [number, number]>): Array<number | string> {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0])
  const merged: Array<[number, number]> = []
  for (const [lo, hi] of sorted) {
    const last = merged[merged.length - 1]
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi)
    else merged.push([lo, hi])
  }
  return merged.map(([lo, hi]) => range(lo, hi))
}

function services(rule: NodePolicyRule): Service[] {
  if (rule.ports.length === 0 && rule.icmp.length === 0) return [{ exprs: [], tcp: false, any: true }]
  const out: Service[] = []
  for (const proto of PROTOS) {
    const l4: Match = { match: 'meta l4proto', value: proto.toLowerCase() }
    const plain = rule.ports.filter((p) => p.protocol === proto && p.sourcePort === undefined)
    if (plain.length) {
      const key = proto.toLowerCase()
      if (plain.some((p) => p.port === undefined)) out.push({ key, exprs: [l4], tcp: proto === 'TCP' })
      else {
        const dports = portRanges(plain.map((p) => [p.port as number, p.endPort ?? (p.port as number)]))
        out.push({ key, exprs: [l4, { match: 'th dport', value: dports.length === 1 ? dports[0] : dports }], tcp: proto === 'TCP' })
      }
    }
  }
  rule.ports.forEach((p, j) => {
    if (p.sourcePort === undefined) return
    const exprs: Match[] = [{ match: 'meta l4proto', value: p.protocol.toLowerCase() }, { match: 'th sport', value: range(p.sourcePort, p.sourceEndPort) }]
    if (p.port !== undefined) exprs.push({ match: 'th dport', value: range(p.port, p.endPort) })
    out.push({ key: `ports[${j}]`, exprs, tcp: p.protocol === 'TCP' })
  })
  rule.icmp.forEach((c, j) => {
    for (const family of ['ip', 'ip6'] as const) {
      const [type, code, proto]: [Selector, Selector, string] = family === 'ip' ? ['icmp type', 'icmp code', 'icmp'] : ['icmpv6 type', 'icmpv6 code', 'ipv6-icmp']
      const exprs: Match[] = []
      if (c.icmpType !== undefined) exprs.push({ match: type, value: c.icmpType })
      if (c.icmpCode !== undefined) exprs.push({ match: code, value: c.icmpCode })
      if (exprs.length === 0) exprs.push({ match: 'meta l4proto', value: proto })
      out.push({ key: `icmp[${j}]`, exprs, family, tcp: false })
    }
  })
  return out
}

/** The nft verdicts of an action for one service: Reject is a TCP reset for TCP, ICMP(v6) administratively prohibited otherwise. */
function verdicts(rule: NodePolicyRule, svc: Service): Array<{ key?: string; pre: Match[]; stmt: Statement }> {
  if (rule.action === 'Allow') return [{ pre: [], stmt: accept }]
  if (rule.action === 'Drop') return [{ pre: [], stmt: { stmt: 'drop' } }]
  const icmpx: Statement = { stmt: 'reject', with: { icmpx: 'admin-prohibited' } }
  if (svc.tcp) return [{ pre: [], stmt: { stmt: 'reject', with: 'tcp reset' } }]
  if (svc.any) return [{ key: 'tcp-reset', pre: [{ match: 'meta l4proto', value: 'tcp' }], stmt: { stmt: 'reject', with: 'tcp reset' } }, { pre: [], stmt: icmpx }]
  return [{ pre: [], stmt: icmpx }]
}

/** A log statement for `enableLogging`: the prefix names the rule (and its logLabel). */
function logStmt(name: string, label: string | undefined): Statement {
  let prefix = `${label ? `${label} ` : ''}${name} `
  if (Buffer.byteLength(prefix) > 127) prefix = `${prefix.slice(0, 120)}~ `
  return { stmt: 'log', prefix }
}

/**
 * Compiles the node policies that apply to one Node into one inet table.
 *
 * Layout: base chains `input` and `output` (filter, priority filter, policy
 * accept; forwarded traffic is not touched) hold, in order, the privileged
 * rules (`ct state established,related accept`, loopback accept, each
 * {@link PrivilegedEndpoint}), then the interface gate (`iifname "eth*" jump
 * ingress` per listed interface, or `iifname != "lo"` by default), which
 * sends traffic into the regular chains `ingress` / `egress`. Those hold
 * every applied policy's rules: policies by tier, then `priority` (lower
 * first), then name; each policy's rules in their order. Allow is `accept`,
 * Drop `drop`, Reject a TCP reset for TCP and ICMP/ICMPv6 administratively
 * prohibited otherwise. A packet that no rule decides returns to the base
 * chain and is accepted (Antrea's ClusterNetworkPolicy semantics: no match
 * means no verdict).
 *
 * Peers are named interval sets per rule and family (`cnp-POLICY-in0-v4`),
 * holding the selected Nodes' addresses, the selected pods' IPs (not
 * hostNetwork pods) and the ipBlocks minus their `except`; a rule with peers
 * gets one nft rule per family even when its set is empty, so a pod coming
 * or going is only an element change. Rules are named
 * `cnp/POLICY/DIRECTION[i]` plus qualifiers (`/ip6`, `/tcp`, `/icmp[0]`,
 * `/tcp-reset`) when one policy rule needs several nft rules; every rule
 * counts packets (`counter`).
 *
 * @param state the cluster as read (its `nodes`, `pods` and `namespaces` are used; `clusterPolicies` is not)
 * @param policies the checked node policies ({@link readClusterNetworkPolicy}); those whose appliedTo does not select the Node are skipped
 * @throws NftValidationError when the Node is not in `state`, two policies share a name, or an option is invalid.
 */
export function compileNodePolicies(state: ClusterState, policies: readonly NodePolicyObject[], opts: NodePolicyOptions): Declaration {
  const node = state.nodes.find((n) => n.name === opts.node)
  if (!node) throw new NftValidationError('options.node', 'Expected the name of a Node in the manifests (its labels select the policies)', opts.node)
  const table = opts.table ?? NODE_POLICY_TABLE
  const interfaces = checkInterfaces(opts.interfaces)
  const endpoints = checkEndpoints(opts.privileged?.endpoints)
  const seen = new Set<string>()
  for (const p of policies) {
    if (seen.has(p.name)) throw new NftValidationError('policies', 'Expected ClusterNetworkPolicy names to be unique (they are cluster-scoped)', p.name)
    seen.add(p.name)
  }
  const T = { family: 'inet' as const, table }
  const C = NODE_POLICY_CHAINS
  const head: Operation[] = [
    { verb: 'add', object: { kind: 'table', family: 'inet', name: table } satisfies Table },
    { verb: 'add', object: { kind: 'chain', ...T, name: C.input, type: 'filter', hook: 'input', priority: 'filter', policy: 'accept' } satisfies Chain },
    { verb: 'add', object: { kind: 'chain', ...T, name: C.output, type: 'filter', hook: 'output', priority: 'filter', policy: 'accept' } satisfies Chain },
    { verb: 'add', object: { kind: 'chain', ...T, name: C.ingress } satisfies Chain },
    { verb: 'add', object: { kind: 'chain', ...T, name: C.egress } satisfies Chain },
  ]
  const sets: Operation[] = []
  const rules: Operation[] = []
  const rule = (chain: string, comment: string, exprs: RuleExpr[]) => rules.push({ verb: 'add', object: { kind: 'rule', ...T, chain, exprs, comment } satisfies Rule })

  for (const dir of ['ingress', 'egress'] as const) {
    const base = dir === 'ingress' ? C.input : C.output
    const ifname: Selector = dir === 'ingress' ? 'meta iifname' : 'meta oifname'
    rule(base, 'privileged/established', [{ match: 'ct state', value: ['established', 'related'] }, counter, accept])
    rule(base, 'privileged/loopback', [{ match: ifname, value: 'lo' }, counter, accept])
    endpoints.forEach((e, i) => {
      const addr: Selector = `${e.family} ${dir === 'ingress' ? 'saddr' : 'daddr'}` as Selector
      const exprs: RuleExpr[] = [{ match: addr, value: e.cidr }]
      if (e.protocol) exprs.push({ match: 'meta l4proto', value: e.protocol })
      if (e.port !== undefined) exprs.push({ match: 'th dport', value: e.port })
      rule(base, `privileged/endpoint[${i}]`, [...exprs, counter, accept])
    })
    for (const s of interfaces) {
      const jump: Statement = { stmt: 'jump', chain: dir }
      if (s === '*') rule(base, 'gate/*', [{ match: ifname, op: '!=', value: 'lo' }, jump])
      else rule(base, `gate/${s}`, [{ match: ifname, value: s }, jump])
    }
  }

  for (const p of policiesForNode(node, policies)) {
    for (const dir of ['ingress', 'egress'] as const) {
      p[dir].forEach((r, i) => {
        // The address alternatives: any address, or one named set per family the peers can hold.
        const addrs: Array<{ family?: AddrFamily; match?: Match }> = []
        if (r.peers.length === 0) addrs.push({})
        else {
          const ranges: Record<AddrFamily, AddrRange[]> = { ip: [], ip6: [] }
          const families = new Set<AddrFamily>()
          for (const peer of r.peers) {
            for (const f of peerFamilies(peer)) families.add(f)
            const got = peerRanges(state, peer)
            ranges.ip.push(...got.ip)
            ranges.ip6.push(...got.ip6)
          }
          for (const family of ['ip', 'ip6'] as const) {
            if (!families.has(family)) continue
            const name = nodePeerSetName(p.name, dir, i, family)
            const elements = mergeRanges(ranges[family]).map((x) => formatRange(family, x))
            sets.push({
              verb: 'add',
              object: { kind: 'set', ...T, name, type: family === 'ip' ? 'ipv4_addr' : 'ipv6_addr', flags: ['interval'], elements } satisfies NamedSet,
            })
            addrs.push({ family, match: { match: `${family} ${dir === 'ingress' ? 'saddr' : 'daddr'}` as Selector, value: { set: name } } })
          }
        }
        const svcs = services(r)
        const many = addrs.length > 1 || svcs.length > 1
        for (const a of addrs)
          for (const s of svcs) {
            if (a.family && s.family && a.family !== s.family) continue
            const family = a.family ?? s.family
            for (const v of verdicts(r, s)) {
              const q = [...(many && family ? [family] : []), ...(svcs.length > 1 && s.key ? [s.key] : []), ...(v.key ? [v.key] : [])]
              const comment = nodeRuleName(p.name, dir, i, q)
              const exprs: RuleExpr[] = [...(a.match ? [a.match] : []), ...s.exprs, ...v.pre, counter]
              if (r.enableLogging) exprs.push(logStmt(comment, r.logLabel))
              exprs.push(v.stmt)
              rule(dir, comment, exprs)
            }
          }
      })
    }
  }
  return { operations: [...head, ...sets, ...rules], tables: [{ family: 'inet', name: table }] }
}
