/**
 * ARP, ICMP(v6) and IGMP header fields, comp flags, and the dependencies nft
 * adds for them (the icmp type before `icmp mtu`, `meta protocol arp` in
 * bridge/netdev tables): parse/render round trips, compiled shapes (checked
 * against `nft --debug=netlink`) and decode(compile(x)).
 */
import { describe, expect, it } from 'vitest'
import type { Family } from '../../lib/kernel/constants.js'
import { compileRule } from '../../lib/expr/compile.js'
import { decodeRule } from '../../lib/expr/decode.js'
import { renderRuleBody } from '../../lib/expr/render.js'
import { parseRule } from '../../lib/nft/parser.js'
import type { RuleExpr } from '../../lib/model/rule-types.js'
import { itRoundTrips } from '../helpers/round-trip.js'

const compile = (family: Family, exprs: readonly RuleExpr[]) => {
  let id = 1
  return compileRule(exprs, { family, table: 't', findSet: (name) => ({ name }), nextSetId: () => id++ }, 'exprs')
}
/** Expression kinds and the interesting fields, in order. */
const shape = (family: Family, text: string) =>
  compile(family, parseRule(text).exprs).exprs.map((e) =>
    e.type === 'payload' ? `payload ${e.base}+${e.offset}/${e.len}` : e.type === 'cmp' ? `cmp ${Buffer.from(e.data as Uint8Array).toString('hex')}` : `${e.type}${e.key !== undefined ? ` ${e.key}` : ''}`,
  )

describe('round trips of nft text', () => {
  const cases = [
    'arp htype 1',
    'arp htype != 33-45',
    'arp ptype ip',
    'arp ptype 0x1234',
    'arp hlen { 33, 55 }',
    'arp operation { request, reply, rrequest, rreply, inrequest, inreply, nak }',
    'arp operation 1-2',
    'arp operation != nak',
    'arp saddr ip 192.168.1.1 arp daddr ether fe:ed:00:c0:ff:ee',
    'arp daddr ip 4.3.2.1',
    'icmp id 22',
    'icmp sequence != 33-45',
    'icmp mtu { 33, 55 }',
    'icmp gateway 22',
    'icmp type { echo-reply, echo-request } icmp id 1 icmp sequence 2',
    'icmp code 3-66',
    'icmpv6 mtu 1280',
    'icmpv6 max-delay != 33-45',
    'icmpv6 id 1',
    'igmp type { membership-report-v1, membership-report-v2, membership-report-v3 }',
    'igmp mrt 10',
    'igmp checksum != 11-343',
    'comp flags 0x0',
    'comp flags != 0x33-0x45',
    'comp flags { 0x33, 0x55 }',
    'ether type 8021ad',
    'dccp type request',
    'dccp type != { request, syncack }',
    'dccp type 3-5',
  ]
  for (const text of cases)
    itRoundTrips(text)

  it('reads the aliases nft accepts and prints its canonical names', () => {
    expect(renderRuleBody(parseRule('icmpv6 type mld-listener-reduction'))).toBe('icmpv6 type mld-listener-done')
    expect(renderRuleBody(parseRule('ether type vlan'))).toBe('ether type 8021q')
    expect(renderRuleBody(parseRule('icmp code != { prot-unreachable, frag-needed, 33 }'))).toBe('icmp code != { prot-unreachable, frag-needed, 33 }')
    expect(renderRuleBody(parseRule('meta iiftype { ipip, sit, ipgre }'))).toBe('meta iiftype { ipip, sit, ipgre }')
  })
})

