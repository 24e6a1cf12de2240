/**
 * The NetworkPolicy compiler: a {@link ClusterState} into one `inet` table
 * (a {@link Declaration} the reconciler applies).
 *
 * - Base chains: `egress` (forward, priority filter - 1) and `ingress`
 *   (forward, filter) for pod traffic through the node, `input` (pods to
 *   the node: their egress) and `output` (the node to its pods: always
 *   allowed). Each starts with `ct state established,related accept`.
 * - Dispatch: `ip daddr vmap @ingress4` (`ip6 … @ingress6`, `ip saddr vmap
 *   @egress4` …) maps each isolated pod's address to the chain of its
 *   *policy group* (the set of policies selecting it in that direction), which
 *   jumps to each policy's chain and drops what none accepted. The cost per
 *   packet depends on the policies selecting the pod, not on their number.
 * - Policy chains hold one rule per (peer kind, family, protocol) of each
 *   NetworkPolicy rule, commented `namespace/name#ingress[i]`; peers are
 *   named sets (pod IPs in hash sets, `ipBlock` minus its `except` in
 *   interval sets), numbered ports anonymous sets, named ports concatenated
 *   sets `ipv4_addr . inet_proto . inet_service` keyed by destination pod.
 *
 * Every name derives from a policy's identity, never from pods, so a pod
 * coming, going, moving or relabelled changes elements only (or adds a group
 * chain for a combination of policies not seen before), and a changed policy
 * changes its own chain's rules and sets only.
 * @module
 */
import { createHash } from 'node:crypto'
import type { Family } from '../kernel/constants.js'
import type { Element } from '../model/element-types.js'
import type { Chain, NamedMap, NamedSet } from '../model/objects.js'
import type { Operation } from '../model/operations.js'
import type { Match, RuleExpr, Selector } from '../model/rule-types.js'
import type { Declaration } from '../state/desired.js'
import { type IPFamily, mergeSpans, parseCIDR, parseIP, type Span, spanText, subtract } from './cidr.js'
import { type ClusterState, type K8sProtocol, type LabelSelector, type NetworkPolicyObject, type PodObject, type PolicyPeer, type PolicyRule, selectorMatches } from './types.js'

/** Default table name of the compiled NetworkPolicies. */
export const NETPOL_TABLE = 'nftkit-netpol'

/** Options of {@link compileNetworkPolicies}. */
export interface CompileOptions {
  /** Table name (default {@link NETPOL_TABLE}); the family is always `inet`. */
  readonly table?: string
  /** Enforce for the pods whose `spec.nodeName` is this node only (default: every pod). */
  readonly node?: string
}

/** A direction of a NetworkPolicy. */
export type Direction = 'ingress' | 'egress'

const FAMILY: Family = 'inet'
const PROTOCOLS: readonly K8sProtocol[] = ['TCP', 'UDP', 'SCTP']
const COMMENT_MAX = 120

/** A short stable id of a string (10 hex digits of its SHA-256). */
export function shortId(s: string): string {
  let id = IDS.get(s)
  if (id === undefined) {
    id = createHash('sha256').update(s).digest('hex').slice(0, 10)
    // Names of policies and groups: a bounded memo (pod events ask for every policy's chain name).
    if (IDS.size >= 100_000) IDS.clear()
    IDS.set(s, id)
  }
  return id
}
const IDS = new Map<string, string>()

/** The chain of a policy's rules for one direction: `np-<id>-in` / `np-<id>-eg`. */
export function policyChain(p: { namespace: string; name: string }, d: Direction): string {
  let names = CHAINS.get(p)
  if (names?.ns !== p.namespace || names.name !== p.name) {
    const id = shortId(`${p.namespace}/${p.name}`)
    names = { ns: p.namespace, name: p.name, ingress: `np-${id}-in`, egress: `np-${id}-eg` }
    CHAINS.set(p, names)
  }
  return names[d]
}
/** Chain names per policy object (pod events ask for every policy's). */
const CHAINS = new WeakMap<object, { ns: string; name: string; ingress: string; egress: string }>()

/** The chain of the pods that the policy chains `chains` (in policy order) select in direction `d`. */
export function groupChain(d: Direction, chains: readonly string[]): string {
  return `grp-${d === 'ingress' ? 'in' : 'eg'}-${shortId(`${d} ${chains.join(' ')}`)}`
}

