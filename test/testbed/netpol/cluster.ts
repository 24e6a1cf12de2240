/**
 * The cluster of the upstream NetworkPolicy e2e tests, as Kubernetes
 * manifests: namespaces x, y, z (labels `ns=<name>` and the API server's
 * `kubernetes.io/metadata.name`), pods a, b, c in each (label `pod=<name>`),
 * every pod serving TCP, UDP and SCTP on ports 80 and 81 with the upstream
 * port names `serve-<port>-<proto>`. Also the test's own reading of
 * manifests into a {@link ClusterState} (defaults applied), independent of
 * the library's reader, so the oracle never depends on code under test.
 * @module
 */
import type {
  ClusterState,
  ContainerPort,
  K8sProtocol,
  LabelSelector,
  NamespaceObject,
  NetworkPolicyObject,
  PodObject,
  PolicyPeer,
  PolicyPort,
  PolicyRule,
} from '../../../lib/netpol/types.js'

export const NAMESPACES = ['x', 'y', 'z'] as const
export const POD_NAMES = ['a', 'b', 'c'] as const
export const PORTS = [80, 81] as const
export const PROTOCOLS: readonly K8sProtocol[] = ['TCP', 'UDP', 'SCTP']
/** Name of the node every pod runs on. */
export const NODE = 'node-1'

/** `x/a` style key of a pod. */
export type PodKey = `${string}/${string}`

/** Every pod key, x/a … z/c. */
export const POD_KEYS: readonly PodKey[] = NAMESPACES.flatMap((ns) => POD_NAMES.map((p) => `${ns}/${p}` as PodKey))

/** IPv4 address of a pod: 10.10.<ns 1..3>.<10 + pod index>. */
export function podIPv4(key: PodKey): string {
  const [ns, pod] = key.split('/')
  return `10.10.${nsIndex(ns) + 1}.${10 + podIndex(pod)}`
}

/** IPv6 address of a pod: fd00:10:10:<ns 1..3>::<10 + pod index>. */
export function podIPv6(key: PodKey): string {
  const [ns, pod] = key.split('/')
  return `fd00:10:10:${nsIndex(ns) + 1}::${10 + podIndex(pod)}`
}

function nsIndex(ns: string): number {
  const i = (NAMESPACES as readonly string[]).indexOf(ns)
  if (i < 0) throw new Error(`unknown namespace ${ns}`)
  return i
}

function podIndex(pod: string): number {
  const i = (POD_NAMES as readonly string[]).indexOf(pod)
  if (i < 0) throw new Error(`unknown pod ${pod}`)
  return i
}

/** A manifest: a plain object as `kubectl get -o json` prints it. */
export type Manifest = Record<string, unknown>

/** Overrides of the base cluster: extra or replaced labels, other addresses. */
export interface ClusterTweaks {
  readonly namespaceLabels?: Readonly<Record<string, Readonly<Record<string, string>>>>
  readonly podLabels?: Readonly<Record<PodKey, Readonly<Record<string, string>>>>
  readonly podIPs?: Readonly<Record<PodKey, readonly string[]>>
  /** A second container per pod declaring these ports (e.g. one name on different numbers per pod). */
  readonly extraPorts?: Readonly<Record<PodKey, readonly ContainerPort[]>>
  /** Use IPv4 only (no IPv6 address on any pod). */
  readonly ipv4Only?: boolean
}

/** The container ports every pod declares: 80 and 81 in TCP, UDP and SCTP, named `serve-80-tcp` etc. */
export function containerPorts(): ContainerPort[] {
  return PORTS.flatMap((port) => PROTOCOLS.map((protocol) => ({ name: `serve-${port}-${protocol.toLowerCase()}`, containerPort: port, protocol })))
}

/** Namespace and Pod manifests of the x/y/z × a/b/c cluster. */
export function clusterManifests(t: ClusterTweaks = {}): Manifest[] {
  const namespaces = NAMESPACES.map((ns) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns, labels: { ns, ...(t.namespaceLabels?.[ns] ?? {}) } },
  }))
  const pods = POD_KEYS.map((key) => {
    const [ns, pod] = key.split('/')
    const ips = t.podIPs?.[key] ?? (t.ipv4Only ? [podIPv4(key)] : [podIPv4(key), podIPv6(key)])
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace: ns, name: pod, labels: { pod, ...(t.podLabels?.[key] ?? {}) } },
      spec: {
        nodeName: NODE,
        containers: [
          {
            name: `cont-${pod}`,
            image: 'agnhost',
            ports: containerPorts().map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol })),
          },
          ...(t.extraPorts?.[key] ? [{ name: 'sidecar', image: 'agnhost', ports: t.extraPorts[key].map((p) => ({ ...p })) }] : []),
        ],
      },
      status: { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) },
    }
  })
  return [...namespaces, ...pods]
}

