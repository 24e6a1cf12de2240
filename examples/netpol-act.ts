/**
 * The demo's NetworkPolicy act: the cluster of the upstream e2e tests
 * (namespaces x, y, z × pods a, b, c) on one node, NetworkPolicies enforced by
 * nftkit's NetworkPolicyAgent in the node's forward hook, the matrix before
 * and after with real packets (TCP, UDP, SCTP), every probe checked against
 * the NetworkPolicy v1 truth table, then a namespace relabelled live (one
 * batch of element deltas).
 */
import { createClient } from '../lib/io/client.js'
import { NetworkPolicyAgent } from '../lib/netpol/agent.js'
import { readClusterManifests } from '../lib/netpol/manifests.js'
import { NetpolBed } from '../test/testbed/netpol/bed.js'
import { clusterManifests, type Manifest, NODE, policy, toClusterState } from '../test/testbed/netpol/cluster.js'
import { checkMatrix, type Combo, compactMatrix, mismatchLines } from '../test/testbed/netpol/compare.js'

const COMBOS: readonly Combo[] = [
  { proto: 'tcp', port: 80 },
  { proto: 'tcp', port: 81 },
  { proto: 'udp', port: 80 },
  { proto: 'sctp', port: 81 },
]

/** What the act reports (terminal lines and the HTML report section). */
export interface NetpolActResult {
  readonly ok: boolean
  readonly before: string
  readonly after: string
  readonly relabelled: string
  readonly policies: string
  readonly summary: readonly string[]
}

/** The policies of the act: x isolated, its web pod open to namespace y on TCP 80 only; z may only talk to y; y hears SCTP 81 from teams. */
function policies(): Manifest[] {
  return [
    policy('x', 'default-deny', { podSelector: {}, policyTypes: ['Ingress'] }),
    policy('x', 'web-from-y', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 'serve-80-tcp' }] }],
    }),
    policy('z', 'egress-to-y', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] }),
    policy('y', 'sctp-from-teams', {
      podSelector: { matchLabels: { pod: 'c' } },
      ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } }], ports: [{ protocol: 'SCTP', port: 81 }] }],
    }),
  ]
}

const describePolicies = [
  'x/default-deny: every pod of x is isolated for ingress',
  'x/web-from-y: x/a hears namespace y on the named port serve-80-tcp (TCP 80) only',
  'z/egress-to-y: pods of z may only open connections to namespace y',
  'y/sctp-from-teams: y/c hears SCTP 81 from namespaces with a team label (none yet), nothing else',
]

/** Runs the act in namespaces named `<prefix>…`; always removes them. */
export async function netpolAct(prefix: string, log: (s: string) => void): Promise<NetpolActResult> {
  const bed = await NetpolBed.build('demo', prefix)
  try {
    log(`   node + 9 pods (x, y, z × a, b, c), IPv4 and IPv6, servers on TCP/UDP/SCTP 80 and 81; the table goes in the node's forward hook`)
    const plain = clusterManifests()
    const before = await checkMatrix(bed, toClusterState(plain), { families: [4] })
    const beforeText = compactMatrix(toClusterState(plain), before.results, COMBOS)
    log(`   before the policies:\n${indent(beforeText)}`)

    const agent = new NetworkPolicyAgent(createClient({ netns: bed.node }), { node: NODE })
    const manifests = [...plain, ...policies()]
    const t0 = performance.now()
    const applied = agent.apply(readClusterManifests(manifests, 'cluster.yaml'))
    const applyMs = performance.now() - t0
    for (const d of describePolicies) log(`   ${d}`)
    const state = toClusterState(manifests)
    const after = await checkMatrix(bed, state)
    const afterText = compactMatrix(state, after.results, COMBOS)
    log(`   after (${applied.mode}, ${applyMs.toFixed(1)} ms):\n${indent(afterText)}`)

    const relabelled = clusterManifests({ namespaceLabels: { z: { team: 'blue' } } })
    const zDoc = relabelled.find((m) => m.kind === 'Namespace' && (m.metadata as { name: string }).name === 'z')!
    const t1 = performance.now()
    const delta = agent.upsert(zDoc)
    const deltaMs = performance.now() - t1
    const state2 = toClusterState([...relabelled, ...policies()])
    const third = await checkMatrix(bed, state2)
    const thirdText = compactMatrix(state2, third.results, COMBOS)
    log(`   namespace z labelled team=blue: ${delta.mode}, ${delta.messages} netlink messages, ${deltaMs.toFixed(1)} ms; z -> y/c SCTP 81 now open:\n${indent(thirdText)}`)

    const probes = before.results.length + after.results.length + third.results.length
    const wrong = before.mismatches.length + after.mismatches.length + third.mismatches.length
    const summary = [
      `NetworkPolicy: ${probes} probes (3 matrices; IPv4 and IPv6 after the policies), ${wrong} differ from the NetworkPolicy v1 truth table`,
      `first apply: ${applied.mode}, ${applyMs.toFixed(1)} ms; namespace relabel: ${delta.mode}, ${delta.messages} netlink messages, ${deltaMs.toFixed(1)} ms`,
    ]
    for (const s of summary) log(`   ${s}`)
    if (wrong) log(mismatchLines([...before.mismatches, ...after.mismatches, ...third.mismatches]))
    const policiesText = await bed.nftCmd('list', 'table', 'inet', 'nftkit-netpol')
    return { ok: wrong === 0, before: beforeText, after: afterText, relabelled: thirdText, policies: policiesText, summary }
  } finally {
    await bed.destroy()
  }
}

const indent = (s: string) => s.replace(/^/gm, '     ')
