/**
 * tx.prepare(): the batch handed to the native layer, normalised (priorities
 * and hooks as numbers, set ids, userdata) and in dependency order.
 */
import { describe, expect, it } from 'vitest'
import { SET_FLAG } from '../../lib/kernel/constants.js'
import { DATATYPES } from '../../lib/kernel/datatypes.js'
import { setComment } from '../../lib/model/set-userdata.js'
import { Transaction } from '../../lib/batch/transaction.js'
import { commentOf, decodeTlvs } from '../../lib/kernel/udata.js'

const tx = (family?: 'ip' | 'inet' | 'bridge' | 'netdev') => new Transaction({ table: 't', ...(family ? { family } : {}) })
const only = (t: Transaction) => {
  const { ops } = t.prepare()
  expect(ops).toHaveLength(1)
  return ops[0]
}

describe('chains', () => {
  it('resolves named priorities, with offsets, per family and hook', () => {
    const prio = (family: 'ip' | 'inet' | 'bridge' | 'netdev', hook: string, priority: unknown, type = 'filter') =>
      only(tx(family).add({ kind: 'chain', name: 'c', type, hook, priority, ...(family === 'netdev' ? { devices: ['lo'] } : {}) } as never)).priority
    expect(prio('inet', 'postrouting', 'srcnat - 1', 'nat')).toBe(99)
    expect(prio('inet', 'postrouting', 'srcnat', 'nat')).toBe(100)
    expect(prio('inet', 'prerouting', 'dstnat + 5', 'nat')).toBe(-95)
    expect(prio('ip', 'input', 'filter')).toBe(0)
    expect(prio('ip', 'input', 'filter + 10')).toBe(10)
    expect(prio('ip', 'input', '  filter-3 ')).toBe(-3)
    expect(prio('ip', 'prerouting', 'raw')).toBe(-300)
    expect(prio('ip', 'forward', 'mangle')).toBe(-150)
    expect(prio('ip', 'output', 'security')).toBe(50)
    expect(prio('bridge', 'prerouting', 'dstnat')).toBe(-300)
    expect(prio('bridge', 'input', 'filter')).toBe(-200)
    expect(prio('bridge', 'output', 'out')).toBe(100)
    expect(prio('bridge', 'postrouting', 'srcnat')).toBe(300)
    expect(prio('netdev', 'ingress', 'filter')).toBe(0)
    expect(prio('inet', 'input', -2147483648)).toBe(-2147483648)
  })

  it('encodes hooks, types, policies and devices', () => {
    expect(only(tx().add({ kind: 'chain', name: 'c', type: 'filter', hook: 'forward', priority: 0, policy: 'drop', comment: 'fw' }))).toEqual({
      verb: 'add',
      kind: 'chain',
      family: 1,
      table: 't',
      name: 'c',
      hook: 2,
      priority: 0,
      type: 'filter',
      policy: 0,
      userdata: Buffer.from([0, 3, 0x66, 0x77, 0]),
    })
    const nd = only(tx('netdev').add({ kind: 'chain', name: 'c', type: 'filter', hook: 'egress', priority: 0, devices: ['eth0', 'eth1'] }))
    expect(nd).toMatchObject({ family: 5, hook: 1, devices: ['eth0', 'eth1'] })
    expect(only(tx().add({ kind: 'chain', family: 'arp', name: 'c', hook: 'output', priority: 0 }))).toMatchObject({ family: 3, hook: 1, type: 'filter' })
    expect(only(tx().add({ kind: 'chain', name: 'c', hook: 'ingress', priority: 0, devices: ['lo'] }))).toMatchObject({ family: 1, hook: 5 })
    expect(only(tx().add({ kind: 'chain', name: 'c', hook: 'input', priority: 0, policy: 'accept' })).policy).toBe(1)
  })

  it('keeps regular chains minimal and passes handles to delete', () => {
    expect(only(tx().add({ kind: 'chain', name: 'c' }))).toEqual({ verb: 'add', kind: 'chain', family: 1, table: 't', name: 'c' })
    expect(only(tx().delete({ kind: 'chain', name: 'c', handle: 12 }))).toEqual({ verb: 'delete', kind: 'chain', family: 1, table: 't', name: 'c', handle: 12 })
    expect(only(tx().flush({ kind: 'chain', name: 'c', handle: 12 }))).toEqual({ verb: 'flush', kind: 'chain', family: 1, table: 't', name: 'c' })
  })
})

