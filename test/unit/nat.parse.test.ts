import { describe, expect, it } from 'vitest'
import { compileRule } from '../../lib/expr/compile.js'
import { decodeRule } from '../../lib/expr/decode.js'
import { renderRuleBody } from '../../lib/expr/render.js'
import type { Family } from '../../lib/kernel/constants.js'
import { parseRule } from '../../lib/nft/parser.js'

const env = (family: Family) => ({ family, table: 't', findSet: () => undefined, nextSetId: () => 1 })

/** Parses, renders, compiles and decodes a rule; returns the parsed form and the listing. */
function roundTrip(family: Family, text: string) {
  const parsed = parseRule(text)
  const compiled = compileRule(parsed.exprs, env(family), 'rule')
  const decoded = decodeRule(compiled.exprs, { family, anonSet: () => undefined })
  return { parsed: parsed.exprs, rendered: renderRuleBody({ ...parsed, family }), listed: renderRuleBody({ exprs: decoded, family }) }
}

describe('NAT flags, redirect, tproxy, synproxy, socket, fib, osf', () => {
  it('parses NAT flags into nft order', () => {
    expect(parseRule('udp dport 53 redirect persistent,fully-random,random').exprs[1]).toEqual({
      stmt: 'redirect',
      flags: ['random', 'fully-random', 'persistent'],
    })
    expect(parseRule('masquerade to :1024-2048 persistent').exprs[0]).toEqual({ stmt: 'masquerade', port: '1024-2048', flags: ['persistent'] })
    expect(parseRule('dnat to 10.0.0.1 fully-random').exprs[0]).toEqual({ stmt: 'dnat', to: '10.0.0.1', family: 'ip', flags: ['fully-random'] })
  })

  it('parses tproxy and synproxy', () => {
    expect(parseRule('meta l4proto tcp tproxy ip6 to [2001:db8::1]:50080').exprs[1]).toEqual({ stmt: 'tproxy', family: 'ip6', to: '[2001:db8::1]:50080' })
    expect(parseRule('synproxy mss 1460 wscale 5 timestamp sack-perm').exprs[0]).toEqual({
      stmt: 'synproxy',
      mss: 1460,
      wscale: 5,
      timestamp: true,
      sackPerm: true,
    })
  })

  // Listed as nft lists them (checked against nft 1.0.6).
  const CASES: ReadonlyArray<[Family, string, string?]> = [
    ['ip', 'udp dport 53 redirect random,persistent,fully-random', 'udp dport 53 redirect random,fully-random,persistent'],
    ['ip', 'tcp dport 9128 redirect to :123 random,persistent'],
    ['ip', 'ip protocol tcp redirect to :100-200'],
    ['ip6', 'redirect'],
    ['ip', 'udp dport 53 masquerade persistent,random', 'udp dport 53 masquerade random,persistent'],
    ['ip', 'meta l4proto tcp dnat to :80 random'],
    ['inet', 'meta l4proto tcp dnat to :80'],
    ['ip', 'snat to 192.168.3.0/24'],
    ['ip6', 'dnat to [2001:838:35f:1::]/64', 'dnat to 2001:838:35f:1::/64'],
    ['ip6', 'tcp dport 80-90 dnat to [2001:838:35f:1::]-[2001:838:35f:2::]:80-100'],
    ['ip', 'meta l4proto tcp tproxy to 192.0.2.1:50080'],
    ['ip6', 'meta l4proto udp tproxy to [2001:db8::1]'],
    ['inet', 'meta l4proto udp tproxy ip6 to :50080'],
    ['inet', 'meta l4proto udp tproxy to :50080'],
    ['ip', 'synproxy'],
    ['ip', 'synproxy mss 1460', 'synproxy mss 1460 wscale 0'],
    ['inet', 'synproxy wscale 7 timestamp sack-perm', 'synproxy mss 0 wscale 7 timestamp sack-perm'],
    ['ip', 'socket transparent 1'],
    ['inet', 'socket mark 0x00000005'],
    ['ip6', 'socket wildcard 0'],
    ['ip', 'fib saddr . iif oif ne 0', 'fib saddr . iif oif != 0'],
    ['inet', 'fib saddr . mark . oif oifname "lo"'],
    ['ip6', 'fib daddr . iif type local'],
    ['ip', 'fib daddr oif exists'],
    ['inet', 'fib daddr . iif oif missing'],
    ['inet', 'osf name "Linux"'],
    ['ip', 'osf ttl skip version "Linux:3.0"'],
    ['ip6', 'osf ttl loose name "Linux"'],
  ]
  for (const [family, text, listed] of CASES)
    it(`${family}: ${text}`, () => {
      const r = roundTrip(family, text)
      expect(parseRule(r.rendered).exprs).toEqual(r.parsed)
      expect(r.listed).toBe(listed ?? text)
    })

  it('refuses what nft refuses or nftkit cannot compile', () => {
    expect(() => roundTrip('inet', 'meta l4proto tcp tproxy to 192.0.2.1')).toThrow(/family/)
    expect(() => roundTrip('ip', 'tproxy to 192.0.2.1')).toThrow(/transport protocol/)
    expect(() => roundTrip('ip', 'redirect to :80')).toThrow(/transport protocol/)
    expect(() => parseRule('fib daddr oifname exists')).toThrow(/'fib daddr oifname exists'/)
    expect(() => parseRule('fib iif oif 1')).toThrow(/'fib iif oif'/)
  })
})
