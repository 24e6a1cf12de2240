/**
 * GatewayAgent against the kernel: the first sync reconciles the whole
 * table, pod changes are element deltas, a foreign change found on the way
 * is repaired, and a bad inventory changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type Client, NftValidationError } from '../../lib/index.js'
import { GatewayAgent } from '../../lib/policies/agent.js'
import { PROVIDER_TABLE } from '../../lib/policies/generate.js'
import type { Inventory } from '../../lib/policies/inventory.js'
import { SAMPLE_INVENTORY } from '../testbed/sample-inventory.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

/** The sample inventory with extra pods in consumer A's a-web namespace. */
function withPods(...pods: { name: string; ip: string }[]): Inventory {
  const [a, b] = SAMPLE_INVENTORY.consumers
  return {
    ...SAMPLE_INVENTORY,
    consumers: [{ ...a, offloaded: a.offloaded.map((ns) => (ns.name === 'a-web' ? { ...ns, pods: [...ns.pods, ...pods] } : ns)) }, b],
  }
}

describe('GatewayAgent', () => {
  let ns: Netns
  let client: Client
  let agent: GatewayAgent
  const rules = () => ns.nft('list', 'chain', 'ip', PROVIDER_TABLE, 'forward')
  const elements = () => ns.nft('list', 'set', 'ip', PROVIDER_TABLE, 'offloaded-pods').replace(/\s+/g, ' ')

  beforeAll(() => {
    ns = makeNetns('agent')
    client = createClient({ netns: ns.name, family: 'ip' })
    agent = new GatewayAgent(client, 'consumer-a')
  })
  afterAll(() => {
    client?.close()
    ns?.remove()
  })

  it('first sync: the whole table in one batch; the same inventory again sends nothing', () => {
    const r = agent.sync(SAMPLE_INVENTORY)
    expect(r.mode).toBe('reconcile')
    expect(rules()).toContain('comment "allow-consumer-to-offloaded"')
    expect(elements()).toContain('elements = { 10.200.1.10, 10.200.1.11, 10.200.1.20 }')
    expect(agent.sync(SAMPLE_INVENTORY)).toMatchObject({ mode: 'delta', messages: 0 })
  })

  it('pods coming and going are element deltas: one batch, one element message each way', () => {
    expect(agent.sync(withPods({ name: 'a-web-3', ip: '10.200.1.12' }))).toMatchObject({ mode: 'delta', messages: 3 })
    expect(elements()).toContain('10.200.1.12')
    expect(agent.podRemoved('10.200.1.12')).toMatchObject({ mode: 'delta', messages: 3 })
    expect(agent.podAdded('10.200.1.13')).toMatchObject({ mode: 'delta', messages: 3 })
    expect(elements()).not.toContain('10.200.1.12')
    expect(elements()).toContain('10.200.1.13')
  })

  it('a foreign change met on the way (a rule deleted) makes the next sync repair the whole table', () => {
    const handle = /comment "reject-consumer" # handle (\d+)/.exec(ns.nft('-a', 'list', 'chain', 'ip', PROVIDER_TABLE, 'forward'))?.[1]
    expect(handle).toBeDefined()
    ns.nft('delete', 'rule', 'ip', PROVIDER_TABLE, 'forward', 'handle', String(handle))
    expect(rules()).not.toContain('comment "reject-consumer"')
    const r = agent.sync(withPods({ name: 'a-web-4', ip: '10.200.1.14' }))
    expect(r.mode).toBe('reconcile')
    expect(rules()).toContain('comment "reject-consumer"')
    expect(elements()).toContain('10.200.1.14')
    expect(elements()).not.toContain('10.200.1.13') // the inventory is the truth: podAdded's pod is not in it
  })

  it('a bad inventory is refused with its field path and changes nothing', () => {
    const before = ns.ruleset()
    const bad = withPods({ name: 'a-web-5', ip: '10.200.1.300' })
    expect(() => agent.sync(bad)).toThrow(expect.objectContaining({ name: 'NftValidationError', path: 'inventory.consumers[0].offloaded[0].pods[2].ip' }))
    expect(() => new GatewayAgent(client, 'nobody').sync(SAMPLE_INVENTORY)).toThrow(NftValidationError)
    expect(() => new GatewayAgent(client, 'consumer-a').podAdded('10.200.1.99')).toThrow(/sync\(inventory\) first/)
    expect(ns.ruleset()).toBe(before)
  })
})
