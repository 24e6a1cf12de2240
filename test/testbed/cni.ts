/**
 * A stand-in for the CNI of the testbed's provider cluster: it enforces the
 * generated NetworkPolicies (the subset the generator emits: all pods of a
 * namespace, egress to namespaces selected by labels and to IP blocks) as an
 * nftables table on the provider's router, so that the datapath shows what a
 * policy-enforcing CNI would do with them. Not part of the library: a real
 * cluster's CNI does this job.
 */
import type { FirewallConfiguration } from '../../lib/liqo/firewall-configuration.js'
import { type NetworkPolicy, ORIGIN_LABEL } from '../../lib/policies/generate.js'
import type { Inventory, NamespaceInventory } from '../../lib/policies/inventory.js'

/** Labels of every namespace of the provider cluster: offloaded ones carry the consumer that offloaded them. */
export function namespaceLabels(inv: Inventory): Map<string, { ns: NamespaceInventory; labels: Record<string, string> }> {
  const out = new Map<string, { ns: NamespaceInventory; labels: Record<string, string> }>()
  for (const ns of inv.provider.namespaces) out.set(ns.name, { ns, labels: {} })
  for (const c of inv.consumers) for (const ns of c.offloaded) out.set(ns.name, { ns, labels: { [ORIGIN_LABEL]: c.name } })
  return out
}

/** The NetworkPolicies as one FirewallConfiguration for the provider router's forward hook. */
export function networkPolicyFirewall(inv: Inventory, policies: readonly NetworkPolicy[]): FirewallConfiguration {
  const namespaces = namespaceLabels(inv)
  const sets: object[] = []
  const rules: object[] = [{ name: 'established', match: [{ op: 'eq', ctstate: { value: ['established', 'related'] } }], action: 'accept' }]
  for (const np of policies) {
    const own = namespaces.get(np.metadata.namespace)
    if (!own) continue
    const dst: string[] = []
    for (const e of np.spec.egress)
      for (const to of e.to) {
        if ('ipBlock' in to) dst.push(to.ipBlock.cidr)
        else
          for (const { ns, labels } of namespaces.values())
            if (Object.entries(to.namespaceSelector.matchLabels).every(([k, v]) => labels[k] === v)) dst.push(...ns.pods.map((p) => p.ip))
      }
    const src = `np-${np.metadata.namespace}-src`
    const to = `np-${np.metadata.namespace}-dst`
    sets.push({ name: src, keyType: 'ipv4_addr', elements: own.ns.pods.map((p) => ({ key: p.ip })) })
    sets.push({ name: to, keyType: 'ipv4_cidr', elements: dst.map((key) => ({ key })) })
    rules.push({ name: `${np.metadata.namespace}-egress-allowed`, match: [{ op: 'eq', ip: { value: `@${src}`, position: 'src' } }, { op: 'eq', ip: { value: `@${to}`, position: 'dst' } }], action: 'accept' })
    rules.push({ name: `${np.metadata.namespace}-egress-denied`, match: [{ op: 'eq', ip: { value: `@${src}`, position: 'src' } }], action: 'drop' })
  }
  return {
    apiVersion: 'networking.liqo.io/v1beta1',
    kind: 'FirewallConfiguration',
    metadata: { name: 'cni-network-policies', namespace: 'testbed' },
    spec: { table: { name: 'cni-network-policies', family: 'IPV4', sets, chains: [{ name: 'forward', type: 'filter', hook: 'forward', priority: 0, policy: 'accept', rules: { filterRules: rules } }] } },
  } as unknown as FirewallConfiguration
}
