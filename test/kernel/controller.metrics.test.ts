/**
 * /metrics for a real table: ControllerMetrics reading a throwaway
 * namespace's ruleset on each scrape (a client in that namespace), served by
 * serveControllerHttp on the runner's loopback. Counter values come from a
 * declared `counter packets 5 bytes 300` and from real packets (UDP datagrams
 * sent inside the namespace), and are checked against `nft -j list ruleset`; a rule
 * deleted with nft loses its series at the next scrape. /healthz and /readyz
 * follow isReady.
 */
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type Client } from '../../lib/io/client.js'
import { type HttpHandle, serveControllerHttp } from '../../lib/controller/http.js'
import { ControllerMetrics } from '../../lib/controller/metrics.js'
import { makeNetns, type Netns } from '../helpers/netns.js'
import { loopbackUp } from '../helpers/loopback.js'
import { type Exposition, parseExposition, sampleValue, samplesOf } from '../helpers/prom-text.js'

const RULESET = `table inet gw {
  set allow {
    type ipv4_addr
    flags interval
    elements = { 10.0.0.0/8, 192.168.1.1, 192.168.2.0/24 }
  }
  chain out {
    type filter hook output priority filter; policy accept;
    ip daddr @allow counter packets 5 bytes 300 accept comment "declared"
    udp dport 9 counter comment "probes"
    meta l4proto udp counter
    tcp dport 9 accept comment "no counter"
  }
}
table ip other {
  chain c {
    counter packets 1 bytes 1 comment "not mine"
  }
}
`

const RULE = (chain: string, rule: string) => ({ family: 'inet', table: 'gw', chain, rule })

/** Counters of the `inet gw` rules as nft reports them, by comment. */
function nftCounters(ns: Netns): Map<string, { packets: number; bytes: number }> {
  const j = JSON.parse(ns.nft('-j', 'list', 'table', 'inet', 'gw')) as { nftables: { rule?: { comment?: string; expr: Record<string, { packets: number; bytes: number }>[] } }[] }
  const out = new Map<string, { packets: number; bytes: number }>()
  for (const x of j.nftables) {
    if (!x.rule) continue
    const c = x.rule.expr.find((e) => 'counter' in e)?.counter
    if (c && x.rule.comment) out.set(x.rule.comment, { packets: c.packets, bytes: c.bytes })
  }
  return out
}

describe('controller metrics over a real ruleset', () => {
  let ns: Netns
  let client: Client
  let server: HttpHandle
  let ready = false
  let reads = 0

  beforeAll(async () => {
    loopbackUp()
    ns = makeNetns('metrics')
    execFileSync('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up'])
    ns.nftFile(RULESET)
    client = createClient({ netns: ns.name })
    const metrics = new ControllerMetrics({
      readTables: () => {
        reads++
        return client.listSync({ table: 'gw' })
      },
    })
    server = await serveControllerHttp({ listen: '127.0.0.1:0', metrics, isReady: () => ready })
  })
  afterAll(async () => {
    await server?.close()
    client?.close()
    ns?.remove()
  })

  const get = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${server.port}${path}`)
    return { status: r.status, text: await r.text() }
  }
  const scrape = async (): Promise<Exposition> => {
    const r = await get('/metrics')
    expect(r.status).toBe(200)
    return parseExposition(r.text)
  }

  it('/healthz is 200 from the start; /readyz is 503 until ready, then 200', async () => {
    expect(await get('/healthz')).toEqual({ status: 200, text: 'ok\n' })
    expect((await get('/readyz')).status).toBe(503)
    ready = true
    expect(await get('/readyz')).toEqual({ status: 200, text: 'ok\n' })
  })

  it('reports the declared counter values, the set size, and nothing of other tables', async () => {
    const before = reads
    const e = await scrape()
    expect(reads).toBe(before + 1) // one read for the whole scrape
    expect(sampleValue(e, 'nftkit_rule_packets_total', RULE('out', 'declared'))).toBe(5)
    expect(sampleValue(e, 'nftkit_rule_bytes_total', RULE('out', 'declared'))).toBe(300)
    expect(sampleValue(e, 'nftkit_rule_packets_total', RULE('out', 'probes'))).toBe(0)
    // A rule without a comment is named by its handle; a rule without a counter has no series.
    const names = samplesOf(e, 'nftkit_rule_packets_total').map((s) => s.labels.rule)
    expect(names).toHaveLength(3)
    expect(names.filter((n) => /^#\d+$/.test(n))).toHaveLength(1)
    expect(names).not.toContain('no counter')
    expect(samplesOf(e, 'nftkit_rule_packets_total').some((s) => s.labels.table === 'other')).toBe(false)
    expect(sampleValue(e, 'nftkit_set_elements', { family: 'inet', table: 'gw', set: 'allow' })).toBe(3)
    const nft = nftCounters(ns)
    expect(nft.get('declared')).toEqual({ packets: 5, bytes: 300 })
  })

  it('counts real packets: three UDP datagrams of 5 bytes are 3 packets of 33 bytes (IP + UDP headers), as nft reports', async () => {
    // bash's /dev/udp: one datagram per redirection, sent from inside the namespace.
    execFileSync('ip', ['netns', 'exec', ns.name, 'bash', '-c', 'for i in 1 2 3; do printf hello > /dev/udp/127.0.0.1/9; done'])
    const e = await scrape()
    expect(sampleValue(e, 'nftkit_rule_packets_total', RULE('out', 'probes'))).toBe(3)
    expect(sampleValue(e, 'nftkit_rule_bytes_total', RULE('out', 'probes'))).toBe(3 * 33)
    expect(nftCounters(ns).get('probes')).toEqual({ packets: 3, bytes: 99 })
    // The declared counter saw none of them (127.0.0.1 is not in @allow).
    expect(sampleValue(e, 'nftkit_rule_packets_total', RULE('out', 'declared'))).toBe(5)
  })

  it('a rule deleted with nft loses its series at the next scrape; a set change shows in its size', async () => {
    const handle = /comment "probes" # handle (\d+)/.exec(ns.nft('-a', 'list', 'chain', 'inet', 'gw', 'out'))?.[1]
    expect(handle).toBeDefined()
    ns.nft('delete', 'rule', 'inet', 'gw', 'out', 'handle', handle as string)
    ns.nft('add', 'element', 'inet', 'gw', 'allow', '{ 172.16.0.1, 172.16.0.2 }')
    const e = await scrape()
    expect(samplesOf(e, 'nftkit_rule_packets_total').map((s) => s.labels.rule)).not.toContain('probes')
    expect(samplesOf(e, 'nftkit_rule_bytes_total').map((s) => s.labels.rule)).not.toContain('probes')
    expect(sampleValue(e, 'nftkit_rule_packets_total', RULE('out', 'declared'))).toBe(5)
    expect(sampleValue(e, 'nftkit_set_elements', { family: 'inet', table: 'gw', set: 'allow' })).toBe(5)
  })

  it('a table that is gone gives no series (and no read error: the listing is empty)', async () => {
    ns.nft('delete', 'table', 'inet', 'gw')
    const e = await scrape()
    expect(samplesOf(e, 'nftkit_rule_packets_total')).toEqual([])
    expect(samplesOf(e, 'nftkit_set_elements')).toEqual([])
    expect(sampleValue(e, 'nftkit_ruleset_read_errors_total')).toBe(0)
    expect(ns.ruleset()).toContain('table ip other')
  })
})
