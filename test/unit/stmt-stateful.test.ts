/**
 * limit, quota and log statements: parse → typed form → render gives nft's
 * listing text back; compile → decode gives the typed form back.
 */
import { describe, expect, it } from 'vitest'
import { compileRule } from '../../lib/expr/compile.js'
import { decodeRule } from '../../lib/expr/decode.js'
import { renderRuleBody } from '../../lib/expr/render.js'
import { byteText } from '../../lib/expr/stmt-stateful.js'
import type { RuleExpr } from '../../lib/model/rule-types.js'
import { parseRule } from '../../lib/nft/parser.js'
import { plan } from '../../lib/reconcile/plan.js'

const env = { family: 'ip' as const, table: 't', findSet: (name: string) => ({ name }), nextSetId: () => 1 }
const roundTrip = (exprs: RuleExpr[]) => decodeRule(compileRule(exprs, env, 'exprs').exprs, { family: 'ip', anonSet: () => undefined })

// [written, typed, printed by nft list ruleset (nft 1.0.6)]
const CASES: Array<[string, RuleExpr, string]> = [
  ['limit rate 1025 kbytes/second', { stmt: 'limit', rate: 1049600, per: 'second', bytes: true }, 'limit rate 1025 kbytes/second'],
  ['limit rate 1 kbytes / second', { stmt: 'limit', rate: 1024, per: 'second', bytes: true }, 'limit rate 1 kbytes/second'],
  ['limit rate 2048 kbytes/minute', { stmt: 'limit', rate: 2097152, per: 'minute', bytes: true }, 'limit rate 2 mbytes/minute'],
  [
    'limit rate over 1025 kbytes/second burst 1023 kbytes',
    { stmt: 'limit', rate: 1049600, per: 'second', bytes: true, burst: 1047552, over: true },
    'limit rate over 1025 kbytes/second burst 1023 kbytes',
  ],
  ['limit rate 1025 bytes/second burst 512 bytes', { stmt: 'limit', rate: 1025, per: 'second', bytes: true, burst: 512 }, 'limit rate 1025 bytes/second burst 512 bytes'],
  ['limit rate 400/minute burst 5 packets', { stmt: 'limit', rate: 400, per: 'minute' }, 'limit rate 400/minute'],
  ['limit rate over 10/second burst 20 packets', { stmt: 'limit', rate: 10, per: 'second', burst: 20, over: true }, 'limit rate over 10/second burst 20 packets'],
  ['limit name "lim1"', { stmt: 'limit', name: 'lim1' }, 'limit name "lim1"'],
  ['quota 1025 kbytes', { stmt: 'quota', bytes: 1049600 }, 'quota 1025 kbytes'],
  ['quota over 1023000 mbytes', { stmt: 'quota', bytes: 1023000 * 1048576, over: true }, 'quota over 1023000 mbytes'],
  ['quota 2048 bytes used 2 kbytes', { stmt: 'quota', bytes: 2048, used: 2048 }, 'quota 2 kbytes used 2 kbytes'],
  ['quota name "q"', { stmt: 'quota', name: 'q' }, 'quota name "q"'],
  ['counter name "c"', { stmt: 'counter', name: 'c' }, 'counter name "c"'],
  ['log group 2 prefix "nft-test: "', { stmt: 'log', prefix: 'nft-test: ', group: 2 }, 'log prefix "nft-test: " group 2'],
  ['log prefix aaaaa-aaaaaa group 2 snaplen 33', { stmt: 'log', prefix: 'aaaaa-aaaaaa', group: 2, snaplen: 33 }, 'log prefix "aaaaa-aaaaaa" group 2 snaplen 33'],
  ['log group 2 queue-threshold 2', { stmt: 'log', group: 2, queueThreshold: 2 }, 'log group 2 queue-threshold 2'],
  ['log level warn', { stmt: 'log' }, 'log'],
  ['log flags all', { stmt: 'log', flags: 'all' }, 'log flags all'],
  ['log flags ip options flags ether flags skuid flags tcp sequence,options', { stmt: 'log', flags: 'all' }, 'log flags all'],
  ['log flags tcp options,sequence', { stmt: 'log', flags: ['tcp sequence', 'tcp options'] }, 'log flags tcp sequence,options'],
  [
    'log level debug flags skuid flags ip options',
    { stmt: 'log', level: 'debug', flags: ['ip options', 'skuid'] },
    'log level debug flags ip options flags skuid',
  ],
  ['counter bytes 1024 packets 1', { stmt: 'counter', packets: 1, bytes: 1024 }, 'counter packets 1 bytes 1024'],
]

