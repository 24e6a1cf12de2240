/**
 * The exthdr rows (IPv6 extension headers, TCP options, SCTP chunks): nft text
 * parses to typed matches and renders back unchanged, typed matches compile to
 * nft's expressions (op, flags, sub-byte masks) and decode back, and what nft
 * refuses is refused.
 */
import { describe, expect, it } from 'vitest'
import { compileRule } from '../../lib/expr/compile.js'
import { decodeRule } from '../../lib/expr/decode.js'
import { canonicalExprs } from '../../lib/reconcile/plan.js'
import { renderRuleBody } from '../../lib/expr/render.js'
import { parseRule } from '../../lib/nft/parser.js'
import type { Family } from '../../lib/kernel/constants.js'
import type { RuleExpr } from '../../lib/model/rule-types.js'
import { itRoundTrips } from '../helpers/round-trip.js'

const compile = (exprs: readonly RuleExpr[], family: Family = 'ip6') => {
  let id = 1
  return compileRule(exprs, { family, table: 't', findSet: (name) => ({ name }), nextSetId: () => id++ }, 'exprs')
}

describe('exthdr: parse and render', () => {
  const same = [
    'frag id 1',
    'frag frag-off 22',
    'frag frag-off != 33-45',
    'frag frag-off { 1-2, 5 }',
    'frag more-fragments 1',
    'frag nexthdr { tcp, udp }',
    'hbh nexthdr xns-idp',
    'rt seg-left { 33, 55 }',
    'srh sid[1] dead::beef',
    'mh type home-agent-switch-message',
    'exthdr hbh exists',
    'exthdr rt != missing',
    'tcp option maxseg size 1-100',
    'tcp option sack-perm exists',
    'tcp option sack1 right 1',
    'tcp option mptcp subtype 1',
    'tcp option 6 exists',
    'tcp option maxseg size set 1360',
    'tcp option @255,8,8 255',
    'reset tcp option mptcp',
    'reset tcp option 123',
    'sctp chunk data exists',
    'ip option rr exists',
    'ip option lsrr ptr 1',
    'sctp chunk init num-inbound-streams 1',
  ]
  for (const text of same)
    itRoundTrips(text)

  it("reads nft's other spellings in canonical form", () => {
    expect(renderRuleBody(parseRule('tcp option sack0 left 1'))).toBe('tcp option sack left 1')
    expect(renderRuleBody(parseRule('tcp option 2 exists'))).toBe('tcp option maxseg exists')
    expect(renderRuleBody(parseRule('exthdr hbh 1'))).toBe('exthdr hbh exists')
    expect(renderRuleBody(parseRule('exthdr hbh == missing'))).toBe('exthdr hbh missing')
    expect(renderRuleBody(parseRule('mh type 1'))).toBe('mh type home-test-init')
    expect(renderRuleBody(parseRule('hbh nexthdr 33-45'))).toBe('hbh nexthdr 33-45')
    expect(renderRuleBody(parseRule('tcp option @2,16,16 1'))).toBe('tcp option maxseg size 1')
    expect(renderRuleBody(parseRule('reset tcp option 2'))).toBe('reset tcp option maxseg')
  })

  it('names what it does not support', () => {
    expect(() => parseRule('tcp option window count set 3')).toThrow(/does not support 'tcp option window count set'/)
    expect(() => parseRule('tcp option @6,12,4 1')).toThrow(/does not support 'tcp option'/)
    expect(() => parseRule('reset tcp option 256')).toThrow(/expected a TCP option/)
  })
})

