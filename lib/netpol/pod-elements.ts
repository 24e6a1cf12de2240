/**
 * What one pod contributes to the compiled table: its entries in the dispatch
 * maps (to its policy groups), its address in the peer sets of the rules
 * whose pod peers select it, and its named ports in the named-port sets. The
 * agent's fast path for pod events: the delta of a pod is the difference of
 * its contributions before and after, found without compiling the cluster.
 * The same names and element shapes as {@link compileNetworkPolicies}; a unit
 * test checks that the union of every pod's contributions is exactly the
 * pod-derived elements of the full compile.
 * @module
 */
import type { Element } from '../model/element-types.js'
import { parseIP, type IPFamily } from './cidr.js'
import { type Direction, dispatchMap, groupChain, namedPortElements, namedPortSet, peerSet, policyChain, selects } from './compile.js'
import { NAMESPACE_NAME_LABEL } from './manifests.js'
import { type NetworkPolicyObject, type PodObject, selectorMatches } from './types.js'

/** What a pod's contributions depend on besides the pod: the policies (compiler order), namespace labels and the node. */
export interface PodContext {
  /** Policies sorted as the compiler sorts them ({@link sortPolicies}). */
  readonly policies: readonly NetworkPolicyObject[]
  readonly namespaceLabels: (ns: string) => Readonly<Record<string, string>> | undefined
  readonly node?: string
}

/** A pod's contributions: elements per set or map name, and the policy groups it is dispatched to. */
export interface PodElements {
  readonly sets: Map<string, Element[]>
  readonly groups: string[]
}

/** The elements a pod contributes (nothing for a hostNetwork pod or one without addresses). */
export function podElements(ctx: PodContext, pod: PodObject): PodElements {
  const sets = new Map<string, Element[]>()
  const groups: string[] = []
  if (pod.hostNetwork || pod.ips.length === 0) return { sets, groups }
  const byFamily: Record<IPFamily, string[]> = { 4: [], 6: [] }
  for (const ip of pod.ips) byFamily[parseIP(ip)?.family === 4 ? 4 : 6].push(ip)
  const put = (name: string, els: readonly Element[]) => {
    if (els.length === 0) return
    const list = sets.get(name)
    if (list) list.push(...els)
    else sets.set(name, [...els])
  }
  const nsLabels = ctx.namespaceLabels(pod.namespace) ?? { [NAMESPACE_NAME_LABEL]: pod.namespace }
  const chains: Record<Direction, string[]> = { ingress: [], egress: [] }
  for (const p of ctx.policies)
    for (const d of ['ingress', 'egress'] as const) {
      if (!p.policyTypes.includes(d === 'ingress' ? 'Ingress' : 'Egress')) continue
      const chain = policyChain(p, d)
      const target = selects(p, d, pod, ctx.node)
      if (target) chains[d].push(chain)
      for (const [i, r] of (d === 'ingress' ? p.ingress : p.egress).entries()) {
        const peer = r.peers.some(
          (x) =>
            !x.ipBlock &&
            (x.namespaceSelector ? selectorMatches(x.namespaceSelector, nsLabels) : pod.namespace === p.namespace) &&
            (!x.podSelector || selectorMatches(x.podSelector, pod.labels)),
        )
        // Named ports resolve against destinations: the targets for ingress, any pod for egress.
        const destination = r.ports.some((x) => typeof x.port === 'string') && (d === 'egress' || target)
        for (const f of [4, 6] as const) {
          if (peer) put(peerSet(chain, i, f), byFamily[f])
          if (destination) put(namedPortSet(chain, i, f), namedPortElements(r, pod, byFamily[f]))
        }
      }
    }
  for (const d of ['ingress', 'egress'] as const) {
    if (chains[d].length === 0) continue
    const group = groupChain(d, chains[d])
    groups.push(group)
    for (const f of [4, 6] as const) put(dispatchMap(d, f), byFamily[f].map((ip) => ({ key: ip, value: { goto: group } })))
  }
  return { sets, groups }
}