describe('compiled as nft compiles them', () => {
  it('adds icmp type destination-unreachable before icmp mtu, once', () => {
    expect(shape('ip', 'icmp mtu 33 icmp mtu 34')).toEqual([
      'meta 16', 'cmp 01', 'payload 2+0/1', 'cmp 03', 'payload 2+6/2', 'cmp 0021', 'payload 2+6/2', 'cmp 0022',
    ])
  })
  it('adds the echo set before icmp id, none after a matched echo type', () => {
    const c = compile('ip', parseRule('icmp id 22').exprs)
    expect(c.exprs.map((e) => e.type)).toEqual(['meta', 'cmp', 'payload', 'lookup', 'payload', 'cmp'])
    expect(c.sets[1].elements?.map((e) => Buffer.from(e.key as Uint8Array).toString('hex'))).toEqual(['08', '00'])
    expect(shape('ip', 'icmp type echo-reply icmp id 1')).toEqual(['meta 16', 'cmp 01', 'payload 2+0/1', 'cmp 00', 'payload 2+4/2', 'cmp 0001'])
  })
  it('refuses a field of another ICMP message than the matched one (nft: incompatible icmp match)', () => {
    expect(() => shape('ip', 'icmp type echo-request icmp mtu 2')).toThrow(/needs type 3, but this rule matches type 8/)
  })
  it('adds only meta l4proto for icmpv6 after meta nfproto ipv4 (inet) and for icmp in ip6 tables', () => {
    expect(shape('inet', 'meta nfproto ipv4 icmpv6 type echo-request')).toEqual([
      'meta 15', 'cmp 02', 'meta 16', 'cmp 3a', 'payload 2+0/1', 'cmp 80',
    ])
    expect(shape('ip6', 'icmp type echo-request')).toEqual(['meta 16', 'cmp 01', 'payload 2+0/1', 'cmp 08'])
    expect(shape('inet', 'meta l4proto icmp icmp type echo-request')).toEqual(['meta 16', 'cmp 01', 'payload 2+0/1', 'cmp 08'])
  })
  it('matches ARP fields with no dependency in arp tables and meta protocol arp in netdev tables', () => {
    expect(shape('arp', 'arp operation request')).toEqual(['payload 1+6/2', 'cmp 0001'])
    expect(shape('netdev', 'arp saddr ip 1.2.3.4')).toEqual(['meta 1', 'cmp 0806', 'payload 1+14/4', 'cmp 01020304'])
    expect(() => shape('inet', 'arp htype 1')).toThrow(/ARP header field/)
    expect(() => shape('bridge', 'ip saddr 1.2.3.4 arp htype 1')).toThrow(/already matches ip/)
  })
})

describe('dccp type, 4 bits of byte 8', () => {
  it('masks the byte and compares the shifted value, as nft does', () => {
    const c = compile('ip', parseRule('dccp type closereq').exprs)
    expect(c.exprs.map((e) => e.type)).toEqual(['meta', 'cmp', 'payload', 'bitwise', 'cmp'])
    expect(Buffer.from(c.exprs[3].mask as Uint8Array).toString('hex')).toBe('1e')
    expect(Buffer.from(c.exprs[4].data as Uint8Array).toString('hex')).toBe('0a')
    expect(decodeRule(c.exprs, { family: 'ip', anonSet: () => undefined })).toEqual([{ match: 'dccp type', value: 'closereq' }])
  })
  it('refuses values above 15', () => {
    expect(() => parseRule('dccp type 16')).toThrow(/0-15/)
  })
})

describe('decode(compile(x)) hides the dependencies nft hides', () => {
  const roundTrip = (family: Family, text: string) => decodeRule(compile(family, parseRule(text).exprs).exprs, { family, anonSet: () => undefined })
  it('hides the icmp type nft adds for icmp mtu and icmpv6 max-delay', () => {
    expect(roundTrip('ip', 'icmp mtu 33')).toEqual([{ match: 'icmp mtu', value: 33 }])
    expect(roundTrip('inet', 'icmp gateway 1')).toEqual([{ match: 'icmp gateway', value: 1 }])
    expect(roundTrip('ip6', 'icmpv6 max-delay 2')).toEqual([{ match: 'icmpv6 max-delay', value: 2 }])
  })
  it('keeps it after a statement, as nft does', () => {
    expect(roundTrip('ip', 'icmp type destination-unreachable counter icmp mtu 33')).toEqual([
      { match: 'icmp type', value: 'destination-unreachable' },
      { stmt: 'counter' },
      { match: 'icmp mtu', value: 33 },
    ])
  })
  it('keeps meta nfproto of another protocol and before igmp', () => {
    expect(roundTrip('inet', 'meta nfproto ipv4 icmpv6 type echo-request')).toEqual([
      { match: 'meta nfproto', value: 'ipv4' },
      { match: 'icmpv6 type', value: 'echo-request' },
    ])
    expect(roundTrip('inet', 'igmp type leave-group')).toEqual([
      { match: 'meta nfproto', value: 'ipv4' },
      { match: 'igmp type', value: 'leave-group' },
    ])
  })
  it('reads ARP fields in netdev tables', () => {
    expect(roundTrip('netdev', 'arp operation reply arp daddr ether fe:ed:00:c0:ff:ee')).toEqual([
      { match: 'arp operation', value: 'reply' },
      { match: 'arp daddr ether', value: 'fe:ed:00:c0:ff:ee' },
    ])
  })
})
