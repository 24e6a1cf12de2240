/**
 * NP (NetworkPolicy enforcement, issue #13): a synthetic cluster of N pods in
 * N/10 namespaces with one policy per namespace (pod and namespace selector
 * peers, a numbered and a named port, every tenth an ipBlock with except).
 * Times the compile, the first apply through {@link NetworkPolicyAgent}, and
 * the churn of one pod (its address changed back and forth: one batch of
 * element messages, asserted), with messages per batch. Runs in the current
 * network namespace, which must be fresh (`npm run bench` makes one).
 *
 * Standalone: `unshare -n node --import tsx bench/netpol.ts [--quick]`.
 * @module
 */
import { createClient, NetworkPolicyAgent, type ClusterState, type PodObject, compileNetworkPolicies, desiredTables, NETPOL_TABLE } from '../lib/index.js'
import { fmt, type Limits, now, type Row, timed } from './table.js'

/** One pod's manifest-free shape (what the reader would produce). */
const podObj = (ns: number, j: number, ip: string) => ({
  namespace: `ns-${ns}`,
  name: `pod-${j}`,
  labels: { app: `a${j % 5}` },
  ips: [ip],
  nodeName: 'node-1',
  hostNetwork: false,
  ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' as const }],
})

/** Pod k's address: 10.0.0.0 + k + 1. */
const ipOf = (k: number) => {
  const v = ((10 << 24) >>> 0) + k + 1
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
}

/** The synthetic cluster: `pods` pods, 10 per namespace, `policies` policies (one per namespace, cycling). */
export function syntheticCluster(pods: number, policies: number): ClusterState {
  const namespaces = Math.ceil(pods / 10)
  return {
    namespaces: Array.from({ length: namespaces }, (_, i) => ({ name: `ns-${i}`, labels: { 'kubernetes.io/metadata.name': `ns-${i}`, team: `t${i % 10}` } })),
    pods: Array.from({ length: pods }, (_, k) => podObj(Math.floor(k / 10), k % 10, ipOf(k))),
    nodes: [],
    clusterPolicies: [],
    policies: Array.from({ length: policies }, (_, i) => ({
      namespace: `ns-${i % namespaces}`,
      name: `policy-${i}`,
      podSelector: { matchLabels: { app: `a${i % 5}` } },
      policyTypes: ['Ingress'] as const,
      egress: [],
      ingress: [
        {
          peers: [
            { podSelector: { matchLabels: { app: `a${(i + 1) % 5}` } } },
            { namespaceSelector: { matchLabels: { team: `t${i % 10}` } }, podSelector: { matchLabels: { app: 'a0' } } },
            ...(i % 10 === 0 ? [{ ipBlock: { cidr: '192.168.0.0/16', except: ['192.168.1.0/24'] } }] : []),
          ],
          ports: [
            { protocol: 'TCP' as const, port: 80 },
            { protocol: 'TCP' as const, port: 'http' },
          ],
        },
      ],
    })),
  }
}

/** Runs NP: compile, first apply, one-pod churn. Rows for the bench table. */
export async function netpol(pods: number, policies: number, limits: Limits, progress: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = []
  const state = syntheticCluster(pods, policies)
  const n = `${pods} pods, ${Math.ceil(pods / 10)} ns, ${policies} policies`
  progress(`NP compile ${n}`)
  const compileSamples = await timed({ ops: 3, budgetMs: 30_000 }, () => desiredTables(compileNetworkPolicies(state)))
  const decl = compileNetworkPolicies(state)
  const rulesN = decl.operations.filter((o) => o.object.kind === 'rule').length
  const setsN = decl.operations.filter((o) => o.object.kind === 'set' || o.object.kind === 'map').length
  rows.push({ workload: 'NP', n, set: '-', variant: 'compileNetworkPolicies + desiredTables', samples: compileSamples, messages: [], verified: true, notes: [`${rulesN} rules, ${setsN} sets/maps`] })

  const client = createClient()
  try {
    client.commitSync(client.transaction().destroy({ kind: 'table', family: 'inet', name: NETPOL_TABLE }))
    const agent = new NetworkPolicyAgent(client)
    progress(`NP first apply ${n}`)
    const t = now()
    const first = agent.apply(state)
    const firstUs = now() - t
    rows.push({ workload: 'NP', n, set: '-', variant: 'NetworkPolicyAgent.apply (first)', samples: [firstUs], messages: [first.messages], verified: first.mode === 'reconcile', notes: [`${first.operations.length} operations`] })

    // Pod 0 of ns-0 is selected by its namespace's policy and a peer of every tenth policy (they select its namespace); pod 1 of ns-5 is a peer of one.
    for (const [k, what] of [[0, 'target and peer of every 10th policy'], [51, 'peer of one policy']] as const) {
      progress(`NP one-pod churn (${what}) ${n}`)
      const base = state.pods[k]
      const moved = [{ ...base, ips: [`10.255.0.${k + 1}`] }, base]
      // Untimed warm-up: the first delta after a full reconcile reads the kernel once and indexes the sets.
      const tw = now()
      agent.upsert(podManifest(moved[0]))
      agent.upsert(podManifest(moved[1]))
      const warmUs = now() - tw
      const messages: number[] = []
      let elementOnly = true
      const samples = await timed(limits, (i) => {
        const r = agent.upsert(podManifest(moved[i % 2]))
        messages.push(r.messages)
        if (r.mode !== 'delta' || !r.operations.every((o) => o.object.kind === 'element')) elementOnly = false
      })
      if (samples.length % 2 === 1) agent.upsert(podManifest(moved[1])) // back where it was
      const listing = client.listSync({ table: NETPOL_TABLE })
      const inSets = listing.sets.filter((s) => s.elements.some((e) => e === base.ips[0] || (e as { key?: string }).key === base.ips[0])).length
      const verified = elementOnly && inSets > 0 && !listing.sets.some((s) => s.elements.some((e) => e === moved[0].ips[0] || (e as { key?: string }).key === moved[0].ips[0]))
      rows.push({
        workload: 'NP',
        n,
        set: '-',
        variant: `NetworkPolicyAgent.upsert (pod address; ${what})`,
        samples,
        messages,
        verified,
        notes: [elementOnly ? `one batch, element messages only; the pod is in ${inSets} sets/maps` : 'NOT element-only', `warm-up (kernel read + set indexes) ${fmt(warmUs)} untimed`],
      })
    }
  } finally {
    client.close()
  }
  return rows
}

/** A pod object back as its manifest (what a watch event carries). */
function podManifest(p: PodObject) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: p.namespace, name: p.name, labels: p.labels },
    spec: { nodeName: p.nodeName, containers: [{ name: 'c', ports: p.ports }] },
    status: { podIPs: p.ips.map((ip) => ({ ip })) },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick')
  const { table } = await import('./table.js')
  const rows = await netpol(quick ? 1000 : 10000, quick ? 100 : 1000, quick ? { ops: 20, budgetMs: 5000 } : { ops: 200, budgetMs: 60_000 }, (s) => process.stderr.write(`bench: ${s}\n`))
  console.log(table(rows))
}
