import { describe, expect, it } from 'vitest'
import { renderRuleBody } from '../../lib/expr/render.js'
import type { Family } from '../../lib/kernel/constants.js'
import { parseRule } from '../../lib/nft/parser.js'
import { canonicalExprs } from '../../lib/reconcile/plan.js'
import { compileRule } from '../../lib/expr/compile.js'
import { decodeNatMapValue, encodeNatMapValue, natMapRegs } from '../../lib/expr/stmt-natmap.js'

/** Parses, renders, and compiles then decodes a rule (anonymous maps read back from the compiled set). */
function roundTrip(family: Family, text: string) {
  const parsed = parseRule(text).exprs
  const canonical = canonicalExprs(parsed, family, 't')
  return { parsed, rendered: renderRuleBody({ exprs: parsed, family }), listed: renderRuleBody({ exprs: canonical as never, family }), canonical }
}

describe('NAT to a map', () => {
  it.each([
    ['ip', 'snat to ip saddr map { 10.141.11.4 : 192.168.2.3 }'],
    ['ip', 'snat to ip saddr map @m'],
    ['ip', 'meta l4proto udp snat ip to ip saddr map { 10.141.11.4 : 192.168.2.3 . 80 }'],
    ['ip', 'snat ip to ip saddr map { 10.141.11.4 : 192.168.2.2-192.168.2.4 }'],
    ['ip', 'snat ip prefix to ip saddr map { 10.141.11.0/24 : 192.168.2.0/24 }'],
    ['ip', 'dnat ip to ip saddr . tcp dport map { 192.168.1.2 . 80 : 10.141.10.0/24 . 8888-8999 }'],
    ['ip', 'snat to ip saddr map { 10.141.0.0/24 : 192.168.0.2, * : 192.168.0.3 }'],
    ['ip', 'dnat ip to ip saddr map { 192.168.1.2 : 10.141.10.2/32 } random'],
    ['ip6', 'meta l4proto tcp dnat ip6 to ip6 saddr map { ::1 : ::2 . 80 }'],
    ['inet', 'snat ip to ip daddr map { 72.2.3.66 : 10.2.2.2, 72.2.3.67 : 10.2.3.3 }'],
  ] as Array<[Family, string]>)('%s: %s round-trips', (family, text) => {
    const r = roundTrip(family, text)
    expect(r.rendered).toBe(text)
    expect(r.listed).toBe(text)
    expect(parseRule(r.rendered).exprs).toEqual(r.parsed)
  })

  it('models the map and its values', () => {
    expect(parseRule('dnat ip to ip saddr . tcp dport map { 192.168.1.2 . 80 : 10.141.10.0/24 . 8888 - 8999 }').exprs[0]).toEqual({
      stmt: 'dnat',
      key: ['ip saddr', 'tcp dport'],
      map: [[['192.168.1.2', 80], ['10.141.10.0/24', '8888-8999']]],
      family: 'ip',
    })
  })

  it('lays the data out in registers as nft does', () => {
    expect(natMapRegs({ fam: 'ip', port: false, interval: false })).toEqual({ regAddrMin: 1 })
    expect(natMapRegs({ fam: 'ip', port: true, interval: true })).toEqual({ regAddrMin: 1, regProtoMin: 9, regAddrMax: 10, regProtoMax: 11 })
    expect(natMapRegs({ fam: 'ip6', port: true, interval: false })).toEqual({ regAddrMin: 1, regProtoMin: 2 })
    const l = { fam: 'ip', port: true, interval: true } as const
    const b = encodeNatMapValue(l, ['10.141.10.0/24', '8888-8999'], 'v')
    expect(b.toString('hex')).toBe('0a8d0a0022b800000a8d0aff23270000')
    expect(decodeNatMapValue(l, b)).toEqual(['10.141.10.0/24', '8888-8999'])
  })

  it('refuses what nft refuses or nftkit cannot lay out', () => {
    const c = (text: string, family: Family = 'ip') =>
      compileRule(parseRule(text).exprs, { family, table: 't', findSet: () => undefined, nextSetId: () => 1 }, 'rule')
    expect(() => c('snat to ip saddr map { 1.1.1.1 : 2.2.2.2 . 80 }')).toThrow(/transport protocol/)
    expect(() => c('snat to ip saddr map { 1.1.1.1 : 2.2.2.2 }', 'inet')).toThrow(/family/)
    expect(() => c('meta l4proto tcp dnat ip6 to ip6 saddr map { ::1 : ::2-::3 . 80 }', 'ip6')).toThrow(/IPv6 ranges with ports/)
  })
})

