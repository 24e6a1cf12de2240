/**
 * NetworkPolicyAgent over the Fake: after every event of a seeded random
 * stream (pods created, moved, relabelled, deleted; namespaces relabelled;
 * policies changed), the fast pod path and the full path alike leave the
 * table exactly as a fresh compile of the agent's state declares it (the
 * planner finds nothing to do). And the pod contributions the fast path uses
 * add up to the full compile's pod-derived elements.
 */
import { describe, expect, it } from 'vitest'
import { NetworkPolicyAgent } from '../../lib/netpol/agent.js'
import { compileNetworkPolicies, sortPolicies } from '../../lib/netpol/compile.js'
import { readClusterManifests } from '../../lib/netpol/manifests.js'
import { podElements } from '../../lib/netpol/pod-elements.js'
import { plan } from '../../lib/reconcile/plan.js'
import { desiredTables } from '../../lib/state/desired.js'
import { createFakeClient } from '../../lib/testing/index.js'
import type { NamedMap, NamedSet } from '../../lib/model/objects.js'
import { list, netpol, ns, pod } from '../helpers/netpol.js'

/** A small deterministic generator (mulberry32). */
function rng(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const APPS = ['web', 'db', 'cache']
const policies = () => [
  netpol('x', 'web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }, { namespaceSelector: { matchLabels: { team: 'b' } } }], ports: [{ port: 80 }, { port: 'http' }] }] }),
  netpol('x', 'db', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ ports: [{ port: 'http' }] }, { to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }] }),
  netpol('y', 'all', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'cache' } } }] }] }),
]
const makePod = (namespace: string, i: number, r: () => number, node = r() < 0.8 ? 'n1' : 'n2') =>
  pod(namespace, `p${i}`, r() < 0.1 ? [] : [`10.0.${i >> 8}.${i & 255}`, ...(r() < 0.5 ? [`fd00::${i.toString(16)}`] : [])], { app: APPS[Math.floor(r() * APPS.length)] }, {
    node,
    ports: r() < 0.5 ? [{ name: 'http', containerPort: 8000 + (i % 3) }] : [],
  })

describe('NetworkPolicyAgent (Fake)', () => {
  it('pod contributions add up to the pod-derived elements of the full compile', () => {
    const r = rng(7)
    const pods = Array.from({ length: 60 }, (_, i) => makePod(i % 2 ? 'x' : 'y', i, r))
    const state = readClusterManifests([list(ns('x', { team: 'a' }), ns('y', { team: 'b' }), ...pods, ...policies())])
    for (const node of [undefined, 'n1']) {
      const d = compileNetworkPolicies(state, node ? { node } : {})
      const ctx = { policies: sortPolicies(state.policies), namespaceLabels: (n: string) => state.namespaces.find((x) => x.name === n)?.labels, ...(node ? { node } : {}) }
      const union = new Map<string, Set<string>>()
      for (const p of state.pods) for (const [name, els] of podElements(ctx, p).sets) for (const e of els) union.set(name, (union.get(name) ?? new Set()).add(JSON.stringify(e)))
      const derived = /-pods[46]$|-nport[46]$|^(ingress|egress)[46]$/
      const sets = d.operations.map((o) => o.object).filter((o): o is NamedSet | NamedMap => (o.kind === 'set' || o.kind === 'map') && derived.test(o.name))
      expect(sets.length).toBeGreaterThan(10)
      for (const s of sets) expect([...(union.get(s.name) ?? [])].sort()).toEqual((s.elements ?? []).map((e) => JSON.stringify(e)).sort())
      for (const name of union.keys()) expect(sets.some((s) => s.name === name)).toBe(true)
    }
  })

  it('after every event of a random stream the table is exactly what a fresh compile declares', () => {
    const r = rng(42)
    const client = createFakeClient()
    const agent = new NetworkPolicyAgent(client, { node: 'n1' })
    const pods = new Map<number, ReturnType<typeof makePod>>()
    for (let i = 0; i < 30; i++) pods.set(i, makePod(i % 2 ? 'x' : 'y', i, r))
    agent.apply(readClusterManifests([list(ns('x', { team: 'a' }), ns('y', { team: 'b' }), ...pods.values(), ...policies())]))
    const modes = new Map<string, number>()
    let next = 30
    for (let step = 0; step < 150; step++) {
      const x = r()
      let res: ReturnType<NetworkPolicyAgent['sync']>
      if (x < 0.35) {
        // Move a pod to a new address (or give it one).
        const i = Math.floor(r() * next)
        const p = pods.get(i) ?? makePod('x', i, r)
        const moved = { ...p, status: { phase: 'Running', podIPs: [{ ip: `10.9.${step}.${i & 255}` }] } }
        pods.set(i, moved)
        res = agent.upsert(moved)
      } else if (x < 0.6) {
        const i = Math.floor(r() * next)
        const p = pods.get(i)
        if (!p) continue
        const relabelled = { ...p, metadata: { ...p.metadata, labels: { app: APPS[Math.floor(r() * APPS.length)] } } }
        pods.set(i, relabelled)
        res = agent.upsert(relabelled)
      } else if (x < 0.75) {
        const p = makePod(r() < 0.5 ? 'x' : 'y', next, r)
        pods.set(next++, p)
        res = agent.upsert(p)
      } else if (x < 0.9) {
        const i = Math.floor(r() * next)
        const p = pods.get(i)
        res = agent.remove('Pod', p?.metadata.namespace ?? 'x', `p${i}`)
        pods.delete(i)
      } else if (x < 0.95) {
        res = agent.upsert(ns('y', { team: r() < 0.5 ? 'b' : 'c' }))
      } else {
        const ps = policies()
        res = agent.upsert(r() < 0.5 ? ps[0] : netpol('x', 'web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 81 }] }] }))
      }
      modes.set(res.mode, (modes.get(res.mode) ?? 0) + 1)
      if (res.mode === 'delta') expect(res.operations.every((o) => o.object.kind === 'element')).toBe(true)
      const pending = plan(desiredTables(compileNetworkPolicies(agent.state, { node: 'n1' })), client.listSync())
      expect(pending, `step ${step}`).toEqual([])
    }
    expect(modes.get('delta')).toBeGreaterThan(50)
    expect(modes.get('reconcile')).toBeGreaterThan(3)
  })
})
