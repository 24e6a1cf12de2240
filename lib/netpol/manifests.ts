/**
 * The manifest reader: Namespaces, Pods, Nodes and `networking.k8s.io/v1`
 * NetworkPolicies as `kubectl get -o yaml` prints them (a `v1 List` or single
 * documents), checked and defaulted as the API server would, into a
 * {@link ClusterState}. Antrea ClusterNetworkPolicies are passed on raw (the
 * node-policy reader checks them). Every problem is an NftValidationError
 * whose path names the field: `items[3].spec.ingress[0].from[1].ipBlock.except[0]`.
 * @module
 */
import { invalid, NftValidationError } from '../kernel/errors.js'
import { LIST_MAX, VALUES_MAX } from '../kernel/limits.js'
import { formatIP, parseCIDR, parseIP } from './cidr.js'
import { isDnsLabel, isDnsSubdomain, isLabelKey, isLabelValue, isPortName } from './labels.js'
import type {
  ClusterState,
  ContainerPort,
  K8sProtocol,
  LabelRequirement,
  LabelSelector,
  NamespaceObject,
  NetworkPolicyObject,
  NodeObject,
  PodObject,
  PolicyPeer,
  PolicyPort,
  PolicyRule,
} from './types.js'

/** The label the API server puts on every namespace, naming it. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name'

/** apiVersion of the node policies passed through raw. */
export const ANTREA_API = 'crd.antrea.io/v1beta1'

type Obj = Record<string, unknown>

const KINDS: Readonly<Record<string, string>> = {
  Namespace: 'v1',
  Pod: 'v1',
  Node: 'v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  ClusterNetworkPolicy: ANTREA_API,
}

/**
 * Whether a document is one the cluster reader takes (Namespace, Pod, Node,
 * NetworkPolicy, ClusterNetworkPolicy, or a `v1 List` holding only such
 * items): what the file source hands to {@link readClusterManifests}.
 */
export function isClusterKind(doc: unknown): boolean {
  const o = doc as { apiVersion?: unknown; kind?: unknown; items?: unknown } | null
  if (typeof o !== 'object' || o === null || typeof o.kind !== 'string') return false
  if (o.kind === 'List' && o.apiVersion === 'v1' && Array.isArray(o.items)) return o.items.length > 0 && o.items.every(isClusterKind)
  return Object.hasOwn(KINDS, o.kind)
}

const at = (base: string, seg: string) => (base === '' ? seg : seg.startsWith('[') ? `${base}${seg}` : `${base}.${seg}`)

/** Counts every value read (shared by one read of many objects), so a huge input is refused in time proportional to what it holds. */
export class Budget {
  left = VALUES_MAX
  take(n: number, path: string): void {
    this.left -= n
    if (this.left < 0) invalid(path, `Expected at most ${VALUES_MAX} values in the manifests`, undefined)
  }
}

function object(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) invalid(path, 'Expected an object', v)
  return v as Obj
}

function optObject(v: unknown, path: string): Obj {
  return v === undefined || v === null ? {} : object(v, path)
}

function list(v: unknown, path: string, budget: Budget): unknown[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) invalid(path, 'Expected a list', v)
  if (v.length > LIST_MAX) invalid(path, `Expected at most ${LIST_MAX} entries`, v)
  budget.take(v.length, path)
  return v
}

function string(v: unknown, path: string): string {
  if (typeof v !== 'string') invalid(path, 'Expected a string', v)
  return v
}

function known(o: Obj, fields: readonly string[], path: string): void {
  for (const k of Object.keys(o)) if (!fields.includes(k)) invalid(at(path, k), `Unknown field '${k}' (expected one of ${fields.join(', ')})`, o[k])
}

function labels(v: unknown, path: string, budget: Budget): Record<string, string> {
  const o = optObject(v, path)
  const keys = Object.keys(o)
  budget.take(keys.length, path)
  const out: Record<string, string> = {}
  for (const k of keys) {
    if (!isLabelKey(k)) invalid(at(path, k), 'Expected a label key ([prefix/]name, name of at most 63 alphanumerics, -, _ or .)', k)
    const val = o[k]
    if (typeof val !== 'string' || !isLabelValue(val)) invalid(at(path, k), 'Expected a label value (at most 63 alphanumerics, -, _ or ., or empty)', val)
    out[k] = val
  }
  return out
}

