/**
 * NetworkPolicy updates under traffic: every pod probes every other pod
 * continuously (TCP/80, UDP/81, SCTP/80 over IPv4, TCP/81 over IPv6) while a
 * NetworkPolicyAgent in the node takes single-object events: pods and a
 * namespace relabelled, a policy replaced, policies deleted and added. Every
 * probe's outcome must be what the oracle says for a state that was declared
 * while the probe ran (the old or the new one): no probe may see a state that
 * was never declared (a half-applied change).
 */
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../lib/io/client.js'
import { NetworkPolicyAgent, type NetworkPolicyResult } from '../../lib/netpol/agent.js'
import { readClusterManifests } from '../../lib/netpol/manifests.js'
import { NetpolBed, target } from '../testbed/netpol/bed.js'
import { clusterManifests, type Manifest, NODE, POD_KEYS, type PodKey, policy, toClusterState } from '../testbed/netpol/cluster.js'
import { expected } from '../testbed/netpol/compare.js'
import { TABLE } from '../testbed/netpol/enforce.js'
import { checkTimeline, type Declared } from '../testbed/netpol/timeline.js'
import { monotonicMs, type ProbeTarget, type StreamResult } from '../testbed/probe.js'

let bed: NetpolBed
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  bed = await NetpolBed.build('npu')
}, 60_000)

afterAll(async () => {
  await bed?.destroy()
})

/** The stream targets of one source: every other pod on four protocol/port/family combinations. */
function targetsOf(from: PodKey): ProbeTarget[] {
  return POD_KEYS.filter((to) => to !== from).flatMap((to) => [
    { to: target(to, 4), proto: 'tcp' as const, port: 80 },
    { to: target(to, 4), proto: 'udp' as const, port: 81 },
    { to: target(to, 4), proto: 'sctp' as const, port: 80 },
    { to: target(to, 6), proto: 'tcp' as const, port: 81 },
  ])
}

