/**
 * Provider protection end to end, with real packets. It starts from the
 * sample inventory on the testbed, where everything reaches everything. The
 * generated policies are then applied through nftkit (a GatewayAgent per
 * consumer gateway, the NetworkPolicy stand-in on the provider router). After
 * that, every ICMP, TCP and UDP attempt between pods ends as intended:
 * `reject` shows up as ICMP unreachable or TCP reset, `drop` as a timeout.
 * The counters of the matching rules rise. The kernel state reads back the
 * same through our dump and through `nft`. Pods come and go while traffic
 * flows, and no packet passes a state that was never declared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../lib/io/client.js'
import { toOperations } from '../../lib/liqo/firewall-configuration.js'
import { applyToModel } from '../../lib/state/model.js'
import { renderRuleset } from '../../lib/nft/ruleset.js'
import { PROVIDER_TABLE, providerProtection } from '../../lib/policies/generate.js'
import type { Inventory } from '../../lib/policies/inventory.js'
import { monotonicMs, nftCmd, type StreamResult, Testbed, testPrefix, verdictOf } from '../testbed/index.js'
import { SAMPLE_INVENTORY } from '../testbed/sample-inventory.js'
import { type Cell, Deployment, mismatches, probeMatrix } from '../testbed/scenario.js'

let tb: Testbed
let dep: Deployment | undefined

const show = (cs: readonly Cell[]) => cs.map((c) => `${c.from}->${c.to} ${c.proto}: expected ${c.expected}, got ${c.result.outcome}`)
const counter = (rs: { name: string; packets: number }[], name: string) => rs.find((r) => r.name === name)?.packets ?? -1
/** nft text with counter values and handles removed and all blank space collapsed (nft wraps long element lists). */
const normalize = (t: string) =>
  t
    .replace(/ counter packets \d+ bytes \d+/g, ' counter')
    .replace(/\s*# handle \d+/g, '')
    .replace(/\s+/g, ' ')
    .trim()

/** The inventory with one offloaded pod of consumer A removed. */
function withoutPod(inv: Inventory, name: string): Inventory {
  return {
    ...inv,
    consumers: inv.consumers.map((c) => ({ ...c, offloaded: c.offloaded.map((ns) => ({ ...ns, pods: ns.pods.filter((p) => p.name !== name) })) })),
  }
}

beforeAll(async () => {
  tb = await Testbed.build(SAMPLE_INVENTORY, { prefix: testPrefix() })
})

afterAll(async () => {
  dep?.close()
  await tb?.destroy()
})

describe('provider protection on a real datapath', () => {
  it('before the policies, everything reaches everything', async () => {
    const cells = await probeMatrix(tb, SAMPLE_INVENTORY, 'open')
    expect(cells).toHaveLength(7 * 6 * 3)
    expect(show(mismatches(cells))).toEqual([])
  })

  it('after the policies, exactly the intended matrix: reject heard at once, drop as a timeout', async () => {
    dep = new Deployment(tb, SAMPLE_INVENTORY)
    const cells = await probeMatrix(tb, SAMPLE_INVENTORY, 'protected')
    expect(show(mismatches(cells))).toEqual([])
    // Every kind of verdict is present, so the matrix checks something in each direction.
    expect(new Set(cells.map((c) => c.expected))).toEqual(new Set(['allow', 'reject', 'drop']))
    const at = (from: string, to: string, proto: string) => cells.find((c) => c.from === from && c.to === to && c.proto === proto)?.result
    // A consumer towards someone else's pod: TCP reset; ICMP admin-prohibited (type 3 code 13) from its gateway.
    expect(at('a-client', 'b-app-1', 'tcp')?.outcome).toBe('reset')
    for (const proto of ['icmp', 'udp']) {
      const r = at('a-client', 'b-app-1', proto)
      expect(r?.outcome).toBe('unreachable')
      expect(r?.icmp).toMatchObject({ type: 3, code: 13 })
    }
    // The provider's own pod cannot open connections into a consumer: silence.
    for (const proto of ['icmp', 'tcp', 'udp']) expect(at('p-local', 'a-client', proto)?.outcome).toBe('timeout')
    // A consumer reaches its own offloaded pods, and they reach home.
    expect(at('a-client', 'a-db-1', 'tcp')).toMatchObject({ outcome: 'open', detail: 'a-db-1' })
    expect(at('a-web-1', 'a-client', 'udp')?.outcome).toBe('open')
  })

  it('the counters of the rules that matched rose (our dump), and nft lists the declared rules', async () => {
    if (!dep) throw new Error('policies not deployed')
    const a = dep.gatewayCounters('consumer-a')
    for (const name of ['allow-established', 'allow-consumer-to-offloaded', 'allow-offloaded-to-consumer', 'reject-consumer-tcp', 'reject-consumer'])
      expect(counter(a, name), name).toBeGreaterThan(0)
    expect(counter(a, 'allow-not-tunnel')).toBe(0) // the gateway only carries tunnel traffic
    expect(counter(dep.cniCounters(), 'a-web-egress-denied')).toBeGreaterThan(0)
    // nft reads back what was declared, rule for rule, in order.
    for (const [i, c] of SAMPLE_INVENTORY.consumers.entries()) {
      const listed = await nftCmd(tb.gateway(c.name).netns, 'list', 'table', 'ip', PROVIDER_TABLE)
      expect(normalize(listed)).toBe(normalize(renderRuleset(applyToModel(toOperations(providerProtection(SAMPLE_INVENTORY)[i])))))
    }
  })

  it('pods come and go while traffic flows: one small batch each, never a packet through an undeclared state', async () => {
    if (!dep) throw new Error('policies not deployed')
    const fresh = { name: 'a-web-3', ip: '10.200.1.12' }
    await tb.addPod({ kind: 'offloaded', consumer: 'consumer-a', namespace: 'a-web' }, fresh)
    // `sent` is taken just before the probe's connect(); a loaded machine may
    // run the syscall later, never earlier. So a probe whose outcome arrived
    // (sent + ms) before a commit began met the old state, and one sent after
    // the commit returned met the new one; no slack is needed either way.
    const done = (r: StreamResult) => r.sent + r.ms
    const show = (rs: StreamResult[], t: number) => JSON.stringify(rs.map((r) => [Math.round(r.sent - t), r.outcome]))
    const stream = tb.stream(
      'a-client',
      [
        { to: fresh.ip, proto: 'tcp' },
        { to: '10.200.1.11', proto: 'tcp' }, // a-web-2, about to go
        { to: 'b-app-1', proto: 'tcp' }, // never A's
      ],
      { intervalMs: 15, timeoutMs: 300 },
    )
    // Each phase lasts until enough probes to each address were sent in it
    // (at least 300 ms; longer on a loaded machine, whose stream runs slower).
    const settled = async (ip: string, since: number) => {
      for (const t0 = monotonicMs(); ; ) {
        await new Promise((r) => setTimeout(r, 20))
        const n = stream.results.filter((r) => r.ip === ip && r.sent > since).length
        if ((n >= 10 && monotonicMs() - t0 >= 300) || monotonicMs() - t0 > 10_000) return
      }
    }
    const start = monotonicMs()
    await settled(fresh.ip, start)
    const added0 = monotonicMs()
    const added = dep.sync(tb.inventory)
    const added1 = monotonicMs()
    await settled(fresh.ip, added1)
    const removed0 = monotonicMs()
    const removed = dep.sync(withoutPod(tb.inventory, 'a-web-2'))
    const removed1 = monotonicMs()
    await settled('10.200.1.11', removed1)
    const results = await stream.stop()
    await tb.removePod('a-web-2')

    // Each change was an element delta of consumer A's set only: one batch, BEGIN + one element message + END.
    expect(added.gateways.get('consumer-a')).toMatchObject({ mode: 'delta', messages: 3 })
    expect(added.gateways.get('consumer-b')).toMatchObject({ mode: 'delta', messages: 0 })
    expect(removed.gateways.get('consumer-a')).toMatchObject({ mode: 'delta', messages: 3 })

    const of = (ip: string) => results.filter((r: StreamResult) => r.ip === ip)
    const allowed = (r: StreamResult) => verdictOf(r) === 'allow'
    const newPod = of(fresh.ip)
    const gone = of('10.200.1.11')
    expect(newPod.length).toBeGreaterThan(20)
    // The new pod: refused before its element was committed, open after.
    const early = newPod.filter((r) => done(r) < added0)
    expect(early.filter(allowed).length, show(newPod, added0)).toBe(0)
    expect(early.length).toBeGreaterThan(5)
    expect(newPod.filter((r) => r.sent > added1 && !allowed(r)).length, show(newPod, added1)).toBe(0)
    // The removed pod: open before, closed from the moment its removal was committed.
    expect(gone.filter((r) => done(r) < removed0 && !allowed(r)).length, show(gone, removed0)).toBe(0)
    expect(gone.filter((r) => r.sent > removed1 && allowed(r)).length, show(gone, removed1)).toBe(0)
    expect(gone.filter((r) => r.sent > removed1).length).toBeGreaterThan(5)
    // Consumer B's pod was never open to consumer A.
    expect(of('10.200.2.10').filter(allowed)).toEqual([])

    // Read back: our dump and nft agree on the set.
    const listed = createClient({ netns: tb.gateway('consumer-a').netns }).listSync({ family: 'ip', table: PROVIDER_TABLE })
    expect([...(listed.sets[0].elements as string[])].sort()).toEqual(['10.200.1.10', '10.200.1.12', '10.200.1.20'])
    expect(normalize(await nftCmd(tb.gateway('consumer-a').netns, 'list', 'set', 'ip', PROVIDER_TABLE, 'offloaded-pods'))).toContain(
      'elements = { 10.200.1.10, 10.200.1.12, 10.200.1.20 }',
    )
  })
})
