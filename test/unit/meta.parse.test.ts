/**
 * Meta keys, relational operators and interface indexes: parse, render and
 * compile round trips (the kernel side is in conformance/rules.ip.txt).
 */
import { describe, expect, it } from 'vitest'
import { parseRule } from '../../lib/nft/parser.js'
import { renderRuleBody } from '../../lib/expr/render.js'
import { compileRule, type CompileEnv } from '../../lib/expr/compile.js'
import { decodeRule } from '../../lib/expr/decode.js'
import { interfaceNames } from '../../lib/model/interfaces.js'
import type { RuleExpr } from '../../lib/model/rule-types.js'
import { rejection } from '../helpers/rejection.js'

const env = (ifindex?: CompileEnv['ifindex']): CompileEnv => {
  let id = 1
  return { family: 'ip', table: 't', findSet: (name) => ({ name }), nextSetId: () => id++, ...(ifindex ? { ifindex } : {}) }
}
const lo = interfaceNames(() => [[1, 'lo'], [7, 'eth0']])

describe('parse and render round trips', () => {
  it.each([
    ['meta skuid lt 3000 accept', 'meta skuid < 3000 accept', { match: 'meta skuid', op: '<', value: 3000 }],
    ['meta random gt 1000000', 'meta random > 1000000', { match: 'meta random', op: '>', value: 1000000 }],
    ['tcp sport ge 1024', 'tcp sport >= 1024', { match: 'tcp sport', op: '>=', value: 1024 }],
    ['meta priority 0x87654321', 'meta priority 8765:4321', { match: 'meta priority', value: '8765:4321' }],
    ['meta priority root', 'meta priority root', { match: 'meta priority', value: 'root' }],
    ['meta priority bcad:dada-bcad:dadc', 'meta priority bcad:dada-bcad:dadc', { match: 'meta priority', value: 'bcad:dada-bcad:dadc' }],
    ['meta priority set cafe:beef', 'meta priority set cafe:beef', { stmt: 'meta set', key: 'priority', value: 'cafe:beef' }],
    ['meta nftrace set 1', 'meta nftrace set 1', { stmt: 'meta set', key: 'nftrace', value: 1 }],
    ['meta iifgroup 0', 'iifgroup "default"', { match: 'meta iifgroup', value: 'default' }],
    ['meta oifgroup {"default", 11}', 'oifgroup { "default", 11 }', { match: 'meta oifgroup', value: ['default', 11] }],
    ['meta rtclassid "cosmos"', 'meta rtclassid "cosmos"', { match: 'meta rtclassid', value: 'cosmos' }],
    ['rt classid "cosmos"', 'rt classid "cosmos"', { match: 'rt classid', value: 'cosmos' }],
    ['meta secpath missing', 'meta ipsec missing', { match: 'meta ipsec', value: 'missing' }],
    ['meta hour "17:00:00"', 'meta hour "17:00"', { match: 'meta hour', value: '17:00' }],
    ['meta hour "21:00"-"02:00"', 'meta hour "21:00"-"02:00"', { match: 'meta hour', value: '21:00-02:00' }],
    ['meta day 6', 'meta day "Saturday"', { match: 'meta day', value: 'Saturday' }],
    ['meta iif "lo"', 'iif "lo"', { match: 'meta iif', value: 'lo' }],
    ['oif 3', 'oif 3', { match: 'meta oif', value: 3 }],
    ['iifname "dummy\\*"', 'iifname "dummy\\*"', { match: 'meta iifname', value: 'dummy\\*' }],
    ['meta l4proto 33-45', 'meta l4proto 33-45', { match: 'meta l4proto', value: '33-45' }],
    ['meta protocol vlan', 'meta protocol 8021q', { match: 'meta protocol', value: '8021q' }],
  ] as Array<[string, string, RuleExpr]>)('%s', (text, printed, expr) => {
    const { exprs } = parseRule(text)
    expect(exprs).toEqual([expr, ...(text.endsWith('accept') ? [{ stmt: 'accept' }] : [])])
    const body = renderRuleBody({ exprs })
    expect(body).toBe(printed)
    expect(parseRule(body).exprs).toEqual(exprs)
  })

  it('refuses relational operators where nft compares no order', () => {
    expect(() => parseRule('ct state < new')).toThrow("'<' compares one integer")
    expect(() => parseRule('iifname > "eth0"')).toThrow("'>' compares one integer")
    expect(() => parseRule('meta skuid < { 1, 2 }')).toThrow("'<' compares one integer")
  })
})

describe('interface indexes', () => {
  const iif = (value: unknown): RuleExpr[] => [{ match: 'meta iif', value } as RuleExpr]

  it('compiles a name to its index in the target namespace, as nft does', () => {
    const out = compileRule(iif('eth0'), env((n) => lo.index(n)), 'x').exprs
    expect(out[1]).toMatchObject({ type: 'cmp', op: 0, data: Buffer.from([7, 0, 0, 0]) })
    // Concatenations and map keys too.
    expect(() => compileRule([{ match: ['meta iif', 'meta oif'], value: [['lo', 'eth0']] }], env((n) => lo.index(n)), 'x')).not.toThrow()
    expect(() => compileRule([{ stmt: 'vmap', key: ['meta iif', 'meta oif'], map: [[['lo', 'lo'], 'drop']] }], env((n) => lo.index(n)), 'x')).not.toThrow()
  })

  it('refuses a name with no interface, and names without a namespace', () => {
    expect(rejection(() => compileRule(iif('nope0'), env((n) => lo.index(n)), 'x')).reason).toContain('there is no interface "nope0"')
    expect(rejection(() => compileRule(iif('lo'), env(), 'x')).reason).toContain('interface names are resolved in the network namespace')
    expect(() => compileRule(iif(1), env(), 'x')).not.toThrow()
  })

  it('lists an index as its name, or as the number when no interface has it', () => {
    const load = { type: 'meta', key: 4, dreg: 1 } as const
    const cmp = (i: number) => ({ type: 'cmp', sreg: 1, op: 0, data: Buffer.from([i, 0, 0, 0]) }) as const
    const denv = { family: 'ip' as const, anonSet: () => undefined, ifname: (i: number) => lo.name(i) }
    expect(decodeRule([load, cmp(7)], denv)).toEqual([{ match: 'meta iif', value: 'eth0' }])
    expect(decodeRule([load, cmp(9)], denv)).toEqual([{ match: 'meta iif', value: 9 }])
  })
})
