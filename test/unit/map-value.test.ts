/**
 * Statement values looked up in maps (`meta mark set ip saddr map { ... }`,
 * `ct mark set ... map @m`, `ip daddr set iifname map @m`): parse → typed
 * form → render gives nft's listing text back; compile → decode (through the
 * anonymous map's elements) gives the typed form back.
 */
import { describe, expect, it } from 'vitest'
import { compileRule } from '../../lib/expr/compile.js'
import { renderRuleBody } from '../../lib/expr/render.js'
import type { RuleExpr } from '../../lib/model/rule-types.js'
import { parseRule } from '../../lib/nft/parser.js'
import { canonicalExprs } from '../../lib/reconcile/plan.js'

// [written, typed, printed by nft list ruleset (nft 1.0.6)]
const CASES: Array<[string, RuleExpr[], string]> = [
  [
    'meta mark set ip saddr map { 1.1.1.1 : 0x00000002 }',
    [{ stmt: 'meta mark set', value: { key: 'ip saddr', map: [['1.1.1.1', 2]] } }],
    'meta mark set ip saddr map { 1.1.1.1 : 0x00000002 }',
  ],
  ['meta mark set ip daddr map @m', [{ stmt: 'meta mark set', value: { key: 'ip daddr', map: { set: 'm' } } }], 'meta mark set ip daddr map @m'],
  [
    'ct mark set ip saddr . ip daddr map @m2',
    [{ stmt: 'ct mark set', value: { key: ['ip saddr', 'ip daddr'], map: { set: 'm2' } } }],
    'ct mark set ip saddr . ip daddr map @m2',
  ],
  [
    'ct mark set tcp dport map { 22 : 1, 23 : 2 }',
    [{ stmt: 'ct mark set', value: { key: 'tcp dport', map: [[22, 1], [23, 2]] } }],
    'ct mark set tcp dport map { 22 : 0x00000001, 23 : 0x00000002 }',
  ],
  [
    'ip daddr set ip saddr map { 10.0.0.1 : 10.0.0.2 } accept',
    [{ stmt: 'payload set', key: 'ip daddr', value: { key: 'ip saddr', map: [['10.0.0.1', '10.0.0.2']] } }, { stmt: 'accept' }],
    'ip daddr set ip saddr map { 10.0.0.1 : 10.0.0.2 } accept',
  ],
  [
    'meta mark set ip saddr map { 1.1.1.1 : 1, * : 2 }',
    [{ stmt: 'meta mark set', value: { key: 'ip saddr', map: [['1.1.1.1', 1], ['*', 2]] } }],
    'meta mark set ip saddr map { 1.1.1.1 : 0x00000001, * : 0x00000002 }',
  ],
  [
    'ct zone set mark map { 1 : 1, 2 : 2 }',
    [{ stmt: 'ct zone set', value: { key: 'meta mark', map: [[1, 1], [2, 2]] } }],
    'ct zone set meta mark map { 0x00000001 : 1, 0x00000002 : 2 }',
  ],
  [
    'ct original zone set ip saddr map { 1.1.1.1 : 3 }',
    [{ stmt: 'ct zone set', value: { key: 'ip saddr', map: [['1.1.1.1', 3]] }, dir: 'original' }],
    'ct original zone set ip saddr map { 1.1.1.1 : 3 }',
  ],
  [
    'mark set ip hdrlength map { 4 : 0x00000001, 5 : 0x00000017 }',
    [{ stmt: 'meta mark set', value: { key: 'ip hdrlength', map: [[4, 1], [5, 23]] } }],
    'meta mark set ip hdrlength map { 4 : 0x00000001, 5 : 0x00000017 }',
  ],
]

describe('statement values from maps', () => {
  for (const [text, typed, printed] of CASES) {
    it(text, () => {
      expect(parseRule(text).exprs).toEqual(typed)
      expect(renderRuleBody({ exprs: typed })).toBe(printed)
      expect(parseRule(printed).exprs).toEqual(typed)
      expect(canonicalExprs(typed, 'ip', 't')).toEqual(typed)
    })
  }

  it('compiles a data map lookup into register 1 before the statement, as nft does', () => {
    const env = { family: 'ip' as const, table: 't', findSet: (name: string) => ({ name }), nextSetId: () => 7 }
    const r = compileRule([{ stmt: 'meta mark set', value: { key: 'ip saddr', map: [['1.1.1.1', 2]] } }], env, 'x')
    expect(r.exprs).toEqual([
      { type: 'payload', dreg: 1, base: 1, offset: 12, len: 4 },
      { type: 'lookup', sreg: 1, dreg: 1, set: '__map%d', setId: 7 },
      { type: 'meta', key: 3, sreg: 1 },
    ])
    // anonymous | constant | map, data type mark (19), 4 bytes
    expect(r.sets[0]).toMatchObject({ flags: 0xb, keyType: 7, keyLen: 4, dataType: 19, dataLen: 4 })
  })

  it('refuses what it cannot compile', () => {
    const env = { family: 'ip' as const, table: 't', findSet: (name: string) => ({ name }), nextSetId: () => 1 }
    expect(() => compileRule(parseRule('ip ttl set ip saddr map { 1.1.1.1 : 3 }').exprs as RuleExpr[], env, 'x')).toThrow(/'ip ttl set' with a map/)
    expect(() => compileRule(parseRule('meta mark set ip dscp . ip saddr map { cs1 . 1.1.1.1 : 3 }').exprs as RuleExpr[], env, 'x')).toThrow(/nftkit does not support ip dscp in a concatenation/)
  })
})

describe('refusals that name the feature', () => {
  const msg = (text: string) => {
    try {
      parseRule(text)
      return 'accepted'
    } catch (e) {
      return String((e as Error).message)
    }
  }
  it('names statements in anonymous set elements, maps after bitwise expressions and expressions in payload statements', () => {
    expect(msg('meta mark { 0x0000000a timeout 1s, 0x0000000b }')).toContain("nftkit does not support 'timeout' in anonymous set elements yet")
    expect(msg('tcp flags & (ack | urg) map { ack : 1 }')).toContain("nftkit does not support 'map' after a bitwise expression")
    expect(msg('tcp flags & (ack | urg) vmap @vm')).toContain("nftkit does not support 'vmap' after a bitwise expression")
    expect(msg('ip daddr set numgen inc mod 16 map { 0-7 : 10.0.1.1 }')).toBe('accepted') // numgen is a selector (natmap)
    expect(msg('ip protocol set tcp')).toBe('accepted')
  })
})

describe('meta priority / pkttype set from a map', () => {
  it('parses, renders and parses back', () => {
    const r = parseRule('meta priority set ct bytes map @m')
    expect(r.exprs).toEqual([{ stmt: 'meta set', key: 'priority', value: { key: 'ct bytes', map: { set: 'm' } } }])
    expect(parseRule(renderRuleBody({ exprs: r.exprs })).exprs).toEqual(r.exprs)
    expect(() => parseRule('meta nftrace set ip saddr map { 10.0.0.1 : 1 }')).toThrow()
  })
})