describe('stateful statements', () => {
  for (const [text, typed, printed] of CASES) {
    it(text, () => {
      expect(parseRule(text).exprs).toEqual([typed])
      expect(renderRuleBody({ exprs: [typed] })).toBe(printed)
      expect(parseRule(printed).exprs).toEqual([typed])
      expect(roundTrip([typed])).toEqual([typed])
    })
  }

  it('object maps: counter/quota/limit name KEY map { k : "obj" }', () => {
    const text = 'counter name tcp dport map { 443 : "c1", 80 : "c2" }'
    const typed = { stmt: 'counter', key: 'tcp dport', map: [[443, 'c1'], [80, 'c2']] }
    expect(parseRule(text).exprs).toEqual([typed])
    expect(renderRuleBody({ exprs: [typed as RuleExpr] })).toBe(text)
    const c = compileRule([typed as RuleExpr], env, 'x')
    expect(c.sets[0]).toMatchObject({ kind: 'set', name: '__objmap%d', flags: 0x43, objType: 1, keyLen: 2 })
    expect(c.sets[1].elements?.map((e) => e.objref)).toEqual(['c1', 'c2'])
    expect(c.exprs.at(-1)).toMatchObject({ type: 'objref', sreg: 1, set: '__objmap%d' })
    const q = parseRule('quota name ip saddr . tcp dport map { 10.0.0.1 . 22 : "q" }').exprs
    expect(q).toEqual([{ stmt: 'quota', key: ['ip saddr', 'tcp dport'], map: [[['10.0.0.1', 22], 'q']] }])
    // A named object map: the objref names the set, the statement's kind is the map's.
    const named = { stmt: 'limit', key: 'tcp dport', map: { set: 'm' } }
    expect(parseRule('limit name tcp dport map @m').exprs).toEqual([named])
    expect(renderRuleBody({ exprs: [named as RuleExpr] })).toBe('limit name tcp dport map @m')
    expect(compileRule([named as RuleExpr], env, 'x').exprs.at(-1)).toEqual({ type: 'objref', sreg: 1, set: 'm' })
    // Ranges and prefixes make an interval object map (nft's flags 0x47), as anonymous sets.
    const r = compileRule([{ stmt: 'counter', key: 'tcp dport', map: [['1-5', 'c']] } as RuleExpr], env, 'x')
    expect(r.sets[0]).toMatchObject({ flags: 0x47, objType: 1 })
    expect(r.sets[1].elements?.map((e) => [e.objref, e.flags ?? 0])).toEqual([[undefined, 1], ['c', 0], [undefined, 1]])
  })

  it('synproxy objects: synproxy name "x", synproxy name KEY map { k : "x" }', () => {
    expect(parseRule('synproxy name "s1"').exprs).toEqual([{ stmt: 'synproxy', name: 's1' }])
    expect(renderRuleBody({ exprs: [{ stmt: 'synproxy', name: 's1' }] })).toBe('synproxy name "s1"')
    expect(compileRule([{ stmt: 'synproxy', name: 's1' }], env, 'x').exprs).toEqual([{ type: 'objref', objType: 10, name: 's1' }])
    expect(roundTrip([{ stmt: 'synproxy', name: 's1' }])).toEqual([{ stmt: 'synproxy', name: 's1' }])
    const text = 'synproxy name ip saddr map { 192.168.1.0/24 : "a", 192.168.2.0/24 : "b" }'
    const typed = { stmt: 'synproxy', key: 'ip saddr', map: [['192.168.1.0/24', 'a'], ['192.168.2.0/24', 'b']] }
    expect(parseRule(text).exprs).toEqual([typed])
    expect(renderRuleBody({ exprs: [typed as RuleExpr] })).toBe(text)
    const c = compileRule([typed as RuleExpr], env, 'x')
    expect(c.sets[0]).toMatchObject({ name: '__objmap%d', flags: 0x47, objType: 10 })
    // As nft: an end at 0, the two adjacent prefixes (not merged: they name different objects), an end after them.
    expect(c.sets[1].elements?.map((e) => e.objref ?? null)).toEqual([null, 'a', 'b', null])
  })

  it('prints byte amounts in the largest unit that divides them', () => {
    expect(byteText(0)).toBe('0 bytes')
    expect(byteText(1025)).toBe('1025 bytes')
    expect(byteText(1048576)).toBe('1 mbytes')
    expect(byteText(1024 ** 3)).toBe('1024 mbytes')
  })

  it('refuses what nft refuses or the kernel ignores', () => {
    expect(() => parseRule('limit rate 10/second burst 5 bytes')).toThrow(/expected 'packets'/)
    expect(() => parseRule('limit rate 10 kbytes/second burst 5 packets')).toThrow(/byte unit/)
    expect(() => parseRule('quota 10')).toThrow(/byte unit/)
    expect(() => compileRule([{ stmt: 'log', group: 1, level: 'info' }], env, 'x')).toThrow(/no level with a group/)
    expect(() => compileRule([{ stmt: 'log', snaplen: 10 }], env, 'x')).toThrow(/Expected a group/)
    expect(() => compileRule([{ stmt: 'log', flags: ['bogus' as never] }], env, 'x')).toThrow(/flags\[0\]/)
    expect(() => compileRule([{ stmt: 'quota', bytes: -1 }], env, 'x')).toThrow(/quota in bytes/)
  })

  it('compiles byte limits with burst 0 and packet limits with burst 5, as nft does', () => {
    const [b] = compileRule([{ stmt: 'limit', rate: 1024, per: 'second', bytes: true }], env, 'x').exprs
    expect(b).toMatchObject({ type: 'limit', rate: 1024, unit: 1, burst: 0, limitType: 1, flags: 0 })
    const [p] = compileRule([{ stmt: 'limit', rate: 10, per: 'minute', over: true }], env, 'x').exprs
    expect(p).toMatchObject({ type: 'limit', rate: 10, unit: 60, burst: 5, limitType: 0, flags: 1 })
  })
})

