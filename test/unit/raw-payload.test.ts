/**
 * Raw payload expressions (`@nh,16,16`): nft text parses to typed matches and
 * renders back unchanged, typed matches compile to nft's expressions (covering
 * bytes and masks for fields of part of a byte) and decode back, loads nftkit
 * cannot name list in nft's raw form, and what nftkit does not write is refused
 * by name.
 */
import { describe, expect, it } from 'vitest'
import { compileRule } from '../../lib/expr/compile.js'
import { decodeRule } from '../../lib/expr/decode.js'
import { canonicalExprs } from '../../lib/reconcile/plan.js'
import { rawTypeofKey, renderElements, renderRuleBody } from '../../lib/expr/render.js'
import { typeofSelectors, typeofUdata } from '../../lib/expr/typeof.js'
import { parseRule } from '../../lib/nft/parser.js'
import type { Family } from '../../lib/kernel/constants.js'
import type { RuleExpr } from '../../lib/model/rule-types.js'
import { itRoundTrips } from '../helpers/round-trip.js'

const compile = (exprs: readonly RuleExpr[], family: Family = 'inet') => {
  let id = 1
  return compileRule(exprs, { family, table: 't', findSet: (name) => ({ name }), nextSetId: () => id++ }, 'exprs')
}
const decode = (exprs: ReturnType<typeof compile>['exprs'], family: Family = 'inet') => decodeRule(exprs, { family, anonSet: () => undefined })

describe('raw payload: parse and render', () => {
  const same = [
    '@nh,16,16 0x1234',
    '@nh,16,16 != 0x1234',
    '@nh,16,16 0x1-0x3',
    '@nh,16,16 > 0x5',
    '@nh,16,16 { 0x1, 0x22 }',
    '@nh,16,16 vmap { 1 : accept, 2-4 : drop }',
    'ip saddr . @nh,32,32 { 1.1.1.1 . 0x14, 2.2.2.2 . 0x1e }',
    '@nh,3,5 0x3',
    '@ll,0,128 0xfedcba987654321001234567890abcde',
    '@nh,0,8 & 0x1f == 0x3',
    '@th,400,16 0x0 accept',
  ]
  for (const text of same)
    itRoundTrips(text)

  it('reads the typed form and nft spellings', () => {
    expect(parseRule('@nh,16,16 4660')).toEqual({ exprs: [{ match: '@nh,16,16', value: 4660 }] })
    expect(renderRuleBody(parseRule('@nh,16,16 4660'))).toBe('@nh,16,16 0x1234')
    // nft evaluates the transport header's ports as th sport / th dport.
    expect(renderRuleBody(parseRule('@th,16,16 { 22, 23 }'))).toBe('th dport { 22, 23 }')
    expect(renderRuleBody(parseRule('@th,0,16 1'))).toBe('th sport 1')
  })

  it('names what it does not support', () => {
    expect(() => parseRule('@ll,0,256 1')).toThrow(/does not support 'raw payload expressions of 256 bits'/)
    expect(() => parseRule('@ih,58,6 set @nh,0,8')).toThrow(/does not support '@ih,58,6 set' with an expression/)
  })
})