function selector(v: unknown, path: string, budget: Budget): LabelSelector {
  const o = optObject(v, path)
  known(o, ['matchLabels', 'matchExpressions'], path)
  const matchExpressions: LabelRequirement[] = []
  for (const [i, e] of list(o.matchExpressions, at(path, 'matchExpressions'), budget).entries()) {
    const p = at(path, `matchExpressions[${i}]`)
    const r = object(e, p)
    known(r, ['key', 'operator', 'values'], p)
    const key = string(r.key, at(p, 'key'))
    if (!isLabelKey(key)) invalid(at(p, 'key'), 'Expected a label key', key)
    const operator = r.operator
    if (operator !== 'In' && operator !== 'NotIn' && operator !== 'Exists' && operator !== 'DoesNotExist')
      invalid(at(p, 'operator'), 'Expected In, NotIn, Exists or DoesNotExist', operator)
    const values = list(r.values, at(p, 'values'), budget).map((x, j) => {
      if (typeof x !== 'string' || !isLabelValue(x)) invalid(at(p, `values[${j}]`), 'Expected a label value', x)
      return x
    })
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) invalid(at(p, 'values'), `Expected at least one value for operator ${operator}`, r.values)
    if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) invalid(at(p, 'values'), `Expected no values for operator ${operator}`, r.values)
    matchExpressions.push(values.length ? { key, operator, values } : { key, operator })
  }
  const matchLabels = labels(o.matchLabels, at(path, 'matchLabels'), budget)
  return {
    ...(Object.keys(matchLabels).length ? { matchLabels } : {}),
    ...(matchExpressions.length ? { matchExpressions } : {}),
  }
}

function protocol(v: unknown, path: string): K8sProtocol {
  if (v === undefined || v === null) return 'TCP'
  if (v !== 'TCP' && v !== 'UDP' && v !== 'SCTP') invalid(path, 'Expected protocol TCP, UDP or SCTP', v)
  return v
}

function portNumber(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) invalid(path, 'Expected a port number 1-65535', v)
  return v
}

function metadata(doc: Obj, path: string, namespaced: boolean, budget: Budget): { name: string; namespace: string; labels: Record<string, string> } {
  const p = at(path, 'metadata')
  const m = object(doc.metadata, p)
  const name = string(m.name, at(p, 'name'))
  if (!isDnsSubdomain(name)) invalid(at(p, 'name'), 'Expected a DNS-1123 subdomain (lowercase alphanumerics, - and ., at most 253)', name)
  let namespace = ''
  if (namespaced) {
    namespace = m.namespace === undefined || m.namespace === null ? 'default' : string(m.namespace, at(p, 'namespace'))
    if (!isDnsLabel(namespace)) invalid(at(p, 'namespace'), 'Expected a DNS-1123 label (lowercase alphanumerics and -, at most 63)', namespace)
  }
  return { name, namespace, labels: labels(m.labels, at(p, 'labels'), budget) }
}

function readNamespace(doc: Obj, path: string, budget: Budget): NamespaceObject {
  const m = metadata(doc, path, false, budget)
  if (!isDnsLabel(m.name)) invalid(at(path, 'metadata.name'), 'Expected a DNS-1123 label (lowercase alphanumerics and -, at most 63)', m.name)
  return { name: m.name, labels: { ...m.labels, [NAMESPACE_NAME_LABEL]: m.name } }
}

function ipText(v: unknown, path: string): string {
  const ip = typeof v === 'string' ? parseIP(v) : undefined
  if (!ip) invalid(path, 'Expected an IPv4 or IPv6 address', v)
  return formatIP(ip.family, ip.value)
}