describe('planning named quotas and limits', () => {
  const t = { kind: 'table' as const, family: 'inet' as const, name: 'fw', handle: 1 }
  const chain = { kind: 'chain' as const, family: 'inet' as const, table: 'fw', name: 'c', handle: 2 }
  const lim = (rate: number) => ({ kind: 'limit' as const, family: 'inet' as const, table: 'fw', name: 'l', rate, per: 'second' as const })
  const q = (used?: number) => ({ kind: 'quota' as const, family: 'inet' as const, table: 'fw', name: 'q', bytes: 1024, ...(used ? { used } : {}) })
  const exprs: RuleExpr[] = [{ stmt: 'limit', name: 'l' }, { stmt: 'accept' }]
  const observed = (rate: number, used: number) => ({
    genId: 1,
    tables: [t],
    chains: [chain],
    sets: [],
    counters: [],
    objects: [{ ...lim(rate), handle: 3 }, { ...q(used), handle: 4 }],
    rules: [{ kind: 'rule' as const, family: 'inet' as const, table: 'fw', chain: 'c', handle: 5, exprs, comment: 'r' }],
  })
  const desired = (rate: number) => [
    { table: t, counters: [], objects: [lim(rate), q()], sets: [], chains: [chain], rules: [{ kind: 'rule' as const, family: 'inet' as const, table: 'fw', chain: 'c', exprs, comment: 'r' }] },
  ]
  const text = (ops: ReturnType<typeof plan>) => ops.map((o) => `${o.verb} ${o.object.kind} ${'name' in o.object ? o.object.name : ''}`.trim())

  it('plans nothing when only a quota has been used', () => {
    expect(plan(desired(10), observed(10, 500))).toEqual([])
  })

  it('deletes a changed limit and adds it back, with the rules that name it around it', () => {
    expect(text(plan(desired(20), observed(10, 0)))).toEqual(['delete rule', 'delete limit l', 'add limit l', 'add rule'])
  })

  it('adds missing objects and deletes undeclared ones after the rules', () => {
    const d = desired(10)
    expect(text(plan([{ ...d[0], objects: [lim(10)] }], observed(10, 0)))).toEqual(['delete quota q'])
    const o = observed(10, 0)
    expect(text(plan(d, { ...o, objects: [] }))).toEqual(['add limit l', 'add quota q'])
  })
})