describe('dup and fwd', () => {
  const ifindex = (name: string) => (name === 'lo' ? 1 : undefined)
  const ifname = (i: number) => (i === 1 ? 'lo' : undefined)
  it.each([
    ['ip', 'dup to 192.168.2.1'],
    ['ip', 'dup to 192.168.2.1 device "lo"'],
    ['ip6', 'dup to abcd::1 device "lo"'],
    ['netdev', 'dup to "lo"'],
    ['netdev', 'fwd to "lo"'],
    ['netdev', 'fwd ip to 192.168.2.200 device "lo"'],
    ['netdev', 'fwd ip6 to abcd::1 device "lo"'],
  ] as Array<[Family, string]>)('%s: %s round-trips', async (family, text) => {
    const { decodeRule } = await import('../../lib/expr/decode.js')
    const parsed = parseRule(text).exprs
    expect(renderRuleBody({ exprs: parsed, family })).toBe(text)
    const compiled = compileRule(parsed, { family, table: 't', findSet: () => undefined, nextSetId: () => 1, ifindex }, 'rule')
    expect(renderRuleBody({ exprs: decodeRule(compiled.exprs, { family, anonSet: () => undefined, ifname }) as never, family })).toBe(text)
  })

  it('refuses maps and wrong tables', () => {
    expect(() => parseRule('dup to ip saddr map { 1.1.1.1 : 2.2.2.2 }')).toThrow(/does not support 'dup to' an expression or a map/)
    expect(() => compileRule(parseRule('fwd to "lo"').exprs, { family: 'ip', table: 't', findSet: () => undefined, nextSetId: () => 1, ifindex }, 'rule')).toThrow(/netdev/)
  })
})

describe('numgen, jhash and symhash', () => {
  it.each([
    'numgen random mod 10 3',
    'numgen inc mod 10 offset 5 7',
    'symhash mod 2 offset 100 101',
    'jhash ip saddr mod 2 seed 0x5 offset 3 4',
    'jhash tcp dport mod 2 1',
    'numgen inc mod 10 { 1, 3-5 }',
    'dnat to numgen inc mod 10 map { 0-5 : 192.168.10.100, 6-9 : 192.168.20.200 }',
    'dnat to jhash ip saddr mod 2 seed 0xdeadbeef map { 0 : 192.168.20.100, 1 : 192.168.30.100 }',
  ])('%s round-trips', (text) => {
    const r = roundTrip('ip', text)
    expect(r.rendered).toBe(text)
    expect(r.listed).toBe(text)
  })

  it('drops a zero offset as nft does', () => {
    expect(parseRule('numgen random mod 10 offset 0 3').exprs[0]).toEqual({ match: 'numgen random mod 10', value: 3 })
  })
})

describe('numgen or a hash as the NAT address', () => {
  it.each([
    ['ip', 'dnat to numgen inc mod 7 offset 167772161'],
    ['ip', 'snat to jhash ip saddr mod 2 seed 0x1 offset 100 persistent'],
    ['inet', 'dnat ip to numgen inc mod 7 offset 167772161'],
  ] as Array<[Family, string]>)('%s: %s round-trips', (family, text) => {
    const r = roundTrip(family, text)
    expect(r.rendered).toBe(text)
    expect(r.listed).toBe(text)
  })
  it('refuses other expressions', () => {
    expect(() => parseRule('dnat to ip saddr')).toThrow(/does not support 'dnat to' an expression/)
  })
})
