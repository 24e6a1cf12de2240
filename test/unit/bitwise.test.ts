import { describe, expect, it } from 'vitest'
import { compileRule } from '../../lib/expr/compile.js'
import { foldBits, unfoldBits } from '../../lib/expr/bitwise.js'
import { renderRuleBody } from '../../lib/expr/render.js'
import { SELECTORS } from '../../lib/expr/selectors.js'
import { parseRule } from '../../lib/nft/parser.js'

describe('bitwise expressions on a selector', () => {
  it.each([
    ['meta mark and 0x03 == 0x01', [{ match: 'meta mark', bits: [['&', 3]], value: 1 }], 'meta mark & 0x00000003 == 0x00000001'],
    ['ct mark or 0x3 != 0x1', [{ match: 'ct mark', bits: [['|', 3]], op: '!=', value: 1 }], 'ct mark | 0x00000003 != 0x00000001'],
    ['tcp flags & (syn | ack) == syn', [{ match: 'tcp flags', bits: [['&', ['syn', 'ack']]], value: 'syn' }], 'tcp flags syn / syn,ack'],
    ['tcp flags != syn / fin,syn', [{ match: 'tcp flags', bits: [['&', ['fin', 'syn']]], op: '!=', value: 'syn' }], 'tcp flags != syn / fin,syn'],
    ['tcp flags & syn == syn', [{ match: 'tcp flags', bits: [['&', 'syn']], value: 'syn' }], 'tcp flags & syn == syn'],
    ['ip saddr & 0xff == 1', [{ match: 'ip saddr', bits: [['&', '0.0.0.255']], value: '0.0.0.1' }], 'ip saddr & 0.0.0.255 == 0.0.0.1'],
    ['ip frag-off & 0x1fff != 0x0', [{ match: 'ip frag-off', bits: [['&', 8191]], op: '!=', value: 0 }], 'ip frag-off & 8191 != 0'],
    // C precedence: `&` binds tighter than `^`, and constant parts fold.
    ['meta mark & 0xf0 ^ 0x5 == 1', [{ match: 'meta mark', bits: [['&', 0xf0], ['^', 5]], value: 1 }], 'meta mark & 0x000000f0 ^ 0x00000005 == 0x00000001'],
    ['meta mark xor 0x3 and 0xf0 == 0x3', [{ match: 'meta mark', bits: [['^', 0]], value: 3 }], 'meta mark ^ 0x00000000 == 0x00000003'],
    ['meta mark & 0xff == { 1, 2 }', [{ match: 'meta mark', bits: [['&', 0xff]], value: [1, 2] }], 'meta mark & 0x000000ff == { 0x00000001, 0x00000002 }'],
    // A verdict map looked up with the masked field.
    [
      'tcp flags & (ack | urg) vmap { ack : jump a, urg : drop }',
      [{ stmt: 'vmap', key: 'tcp flags', bits: [['&', ['ack', 'urg']]], map: [['ack', { jump: 'a' }], ['urg', 'drop']] }],
      'tcp flags & (ack | urg) vmap { ack : jump a, urg : drop }',
    ],
    [
      'meta mark and 0xff00 vmap { 0x100 : accept }',
      [{ stmt: 'vmap', key: 'meta mark', bits: [['&', 0xff00]], map: [[256, 'accept']] }],
      'meta mark & 0x0000ff00 vmap { 0x00000100 : accept }',
    ],
  ])('%s', (text, exprs, rendered) => {
    const r = parseRule(text)
    expect(r.exprs).toEqual(exprs)
    expect(renderRuleBody(r)).toBe(rendered)
    expect(parseRule(rendered).exprs).toEqual(exprs)
  })

  it('folds steps into one mask and xor as nft does, moving a trailing xor to the value', () => {
    const mark = SELECTORS['meta mark']
    expect(foldBits(mark, [['&', 0xf0], ['|', 3]], 'b')).toEqual({ mask: 0xf0n, xor: 3n, emit: true })
    expect(foldBits(mark, [['^', 3]], 'b')).toEqual({ mask: 0xffffffffn, xor: 0n, transfer: 3n, emit: false })
    expect(unfoldBits(32, 0xfffffffcn, 3n)).toEqual([['|', 3n]])
    expect(unfoldBits(32, 0xf0n, 3n)).toEqual([['&', 0xf3n], ['|', 3n]])
    expect(unfoldBits(32, 0xf0n, 0x13n)).toEqual([['&', 0xf3n], ['^', 0x10n], ['|', 3n]])
  })

  it('refuses what nft reads differently', () => {
    expect(() => parseRule('meta mark << 2 == 4')).toThrow(/shifts/)
    expect(() => parseRule('0x3 & meta mark == 1')).toThrow()
  })
})

describe('mark set with an expression', () => {
  it.each([
    ['ct mark set ct mark or 0x00000001', { stmt: 'ct mark set', value: { from: 'ct mark', bits: [['|', 1]] } }, 'ct mark set ct mark | 0x00000001'],
    ['ct mark set mark', { stmt: 'ct mark set', value: { from: 'meta mark' } }, 'ct mark set meta mark'],
    ['ct mark set (meta mark | 0x10) << 8', { stmt: 'ct mark set', value: { from: 'meta mark', bits: [['|', 16], ['<<', 8]] } }, 'ct mark set (meta mark | 0x00000010) << 8'],
    ['meta mark set 0xffffffc8 xor 0x16', { stmt: 'meta mark set', value: 0xffffffde }, 'meta mark set 0xffffffde'],
    ['meta mark set ct mark', { stmt: 'meta mark set', value: 'ct mark' }, 'meta mark set ct mark'],
    ['meta mark set ct mark and 0xffff xor 0x3', { stmt: 'meta mark set', value: { from: 'ct mark', bits: [['&', 0xffff], ['^', 3]] } }, 'meta mark set ct mark & 0x0000ffff ^ 0x00000003'],
  ])('%s', (text, stmt, rendered) => {
    const r = parseRule(text)
    expect(r.exprs).toEqual([stmt])
    expect(renderRuleBody(r)).toBe(rendered)
    expect(parseRule(rendered).exprs).toEqual([stmt])
  })
})

describe('order compares of masked bits', () => {
  const compile = (text: string) => compileRule(parseRule(text).exprs, { family: 'ip', table: 't', findSet: () => undefined, nextSetId: () => 1 }, 'exprs')
  it('compile to the mask and one order compare, as nft', () => {
    const c = compile('ip saddr & 0.0.0.255 < 0.0.0.127')
    expect(c.exprs.map((e) => e.type)).toEqual(['payload', 'bitwise', 'cmp'])
    expect(c.exprs[2].op).toBe(2) // NFT_CMP_LT
    expect(renderRuleBody(parseRule('ip saddr & 0.0.0.255 < 0.0.0.127'))).toBe('ip saddr & 0.0.0.255 < 0.0.0.127')
  })
  it('refuse host-order fields and prefix masks, which nft writes or lists otherwise', () => {
    expect(() => compile('meta mark & 0xff < 0x10')).toThrow("nftkit does not support the comparison 'meta mark & ... <' yet")
    expect(() => compile('ip daddr & 255.255.0.0 >= 10.1.0.0')).toThrow('nft lists it as a prefix')
  })
})