describe('exthdr: compile and decode', () => {
  it('loads an IPv6 header field with op and flags, after the nfproto dependency in inet', () => {
    const c = compile([{ match: 'frag id', value: 1 }], 'inet')
    expect(c.exprs.slice(2)).toEqual([
      { type: 'exthdr', dreg: 1, exthdrType: 44, offset: 4, len: 4, op: 0, flags: 0 },
      { type: 'cmp', sreg: 1, op: 0, data: Buffer.from([0, 0, 0, 1]) },
    ])
    expect(decodeRule(c.exprs, { family: 'inet', anonSet: () => undefined })).toEqual([{ match: 'frag id', value: 1 }])
  })

  it('masks a sub-byte field and compares it shifted, as nft does', () => {
    const c = compile([{ match: 'frag frag-off', value: 22 }])
    expect(c.exprs).toEqual([
      { type: 'exthdr', dreg: 1, exthdrType: 44, offset: 2, len: 2, op: 0, flags: 0 },
      { type: 'bitwise', sreg: 1, dreg: 1, len: 2, mask: Buffer.from([0xff, 0xf8]), xor: Buffer.alloc(2) },
      { type: 'cmp', sreg: 1, op: 0, data: Buffer.from([0x00, 0xb0]) },
    ])
    expect(decodeRule(c.exprs, { family: 'ip6', anonSet: () => undefined })).toEqual([{ match: 'frag frag-off', value: 22 }])
  })

  it('reads a foreign compare with bits outside the field as raw', () => {
    const c = compile([{ match: 'frag frag-off', value: 22 }])
    const bad = c.exprs.map((e) => (e.type === 'cmp' ? { ...e, data: Buffer.from([0x00, 0xb1]) } : e))
    expect(decodeRule(bad, { family: 'ip6', anonSet: () => undefined })).toEqual([{ raw: bad }])
  })

  it('loads presence with NFT_EXTHDR_F_PRESENT and compares a boolean', () => {
    const c = compile([{ match: 'tcp option sack-perm', value: 'missing' }])
    expect(c.exprs).toEqual([
      { type: 'exthdr', dreg: 1, exthdrType: 4, offset: 0, len: 1, op: 1, flags: 1 },
      { type: 'cmp', sreg: 1, op: 0, data: Buffer.from([0]) },
    ])
  })

  it('decodes sets of sub-byte fields and unnamed TCP option kinds through the listing path', () => {
    for (const exprs of [
      [{ match: 'frag frag-off', value: ['1-2', 5] }],
      [{ match: 'tcp option mptcp subtype', op: '!=', value: [1, 2] }],
      [{ match: 'tcp option 6', value: 'exists' }],
      [{ match: 'tcp option @6,16,16', value: [1, 2] }],
      [{ stmt: 'reset tcp option', option: 'sack-perm' }, { stmt: 'reset tcp option', option: 200 }],
      [{ match: 'sctp chunk init-ack num-outbound-streams', value: 3 }],
      [{ match: 'mh type', value: ['home-test', 'binding-update'] }],
    ] as RuleExpr[][])
      expect(canonicalExprs(exprs, 'ip6', 't')).toEqual(exprs)
  })

  it('loads an IPv4 option after the nfproto dependency in inet', () => {
    const c = compile([{ match: 'ip option ra value', value: 0 }], 'inet')
    expect(c.exprs.slice(2)).toEqual([
      { type: 'exthdr', dreg: 1, exthdrType: 148, offset: 2, len: 2, op: 2, flags: 0 },
      { type: 'cmp', sreg: 1, op: 0, data: Buffer.from([0, 0]) },
    ])
    expect(decodeRule(c.exprs, { family: 'inet', anonSet: () => undefined })).toEqual([{ match: 'ip option ra value', value: 0 }])
  })

  it('strips an option with an exthdr of only type and op', () => {
    expect(compile([{ stmt: 'reset tcp option', option: 'mptcp' }]).exprs).toEqual([{ type: 'exthdr', exthdrType: 30, op: 1 }])
    expect(() => compile([{ stmt: 'reset tcp option', option: 'bogus' as never }])).toThrow(/Expected a TCP option/)
  })

  it('refuses values wider than the field, and IPv6 headers in ip tables', () => {
    expect(() => compile([{ match: 'frag frag-off', value: 8192 }])).toThrow(/0-8191/)
    expect(() => compile([{ match: 'frag more-fragments', value: 2 }])).toThrow(/0-1/)
    expect(() => compile([{ match: 'frag id', value: 1 }], 'ip')).toThrow(/needs ip6/)
    expect(() => compile([{ match: ['frag id', 'tcp option maxseg size'], value: [[1, 2]] }])).toThrow(/does not support frag id in a concatenation/)
    expect(() => compile([{ stmt: 'vmap', key: 'frag frag-off', map: [[1, 'accept']] }])).toThrow(/does not support frag frag-off in a verdict map key/)
  })
})