describe('NetworkPolicy updates while traffic flows', () => {
  it('every probe is explained by a declared state (old or new), never by an undeclared one', async () => {
    const t0 = performance.now()
    const agent = new NetworkPolicyAgent(createClient({ netns: bed.node }), { table: TABLE, node: NODE })
    const podLabels: Record<string, Record<string, string>> = {}
    const namespaceLabels: Record<string, Record<string, string>> = {}
    const policies = new Map<string, Manifest>()
    const manifests = () => [...clusterManifests({ podLabels, namespaceLabels }), ...policies.values()]
    const find = (kind: string, ns: string | undefined, name: string) =>
      manifests().find((m) => {
        const md = m.metadata as { name: string; namespace?: string }
        return m.kind === kind && md.name === name && md.namespace === ns
      })!
    const put = (p: Manifest) => policies.set(`${(p.metadata as { namespace: string }).namespace}/${(p.metadata as { name: string }).name}`, p)

    const timeline: Declared[] = []
    const modes: string[] = []
    const declare = async (label: string, change: () => NetworkPolicyResult) => {
      const start = monotonicMs()
      const r = change()
      const end = monotonicMs()
      timeline.push({ label, state: toClusterState(manifests()), start, end })
      modes.push(`${label}: ${r.mode}`)
      await sleep(1000)
    }

    // s0: x/a hears only pods labelled access=yes (none yet); y hears only namespaces of team blue (none yet)
    put(policy('x', 'p1', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { access: 'yes' } } }] }] }))
    put(policy('y', 'p2', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'blue' } } }] }] }))
    await declare('initial', () => agent.apply(readClusterManifests(manifests())))

    const streams = POD_KEYS.map((from) => bed.stream(from, targetsOf(from), { intervalMs: 250, timeoutMs: 600 }))
    await sleep(1000)

    const steps: Array<[string, () => NetworkPolicyResult]> = [
      [
        'pod x/b labelled access=yes',
        () => {
          podLabels['x/b'] = { access: 'yes' }
          return agent.upsert(find('Pod', 'x', 'b'))
        },
      ],
      [
        'namespace z labelled team=blue',
        () => {
          namespaceLabels.z = { team: 'blue' }
          return agent.upsert(find('Namespace', undefined, 'z'))
        },
      ],
      [
        'policy x/p1 replaced: every namespace, port 81 only',
        () => {
          put(policy('x', 'p1', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 81 }] }] }))
          return agent.upsert(policies.get('x/p1'))
        },
      ],
      [
        'policy z/p3 added: z denies all egress',
        () => {
          put(policy('z', 'p3', { podSelector: {}, policyTypes: ['Egress'] }))
          return agent.upsert(policies.get('z/p3'))
        },
      ],
      [
        'pod x/a relabelled pod=a2 (no longer selected by x/p1)',
        () => {
          podLabels['x/a'] = { pod: 'a2' }
          return agent.upsert(find('Pod', 'x', 'a'))
        },
      ],
      [
        'policy y/p2 deleted',
        () => {
          policies.delete('y/p2')
          return agent.remove('NetworkPolicy', 'y', 'p2')
        },
      ],
      [
        'pod x/a back to pod=a (selected by x/p1 again)',
        () => {
          podLabels['x/a'] = {}
          return agent.upsert(find('Pod', 'x', 'a'))
        },
      ],
      [
        'policy z/p3 deleted',
        () => {
          policies.delete('z/p3')
          return agent.remove('NetworkPolicy', 'z', 'p3')
        },
      ],
    ]
    for (const [label, change] of steps) await declare(label, change)

    const results: StreamResult[] = (await Promise.all(streams.map((s) => s.stop()))).flat()
    const check = checkTimeline(timeline, results)

    // The test can fail: each step changes the truth of some probe target.
    const allTargets = POD_KEYS.flatMap((from) => targetsOf(from).map((t) => ({ ...t, from })))
    for (let k = 1; k < timeline.length; k++) {
      const flips = allTargets.filter((t) => expected(timeline[k - 1].state, t) !== expected(timeline[k].state, t)).length
      expect(flips, `step "${timeline[k].label}" changes nothing the stream probes`).toBeGreaterThan(0)
    }
    // Every state was seen in steady state by many probes.
    const perState = timeline.map((d, k) => results.filter((r) => r.sent > d.end + 50 && (k + 1 >= timeline.length || r.sent + r.ms < timeline[k + 1].start)).length)

    const text = [
      'NetworkPolicy updates under traffic',
      `  states declared: ${timeline.length} (${steps.length} changes through NetworkPolicyAgent)`,
      `  agent calls: ${modes.join('; ')}`,
      `  apply time per change (ms): ${timeline.map((d) => (d.end - d.start).toFixed(1)).join(', ')}`,
      `  stream probes: ${check.probes} (${check.inTransition} decided while a change was being applied: old or new state accepted)`,
      `  steady-state probes per state: ${perState.join(', ')}`,
      `  probes no declared state explains: ${check.violations.length} (steady-state mismatches: ${check.steadyMismatches})`,
      `  wall time: ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      ...check.violations
        .slice(0, 20)
        .map((v) => `  ! ${v.result.from} -> ${v.result.to} ${v.result.proto}/${v.result.port}: ${v.result.outcome} at ${v.result.sent.toFixed(1)} (states: ${v.candidates.join(' | ')})`),
    ].join('\n')
    console.log(text)
    writeFileSync(join(tmpdir(), 'nftkit-netpol-updates.txt'), `${text}\n`)

    expect(results.every((r) => r.outcome !== 'error')).toBe(true)
    expect(perState.every((n) => n > 0), `steady-state probes per state: ${perState.join(', ')}`).toBe(true)
    expect(check.violations.map((v) => `${v.result.from} -> ${v.result.to} ${v.result.proto}/${v.result.port} ${v.result.outcome} [${v.candidates.join(' | ')}]`)).toEqual([])
  }, 120_000)
})