function readPod(doc: Obj, path: string, budget: Budget): PodObject {
  const m = metadata(doc, path, true, budget)
  const spec = optObject(doc.spec, at(path, 'spec'))
  const status = optObject(doc.status, at(path, 'status'))
  const ports: ContainerPort[] = []
  for (const [i, c] of list(spec.containers, at(path, 'spec.containers'), budget).entries()) {
    const cp = at(path, `spec.containers[${i}]`)
    for (const [j, x] of list(object(c, cp).ports, at(cp, 'ports'), budget).entries()) {
      const pp = at(cp, `ports[${j}]`)
      const port = object(x, pp)
      const containerPort = portNumber(port.containerPort, at(pp, 'containerPort'))
      const proto = protocol(port.protocol, at(pp, 'protocol'))
      if (port.name !== undefined && port.name !== null) {
        const name = string(port.name, at(pp, 'name'))
        if (!isPortName(name)) invalid(at(pp, 'name'), 'Expected a port name (IANA service name: 1-15 lowercase alphanumerics and -, with a letter)', name)
        ports.push({ name, containerPort, protocol: proto })
      } else ports.push({ containerPort, protocol: proto })
    }
  }
  const ips: string[] = []
  const podIPs = list(status.podIPs, at(path, 'status.podIPs'), budget)
  for (const [i, x] of podIPs.entries()) ips.push(ipText(object(x, at(path, `status.podIPs[${i}]`)).ip, at(path, `status.podIPs[${i}].ip`)))
  if (ips.length === 0 && status.podIP !== undefined && status.podIP !== null && status.podIP !== '') ips.push(ipText(status.podIP, at(path, 'status.podIP')))
  const nodeName = spec.nodeName === undefined || spec.nodeName === null ? undefined : string(spec.nodeName, at(path, 'spec.nodeName'))
  const hostNetwork = spec.hostNetwork === undefined || spec.hostNetwork === null ? false : spec.hostNetwork
  if (typeof hostNetwork !== 'boolean') invalid(at(path, 'spec.hostNetwork'), 'Expected true or false', hostNetwork)
  return { namespace: m.namespace, name: m.name, labels: m.labels, ips: [...new Set(ips)], ...(nodeName !== undefined ? { nodeName } : {}), hostNetwork, ports }
}

function readNode(doc: Obj, path: string, budget: Budget): NodeObject {
  const m = metadata(doc, path, false, budget)
  const status = optObject(doc.status, at(path, 'status'))
  const ips: string[] = []
  for (const [i, a] of list(status.addresses, at(path, 'status.addresses'), budget).entries()) {
    const p = at(path, `status.addresses[${i}]`)
    const addr = object(a, p)
    if (addr.type === 'InternalIP' || addr.type === 'ExternalIP') ips.push(ipText(addr.address, at(p, 'address')))
  }
  return { name: m.name, labels: m.labels, ips: [...new Set(ips)] }
}

function readPeer(v: unknown, path: string, budget: Budget): PolicyPeer {
  const o = object(v, path)
  known(o, ['podSelector', 'namespaceSelector', 'ipBlock'], path)
  if (o.ipBlock !== undefined && o.ipBlock !== null) {
    if (o.podSelector != null || o.namespaceSelector != null) invalid(path, 'Expected either ipBlock or podSelector/namespaceSelector, not both', Object.keys(o))
    const bp = at(path, 'ipBlock')
    const b = object(o.ipBlock, bp)
    known(b, ['cidr', 'except'], bp)
    const cidrText = string(b.cidr, at(bp, 'cidr'))
    const cidr = parseCIDR(cidrText)
    if (!cidr) invalid(at(bp, 'cidr'), 'Expected an IPv4 or IPv6 CIDR (address/prefix length)', cidrText)
    const except = list(b.except, at(bp, 'except'), budget).map((x, i) => {
      const xp = at(bp, `except[${i}]`)
      const text = string(x, xp)
      const e = parseCIDR(text)
      if (!e) invalid(xp, 'Expected an IPv4 or IPv6 CIDR (address/prefix length)', text)
      if (e.family !== cidr.family || e.lo < cidr.lo || e.hi > cidr.hi || e.prefix <= cidr.prefix)
        invalid(xp, `Expected a strict subset of cidr ${cidrText}`, text)
      return `${formatIP(e.family, e.lo)}/${e.prefix}`
    })
    return { ipBlock: { cidr: `${formatIP(cidr.family, cidr.lo)}/${cidr.prefix}`, except } }
  }
  if (o.podSelector == null && o.namespaceSelector == null) invalid(path, 'Expected a peer: podSelector, namespaceSelector or ipBlock', v)
  return {
    ...(o.podSelector != null ? { podSelector: selector(o.podSelector, at(path, 'podSelector'), budget) } : {}),
    ...(o.namespaceSelector != null ? { namespaceSelector: selector(o.namespaceSelector, at(path, 'namespaceSelector'), budget) } : {}),
  }
}