describe('raw payload: compile and decode', () => {
  it('loads whole bytes with no dependency and decodes what it cannot name as raw', () => {
    const c = compile([{ match: '@nh,16,16', value: 0x1234 }])
    expect(c.exprs).toEqual([
      { type: 'payload', dreg: 1, base: 1, offset: 2, len: 2 },
      { type: 'cmp', sreg: 1, op: 0, data: Buffer.from([0x12, 0x34]) },
    ])
    expect(decode(c.exprs)).toEqual([{ match: '@nh,16,16', value: 0x1234 }])
    // In an ip table nft names the same load `ip length`.
    expect(decode(c.exprs, 'ip')).toEqual([{ match: 'ip length', value: 0x1234 }])
  })

  it('loads the covering bytes of a field of part of a byte, masks and compares shifted', () => {
    const c = compile([{ match: '@ll,0,1', value: 1 }])
    expect(c.exprs).toEqual([
      { type: 'payload', dreg: 1, base: 0, offset: 0, len: 1 },
      { type: 'bitwise', sreg: 1, dreg: 1, len: 1, mask: Buffer.from([0x80]), xor: Buffer.alloc(1) },
      { type: 'cmp', sreg: 1, op: 0, data: Buffer.from([0x80]) },
    ])
    // nft lists it as the loaded bytes and the mask.
    expect(decode(c.exprs)).toEqual([{ match: '@ll,0,8', bits: [['&', 0x80]], value: 0x80 }])
    expect(renderRuleBody({ exprs: decode(c.exprs) as RuleExpr[] })).toBe('@ll,0,8 & 0x80 == 0x80')
  })

  it('splits a compare of bytes its bitfields fill, as nft lists it', () => {
    const c = compile([{ match: '@nh,8,8', value: 0xff }], 'ip')
    expect(decode(c.exprs, 'ip')).toEqual([
      { match: 'ip dscp', value: '0x3f' },
      { match: 'ip ecn', value: 'ce' },
    ])
  })

  it('lists a compare of bytes that header fields fill as one compare per field, as nft does', () => {
    const c = compile([{ match: '@nh,64,16', value: 0x0406 }], 'ip')
    expect(decode(c.exprs, 'ip')).toEqual([
      { match: 'ip ttl', value: 4 },
      { match: 'ip protocol', value: 'tcp' },
    ])
    // No context (inet): the raw form.
    expect(decode(compile([{ match: '@nh,64,16', value: 0x0406 }]).exprs)).toEqual([{ match: '@nh,64,16', value: 0x0406 }])
  })

  it('keeps 128-bit values exact', () => {
    const v = '0xfedcba987654321001234567890abcde'
    const c = compile([{ match: '@ll,0,128', value: v }])
    expect((c.exprs[1] as unknown as { data: Buffer }).data.toString('hex')).toBe(v.slice(2))
    expect(decode(c.exprs)).toEqual([{ match: '@ll,0,128', value: v }])
  })

  it('round-trips sets, verdict maps and concatenations through the listing path', () => {
    for (const exprs of [
      [{ match: '@nh,16,16', value: [1, 0x22] }],
      [{ match: '@nh,16,16', op: '!=', value: ['1-3', 0x22] }],
      [{ stmt: 'vmap', key: '@nh,16,16', map: [[1, 'accept']] }],
      [{ match: ['ip saddr', '@nh,32,32'], value: [['1.1.1.1', 0x14], ['2.2.2.2', 0x1e]] }],
      [{ stmt: 'vmap', key: ['udp length', '@th,160,128'], map: [[['47-63', '0xe373135363130333131303735353203'], 'accept']] }],
    ] as RuleExpr[][])
      expect(canonicalExprs(exprs, 'inet', 't')).toEqual(exprs)
  })

  it("writes nft's typeof userdata for a raw key and reads it back", () => {
    const u = typeofUdata(['ip saddr', '@ih,32,32'])
    expect(u).toBeDefined()
    // payload, protocol description 0, template 0, nft's base (inner = 4), offset and length in bits.
    expect(u?.toString('hex')).toContain('000400000000010400000000020404000000030420000000040420000000')
    expect(typeofSelectors(u)).toEqual(['ip saddr', '@ih,32,32'])
  })

  it('prints the elements of a set declared with a raw payload by its typeof, as nft lists them', () => {
    const types = rawTypeofKey({ typeof: ['udp length', '@ih,32,32'] })
    expect(renderElements([{ key: ['20-80', 20], value: 'accept' }], types, 'verdict')).toBe('20-80 . 0x14 : accept')
    expect(rawTypeofKey({ typeof: 'ip saddr' })).toBeUndefined()
  })

  it('refuses what it does not write by name', () => {
    expect(() => compile([{ match: ['@nh,3,5', 'ip saddr'], value: [[1, '1.1.1.1']] }])).toThrow(/does not support @nh,3,5 in a concatenation/)
    expect(() => compile([{ match: '@nh,3,5', value: 32 }])).toThrow(/0-31/)
  })
})

