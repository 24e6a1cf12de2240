/**
 * Conntrack keys and statements: parse → typed form → render gives nft's
 * listing text back; compile → decode gives the typed form back.
 */
import { describe, expect, it } from 'vitest'
import { compileRule } from '../../lib/expr/compile.js'
import { decodeRule } from '../../lib/expr/decode.js'
import { renderRuleBody } from '../../lib/expr/render.js'
import type { RuleExpr } from '../../lib/model/rule-types.js'
import { parseRule } from '../../lib/nft/parser.js'

const env = { family: 'ip' as const, table: 't', findSet: (name: string) => ({ name }), nextSetId: () => 1 }
const roundTrip = (exprs: RuleExpr[]) => decodeRule(compileRule(exprs, env, 'exprs').exprs, { family: 'ip', anonSet: () => undefined })

// [written, typed, printed by nft list ruleset (nft 1.0.6)]
const CASES: Array<[string, RuleExpr[], string]> = [
  ['ct expiration 30000ms', [{ match: 'ct expiration', value: '30s' }], 'ct expiration 30s'],
  ['ct expiration != 233', [{ match: 'ct expiration', op: '!=', value: '3m53s' }], 'ct expiration != 3m53s'],
  ['ct expiration 1m-1h', [{ match: 'ct expiration', value: '60s-3600s' }], 'ct expiration 60s-3600s'],
  ['ct expiration 1500ms', [{ match: 'ct expiration', value: '1s500ms' }], 'ct expiration 1s500ms'],
  ['ct helper "ftp"', [{ match: 'ct helper', value: 'ftp' }], 'ct helper "ftp"'],
  ['ct helper != "sip"', [{ match: 'ct helper', op: '!=', value: 'sip' }], 'ct helper != "sip"'],
  ['ct id 12345', [{ match: 'ct id', value: 12345 }], 'ct id 12345'],
  ['ct label 127', [{ match: 'ct label', value: 127 }], 'ct label 127'],
  ['ct label != 1', [{ match: 'ct label', op: '!=', value: 1 }], 'ct label != 1'],
  ['ct original zone 1', [{ match: 'ct original zone', value: 1 }], 'ct original zone 1'],
  ['ct reply packets 100', [{ match: 'ct reply packets', value: 100 }], 'ct reply packets 100'],
  ['ct original ip saddr 192.168.0.1', [{ match: 'ct original ip saddr', value: '192.168.0.1' }], 'ct original ip saddr 192.168.0.1'],
  ['ct reply ip daddr 192.168.1.0/24', [{ match: 'ct reply ip daddr', value: '192.168.1.0/24' }], 'ct reply ip daddr 192.168.1.0/24'],
  ['ct original ip6 saddr ::1', [{ match: 'ct original ip6 saddr', value: '::1' }], 'ct original ip6 saddr ::1'],
  [
    'ct protocol 6 ct original proto-dst 22',
    [
      { match: 'ct protocol', value: 'tcp' },
      { match: 'ct original proto-dst', value: 22 },
    ],
    'ct protocol tcp ct original proto-dst 22',
  ],
  ['ct event set new', [{ stmt: 'ct event set', value: ['new'] }], 'ct event set new'],
  ['ct event set new | related | destroy | label', [{ stmt: 'ct event set', value: ['new', 'related', 'destroy', 'label'] }], 'ct event set new,related,destroy,label'],
  ['ct event set 1', [{ stmt: 'ct event set', value: ['new'] }], 'ct event set new'],
  ['ct event set 0x0', [{ stmt: 'ct event set', value: [] }], 'ct event set 0x0'],
  ['ct zone set 1', [{ stmt: 'ct zone set', value: 1 }], 'ct zone set 1'],
  ['ct reply zone set 300', [{ stmt: 'ct zone set', value: 300, dir: 'reply' }], 'ct reply zone set 300'],
  ['ct label set 127', [{ stmt: 'ct label set', value: 127 }], 'ct label set 127'],
  ['ct helper set "ftp-21"', [{ stmt: 'ct helper set', name: 'ftp-21' }], 'ct helper set "ftp-21"'],
  ['ct timeout set "t1"', [{ stmt: 'ct timeout set', name: 't1' }], 'ct timeout set "t1"'],
  ['ct expectation set "e"', [{ stmt: 'ct expectation set', name: 'e' }], 'ct expectation set "e"'],
  ['ct count 3', [{ stmt: 'ct count', count: 3 }], 'ct count 3'],
  ['ct count over 3', [{ stmt: 'ct count', count: 3, over: true }], 'ct count over 3'],
  ['ct state 8', [{ match: 'ct state', value: 'new' }], 'ct state new'],
]

