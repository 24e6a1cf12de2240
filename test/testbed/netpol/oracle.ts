/**
 * The truth table of Kubernetes NetworkPolicy v1, written from the API
 * reference and the upstream e2e tests (kubernetes/kubernetes
 * test/e2e/network/netpol, cyclonus's matcher) and independent of the
 * compiler in `lib/netpol/`: it decides one connection at a time by walking
 * the policies, never by building sets or rules.
 *
 * Facts it encodes:
 * - a pod is isolated for a direction when any policy in its namespace selects
 *   it and lists that direction in `policyTypes`; a non-isolated direction
 *   allows everything;
 * - an isolated direction allows a connection when any rule of any selecting
 *   policy allows it (union, no order, no deny);
 * - a connection needs both the source's egress and the destination's ingress;
 * - a peer with only `podSelector` picks pods of the policy's namespace; with
 *   only `namespaceSelector` every pod of matching namespaces; with both, pods
 *   matching both; `ipBlock` matches the peer's address (`except` only narrows
 *   that one peer) and only addresses of the CIDR's family;
 * - no peers: every peer; no ports: every port and protocol;
 * - a numbered port matches that port (through `endPort` inclusive), a named
 *   port resolves against the destination pod's container ports (name and
 *   protocol), a port without number matches every port of its protocol;
 * - hostNetwork pods are never selected by a policy (not isolated), and pod
 *   selectors never pick them as peers.
 * @module
 */
import type {
  ClusterState,
  K8sProtocol,
  NetworkPolicyObject,
  PodObject,
  PolicyPeer,
  PolicyPort,
  PolicyRule,
} from '../../../lib/netpol/types.js'
import { selectorMatches } from '../../../lib/netpol/types.js'

/** One connection attempt: source pod, destination pod, destination port and protocol, address family. */
export interface Connection {
  readonly from: PodObject
  readonly to: PodObject
  readonly port: number
  readonly protocol: K8sProtocol
  /** Which addresses the packets carry; default 4. */
  readonly family?: 4 | 6
}

/** Why a connection is (not) allowed, for readable mismatch reports. */
export interface Verdict {
  readonly allowed: boolean
  /** `open` when not isolated, otherwise the policies (ns/name#rule) that allow it, or `denied`. */
  readonly egress: string
  readonly ingress: string
}

/** Whether NetworkPolicy v1 allows the connection. */
export function allowed(state: ClusterState, c: Connection): boolean {
  return explain(state, c).allowed
}

/** The decision with the policies behind each direction. */
export function explain(state: ClusterState, c: Connection): Verdict {
  const family = c.family ?? 4
  const egress = direction(state, c.from, 'Egress', (rule, ns) => ruleAllows(state, rule, ns, c.to, c.to, c, family))
  const ingress = direction(state, c.to, 'Ingress', (rule, ns) => ruleAllows(state, rule, ns, c.from, c.to, c, family))
  return { allowed: egress !== 'denied' && ingress !== 'denied', egress, ingress }
}

/** `open` (not isolated), the first allowing policy rule, or `denied`. */
function direction(
  state: ClusterState,
  target: PodObject,
  type: 'Ingress' | 'Egress',
  allows: (rule: PolicyRule, policyNamespace: string) => boolean,
): string {
  if (target.hostNetwork) return 'open'
  const selecting = state.policies.filter((p) => selects(p, target) && p.policyTypes.includes(type))
  if (selecting.length === 0) return 'open'
  for (const p of selecting) {
    const rules = type === 'Ingress' ? p.ingress : p.egress
    const i = rules.findIndex((r) => allows(r, p.namespace))
    if (i >= 0) return `${p.namespace}/${p.name}#${i}`
  }
  return 'denied'
}

function selects(p: NetworkPolicyObject, pod: PodObject): boolean {
  return p.namespace === pod.namespace && selectorMatches(p.podSelector, pod.labels)
}

/**
 * Whether one rule allows the connection. `peer` is the other end (source
 * for ingress, destination for egress); `dest` owns the named ports.
 */
function ruleAllows(
  state: ClusterState,
  rule: PolicyRule,
  policyNamespace: string,
  peer: PodObject,
  dest: PodObject,
  c: Connection,
  family: 4 | 6,
): boolean {
  const peerOk = rule.peers.length === 0 || rule.peers.some((p) => peerMatches(state, p, policyNamespace, peer, family))
  const portOk = rule.ports.length === 0 || rule.ports.some((p) => portMatches(p, dest, c.port, c.protocol))
  return peerOk && portOk
}

function peerMatches(state: ClusterState, peer: PolicyPeer, policyNamespace: string, pod: PodObject, family: 4 | 6): boolean {
  if (peer.ipBlock) {
    const ip = pod.ips.find((a) => familyOf(a) === family)
    if (ip === undefined) return false
    return cidrContains(peer.ipBlock.cidr, ip) && !peer.ipBlock.except.some((e) => cidrContains(e, ip))
  }
  if (pod.hostNetwork) return false
  if (peer.namespaceSelector) {
    if (!selectorMatches(peer.namespaceSelector, namespaceLabels(state, pod.namespace))) return false
  } else if (pod.namespace !== policyNamespace) return false
  return peer.podSelector ? selectorMatches(peer.podSelector, pod.labels) : true
}

function portMatches(p: PolicyPort, dest: PodObject, port: number, protocol: K8sProtocol): boolean {
  if (p.protocol !== protocol) return false
  if (p.port === undefined) return true
  if (typeof p.port === 'number') return p.endPort === undefined ? port === p.port : port >= p.port && port <= p.endPort
  return dest.ports.some((cp) => cp.name === p.port && cp.protocol === protocol && cp.containerPort === port)
}

/** A namespace's labels; one the state does not list still has its name label (the API server sets it). */
export function namespaceLabels(state: ClusterState, name: string): Readonly<Record<string, string>> {
  return state.namespaces.find((n) => n.name === name)?.labels ?? { 'kubernetes.io/metadata.name': name }
}

// ------------------------------------------------------------- addresses

/** 4 or 6 by the textual shape of the address. */
export function familyOf(ip: string): 4 | 6 {
  return ip.includes(':') ? 6 : 4
}

/** The address as a bigint of 32 or 128 bits. */
export function ipToBigInt(ip: string): bigint {
  if (familyOf(ip) === 4) {
    const parts = ip.split('.').map(Number)
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 address ${ip}`)
    return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n)
  }
  let text = ip
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4) {
    const n = ipToBigInt(v4[1])
    text = `${text.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`
  }
  const [head, tail] = text.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = text.includes('::') ? [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t] : h
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) throw new Error(`bad IPv6 address ${ip}`)
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n)
}

/** Whether `cidr` (`a.b.c.d/n` or `x::/n`) contains `ip`; false across families. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, lenText] = cidr.split('/')
  if (familyOf(base) !== familyOf(ip)) return false
  const bits = familyOf(base) === 4 ? 32 : 128
  const len = lenText === undefined ? bits : Number(lenText)
  if (!Number.isInteger(len) || len < 0 || len > bits) throw new Error(`bad prefix length in ${cidr}`)
  const shift = BigInt(bits - len)
  return ipToBigInt(base) >> shift === ipToBigInt(ip) >> shift
}
