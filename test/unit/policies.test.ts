/**
 * The provider-protection generator and the inventory checks, without a
 * kernel: what the generated FirewallConfigurations say (as nft text), that
 * they pass the FirewallConfiguration validator, and that every bad inventory
 * is refused with its field path.
 */
import { describe, expect, it } from 'vitest'
import { SAMPLE_INVENTORY } from '../testbed/sample-inventory.js'
import { toOperations, validate } from '../../lib/liqo/firewall-configuration.js'
import { applyToModel } from '../../lib/state/model.js'
import { renderRuleset } from '../../lib/nft/ruleset.js'
import {
  consumerProtection,
  leafIsolation,
  networkPolicies,
  offloadedDeltas,
  providerProtection,
} from '../../lib/policies/generate.js'
import type { Inventory } from '../../lib/policies/inventory.js'
import { InventoryError, readInventory, validateInventory } from '../../lib/policies/validate-inventory.js'

const text = (f: ReturnType<typeof providerProtection>[number]) =>
  renderRuleset(applyToModel(toOperations(f)))
    .split('\n')
    .map((l) => l.trim().replace(/ counter packets 0 bytes 0/, ' counter'))
    .filter(Boolean)

describe('providerProtection', () => {
  it('one default-deny table per consumer gateway: privileged rules first, then the offloaded-pod allow-list', () => {
    const [a, b] = providerProtection(SAMPLE_INVENTORY)
    expect(a.metadata?.labels).toEqual({
      'networking.liqo.io/firewall-category': 'gateway',
      'networking.liqo.io/firewall-subcategory': 'provider-protection',
      'networking.liqo.io/firewall-unique': 'consumer-a',
    })
    expect(text(a)).toEqual([
      'table ip liqo-provider-protection {',
      'set offloaded-pods {',
      'type ipv4_addr',
      'elements = { 10.200.1.10, 10.200.1.11, 10.200.1.20 }',
      '}',
      'chain forward {',
      'type filter hook forward priority filter; policy drop;',
      'ct state established,related counter accept comment "allow-established"',
      'iifname != "liqo-tun-a" oifname != "liqo-tun-a" counter accept comment "allow-not-tunnel"',
      'iifname "liqo-tun-a" ip daddr @offloaded-pods counter accept comment "allow-consumer-to-offloaded"',
      'oifname "liqo-tun-a" ip saddr @offloaded-pods ip daddr 10.101.0.0/16 counter accept comment "allow-offloaded-to-consumer"',
      'iifname "liqo-tun-a" meta l4proto tcp counter reject with tcp reset comment "reject-consumer-tcp"',
      'iifname "liqo-tun-a" counter reject with icmp admin-prohibited comment "reject-consumer"',
      '}',
      '}',
    ])
    expect(text(b)).toContain('elements = { 10.200.2.10 }')
    for (const f of [a, b]) expect(validate(f)).toEqual([])
  })

  it('options: drop instead of reject, filtering every interface, control-plane peers allowed before everything generated', () => {
    const inv: Inventory = {
      ...SAMPLE_INVENTORY,
      consumers: [{ ...SAMPLE_INVENTORY.consumers[0], gateway: { tunnelInterface: 'liqo-tun-a', controlPlane: ['172.31.0.1'] } }],
    }
    const [a] = providerProtection(inv, { deny: 'drop', tunnelOnly: false })
    const t = text(a)
    expect(t.filter((l) => l.includes('comment')).map((l) => /comment "(.*)"/.exec(l)?.[1])).toEqual([
      'allow-established',
      'allow-control-plane-in',
      'allow-control-plane-out',
      'allow-consumer-to-offloaded',
      'allow-offloaded-to-consumer',
    ])
    expect(t).toContain('elements = { 172.31.0.1 }')
    expect(validate(a)).toEqual([])
  })

  it('a consumer with no offloaded pod yet gets an empty allow-list (everything it tries is refused)', () => {
    const inv: Inventory = { ...SAMPLE_INVENTORY, consumers: [{ ...SAMPLE_INVENTORY.consumers[1], offloaded: [] }] }
    const [b] = providerProtection(inv)
    expect(validate(b)).toEqual([])
    expect(text(b).join('\n')).not.toContain('elements')
  })
})

describe('variants', () => {
  it('consumer protection: only offloaded pods may open connections through the tunnel', () => {
    const [a] = consumerProtection(SAMPLE_INVENTORY)
    expect(validate(a)).toEqual([])
    expect(text(a).filter((l) => l.includes('comment'))).toEqual([
      'ct state established,related counter accept comment "allow-established"',
      'iifname "liqo-tunnel" ip saddr @offloaded-pods counter accept comment "allow-offloaded"',
      'iifname "liqo-tunnel" counter drop comment "drop-provider-initiated"',
    ])
  })

  it('leaf-to-leaf isolation: every ordered pair of leaf tunnels is dropped', () => {
    const f = leafIsolation({
      name: 'hub',
      leaves: [
        { provider: 'p1', tunnelInterface: 'tun-p1' },
        { provider: 'p2', tunnelInterface: 'tun-p2' },
        { provider: 'p3', tunnelInterface: 'tun-p3' },
      ],
    })
    expect(validate(f)).toEqual([])
    const rules = text(f).filter((l) => l.includes('comment'))
    expect(rules).toHaveLength(6)
    expect(rules[0]).toBe('iifname "tun-p1" oifname "tun-p2" counter drop comment "drop-p1-to-p2"')
  })

  it('network policies: egress of each offloaded namespace only to the same consumer (namespaces and home CIDR)', () => {
    const nps = networkPolicies(SAMPLE_INVENTORY)
    expect(nps.map((n) => n.metadata.namespace)).toEqual(['a-web', 'a-db', 'b-app'])
    expect(nps[2].spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { 'liqo.io/origin-cluster-id': 'consumer-b' } } }, { ipBlock: { cidr: '10.102.0.0/16' } }] }],
    })
  })
})