/** A NetworkPolicy manifest. */
export function policy(namespace: string, name: string, spec: Record<string, unknown>): Manifest {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace, name }, spec }
}

// ------------------------------------------------------------- the test's own reader

// biome-ignore lint/suspicious/noExplicitAny: the test's own well-formed manifests, read as untyped JSON
type Obj = Record<string, any>

/**
 * Reads Namespace, Pod and NetworkPolicy manifests (a `v1 List` is
 * flattened) into the shapes the oracle takes, with the API server's
 * defaults: the namespace name label, policyTypes (Ingress, plus Egress when
 * an egress section exists), protocol TCP. No validation: the test's
 * manifests are well formed.
 */
export function toClusterState(manifests: readonly Manifest[]): ClusterState {
  const items = manifests.flatMap((m) => (m.kind === 'List' ? ((m.items as Manifest[]) ?? []) : [m])) as Obj[]
  const namespaces: NamespaceObject[] = items
    .filter((m) => m.kind === 'Namespace')
    .map((m) => ({ name: m.metadata.name, labels: { ...(m.metadata.labels ?? {}), 'kubernetes.io/metadata.name': m.metadata.name } }))
  const pods: PodObject[] = items
    .filter((m) => m.kind === 'Pod')
    .map((m) => ({
      namespace: m.metadata.namespace ?? 'default',
      name: m.metadata.name,
      labels: { ...(m.metadata.labels ?? {}) },
      ips: (m.status?.podIPs ?? (m.status?.podIP ? [{ ip: m.status.podIP }] : [])).map((x: Obj) => x.ip),
      nodeName: m.spec?.nodeName,
      hostNetwork: m.spec?.hostNetwork === true,
      ports: (m.spec?.containers ?? []).flatMap((c: Obj) =>
        (c.ports ?? []).map((p: Obj) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' })),
      ),
    }))
  const policies: NetworkPolicyObject[] = items
    .filter((m) => m.kind === 'NetworkPolicy')
    .map((m) => {
      const spec = m.spec ?? {}
      const types: ('Ingress' | 'Egress')[] = spec.policyTypes ?? (spec.egress !== undefined ? ['Ingress', 'Egress'] : ['Ingress'])
      return {
        namespace: m.metadata.namespace ?? 'default',
        name: m.metadata.name,
        podSelector: selector(spec.podSelector),
        policyTypes: types,
        ingress: (spec.ingress ?? []).map((r: Obj) => rule(r.from, r.ports)),
        egress: (spec.egress ?? []).map((r: Obj) => rule(r.to, r.ports)),
      }
    })
  return { namespaces, pods, policies, nodes: [], clusterPolicies: [] }
}

function selector(s: Obj | undefined): LabelSelector {
  return { matchLabels: { ...(s?.matchLabels ?? {}) }, matchExpressions: (s?.matchExpressions ?? []).map((e: Obj) => ({ ...e })) }
}

function rule(peers: Obj[] | undefined, ports: Obj[] | undefined): PolicyRule {
  return {
    peers: (peers ?? []).map(
      (p): PolicyPeer =>
        p.ipBlock
          ? { ipBlock: { cidr: p.ipBlock.cidr, except: p.ipBlock.except ?? [] } }
          : {
              ...(p.podSelector ? { podSelector: selector(p.podSelector) } : {}),
              ...(p.namespaceSelector ? { namespaceSelector: selector(p.namespaceSelector) } : {}),
            },
    ),
    ports: (ports ?? []).map(
      (p): PolicyPort => ({
        protocol: p.protocol ?? 'TCP',
        ...(p.port !== undefined ? { port: p.port } : {}),
        ...(p.endPort !== undefined ? { endPort: p.endPort } : {}),
      }),
    ),
  }
}

/** A pod of a state by key; throws when absent. */
export function podOf(state: ClusterState, key: PodKey): PodObject {
  const [ns, name] = key.split('/')
  const p = state.pods.find((x) => x.namespace === ns && x.name === name)
  if (!p) throw new Error(`no pod ${key}`)
  return p
}
