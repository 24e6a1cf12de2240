/**
 * The datapath testbed itself: built from the sample inventory, every pod
 * reaches every other one with real packets; a forward chain in a consumer's
 * gateway drops and rejects what it says (prober outcomes and nft counters);
 * pods come and go; a probe stream gives a timeline across rule changes;
 * destroy leaves no namespace and no process.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  isReachable,
  listNamespaces,
  monotonicMs,
  nftCmd,
  nftIn,
  type ProbeResult,
  type ProbeSpec,
  type Proto,
  PROTOS,
  Testbed,
  testPrefix,
  verdictOf,
} from '../testbed/index.js'
import { SAMPLE_INVENTORY } from '../testbed/sample-inventory.js'

let tb: Testbed
let ownLinks: string

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const links = () => execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).replace(/\s+/g, ' ')
const reachOutcome: Record<Proto, string> = { icmp: 'reply', tcp: 'open', udp: 'open', sctp: 'open' }
const all = (from: string, to: string): ProbeSpec[] => PROTOS.map((proto) => ({ from, to, proto }))
const short = (r: ProbeResult) => `${r.from}->${r.to} ${r.proto}: ${r.outcome} ${r.errno ?? ''} ${JSON.stringify(r.icmp ?? '')} ${r.detail ?? ''}`

/** Asserts every result is the success outcome of its protocol (tcp: the token of the right pod). */
function expectReachable(results: readonly ProbeResult[]): void {
  const bad = results.filter((r) => r.outcome !== reachOutcome[r.proto] || (r.proto === 'tcp' && r.detail !== r.to))
  expect(bad.map(short)).toEqual([])
}

/** Named counters of a table in a namespace, name -> packets. */
async function counters(netns: string, table: string): Promise<Record<string, number>> {
  const json = JSON.parse(await nftCmd(netns, '-j', 'list', 'counters', 'table', 'inet', table)) as {
    nftables: { counter?: { name: string; packets: number } }[]
  }
  return Object.fromEntries(json.nftables.flatMap((o) => (o.counter ? [[o.counter.name, o.counter.packets]] : [])))
}

beforeAll(async () => {
  ownLinks = links()
  tb = await Testbed.build(SAMPLE_INVENTORY, { prefix: testPrefix() })
})

afterAll(async () => {
  await tb?.destroy()
})

