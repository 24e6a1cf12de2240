/**
 * ipsec (the kernel's xfrm expression): parse, render, compile and decode.
 * The bytecode is checked against nft's byte for byte by the conformance rows
 * (test/conformance/rules.ip.txt, rules.ip6.txt); these pin the pieces.
 */
import { describe, expect, it } from 'vitest'
import { compileRule } from '../../lib/expr/compile.js'
import { decodeRule } from '../../lib/expr/decode.js'
import { typeofSelectors, typeofUdata } from '../../lib/expr/typeof.js'
import { parseRule } from '../../lib/nft/parser.js'
import type { RuleExpr } from '../../lib/model/rule-types.js'
import { itRoundTrips } from '../helpers/round-trip.js'

const compile = (exprs: readonly RuleExpr[]) => {
  let id = 1
  return compileRule(exprs, { family: 'inet', table: 't', findSet: (name) => ({ name }), nextSetId: () => id++ }, 'exprs')
}

describe('ipsec: parse and render', () => {
  for (const text of [
    'ipsec in reqid 1',
    'ipsec out reqid 4294967295',
    'ipsec out spi 1-561',
    'ipsec in spnum 2 ip saddr { 1.2.3.4, 10.6.0.0/16 }',
    'ipsec in ip6 daddr dead::beef',
    'counter ipsec out ip daddr 192.168.1.2 accept',
  ])
    itRoundTrips(text)

  it('drops spnum 0 as nft does, and refuses what nft refuses', () => {
    expect(parseRule('ipsec in spnum 0 reqid 1')).toEqual({ exprs: [{ match: 'ipsec in reqid', value: 1 }] })
    expect(() => parseRule('ipsec in spnum 9 reqid 1')).toThrow("expected 'ipsec in|out [spnum 0-5] reqid|spi|ip saddr|ip daddr|ip6 saddr|ip6 daddr'")
    expect(() => parseRule('ipsec sideways reqid 1')).toThrow("expected 'ipsec in|out [spnum 0-5]")
  })
})

describe('ipsec: compile and decode', () => {
  it('loads with the xfrm expression (key, direction, secpath index), no dependency', () => {
    const c = compile([{ match: 'ipsec out spnum 1 ip6 saddr', value: 'dead::feed' }])
    expect(c.exprs[0]).toEqual({ type: 'xfrm', key: 4, dir: 1, spnum: 1, dreg: 1 })
    expect(c.exprs).toHaveLength(2)
    expect(decodeRule(c.exprs, { family: 'inet', anonSet: () => undefined })).toEqual([{ match: 'ipsec out spnum 1 ip6 saddr', value: 'dead::feed' }])
  })

  it('reqid compares in host byte order, spi in network order', () => {
    const reqid = compile([{ match: 'ipsec in reqid', value: 1 }]).exprs[1].data as Uint8Array
    const spi = compile([{ match: 'ipsec in spi', value: 1 }]).exprs[1].data as Uint8Array
    expect([...reqid]).toEqual([...new Uint8Array(new Uint32Array([1]).buffer)])
    expect([...spi]).toEqual([0, 0, 0, 1])
  })
})

describe('ipsec: typeof', () => {
  it("writes nft's xfrm description (key, spnum, direction) and reads it back", () => {
    const u = typeofUdata(['ipsec in reqid', 'meta iif'])
    expect(u).toBeDefined()
    expect(typeofSelectors(u)).toEqual(['ipsec in reqid', 'meta iif'])
    expect(typeofSelectors(typeofUdata(['ipsec out spnum 2 ip6 saddr']))).toEqual(['ipsec out spnum 2 ip6 saddr'])
  })
})