describe('tables, counters, rulesets', () => {
  it('encodes table flags and comments', () => {
    const t = only(tx().add({ kind: 'table', flags: ['dormant', 'owner'], comment: 'c' }))
    expect(t).toMatchObject({ verb: 'add', kind: 'table', family: 1, name: 't', flags: 3 })
    expect(commentOf(t.userdata)).toBe('c')
    expect(only(tx().delete({ kind: 'table', handle: 4 }))).toEqual({ verb: 'delete', kind: 'table', family: 1, name: 't', handle: 4 })
    expect(only(tx().add({ kind: 'table', handle: 4 }))).not.toHaveProperty('handle')
  })

  it('encodes counters as objects of type 1', () => {
    expect(only(tx().add({ kind: 'counter', name: 'n', packets: 3 }))).toEqual({
      verb: 'add',
      kind: 'object',
      family: 1,
      table: 't',
      name: 'n',
      objType: 1,
      packets: 3,
      bytes: 0,
    })
    expect(only(tx().delete({ kind: 'counter', name: 'n' }))).toEqual({ verb: 'delete', kind: 'object', family: 1, table: 't', name: 'n', objType: 1 })
  })

  it('flushes the whole ruleset or one family', () => {
    expect(only(tx().flush({ kind: 'ruleset' }))).toEqual({ verb: 'flush', kind: 'ruleset', family: 0 })
    expect(only(tx().flush({ kind: 'ruleset', family: 'ip6' }))).toEqual({ verb: 'flush', kind: 'ruleset', family: 10 })
  })
})

describe('sets', () => {
  it('encodes key types, lengths, flags and userdata', () => {
    const [s, e] = tx()
      .add({ kind: 'set', name: 's', type: 'ipv4_addr', flags: ['interval'], comment: 'x', elements: ['10.0.0.0/8'] })
      .prepare().ops
    expect(s).toMatchObject({ verb: 'add', kind: 'set', name: 's', setId: 1, flags: SET_FLAG.interval, keyType: 7, keyLen: 4 })
    expect(setComment(s.userdata)).toBe('x')
    // key byte order: big endian (2)
    expect(decodeTlvs(s.userdata).get(0)).toEqual(Buffer.from([2, 0, 0, 0]))
    expect(e).toMatchObject({ verb: 'add', kind: 'element', set: 's', setId: 1 })
    expect(e.elements).toEqual([{ key: Buffer.from('00000000', 'hex'), flags: 1 }, { key: Buffer.from('0a000000', 'hex') }, { key: Buffer.from('0b000000', 'hex'), flags: 1 }])
  })

  it('encodes concatenations, maps, timeouts and options', () => {
    const ops = tx()
      .add({ kind: 'set', name: 'c', type: ['ipv4_addr', 'inet_service'], flags: ['interval'] })
      .add({ kind: 'map', name: 'm', type: 'inet_service', map: 'mark', size: 10, policy: 'memory', gcInterval: 1000 })
      .add({ kind: 'map', name: 'v', type: 'ipv4_addr', map: 'verdict', timeout: 60000, counter: true })
      .prepare().ops
    expect(ops[0]).toMatchObject({ flags: SET_FLAG.interval | SET_FLAG.concat, keyType: 7 * 64 + 13, keyLen: 8, concat: [4, 2], setId: 1 })
    expect(ops[1]).toMatchObject({ flags: SET_FLAG.map, keyType: 13, keyLen: 2, dataType: 19, dataLen: 4, size: 10, setPolicy: 1, gcInterval: 1000, setId: 2 })
    expect(ops[2]).toMatchObject({ flags: SET_FLAG.map | SET_FLAG.timeout, dataType: 0xffffff00, dataLen: 16, timeout: 60000, exprs: [{ type: 'counter' }], setId: 3 })
  })

  it('element operations refer to sets declared in the batch by id, others by name', () => {
    const t = new Transaction({
      table: 't',
      sets: (_f, _t, name) => (name === 'ext' ? { shape: { name, key: [DATATYPES.inet_service], interval: false } } : undefined),
    })
      .add({ kind: 'set', name: 's', type: 'inet_service' })
      .add({ kind: 'element', set: 's', elements: [22] })
      .add({ kind: 'element', set: 'ext', elements: [80] })
    const ops = t.prepare().ops
    expect(ops[1]).toEqual({ verb: 'add', kind: 'element', family: 1, table: 't', set: 's', setId: 1, elements: [{ key: Buffer.from('0016', 'hex') }] })
    expect(ops[2]).toEqual({ verb: 'add', kind: 'element', family: 1, table: 't', set: 'ext', elements: [{ key: Buffer.from('0050', 'hex') }] })
    expect(t.declaredSets().map(([k]) => k)).toEqual(['inet\u0000t\u0000s'])
  })
})