describe('datapath testbed', () => {
  it('one namespace per router and pod, interfaces as named by the inventory, own namespace untouched', async () => {
    const prefix = tb.prefix
    expect(prefix.startsWith(`nftkit-t-tb-${process.pid}-`)).toBe(true)
    const want = [
      'prov',
      'gw-consumer-a',
      'home-consumer-a',
      'gw-consumer-b',
      'home-consumer-b',
      ...['p-local', 'a-web-1', 'a-web-2', 'a-db-1', 'a-client', 'b-app-1', 'b-client'].map((p) => `pod-${p}`),
    ].map((n) => prefix + n)
    expect(tb.namespaces().sort()).toEqual([...want].sort())
    const listed = await listNamespaces()
    expect(listed.filter((n) => n.startsWith(prefix)).sort()).toEqual([...want].sort())
    expect(ifnames(tb.gateway('consumer-a').netns)).toEqual(['liqo-tun-a', 'lo', 'to-prov'])
    expect(ifnames(tb.home('consumer-b').netns)).toEqual(['liqo-tunnel', 'lo', tb.pod('b-client').routerInterface].sort())
    expect(ifnames(tb.pod('a-client').netns)).toEqual(['eth0', 'lo'])
    expect(tb.pod('a-web-1')).toMatchObject({ router: tb.provider.netns, placement: { kind: 'offloaded', consumer: 'consumer-a', namespace: 'a-web' } })
    expect(tb.pod('a-client').router).toBe(tb.home('consumer-a').netns)
    expect(links()).toBe(ownLinks)
  })

  it('without a firewall every pod reaches every other pod over icmp, tcp and udp', async () => {
    const t0 = performance.now()
    const results = await tb.matrix()
    const ms = performance.now() - t0
    expect(results).toHaveLength(7 * 6 * 3)
    expectReachable(results)
    // the cross-cluster paths are part of it: home <-> provider, home A <-> home B
    for (const [a, b] of [['a-client', 'p-local'], ['a-client', 'b-client'], ['b-client', 'a-web-1']]) {
      expect(results.filter((r) => (r.from === a && r.to === b) || (r.from === b && r.to === a))).toHaveLength(6)
    }
    expect(ms).toBeLessThan(2000)
  })

  it('a forward chain in gw-a: drop times out, reject answers (icmp/udp unreachable, tcp reset), counters rise', async () => {
    const gw = tb.gateway('consumer-a')
    await nftIn(
      gw.netns,
      `table inet tb {
        counter dropped {}
        counter tcp_reset {}
        counter rejected {}
        counter prohibited {}
        chain forward {
          type filter hook forward priority filter; policy accept;
          ip daddr ${tb.pod('a-db-1').ip} counter name "dropped" drop
          ip daddr ${tb.pod('a-web-2').ip} meta l4proto tcp counter name "tcp_reset" reject with tcp reset
          ip daddr ${tb.pod('a-web-2').ip} counter name "rejected" reject
          ip daddr ${tb.pod('p-local').ip} counter name "prohibited" reject with icmpx admin-prohibited
        }
      }`,
    )
    try {
      const specs = [
        ...all('a-client', 'a-db-1'),
        ...all('a-client', 'a-web-2'),
        ...all('a-client', 'p-local'),
        ...all('a-client', 'a-web-1'),
        ...all('b-client', 'a-db-1'),
        ...all('b-client', 'a-web-2'),
        ...all('b-client', 'p-local'),
        ...all('a-web-1', 'a-db-1'),
      ]
      const t0 = performance.now()
      const r = await tb.probe(specs, { timeoutMs: 600 })
      expect(performance.now() - t0).toBeLessThan(1500)
      const pick = (to: string, proto: Proto) => r.find((x) => x.from === 'a-client' && x.to === to && x.proto === proto)!
      const gwAddrs = Object.values(gw.interfaces).map((a) => a.split('/')[0])
      for (const proto of PROTOS) expect(pick('a-db-1', proto).outcome, short(pick('a-db-1', proto))).toBe('timeout')
      expect(pick('a-web-2', 'icmp')).toMatchObject({ outcome: 'unreachable', icmp: { type: 3, code: 3 } })
      expect(pick('a-web-2', 'tcp')).toMatchObject({ outcome: 'reset', errno: 'ECONNREFUSED' })
      expect(pick('a-web-2', 'tcp').icmp).toBeUndefined()
      expect(pick('a-web-2', 'udp')).toMatchObject({ outcome: 'unreachable', errno: 'ECONNREFUSED', icmp: { type: 3, code: 3 } })
      expect(pick('p-local', 'icmp')).toMatchObject({ outcome: 'unreachable', icmp: { type: 3, code: 13 } })
      expect(pick('p-local', 'tcp')).toMatchObject({ outcome: 'unreachable', errno: 'EHOSTUNREACH', icmp: { type: 3, code: 13 } })
      expect(pick('p-local', 'udp')).toMatchObject({ outcome: 'unreachable', errno: 'EHOSTUNREACH', icmp: { type: 3, code: 13 } })
      for (const x of r.filter((x) => x.icmp)) expect(gwAddrs).toContain(x.icmp!.from)
      expect(['a-db-1', 'a-web-2', 'p-local', 'a-web-1'].map((to) => PROTOS.map((p) => verdictOf(pick(to, p))))).toEqual([
        ['drop', 'drop', 'drop'],
        ['reject', 'reject', 'reject'],
        ['reject', 'reject', 'reject'],
        ['allow', 'allow', 'allow'],
      ])
      // controls: other destinations, other consumers' gateway, provider-internal traffic
      expectReachable(r.filter((x) => x.from !== 'a-client' || x.to === 'a-web-1'))
      const c = await counters(gw.netns, 'tb')
      expect(c.dropped).toBeGreaterThanOrEqual(3)
      expect(c.tcp_reset).toBeGreaterThanOrEqual(1)
      expect(c.rejected).toBeGreaterThanOrEqual(2)
      expect(c.prohibited).toBeGreaterThanOrEqual(3)
    } finally {
      await nftCmd(gw.netns, 'delete', 'table', 'inet', 'tb')
    }
    expectReachable(await tb.probe(all('a-client', 'a-db-1')))
  })

  it('pods come and go while the testbed runs', async () => {
    const web3 = await tb.addPod({ kind: 'offloaded', consumer: 'consumer-a', namespace: 'a-web' }, { name: 'a-web-3', ip: '10.200.1.12' })
    await tb.addPod({ kind: 'local', consumer: 'consumer-b', namespace: 'b-home' }, { name: 'b-client-2', ip: '10.102.0.11' })
    await tb.addPod({ kind: 'provider', namespace: 'prov-new' }, { name: 'p-new', ip: '10.200.0.11' })
    await expect(tb.addPod({ kind: 'provider', namespace: 'x' }, { name: 'dup', ip: '10.200.0.11' })).rejects.toThrow(/already used by pod p-new/)
    await expect(tb.addPod({ kind: 'local', consumer: 'nobody', namespace: 'x' }, { name: 'x', ip: '10.9.9.9' })).rejects.toThrow(/no consumer/)
    expect(tb.inventory.provider.namespaces.map((n) => n.name)).toEqual(['prov-local', 'prov-new'])
    expect(web3.router).toBe(tb.provider.netns)
    expect(tb.inventory.consumers[0].offloaded[0].pods.map((p) => p.name)).toEqual(['a-web-1', 'a-web-2', 'a-web-3'])
    const news = ['a-web-3', 'b-client-2', 'p-new']
    const olds = ['a-client', 'b-client', 'p-local']
    expectReachable(await tb.probe([...news.flatMap((n) => olds.flatMap((o) => [...all(o, n), ...all(n, o)])), ...all('a-web-3', 'b-client-2')]))

    const gone = { 'a-web-3': tb.pod('a-web-3'), 'a-web-2': tb.pod('a-web-2') }
    const pids = tb.pids()
    await tb.removePod('a-web-3')
    await tb.removePod('a-web-2')
    expect(tb.pids().length).toBe(pids.length - 2)
    const listed = await listNamespaces()
    for (const p of Object.values(gone)) expect(listed).not.toContain(p.netns)
    expect(tb.inventory.consumers[0].offloaded[0].pods.map((p) => p.name)).toEqual(['a-web-1'])
    const r = await tb.probe(Object.values(gone).flatMap((p) => [...all('a-client', p.ip), ...all('p-local', p.ip)]), { timeoutMs: 500 })
    // prov has no route left for them: ICMP net unreachable from the provider
    // router, rate limited by the kernel (5 per source, then 1/s), so timeouts too
    expect(r.filter(isReachable).map(short)).toEqual([])
    for (const x of r) expect(['unreachable', 'timeout'], short(x)).toContain(x.outcome)
    expect(r.filter((x) => x.outcome === 'unreachable').length).toBeGreaterThanOrEqual(5)
    // the others, incl. pods sharing the router's 169.254.1.1, are unaffected
    expectReachable(await tb.probe([...all('a-client', 'a-web-1'), ...all('p-local', 'a-db-1'), ...all('b-client-2', 'a-web-1')]))
    expect(() => tb.pod('a-web-2')).toThrow(/no pod/)
  })

  it('a probe stream gives a timeline: nothing passes while a drop rule is in place', async () => {
    const gw = tb.gateway('consumer-a')
    const stream = tb.stream('a-client', PROTOS.map((proto) => ({ to: 'a-web-1', proto })), { intervalMs: 20, timeoutMs: 300 })
    await sleep(200)
    const t1 = monotonicMs()
    await nftIn(gw.netns, `table inet tb2 { chain forward { type filter hook forward priority filter; ip daddr ${tb.pod('a-web-1').ip} drop; }; }`)
    const t2 = monotonicMs()
    await sleep(250)
    const t3 = monotonicMs()
    await nftCmd(gw.netns, 'delete', 'table', 'inet', 'tb2')
    const t4 = monotonicMs()
    await sleep(200)
    const all = await stream.stop()
    const before = all.filter((r) => r.sent + r.ms < t1)
    const during = all.filter((r) => r.sent >= t2 && r.sent < t3)
    const after = all.filter((r) => r.sent >= t4)
    expect(before.length).toBeGreaterThanOrEqual(3 * 5)
    expect(during.length).toBeGreaterThanOrEqual(3 * 6)
    expect(after.length).toBeGreaterThanOrEqual(3 * 5)
    expectReachable(before)
    expect(during.filter((r) => r.outcome !== 'timeout').map(short)).toEqual([])
    expectReachable(after)
    const rounds = new Set(all.map((r) => r.round)).size
    expect(rounds).toBeGreaterThan((t4 - t1 + 400) / 20 / 2)
  })

  it('destroy kills every agent and deletes every namespace; idempotent', async () => {
    const pids = tb.pids()
    const names = tb.namespaces()
    expect(pids.length).toBe(8)
    for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(true)
    await tb.destroy()
    await tb.destroy()
    for (const pid of pids) expect(existsSync(`/proc/${pid}`), `pid ${pid}`).toBe(false)
    const listed = await listNamespaces()
    expect(listed.filter((n) => names.includes(n) || n.startsWith(tb.prefix))).toEqual([])
    expect(tb.namespaces()).toEqual([])
    expect(() => tb.matrix()).toThrow(/destroyed/)
    expect(links()).toBe(ownLinks)
  })
})

/** Interface names inside a namespace, sorted. */
function ifnames(netns: string): string[] {
  const out = execFileSync('ip', ['-n', netns, '-j', 'link', 'show'], { encoding: 'utf8' })
  return (JSON.parse(out) as { ifname: string }[]).map((l) => l.ifname).sort()
}
