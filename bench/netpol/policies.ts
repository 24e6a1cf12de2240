/**
 * The cluster of `bench/netpol-rate.ts`: N server pods, each selected by its
 * own NetworkPolicy that allows one peer pod on TCP port 80 — the shape of a
 * real cluster, where policies select different pods. The measured server is
 * the last pod and the client is the last policy's peer, so a list walked in
 * order (the iptables style) walks all N rules for it, while nftkit's table
 * dispatches on the destination address first.
 * @module
 */
import type { ClusterState } from '../nftkit.js'

/** Address of the i-th of the other pods (10.20.0.0/16 and 10.21.0.0/16: never routed here). */
const other = (base: number, i: number) => `10.${base}.${(i >> 8) & 255}.${i & 255}`

/** The cluster for n policies; the real pods are `at.server` (server n-1) and `at.client` (its peer). */
export function benchCluster(n: number, at: { client: string; server: string }): ClusterState {
  const pods: Array<ClusterState['pods'][number]> = []
  const policies: Array<ClusterState['policies'][number]> = []
  for (let i = 0; i < n; i++) {
    const last = i === n - 1
    pods.push({ namespace: 'bench', name: `srv-${i}`, labels: { srv: String(i) }, ips: [last ? at.server : other(21, i)], hostNetwork: false, ports: [] })
    pods.push({ namespace: 'bench', name: `peer-${i}`, labels: { peer: String(i) }, ips: [last ? at.client : other(20, i)], hostNetwork: false, ports: [] })
    policies.push({
      namespace: 'bench',
      name: `allow-${i}`,
      podSelector: { matchLabels: { srv: String(i) } },
      policyTypes: ['Ingress'],
      ingress: [{ peers: [{ podSelector: { matchLabels: { peer: String(i) } } }], ports: [{ protocol: 'TCP', port: 80 }] }],
      egress: [],
    })
  }
  return { namespaces: [{ name: 'bench', labels: { 'kubernetes.io/metadata.name': 'bench' } }], pods, policies, nodes: [], clusterPolicies: [] }
}

/** The same filtering as one rule per allowed peer and port, in order (iptables style), default drop. */
export function linearRuleset(n: number, at: { client: string; server: string }): string {
  const rules: string[] = []
  for (let i = 0; i < n; i++) {
    const last = i === n - 1
    rules.push(`    ip saddr ${last ? at.client : other(20, i)} ip daddr ${last ? at.server : other(21, i)} tcp dport 80 accept`)
  }
  return `table inet linear {\n  chain forward {\n    type filter hook forward priority filter; policy drop;\n    ct state established,related accept\n${rules.join('\n')}\n  }\n}\n`
}