describe('raw payload statements', () => {
  const same = [
    '@nh,8,8 set 0x5',
    '@ll,0,48 set 0x112233445566',
    '@ih,58,6 set 0x1',
    '@nh,16,16 set @nh,16,16 & 0xffc1 | 0x1',
    '@nh,16,16 set @nh,16,16 | 0x5',
    '@nh,16,16 set @nh,16,16 ^ 0x5',
    'th dport set 9',
  ]
  for (const text of same)
    it(text, () => {
      const r = parseRule(text.replace('th dport', '@th,16,16'))
      expect(renderRuleBody(r)).toBe(text)
      expect(parseRule(renderRuleBody(r).replace('th dport', '@th,16,16'))).toEqual(r)
    })

  it('writes whole bytes from an immediate, and reads, masks and writes back part of a byte', () => {
    expect(compile([{ stmt: 'raw payload set', field: '@nh,16,16', value: 0x1234 }]).exprs).toEqual([
      { type: 'immediate', dreg: 1, data: Buffer.from([0x12, 0x34]) },
      { type: 'payload', sreg: 1, base: 1, offset: 2, len: 2 },
    ])
    expect(compile([{ stmt: 'raw payload set', field: '@nh,3,5', value: 2 }]).exprs).toEqual([
      { type: 'payload', dreg: 1, base: 1, offset: 0, len: 1 },
      { type: 'bitwise', sreg: 1, dreg: 1, len: 1, mask: Buffer.from([0xe0]), xor: Buffer.from([0x02]) },
      { type: 'payload', sreg: 1, base: 1, offset: 0, len: 1 },
    ])
  })

  it('writes inner-header fields on 16-bit words with the checksum flag, as nft does', () => {
    const c = compile([{ stmt: 'raw payload set', field: '@ih,58,6', value: 1 }])
    expect(c.exprs).toEqual([
      { type: 'payload', dreg: 1, base: 3, offset: 6, len: 2 },
      { type: 'bitwise', sreg: 1, dreg: 1, len: 2, mask: Buffer.from([0xff, 0xc0]), xor: Buffer.from([0x00, 0x01]) },
      { type: 'payload', sreg: 1, base: 3, offset: 6, len: 2, csumFlags: 1 },
    ])
    // nft lists the bytes it rewrites.
    expect(decode(c.exprs)).toEqual([{ stmt: 'raw payload set', field: '@ih,48,16', value: { from: '@ih,48,16', bits: [['&', 0xffc1], ['|', 1]] } }])
  })

  it("lists a lone mask as nft 1.0.6 prints it, and keeps the mask in the typed form", () => {
    const c = compile([{ stmt: 'raw payload set', field: '@ih,58,6', value: 0 }])
    const d = decode(c.exprs) as RuleExpr[]
    expect(d).toEqual([{ stmt: 'raw payload set', field: '@ih,48,16', value: { from: '@ih,48,16', bits: [['&', 0xffc0]] } }])
    expect(renderRuleBody({ exprs: d })).toBe('@ih,48,16 set @ih,48,16 & 0xffc0')
    expect(renderRuleBody({ exprs: d }, { listing: true })).toBe('@ih,48,16 set @ih,48,16 & 0x3f')
    expect(compile(d).exprs).toEqual(c.exprs)
  })

  it('refuses values wider than the field and other expressions', () => {
    expect(() => compile([{ stmt: 'raw payload set', field: '@nh,3,5', value: 32 }])).toThrow(/at most 5 bits/)
    expect(() => parseRule('@nh,16,16 set @nh,32,16 & 0xff')).toThrow(/does not support '@nh,16,16 set' with an expression/)
  })
})
