/**
 * Number generators and hashes as mark values: parse → typed form → render
 * gives nft's listing text back; compile → decode gives the typed form back;
 * the kernel expressions are nft 1.0.6's.
 */
import { typeofSelectors, typeofUdata } from '../../lib/expr/typeof.js'
import { describe, expect, it } from 'vitest'
import { compileRule } from '../../lib/expr/compile.js'
import { decodeRule } from '../../lib/expr/decode.js'
import { renderRuleBody } from '../../lib/expr/render.js'
import type { RuleExpr } from '../../lib/model/rule-types.js'
import { parseRule } from '../../lib/nft/parser.js'

const env = { family: 'ip' as const, table: 't', findSet: (name: string) => ({ name }), nextSetId: () => 1 }
const compile = (exprs: RuleExpr[]) => compileRule(exprs, env, 'exprs').exprs
const roundTrip = (exprs: RuleExpr[]) => decodeRule(compile(exprs), { family: 'ip', anonSet: () => undefined })

const CASES: Array<[string, RuleExpr[], string]> = [
  [
    'ct mark set jhash ip saddr . ip daddr mod 2 seed 0xdeadbeef offset 100',
    [{ stmt: 'ct mark set', value: { hash: 'jhash', key: ['ip saddr', 'ip daddr'], mod: 2, seed: 0xdeadbeef, offset: 100 } }],
    'ct mark set jhash ip saddr . ip daddr mod 2 seed 0xdeadbeef offset 100',
  ],
  ['ct mark set jhash ip saddr mod 2 seed 0x0', [{ stmt: 'ct mark set', value: { hash: 'jhash', key: 'ip saddr', mod: 2, seed: 0 } }], 'ct mark set jhash ip saddr mod 2 seed 0x0'],
  ['ct mark set symhash mod 2 offset 100', [{ stmt: 'ct mark set', value: { hash: 'symhash', mod: 2, offset: 100 } }], 'ct mark set symhash mod 2 offset 100'],
  ['ct mark set numgen inc mod 2', [{ stmt: 'ct mark set', value: { numgen: 'inc', mod: 2 } }], 'ct mark set numgen inc mod 2'],
  ['mark set numgen random mod 4 offset 1', [{ stmt: 'meta mark set', value: { numgen: 'random', mod: 4, offset: 1 } }], 'meta mark set numgen random mod 4 offset 1'],
]

describe('numgen and hash mark values', () => {
  for (const [text, typed, printed] of CASES) {
    it(text, () => {
      expect(parseRule(text).exprs).toEqual(typed)
      expect(renderRuleBody({ exprs: typed })).toBe(printed)
      expect(parseRule(printed).exprs).toEqual(typed)
      expect(roundTrip(typed)).toEqual(typed)
    })
  }

  it('loads the jhash key into register 2 and the 32-bit registers after it, as nft does', () => {
    const out = compile([{ stmt: 'ct mark set', value: { hash: 'jhash', key: ['ip saddr', 'ip daddr'], mod: 2 } }])
    expect(out).toEqual([
      { type: 'payload', dreg: 2, base: 1, offset: 12, len: 4 },
      { type: 'payload', dreg: 13, base: 1, offset: 16, len: 4 },
      { type: 'hash', sreg: 2, len: 8, dreg: 1, modulus: 2, offset: 0, hashType: 0 },
      { type: 'ct', key: 3, sreg: 1 },
    ])
    expect(compile([{ stmt: 'meta mark set', value: { numgen: 'inc', mod: 2 } }])[0]).toEqual({ type: 'numgen', dreg: 1, ngType: 0, modulus: 2, offset: 0 })
  })

  it('refuses what it cannot compile', () => {
    expect(() => compile([{ stmt: 'ct mark set', value: { hash: 'symhash', key: 'ip saddr', mod: 2 } }])).toThrow(/symhash hashes the flow/)
    expect(() => compile([{ stmt: 'ct mark set', value: { numgen: 'inc', mod: 0 } }])).toThrow(/1-4294967295/)
    expect(() => parseRule('ct mark set numgen inc mod 2 map { 0 : 1 }')).toThrow(/nftkit does not support 'ct mark set' with a map keyed by numgen yet/)
  })
})

describe('numgen in typeof', () => {
  it("writes nft's numgen description (type, modulus, offset) and reads it back", () => {
    expect(typeofSelectors(typeofUdata(['numgen inc mod 2' as never]))).toEqual(['numgen inc mod 2'])
    expect(typeofSelectors(typeofUdata(['numgen random mod 16 offset 3' as never]))).toEqual(['numgen random mod 16 offset 3'])
  })
})
