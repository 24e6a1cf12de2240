/**
 * The cluster objects the NetworkPolicy and node-policy compilers read, after
 * the manifest reader has checked them and applied the API server's defaults
 * (policyTypes, protocol TCP, the `kubernetes.io/metadata.name` label). Every
 * compiler and the test oracle take these shapes, never raw manifests.
 * @module
 */

/** A label selector: every `matchLabels` pair and every expression must hold; an empty selector selects all. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>
  readonly matchExpressions?: ReadonlyArray<LabelRequirement>
}

/** One `matchExpressions` entry. `values` is non-empty for In/NotIn and absent for Exists/DoesNotExist. */
export interface LabelRequirement {
  readonly key: string
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'
  readonly values?: readonly string[]
}

/** An L4 protocol as Kubernetes spells it. */
export type K8sProtocol = 'TCP' | 'UDP' | 'SCTP'

/** A `v1 Namespace`; `labels` includes `kubernetes.io/metadata.name`. */
export interface NamespaceObject {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
}

/** A container port of a pod, the target of named ports. */
export interface ContainerPort {
  readonly name?: string
  readonly containerPort: number
  readonly protocol: K8sProtocol
}

/** A `v1 Pod`: `ips` holds `status.podIPs` (or `status.podIP`), IPv4 and IPv6, possibly empty. */
export interface PodObject {
  readonly namespace: string
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly ips: readonly string[]
  readonly nodeName?: string
  readonly hostNetwork: boolean
  readonly ports: readonly ContainerPort[]
}

/** A port of a NetworkPolicy rule: a number (with optional inclusive `endPort`), a name, or every port of `protocol` when `port` is absent. */
export interface PolicyPort {
  readonly protocol: K8sProtocol
  readonly port?: number | string
  readonly endPort?: number
}

/** A peer of a NetworkPolicy rule: pods (by pod and/or namespace selector) or an address block. */
export type PolicyPeer =
  | { readonly podSelector?: LabelSelector; readonly namespaceSelector?: LabelSelector; readonly ipBlock?: undefined }
  | { readonly ipBlock: { readonly cidr: string; readonly except: readonly string[] }; readonly podSelector?: undefined; readonly namespaceSelector?: undefined }

/** One ingress or egress rule: `peers` empty means every peer, `ports` empty every port. */
export interface PolicyRule {
  readonly peers: readonly PolicyPeer[]
  readonly ports: readonly PolicyPort[]
}

/** A `networking.k8s.io/v1 NetworkPolicy` with the API server's defaults applied. */
export interface NetworkPolicyObject {
  readonly namespace: string
  readonly name: string
  readonly podSelector: LabelSelector
  readonly policyTypes: ReadonlyArray<'Ingress' | 'Egress'>
  readonly ingress: readonly PolicyRule[]
  readonly egress: readonly PolicyRule[]
}

/** A `v1 Node`: its labels and addresses (`status.addresses` of type InternalIP/ExternalIP). */
export interface NodeObject {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly ips: readonly string[]
}

/** Everything read from a set of manifests. `clusterPolicies` are node policies (see `node-*.ts`), kept raw-but-checked by their own reader. */
export interface ClusterState {
  readonly namespaces: readonly NamespaceObject[]
  readonly pods: readonly PodObject[]
  readonly policies: readonly NetworkPolicyObject[]
  readonly nodes: readonly NodeObject[]
  readonly clusterPolicies: readonly unknown[]
}

/** Whether `labels` satisfy `selector` (Kubernetes semantics: an empty selector matches everything). */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, r.key)
    const inValues = has && (r.values ?? []).includes(labels[r.key])
    if (r.operator === 'In' && !inValues) return false
    if (r.operator === 'NotIn' && inValues) return false
    if (r.operator === 'Exists' && !has) return false
    if (r.operator === 'DoesNotExist' && has) return false
  }
  return true
}