/** The verdict map dispatching the isolated pods of one direction and family: `ingress4`, `egress6`, ... */
export const dispatchMap = (d: Direction, f: IPFamily): string => `${d}${f}`

/** The set of the pod peers of rule `i` of a policy chain (one per family). */
export const peerSet = (chain: string, i: number, f: IPFamily): string => `${chain}-${i}-pods${f}`

/** The set of the named ports of rule `i` of a policy chain: destination address . protocol . port. */
export const namedPortSet = (chain: string, i: number, f: IPFamily): string => `${chain}-${i}-nport${f}`

/** Policies in the order the compiler uses (namespace, then name). */
export function sortPolicies(ps: readonly NetworkPolicyObject[]): NetworkPolicyObject[] {
  return [...ps].sort((a, b) => (a.namespace === b.namespace ? cmp(a.name, b.name) : cmp(a.namespace, b.namespace)))
}

/** Whether the pod is a target in direction `d` of the policy (on the enforced node, in its namespace, selected). */
export function selects(p: NetworkPolicyObject, d: Direction, pod: PodObject, node: string | undefined): boolean {
  return (
    p.policyTypes.includes(d === 'ingress' ? 'Ingress' : 'Egress') &&
    pod.namespace === p.namespace &&
    (node === undefined || pod.nodeName === node) &&
    selectorMatches(p.podSelector, pod.labels)
  )
}

/** The named-port elements of a destination pod for rule `r`: [address, protocol, port] per matching container port. */
export function namedPortElements(r: PolicyRule, pod: PodObject, ips: readonly string[]): Array<[string, string, number]> {
  const out: Array<[string, string, number]> = []
  for (const cp of pod.ports)
    if (r.ports.some((x) => typeof x.port === 'string' && x.port === cp.name && x.protocol === cp.protocol)) for (const ip of ips) out.push([ip, cp.protocol.toLowerCase(), cp.containerPort])
  return out
}

/**
 * The comment of the nft rules of a NetworkPolicy rule: `namespace/name#ingress[i]`,
 * with a suffix naming the peer kind, family and protocol when it takes more
 * than one nft rule. What `status` groups counters by.
 */
export function ruleName(p: { namespace: string; name: string }, d: Direction, i: number, suffix?: string): string {
  const s = `${p.namespace}/${p.name}#${d}[${i}]${suffix ? ` ${suffix}` : ''}`
  return s.length <= COMMENT_MAX ? s : `${s.slice(0, COMMENT_MAX - 12)}~${shortId(s)}`
}

/** The NetworkPolicy a rule comment names (`namespace/name#direction[i]...`), if it is one. */
export function parseRuleName(comment: string): { policy: string; direction: Direction; index: number } | undefined {
  const m = /^(.+)#(ingress|egress)\[(\d+)\]/.exec(comment)
  return m ? { policy: m[1], direction: m[2] as Direction, index: Number(m[3]) } : undefined
}

interface Addressed {
  readonly pod: PodObject
  readonly v4: readonly string[]
  readonly v6: readonly string[]
}

function addressed(p: PodObject): Addressed {
  const v4: string[] = []
  const v6: string[] = []
  for (const ip of p.ips) (parseIP(ip)?.family === 4 ? v4 : v6).push(ip)
  return { pod: p, v4, v6 }
}

const addrSel = (f: IPFamily, side: 'saddr' | 'daddr'): Selector => `${f === 4 ? 'ip' : 'ip6'} ${side}` as Selector
const addrType = (f: IPFamily): 'ipv4_addr' | 'ipv6_addr' => (f === 4 ? 'ipv4_addr' : 'ipv6_addr')
const ipsOf = (a: Addressed, f: IPFamily) => (f === 4 ? a.v4 : a.v6)

/** Everything the compiler looks up more than once. */
class Cluster {
  readonly nsLabels = new Map<string, Readonly<Record<string, string>>>()
  /** Pods that can be peers or destinations: not hostNetwork, with an address. */
  readonly byNamespace = new Map<string, Addressed[]>()
  readonly all: Addressed[] = []

  constructor(state: ClusterState) {
    for (const ns of state.namespaces) this.nsLabels.set(ns.name, ns.labels)
    for (const p of state.pods) {
      if (p.hostNetwork || p.ips.length === 0) continue
      const a = addressed(p)
      this.all.push(a)
      const list = this.byNamespace.get(p.namespace) ?? []
      list.push(a)
      this.byNamespace.set(p.namespace, list)
    }
  }