describe('rules', () => {
  it('puts anonymous sets before the rule and records which operation each native op came from', () => {
    const t = tx()
      .add({ kind: 'table' })
      .add({ kind: 'rule', chain: 'c', exprs: [{ match: 'tcp dport', value: [22, 80] }, { stmt: 'accept' }], comment: 'web' })
      .add({ kind: 'set', name: 's', type: 'ipv4_addr' })
      .add({ kind: 'rule', chain: 'c', exprs: [{ match: 'ip saddr', value: { set: 's' } }] })
    const { ops, owner } = t.prepare()
    expect(ops.map((o) => `${o.kind}:${o.name ?? o.set ?? o.chain}`)).toEqual(['table:t', 'set:__set%d', 'element:__set%d', 'rule:c', 'set:s', 'rule:c'])
    expect(owner).toEqual([0, 1, 1, 1, 2, 3])
    // The anonymous set took id 1, the named set id 2, and the lookup uses it.
    expect(ops[1].setId).toBe(1)
    expect(ops[4].setId).toBe(2)
    expect(ops[5].exprs?.at(-1)).toEqual({ type: 'lookup', sreg: 1, set: 's', setId: 2 })
    expect(commentOf(ops[3].userdata)).toBe('web')
  })

  it('passes positions and handles', () => {
    expect(only(tx().add({ kind: 'rule', chain: 'c', exprs: [], position: 9 }))).toMatchObject({ verb: 'add', position: 9 })
    expect(only(tx().insert({ kind: 'rule', chain: 'c', exprs: [], position: 9 }))).toMatchObject({ verb: 'insert', position: 9 })
    expect(only(tx().replace({ kind: 'rule', chain: 'c', exprs: [], handle: 5 }))).toMatchObject({ verb: 'replace', handle: 5 })
    expect(only(tx().delete({ kind: 'rule', chain: 'c', handle: 5 }))).toEqual({ verb: 'delete', kind: 'rule', family: 1, table: 't', chain: 'c', handle: 5 })
  })

  it('records operations with defaults filled in', () => {
    const t = new Transaction({ family: 'ip', table: 'fw' }).add({ kind: 'chain', name: 'c' }).delete({ kind: 'rule', chain: 'c', handle: 3 })
    expect(t.operations).toEqual([
      { verb: 'add', object: { kind: 'chain', name: 'c', family: 'ip', table: 'fw' } },
      { verb: 'delete', object: { kind: 'rule', family: 'ip', table: 'fw', chain: 'c', handle: 3 } },
    ])
    expect(t.length).toBe(2)
  })
})