function readPort(v: unknown, path: string): PolicyPort {
  const o = object(v, path)
  known(o, ['protocol', 'port', 'endPort'], path)
  const proto = protocol(o.protocol, at(path, 'protocol'))
  const hasEnd = o.endPort !== undefined && o.endPort !== null
  if (o.port === undefined || o.port === null) {
    if (hasEnd) invalid(at(path, 'endPort'), 'Expected no endPort without a numeric port', o.endPort)
    return { protocol: proto }
  }
  if (typeof o.port === 'string') {
    if (!isPortName(o.port)) invalid(at(path, 'port'), 'Expected a port number 1-65535 or a port name (IANA service name: 1-15 lowercase alphanumerics and -, with a letter)', o.port)
    if (hasEnd) invalid(at(path, 'endPort'), 'Expected no endPort with a named port', o.endPort)
    return { protocol: proto, port: o.port }
  }
  const port = portNumber(o.port, at(path, 'port'))
  if (!hasEnd) return { protocol: proto, port }
  const endPort = portNumber(o.endPort, at(path, 'endPort'))
  if (endPort < port) invalid(at(path, 'endPort'), `Expected an endPort of at least port ${port}`, endPort)
  return { protocol: proto, port, endPort }
}

function readRules(v: unknown, path: string, peersField: 'from' | 'to', budget: Budget): PolicyRule[] {
  return list(v, path, budget).map((r, i) => {
    const p = at(path, `[${i}]`)
    const o = object(r, p)
    known(o, [peersField, 'ports'], p)
    return {
      peers: list(o[peersField], at(p, peersField), budget).map((x, j) => readPeer(x, at(p, `${peersField}[${j}]`), budget)),
      ports: list(o.ports, at(p, 'ports'), budget).map((x, j) => readPort(x, at(p, `ports[${j}]`))),
    }
  })
}

function readPolicy(doc: Obj, path: string, budget: Budget): NetworkPolicyObject {
  const m = metadata(doc, path, true, budget)
  const sp = at(path, 'spec')
  const spec = object(doc.spec, sp)
  known(spec, ['podSelector', 'policyTypes', 'ingress', 'egress'], sp)
  const ingress = readRules(spec.ingress, at(sp, 'ingress'), 'from', budget)
  const egress = readRules(spec.egress, at(sp, 'egress'), 'to', budget)
  let policyTypes: Array<'Ingress' | 'Egress'> = list(spec.policyTypes, at(sp, 'policyTypes'), budget).map((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') invalid(at(sp, `policyTypes[${i}]`), 'Expected Ingress or Egress', t)
    return t
  })
  if (new Set(policyTypes).size !== policyTypes.length) invalid(at(sp, 'policyTypes'), 'Expected each policy type at most once', spec.policyTypes)
  // The API server's default: Ingress always, Egress when there are egress rules.
  if (policyTypes.length === 0) policyTypes = egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress']
  return { namespace: m.namespace, name: m.name, podSelector: selector(spec.podSelector, at(sp, 'podSelector'), budget), policyTypes, ingress, egress }
}