  labelsOf(ns: string): Readonly<Record<string, string>> {
    return this.nsLabels.get(ns) ?? { 'kubernetes.io/metadata.name': ns }
  }

  /** Namespaces (with pods) a namespace selector matches; policies tend to share selectors, so it is remembered. */
  readonly #nsMatches = new Map<string, string[]>()
  namespacesMatching(sel: LabelSelector): string[] {
    const key = JSON.stringify(sel)
    let out = this.#nsMatches.get(key)
    if (!out) {
      out = [...this.byNamespace.keys()].filter((n) => selectorMatches(sel, this.labelsOf(n)))
      this.#nsMatches.set(key, out)
    }
    return out
  }

  /** The pods one pod peer selects (policy namespace `ns`); remembered, since policies tend to share peers. */
  readonly #peerPods = new Map<string, readonly Addressed[]>()
  podsOfPeer(peer: PolicyPeer, ns: string): readonly Addressed[] {
    const key = `${peer.namespaceSelector ? '' : ns}|${JSON.stringify(peer)}`
    let out = this.#peerPods.get(key)
    if (!out) {
      const found: Addressed[] = []
      const namespaces = peer.namespaceSelector ? this.namespacesMatching(peer.namespaceSelector) : [ns]
      for (const n of namespaces) for (const a of this.byNamespace.get(n) ?? []) if (!peer.podSelector || selectorMatches(peer.podSelector, a.pod.labels)) found.push(a)
      out = found
      this.#peerPods.set(key, out)
    }
    return out
  }

  /** The pods a rule's pod peers select (policy namespace `ns`). */
  peerPods(rule: PolicyRule, ns: string): Addressed[] {
    const out = new Set<Addressed>()
    for (const peer of rule.peers) if (!peer.ipBlock) for (const a of this.podsOfPeer(peer, ns)) out.add(a)
    return [...out]
  }

}

/** Declarations collected while compiling. */
class Out {
  readonly chains: Chain[] = []
  readonly sets: Array<NamedSet | NamedMap> = []
  readonly rules: Array<{ chain: string; exprs: RuleExpr[]; comment: string }> = []
  constructor(readonly table: string) {}
  chain(c: Omit<Chain, 'kind' | 'family' | 'table'>): void {
    this.chains.push({ kind: 'chain', family: FAMILY, table: this.table, ...c })
  }
  set(name: string, type: NamedSet['type'], elements: Element[], comment: string, interval = false): void {
    this.sets.push({ kind: 'set', family: FAMILY, table: this.table, name, type, ...(interval ? { flags: ['interval'] } : {}), comment, elements })
  }
  rule(chain: string, exprs: RuleExpr[], comment: string): void {
    this.rules.push({ chain, exprs, comment })
  }
}

/**
 * Compiles NetworkPolicies into the declaration of one `inet` table (see the
 * module documentation for its layout). Pure: the same state gives the same
 * declaration, element order included.
 */