describe('offloadedDeltas', () => {
  it('pods coming and going become per-consumer element deltas', () => {
    const after: Inventory = {
      ...SAMPLE_INVENTORY,
      consumers: [
        {
          ...SAMPLE_INVENTORY.consumers[0],
          offloaded: [{ name: 'a-web', pods: [{ name: 'a-web-1', ip: '10.200.1.10' }, { name: 'a-web-3', ip: '10.200.1.12' }] }],
        },
        SAMPLE_INVENTORY.consumers[1],
      ],
    }
    expect(offloadedDeltas(SAMPLE_INVENTORY, after)).toEqual([{ consumer: 'consumer-a', add: ['10.200.1.12'], remove: ['10.200.1.11', '10.200.1.20'] }])
    expect(offloadedDeltas(SAMPLE_INVENTORY, SAMPLE_INVENTORY)).toEqual([])
    expect(offloadedDeltas(SAMPLE_INVENTORY, { ...SAMPLE_INVENTORY, consumers: [SAMPLE_INVENTORY.consumers[0]] })).toEqual([
      { consumer: 'consumer-b', add: [], remove: ['10.200.2.10'] },
    ])
  })
})

describe('validateInventory', () => {
  it('accepts the sample', () => {
    expect(validateInventory(SAMPLE_INVENTORY)).toEqual([])
  })

  const cases: [string, (inv: Record<string, unknown>) => void, string, RegExp][] = [
    ['bad pod IP', (i) => ((i.consumers as never[])[0] as { offloaded: { pods: { ip: string }[] }[] }).offloaded[0].pods.splice(0, 1, { ip: '10.200.1.300', name: 'x' } as never), 'consumers[0].offloaded[0].pods[0].ip', /IPv4/],
    ['pod outside its CIDR', (i) => ((i.consumers as never[])[0] as { local: { pods: unknown[] }[] }).local[0].pods.push({ name: 'y', ip: '10.200.9.9' }), 'consumers[0].local[0].pods[1].ip', /outside/],
    ['duplicate pod IP', (i) => ((i.consumers as never[])[1] as { offloaded: { pods: unknown[] }[] }).offloaded[0].pods.push({ name: 'z', ip: '10.200.1.10' }), 'consumers[1].offloaded[0].pods[1].ip', /already used by consumers\[0\]\.offloaded\[0\]\.pods\[0\]/],
    ['host bits in a CIDR', (i) => Object.assign(i.provider as object, { podCIDR: '10.200.0.5/16' }), 'provider.podCIDR', /host bits set: did you mean 10\.200\.0\.0\/16/],
    ['overlapping CIDRs', (i) => Object.assign((i.consumers as object[])[1], { podCIDR: '10.101.128.0/17' }), 'consumers[1].podCIDR', /overlaps consumers\[0\]\.podCIDR/],
    ['tunnel name too long', (i) => Object.assign((i.consumers as object[])[0], { gateway: { tunnelInterface: 'a-very-long-tunnel0' } }), 'consumers[0].gateway.tunnelInterface', /15 bytes/],
    ['unknown field', (i) => Object.assign(i.provider as object, { podCidr: 'x' }), 'provider.podCidr', /unknown field/],
    ['bad name', (i) => Object.assign((i.consumers as object[])[0], { name: 'Consumer_A' }), 'consumers[0].name', /DNS label/],
    ['duplicate namespace', (i) => ((i.provider as { namespaces: unknown[] }).namespaces as unknown[]).push({ name: 'a-web', pods: [] }), 'consumers[0].offloaded[0].name', /already declared at provider.namespaces\[1\]/],
  ]
  it.each(cases)('%s', (_, mutate, path, message) => {
    const inv = structuredClone(SAMPLE_INVENTORY) as unknown as Record<string, unknown>
    mutate(inv)
    const problems = validateInventory(inv)
    expect(problems).toContainEqual({ path, message: expect.stringMatching(message) })
  })

  it('readInventory names the file and every problem; YAML syntax errors too', () => {
    expect(() => readInventory('provider: {name: p, podCIDR: 10.0.0.1/8, namespaces: []}\nconsumers: []\n', 'inv.yaml')).toThrow(InventoryError)
    let err: unknown
    try {
      readInventory('provider: {name: p, podCIDR: 10.0.0.1/8, namespaces: []}\nconsumers: [{}]\n', 'inv.yaml')
    } catch (e) {
      err = e
    }
    // file:line:col of the field, or of the closest one there for a missing field.
    expect((err as InventoryError).problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['inv.yaml:1:30: provider.podCIDR', 'inv.yaml:2:13: consumers[0].name', 'inv.yaml:2:13: consumers[0].gateway']),
    )
    expect(() => readInventory('provider: [', 'x.yaml')).toThrow(/x\.yaml/)
    expect(readInventory(JSON.stringify(SAMPLE_INVENTORY))).toEqual(SAMPLE_INVENTORY)
  })
})