/**
 * Reads parsed YAML/JSON documents (each a single object or a `v1 List`)
 * into a checked {@link ClusterState} with the API server's defaults applied
 * (policyTypes, protocol TCP, namespace `default`, the
 * `kubernetes.io/metadata.name` label of Namespaces; a namespace no
 * document declares is matched by that label only). Documents of other
 * kinds (FirewallConfigurations, Services, ...) are skipped. Antrea
 * `ClusterNetworkPolicy` objects go to `clusterPolicies` unchecked.
 * @param file named in error messages
 * @throws NftValidationError naming the field (`items[3].spec.ingress[0].from[1].ipBlock.except[0]`; with several
 *   documents `documents[1].items[3]...`), for unknown NetworkPolicy fields, invalid selectors, CIDRs, ports,
 *   addresses, or an object declared twice.
 */
export function readClusterManifests(docs: readonly unknown[], file?: string): ClusterState {
  try {
    const budget = new Budget()
    list(docs, 'documents', budget)
    const objects: Array<{ value: unknown; at: string }> = []
    const many = docs.length > 1
    for (const [d, doc] of docs.entries()) {
      const base = many ? `documents[${d}]` : ''
      const o = doc as { apiVersion?: unknown; kind?: unknown; items?: unknown }
      if (o !== null && typeof o === 'object' && o.kind === 'List' && o.apiVersion === 'v1') {
        for (const [i, item] of list(o.items, at(base, 'items'), budget).entries()) objects.push({ value: item, at: at(base, `items[${i}]`) })
      } else objects.push({ value: doc, at: base === '' ? '(document)' : base })
    }
    return readClusterObjects(objects, budget)
  } catch (e) {
    if (file !== undefined && e instanceof NftValidationError) e.message = `${file}: ${e.message}`
    throw e
  }
}

/**
 * {@link readClusterManifests} for single objects (no Lists), each with the
 * path its errors start with: what the file source uses to read the cluster
 * objects of several files as one state.
 * @throws NftValidationError as {@link readClusterManifests}.
 */
export function readClusterObjects(objects: ReadonlyArray<{ readonly value: unknown; readonly at: string }>, budget = new Budget()): ClusterState {
  const namespaces = new Map<string, NamespaceObject>()
  const pods = new Map<string, PodObject>()
  const policies = new Map<string, NetworkPolicyObject>()
  const nodes = new Map<string, NodeObject>()
  const clusterPolicies: unknown[] = []
  const put = <T>(m: Map<string, T>, key: string, v: T, path: string) => {
    if (m.has(key)) invalid(path, `Expected each object once, but ${key} is declared twice`, key)
    m.set(key, v)
  }
  budget.take(objects.length, 'objects')
  for (const { value, at: path } of objects) {
    const o = object(value, path)
    const kind = o.kind
    if (typeof kind !== 'string' || typeof o.apiVersion !== 'string') invalid(path, 'Expected a Kubernetes object (apiVersion and kind)', value)
    if (!Object.hasOwn(KINDS, kind)) continue // not ours: FirewallConfigurations, Services, ...
    if (o.apiVersion !== KINDS[kind]) invalid(at(path, 'apiVersion'), `Expected apiVersion ${KINDS[kind]} for kind ${kind}`, o.apiVersion)
    if (kind === 'Namespace') {
      const ns = readNamespace(o, path, budget)
      put(namespaces, `namespace ${ns.name}`, ns, at(path, 'metadata.name'))
    } else if (kind === 'Pod') {
      const p = readPod(o, path, budget)
      put(pods, `pod ${p.namespace}/${p.name}`, p, at(path, 'metadata.name'))
    } else if (kind === 'Node') {
      const n = readNode(o, path, budget)
      put(nodes, `node ${n.name}`, n, at(path, 'metadata.name'))
    } else if (kind === 'NetworkPolicy') {
      const p = readPolicy(o, path, budget)
      put(policies, `networkpolicy ${p.namespace}/${p.name}`, p, at(path, 'metadata.name'))
    } else clusterPolicies.push(o)
  }
  return { namespaces: [...namespaces.values()], pods: [...pods.values()], policies: [...policies.values()], nodes: [...nodes.values()], clusterPolicies }
}