describe('conntrack keys and statements', () => {
  for (const [text, typed, printed] of CASES) {
    it(text, () => {
      expect(parseRule(text).exprs).toEqual(typed)
      expect(renderRuleBody({ exprs: typed })).toBe(printed)
      expect(parseRule(printed).exprs).toEqual(typed)
      expect(roundTrip(typed)).toEqual(typed)
    })
  }

  it('compiles direction keys with the direction attribute, as nft does', () => {
    const [load] = compileRule([{ match: 'ct reply ip saddr', value: '1.2.3.4' }], env, 'x').exprs
    expect(load).toEqual({ type: 'ct', key: 19, dreg: 1, dir: 1 })
    const set = compileRule([{ stmt: 'ct zone set', value: 1, dir: 'original' }], env, 'x').exprs
    expect(set[1]).toEqual({ type: 'ct', key: 17, sreg: 1, dir: 0 })
  })

  it('sets the transport context with ct protocol (no meta l4proto before tcp dport), and hides it as nft lists it', () => {
    const exprs: RuleExpr[] = [
      { match: 'ct protocol', value: 'tcp' },
      { match: 'tcp dport', value: 22 },
    ]
    const out = compileRule(exprs, env, 'x').exprs
    expect(out.map((e) => e.type)).toEqual(['ct', 'cmp', 'payload', 'cmp'])
    expect(roundTrip(exprs)).toEqual([{ match: 'tcp dport', value: 22 }])
  })

  it('reads, prints and compiles ct helper set from an anonymous object map, as nft does', () => {
    const typed: RuleExpr[] = [{ stmt: 'ct helper set', key: 'tcp dport', map: [[21, 'h1'], [2121, 'h2']] }]
    expect(parseRule('ct helper set tcp dport map {21 : "h1", 2121 : "h2" }').exprs).toEqual(typed)
    expect(renderRuleBody({ exprs: typed })).toBe('ct helper set tcp dport map { 21 : "h1", 2121 : "h2" }')
    const out = compileRule(typed, env, 'x')
    expect(out.sets[0]).toMatchObject({ name: '__objmap%d', objType: 3, keyType: 13, keyLen: 2 })
    expect(out.exprs.map((e) => e.type)).toEqual(['meta', 'cmp', 'payload', 'objref'])
  })

  it('refuses what nft refuses or nftkit cannot read back', () => {
    expect(() => parseRule('ct label set foo')).toThrow(/label bit number/)
    expect(() => parseRule('ct zone set mark and 3')).toThrow(/ct zone set' with an expression/)
    expect(() => parseRule('ct helper set tcp dport map @m')).toThrow(/named object maps/)
    expect(() => parseRule('ct event set bogus')).toThrow(/conntrack event/)
    expect(() => compileRule([{ match: 'ct label', value: 128 }], env, 'x')).toThrow(/0-127/)
    expect(() => compileRule([{ match: 'ct helper', value: 'a-very-long-helper' }], env, 'x')).toThrow(/1-15 bytes/)
    expect(() => compileRule([{ stmt: 'ct zone set', value: 70000 }], env, 'x')).toThrow(/0-65535/)
    expect(() => compileRule([{ stmt: 'ct event set', value: ['bogus' as never] }], env, 'x')).toThrow(/Expected one of new/)
  })
})

describe('ct helper and ct expectation objects', () => {
  const file = `table ip t {
	ct helper h {
		comment "sip over tcp"
		type "sip" protocol tcp
		l3proto ip
	}
	ct expectation e {
		protocol udp
		dport 666
		timeout 100ms
		size 96
	}
	chain c {
		ct helper set "h"
	}
}
add ct expectation ip t e2 { protocol tcp; dport 9876; timeout 1m; size 12; l3proto ip; }
`
  it('parses declarations in table blocks and add commands', async () => {
    const { parseNft } = await import('../../lib/nft/parser.js')
    const objs = parseNft(file).operations.map((o) => o.object).filter((o) => o.kind.startsWith('ct '))
    expect(objs).toEqual([
      { kind: 'ct helper', family: 'ip', table: 't', name: 'h', comment: 'sip over tcp', type: 'sip', protocol: 'tcp', l3proto: 'ip' },
      { kind: 'ct expectation', family: 'ip', table: 't', name: 'e', protocol: 'udp', dport: 666, timeout: 100, size: 96 },
      { kind: 'ct expectation', family: 'ip', table: 't', name: 'e2', protocol: 'tcp', dport: 9876, timeout: 60000, size: 12, l3proto: 'ip' },
    ])
  })

  it('renders them as commands that parse back the same', async () => {
    const { parseNft } = await import('../../lib/nft/parser.js')
    const { renderOperation } = await import('../../lib/expr/render.js')
    for (const op of parseNft(file).operations.filter((o) => o.object.kind.startsWith('ct '))) {
      const text = renderOperation(op.verb, op.object)
      expect(parseNft(text).operations.map((o) => o.object)).toEqual([op.object])
    }
  })

  it('refuses what nft refuses', async () => {
    const { parseNft } = await import('../../lib/nft/parser.js')
    expect(() => parseNft('table ip t { ct helper h { protocol tcp } }')).toThrow(/expected 'type "NAME" protocol tcp\|udp'/)
    expect(() => parseNft('table ip t { ct expectation e { protocol tcp; dport 1 } }')).toThrow(/expected 'timeout'/)
    expect(() => parseNft('table ip t { ct timeout x { protocol tcp; } }')).toThrow(/ct timeout' objects/)
  })
})

describe('ct objects through the fake kernel', () => {
  it('lists them back as the kernel does (l3proto from the table when omitted)', async () => {
    const { createFakeClient } = await import('../../lib/testing/index.js')
    const { renderRuleset } = await import('../../lib/index.js')
    const nft = createFakeClient({ family: 'inet', table: 'f' })
    await nft.commit(
      nft
        .transaction()
        .add({ kind: 'table' })
        .add({ kind: 'ct helper', name: 'h', type: 'ftp', protocol: 'tcp' })
        .add({ kind: 'ct expectation', name: 'e', protocol: 'tcp', dport: 21, timeout: 60000, size: 4, l3proto: 'ip' })
        .add({ kind: 'chain', name: 'c' })
        .add({ kind: 'rule', chain: 'c', exprs: [{ match: 'tcp dport', value: 21 }, { stmt: 'ct helper set', name: 'h' }] }),
    )
    const l = await nft.list()
    expect(l.ctObjects).toEqual([
      { kind: 'ct helper', family: 'inet', table: 'f', name: 'h', handle: expect.any(Number), type: 'ftp', protocol: 'tcp', l3proto: 'inet' },
      { kind: 'ct expectation', family: 'inet', table: 'f', name: 'e', handle: expect.any(Number), protocol: 'tcp', dport: 21, timeout: 60000, size: 4, l3proto: 'ip' },
    ])
    expect(renderRuleset(l)).toContain('\tct helper h {\n\t\ttype "ftp" protocol tcp\n\t\tl3proto inet\n\t}')
  })
})
