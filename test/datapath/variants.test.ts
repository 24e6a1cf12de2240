/**
 * The two variants, each on its own. Consumer protection runs at a
 * consumer's own gateway and is checked with real packets: provider pods that
 * consumer did not offload cannot open connections into its cluster, while its
 * offloaded pods and its own outgoing connections still work. Leaf-to-leaf
 * isolation is applied to a kernel and read back with nft; the testbed has a
 * single provider, so there is no second leaf to send packets from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../lib/io/client.js'
import { toOperations } from '../../lib/liqo/firewall-configuration.js'
import { ruleCounters } from '../../lib/liqo/status.js'
import { applyToModel } from '../../lib/state/model.js'
import { CONSUMER_TABLE, consumerProtection, LEAF_TABLE, leafIsolation } from '../../lib/policies/generate.js'
import { reconcileSync } from '../../lib/reconcile/apply.js'
import { nftCmd, type ProbeSpec, Testbed, testPrefix } from '../testbed/index.js'
import { SAMPLE_INVENTORY } from '../testbed/sample-inventory.js'

let tb: Testbed

beforeAll(async () => {
  tb = await Testbed.build(SAMPLE_INVENTORY, { prefix: testPrefix() })
})

afterAll(async () => {
  await tb?.destroy()
})

describe('policy variants', () => {
  it('consumer protection at consumer A: provider-local and B-offloaded pods cannot connect in; A-offloaded pods and replies pass', async () => {
    const nft = createClient({ netns: tb.home('consumer-a').netns })
    try {
      const [fwc] = consumerProtection(SAMPLE_INVENTORY)
      expect(reconcileSync(nft, applyToModel(toOperations(fwc))).operations.length).toBeGreaterThan(0)
      const specs: ProbeSpec[] = ['icmp', 'tcp', 'udp'].flatMap((proto) => [
        { from: 'p-local', to: 'a-client', proto: proto as ProbeSpec['proto'] },
        { from: 'b-app-1', to: 'a-client', proto: proto as ProbeSpec['proto'] },
        { from: 'a-web-1', to: 'a-client', proto: proto as ProbeSpec['proto'] },
        { from: 'a-client', to: 'p-local', proto: proto as ProbeSpec['proto'] },
      ])
      const results = await tb.probe(specs)
      const outcome = (from: string, to: string) => results.filter((r) => r.from === from && r.to === to).map((r) => `${r.proto}:${r.outcome}`)
      expect(outcome('p-local', 'a-client')).toEqual(['icmp:timeout', 'tcp:timeout', 'udp:timeout'])
      expect(outcome('b-app-1', 'a-client')).toEqual(['icmp:timeout', 'tcp:timeout', 'udp:timeout'])
      expect(outcome('a-web-1', 'a-client')).toEqual(['icmp:reply', 'tcp:open', 'udp:open'])
      expect(outcome('a-client', 'p-local')).toEqual(['icmp:reply', 'tcp:open', 'udp:open'])
      const counters = ruleCounters(nft.listSync({ family: 'ip', table: CONSUMER_TABLE }), 'ip', CONSUMER_TABLE)
      const packets = (name: string) => counters.find((c) => c.name === name)?.packets ?? -1
      expect(packets('drop-provider-initiated')).toBeGreaterThanOrEqual(6)
      expect(packets('allow-offloaded')).toBeGreaterThanOrEqual(3)
    } finally {
      nft.close()
    }
  })

  it('leaf-to-leaf isolation applies and lists back as declared (both directions of every leaf pair)', async () => {
    const netns = tb.home('consumer-b').netns
    const nft = createClient({ netns })
    try {
      const fwc = leafIsolation({
        name: 'consumer-b',
        leaves: [
          { provider: 'provider-1', tunnelInterface: 'liqo-tunnel' },
          { provider: 'provider-2', tunnelInterface: 'liqo-tunnel-2' },
        ],
      })
      reconcileSync(nft, applyToModel(toOperations(fwc)))
      const text = (await nftCmd(netns, 'list', 'table', 'ip', LEAF_TABLE)).replace(/\s+/g, ' ')
      expect(text).toContain('iifname "liqo-tunnel" oifname "liqo-tunnel-2" counter packets 0 bytes 0 drop comment "drop-provider-1-to-provider-2"')
      expect(text).toContain('iifname "liqo-tunnel-2" oifname "liqo-tunnel" counter packets 0 bytes 0 drop comment "drop-provider-2-to-provider-1"')
      // Traffic between the one real leaf and the hub's own pods is untouched.
      const [r] = await tb.probe([{ from: 'b-client', to: 'b-app-1', proto: 'tcp' }])
      expect(r.outcome).toBe('open')
    } finally {
      nft.close()
    }
  })
})