export function compileNetworkPolicies(state: ClusterState, opts: CompileOptions = {}): Declaration {
  const table = opts.table ?? NETPOL_TABLE
  const cluster = new Cluster(state)
  const out = new Out(table)
  const targets = new Map<string, Addressed[]>()
  for (const [n, pods] of cluster.byNamespace) targets.set(n, pods.filter((a) => opts.node === undefined || a.pod.nodeName === opts.node))
  const policies = sortPolicies(state.policies)
  /** Per direction: target pod → the policy chains selecting it, in policy order. */
  const selecting: Record<Direction, Map<Addressed, string[]>> = { ingress: new Map(), egress: new Map() }
  /** Policy chain → `namespace/name`, the comment of the group rules jumping to it. */
  const owner = new Map<string, string>()

  const est: RuleExpr[] = [{ match: 'ct state', value: ['established', 'related'] }, { stmt: 'accept' }]
  out.chain({ name: 'egress', type: 'filter', hook: 'forward', priority: 'filter - 1', policy: 'accept', comment: 'egress of pods, forwarded' })
  out.chain({ name: 'ingress', type: 'filter', hook: 'forward', priority: 'filter', policy: 'accept', comment: 'ingress of pods, forwarded' })
  out.chain({ name: 'input', type: 'filter', hook: 'input', priority: 'filter', policy: 'accept', comment: 'egress of pods to the node' })
  out.chain({ name: 'output', type: 'filter', hook: 'output', priority: 'filter', policy: 'accept', comment: 'the node to its pods: always allowed' })
  for (const [chain, d] of [['egress', 'egress'], ['ingress', 'ingress'], ['input', 'egress']] as const) {
    out.rule(chain, est, 'established')
    const side = d === 'ingress' ? 'daddr' : 'saddr'
    for (const f of [4, 6] as const) out.rule(chain, [{ stmt: 'vmap', key: addrSel(f, side), map: { set: dispatchMap(d, f) } }], `dispatch-${d}${f}`)
  }
  out.rule('output', [{ stmt: 'counter' }, { stmt: 'accept' }], 'node-to-pods')

  for (const p of policies) {
    const selected = (targets.get(p.namespace) ?? []).filter((a) => selectorMatches(p.podSelector, a.pod.labels))
    for (const d of ['ingress', 'egress'] as const) {
      if (!p.policyTypes.includes(d === 'ingress' ? 'Ingress' : 'Egress')) continue
      const chain = policyChain(p, d)
      owner.set(chain, `${p.namespace}/${p.name}`)
      out.chain({ name: chain, comment: `${p.namespace}/${p.name} ${d}` })
      for (const a of selected) {
        const list = selecting[d].get(a) ?? []
        list.push(chain)
        selecting[d].set(a, list)
      }
      const rules = d === 'ingress' ? p.ingress : p.egress
      // Named ports resolve against the destination: the selected pods for ingress, any pod for egress.
      const destinations = d === 'ingress' ? selected : cluster.all
      for (const [i, r] of rules.entries()) compileRule(out, cluster, p, d, i, r, chain, destinations)
    }
  }

  // Policy groups and the dispatch maps.
  const groups = new Map<string, string>()
  for (const d of ['ingress', 'egress'] as const) {
    const maps: Record<IPFamily, Element[]> = { 4: [], 6: [] }
    for (const [a, chains] of selecting[d]) {
      const key = `${d} ${chains.join(' ')}`
      let group = groups.get(key)
      if (group === undefined) {
        group = groupChain(d, chains)
        groups.set(key, group)
        out.chain({ name: group, comment: `pods selected by ${chains.length} ${d} polic${chains.length === 1 ? 'y' : 'ies'}` })
        for (const c of chains) out.rule(group, [{ stmt: 'jump', chain: c }], owner.get(c) ?? c)
        out.rule(group, [{ stmt: 'counter' }, { stmt: 'drop' }], 'default-deny')
      }
      for (const f of [4, 6] as const) for (const ip of ipsOf(a, f)) maps[f].push({ key: ip, value: { goto: group } })
    }
    for (const f of [4, 6] as const) {
      const m: NamedMap = { kind: 'map', family: FAMILY, table, name: dispatchMap(d, f), type: addrType(f), map: 'verdict', comment: `isolated pods (${d}) to their policy group`, elements: maps[f] }
      out.sets.push(m)
    }
  }

  const operations: Operation[] = [
    { verb: 'add', object: { kind: 'table', family: FAMILY, name: table } },
    ...out.chains.map((object): Operation => ({ verb: 'add', object })),
    ...out.sets.map((object): Operation => ({ verb: 'add', object })),
    ...out.rules.map((r): Operation => ({ verb: 'add', object: { kind: 'rule', family: FAMILY, table, chain: r.chain, exprs: r.exprs, comment: r.comment } })),
  ]
  return { operations, tables: [{ family: FAMILY, name: table }] }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** One way a rule's peers can match: pods of a family, blocks of a family, or anyone. */
type PeerAlt = { kind: 'pods' | 'cidr'; family: IPFamily; set: string } | { kind: 'any' }
/** One way a rule's ports can match: every port, the ports of one protocol, or named ports. */
type PortAlt = { kind: 'all' } | { kind: 'proto'; proto: string; exprs: Match[] } | { kind: 'named' }

function compileRule(out: Out, cluster: Cluster, p: NetworkPolicyObject, d: Direction, i: number, r: PolicyRule, chain: string, destinations: readonly Addressed[]): void {
  const base = `${chain}-${i}`
  const label = ruleName(p, d, i)
  const peerSide = d === 'ingress' ? 'saddr' : 'daddr'
  const peers: PeerAlt[] = []
  if (r.peers.length === 0) peers.push({ kind: 'any' })
  else {
    if (r.peers.some((x) => !x.ipBlock)) {
      const pods = cluster.peerPods(r, p.namespace)
      for (const f of [4, 6] as const) {
        const set = peerSet(chain, i, f)
        out.set(set, addrType(f), sortedUnique(pods.flatMap((a) => ipsOf(a, f))), `${label} pods`)
        peers.push({ kind: 'pods', family: f, set })
      }
    }
    // Each block minus its own exceptions, then the union: `except` narrows its peer only.
    const spans: Span[] = []
    for (const x of r.peers) {
      if (!x.ipBlock) continue
      const block = parseCIDR(x.ipBlock.cidr) as Span
      spans.push(...subtract(block, x.ipBlock.except.map((e) => parseCIDR(e) as Span)))
    }
    const blocks = r.peers.filter((x) => x.ipBlock).map((x) => parseCIDR(x.ipBlock?.cidr ?? '') as Span)
    for (const f of [4, 6] as const) {
      if (!blocks.some((b) => b.family === f)) continue
      const set = `${base}-cidr${f}`
      out.set(set, addrType(f), mergeSpans(spans.filter((s) => s.family === f)).map(spanText), `${label} ipBlock`, true)
      peers.push({ kind: 'cidr', family: f, set })
    }
  }

  const ports: PortAlt[] = []
  if (r.ports.length === 0) ports.push({ kind: 'all' })
  for (const proto of PROTOCOLS) {
    const mine = r.ports.filter((x) => x.protocol === proto && typeof x.port !== 'string')
    if (mine.length === 0) continue
    const l4: Match = { match: 'meta l4proto', value: proto.toLowerCase() }
    if (mine.some((x) => x.port === undefined)) {
      ports.push({ kind: 'proto', proto: proto.toLowerCase(), exprs: [l4] })
      continue
    }
    const values = [...new Set(mine.map((x) => (x.endPort !== undefined && x.endPort !== x.port ? `${x.port}-${x.endPort}` : (x.port as number))))]
    ports.push({ kind: 'proto', proto: proto.toLowerCase(), exprs: [l4, { match: 'th dport', value: values.length === 1 ? values[0] : values }] })
  }
  const named = r.ports.filter((x) => typeof x.port === 'string')
  const namedSets: Record<IPFamily, string> = { 4: namedPortSet(chain, i, 4), 6: namedPortSet(chain, i, 6) }
  if (named.length) {
    ports.push({ kind: 'named' })
    for (const f of [4, 6] as const) {
      const els: Array<[string, string, number]> = []
      for (const a of destinations) els.push(...namedPortElements(r, a.pod, ipsOf(a, f)))
      const unique = [...new Map(els.map((e) => [e.join(' '), e])).values()].sort((a, b) => cmp(a.join(' '), b.join(' ')))
      out.set(namedSets[f], [addrType(f), 'inet_proto', 'inet_service'], unique, `${label} named ports`)
    }
  }

  const rows: Array<{ exprs: RuleExpr[]; suffix: string }> = []
  for (const peer of peers)
    for (const port of ports) {
      const fams: Array<IPFamily | undefined> = peer.kind !== 'any' ? [peer.family] : port.kind === 'named' ? [4, 6] : [undefined]
      for (const f of fams) {
        const exprs: RuleExpr[] = []
        if (peer.kind !== 'any') exprs.push({ match: addrSel(peer.family, peerSide), value: { set: peer.set } })
        if (port.kind === 'proto') exprs.push(...port.exprs)
        if (port.kind === 'named' && f !== undefined) exprs.push({ match: [addrSel(f, 'daddr'), 'meta l4proto', 'th dport'], value: { set: namedSets[f] } })
        exprs.push({ stmt: 'counter' }, { stmt: 'accept' })
        const peerTag = peer.kind === 'any' ? (f ? `any${f}` : 'any') : `${peer.kind}${peer.family}`
        rows.push({ exprs, suffix: `${peerTag} ${port.kind === 'proto' ? port.proto : port.kind}` })
      }
    }
  for (const row of rows) out.rule(chain, row.exprs, ruleName(p, d, i, rows.length > 1 ? row.suffix : undefined))
}

function sortedUnique(xs: readonly string[]): string[] {
  return [...new Set(xs)].sort(cmp)
}
