/**
 * Stateful statements of set elements (`10.0.0.1 limit rate 1/second counter`):
 * parsed, encoded as the element's expressions, rendered in nft's order, and
 * compared by the planner without their live values.
 */
import { describe, expect, it } from 'vitest'
import type { Element, ListedSet, Listing, RuleExpr, TableContents } from '../../lib/index.js'
import { parseNft, parseRule } from '../../lib/nft/parser.js'
import { renderElements, renderOperation, renderRuleBody } from '../../lib/expr/render.js'
import { Transaction } from '../../lib/batch/transaction.js'
import { canonicalExprs, plan } from '../../lib/reconcile/plan.js'
import { createFakeClient } from '../../lib/testing/index.js'
import { encodeOps } from '../../lib/batch/wire.js'
import { loadBinding } from '../../lib/io/native.js'

const DYN = 'type ipv4_addr . inet_service . ifname; flags dynamic'
const KEY = ['10.1.0.3', 39466, 'veth1']

function elementsOf(text: string): readonly Element[] {
  const set = parseNft(text).operations.find((o) => o.object.kind === 'set')?.object as unknown as { elements: Element[] }
  return set.elements
}

describe('element statements: parse', () => {
  it('reads a limit and a counter with its values as stmts', () => {
    const els = elementsOf(`table ip t { set s { ${DYN}; elements = { 10.1.0.3 . 39466 . "veth1" limit rate 1/second burst 5 packets counter packets 3 bytes 4 } } }`)
    // `burst 5 packets` is the default: left out, as the listing leaves it out.
    expect(els).toEqual([{ key: KEY, stmts: [{ stmt: 'limit', rate: 1, per: 'second' }, { stmt: 'counter', packets: 3, bytes: 4 }] }])
  })

  it('reads a counter alone as the element counter (the canonical form)', () => {
    // Zero values are the default, as in a rule's counter.
    expect(elementsOf(`table ip t { set s { ${DYN}; elements = { 10.1.0.3 . 39466 . "veth1" counter packets 0 bytes 0 } } }`)).toEqual([{ key: KEY, counter: true }])
    expect(elementsOf(`table ip t { set s { ${DYN}; elements = { 10.1.0.3 . 39466 . "veth1" counter packets 1 bytes 2 } } }`)).toEqual([{ key: KEY, counter: { packets: 1, bytes: 2 } }])
    expect(elementsOf('table ip t { set s { type ipv4_addr; flags dynamic; elements = { 1.1.1.1 counter } } }')).toEqual([{ key: '1.1.1.1', counter: true }])
  })

  it('reads ct count and the options after the statements', () => {
    expect(elementsOf('table ip t { set s { type ipv4_addr; flags dynamic,timeout; elements = { 1.1.1.1 ct count over 3 timeout 1m comment "x" } } }')).toEqual([
      { key: '1.1.1.1', stmts: [{ stmt: 'ct count', count: 3, over: true }], timeout: 60000, comment: 'x' },
    ])
  })

  it("keeps an element's statements in a set that declares the same kinds", () => {
    const els = elementsOf('table ip t { set s { type ipv4_addr; limit rate 1/second counter; elements = { 1.1.1.1 limit rate 2/second counter packets 5 bytes 6 } } }')
    expect(els).toEqual([{ key: '1.1.1.1', stmts: [{ stmt: 'limit', rate: 2, per: 'second' }, { stmt: 'counter', packets: 5, bytes: 6 }] }])
  })

  it("refuses statements other than the set's, with nft's messages", () => {
    expect(() => parseNft('table ip t { set s { type ipv4_addr; counter; elements = { 1.1.1.1 limit rate 1/second } } }')).toThrow('statement mismatch, element expects limit, but set has type counter')
    expect(() => parseNft('table ip t { set s { type ipv4_addr; limit rate 1/second counter; elements = { 1.1.1.1 counter } } }')).toThrow(
      'number of statements mismatch, set expects 2 but element has 1',
    )
    expect(() => parseNft('table ip t { set s { type ipv4_addr; flags dynamic; elements = { 1.1.1.1 counter counter counter } } }')).toThrow('at most two statements')
  })
})

describe('element statements: encode and render', () => {
  const tx = () => new Transaction({ family: 'ip', table: 't' })

  it('sends one statement or two as the element expressions, counters with their values', () => {
    const t = tx()
    t.add({ kind: 'table' })
    t.add({ kind: 'set', name: 's', type: 'ipv4_addr', flags: ['dynamic'] })
    t.add({ kind: 'element', set: 's', elements: [{ key: '1.1.1.1', stmts: [{ stmt: 'limit', rate: 1, per: 'second' }, { stmt: 'counter', packets: 3, bytes: 4 }] }, { key: '2.2.2.2', counter: true }] })
    const op = t.prepare().ops.find((o) => o.kind === 'element') as unknown as { elements: Array<{ exprs?: unknown }> }
    expect(op.elements.map((e) => e.exprs)).toEqual([
      [
        { type: 'limit', rate: 1, unit: 1, burst: 5, limitType: 0, flags: 0 },
        { type: 'counter', packets: 3, bytes: 4 },
      ],
      [{ type: 'counter' }],
    ])
  })

  it('refuses bad element statements with the field path', () => {
    const t = tx()
    t.add({ kind: 'table' })
    t.add({ kind: 'set', name: 's', type: 'ipv4_addr', flags: ['dynamic'] })
    const bad = (e: unknown) => () => t.add({ kind: 'element', set: 's', elements: [e as Element] })
    expect(bad({ key: '1.1.1.1', counter: true, stmts: [{ stmt: 'counter' }] })).toThrow('elements[0].counter')
    expect(bad({ key: '1.1.1.1', stmts: [{ stmt: 'log' }] })).toThrow('elements[0].stmts[0].stmt')
    expect(bad({ key: '1.1.1.1', stmts: [{ stmt: 'counter', packets: -1 }] })).toThrow('elements[0].stmts[0].packets')
    expect(bad({ key: '1.1.1.1', stmts: [{ stmt: 'counter' }, { stmt: 'counter' }, { stmt: 'counter' }] })).toThrow('at most two')
    expect(bad({ key: '1.1.1.1', stmts: [] })).toThrow('elements[0].stmts')
  })

  it("renders the statements right after the key, as nft lists them", () => {
    const els: Element[] = [{ key: '1.1.1.1', stmts: [{ stmt: 'limit', rate: 1, per: 'second' }, { stmt: 'counter', packets: 0, bytes: 0 }], timeout: 60000, comment: 'c' }]
    expect(renderElements(els, 'ipv4_addr')).toBe('1.1.1.1 limit rate 1/second counter packets 0 bytes 0 timeout 1m comment "c"')
  })

  const ROUND = [
    `table ip t { set s { ${DYN}; elements = { 10.1.0.3 . 39466 . "veth1" limit rate 1/second counter packets 0 bytes 0 } } }`,
    'table ip t { set s { type ipv4_addr; flags dynamic,timeout; elements = { 1.1.1.1 ct count 2 timeout 1m, 2.2.2.2 counter packets 1 bytes 2 } } }',
    'table ip t { set s { type ipv4_addr; limit rate over 10/minute burst 2 packets; elements = { 1.1.1.1 limit rate over 10/minute burst 2 packets } } }',
  ]
  for (const text of ROUND)
    it(`round trips ${text}`, () => {
      const ops = parseNft(text).operations
      const again = parseNft(ops.map((o) => renderOperation(o.verb, o.object)).join('\n')).operations
      expect(again).toEqual(ops)
    })
})

describe('element statements: plan', () => {
  const set = (elements: readonly Element[], extra: Partial<ListedSet> = {}): ListedSet =>
    ({ kind: 'set', family: 'ip', table: 't', name: 's', handle: 5, type: 'ipv4_addr', flags: ['dynamic'], elements, ...extra }) as ListedSet
  const observed = (s: ListedSet): Listing => ({ genId: 1, tables: [{ kind: 'table', family: 'ip', name: 't', handle: 1 }], chains: [], sets: [s], rules: [], counters: [] })
  const desired = (s: ListedSet): TableContents => {
    const { handle: _h, ...rest } = s
    return { table: { kind: 'table', family: 'ip', name: 't' }, chains: [], sets: [rest], rules: [], counters: [] }
  }
  const LIMIT = { stmt: 'limit', rate: 1, per: 'second' } as const

  it('does not count live counter values or quota use as a change', () => {
    const want = set([{ key: '1.1.1.1', counter: true }, { key: '2.2.2.2', stmts: [LIMIT, { stmt: 'counter' }] }, { key: '3.3.3.3', stmts: [{ stmt: 'quota', bytes: 1000 }] }])
    const have = set([
      { key: '1.1.1.1', counter: { packets: 9, bytes: 900 } },
      { key: '2.2.2.2', stmts: [LIMIT, { stmt: 'counter', packets: 4, bytes: 400 }] },
      { key: '3.3.3.3', stmts: [{ stmt: 'quota', bytes: 1000, used: 200 }] },
    ])
    expect(plan([desired(want)], observed(have))).toEqual([])
  })

  it("compares an element without statements by its set's copies", () => {
    const want = set(['1.1.1.1'], { counter: true, flags: [] })
    const have = set([{ key: '1.1.1.1', counter: { packets: 9, bytes: 900 } }], { counter: true, flags: [] })
    expect(plan([desired(want)], observed(have))).toEqual([])
  })

  it('replaces an element whose statements changed (delete, then add)', () => {
    const want = set([{ key: '1.1.1.1', stmts: [{ ...LIMIT, rate: 2 }, { stmt: 'counter' }] }])
    const have = set([{ key: '1.1.1.1', stmts: [LIMIT, { stmt: 'counter', packets: 4, bytes: 400 }] }])
    const ops = plan([desired(want)], observed(have))
    expect(ops.map((o) => o.verb)).toEqual(['delete', 'add'])
    expect(ops[1].object).toMatchObject({ kind: 'element', elements: [{ key: '1.1.1.1', stmts: [{ stmt: 'limit', rate: 2 }, { stmt: 'counter' }] }] })
  })
})

describe('anonymous set elements with statements', () => {
  const LIMIT = { stmt: 'limit', rate: 1, per: 'second' } as const

  it('parses statements after each key', () => {
    expect(parseRule('meta mark { 0x0000000a counter, 0x0000000b limit rate 1/second counter }').exprs).toEqual([
      { match: 'meta mark', value: [{ key: 10, counter: true }, { key: 11, stmts: [LIMIT, { stmt: 'counter' }] }] },
    ])
    expect(parseRule('ip daddr . tcp dport { 10.0.0.1 . 22 counter packets 3 bytes 4, 10.0.0.2 . 23 } drop').exprs[0]).toEqual({
      match: ['ip daddr', 'tcp dport'],
      value: [{ key: ['10.0.0.1', 22], counter: { packets: 3, bytes: 4 } }, ['10.0.0.2', 23]],
    })
  })

  it("folds a one-element set into a comparison and drops its statements, as nft 1.0.6 loads the text", () => {
    const exprs = parseRule('meta mark { 0x0000000a counter packets 0 bytes 0 }').exprs
    expect(exprs).toEqual([{ match: 'meta mark', value: [10] }])
    expect(canonicalExprs(exprs, 'ip', 't')).toEqual([{ match: 'meta mark', value: 10 }])
  })

  it('keeps a typed one-element set with statements a set', () => {
    const tx = new Transaction({ family: 'ip', table: 't' })
    tx.add({ kind: 'table' })
    tx.add({ kind: 'chain', name: 'c' })
    tx.add({ kind: 'rule', chain: 'c', exprs: [{ match: 'meta mark', value: [{ key: 12, counter: true }] }] })
    const ops = tx.prepare().ops
    expect(ops.find((o) => o.kind === 'element')?.elements?.map((e) => e.exprs)).toEqual([[{ type: 'counter' }]])
    expect(ops.find((o) => o.kind === 'rule')?.exprs?.map((e) => e.type)).toEqual(['meta', 'lookup'])
  })

  it('renders and decodes them as nft lists them (counters with their values)', () => {
    const exprs = parseRule('ip saddr { 1.1.1.1 counter packets 3 bytes 4, 2.2.2.0/24 limit rate 1/second counter } accept').exprs
    const back = canonicalExprs(exprs, 'ip', 't')
    expect(back[0]).toEqual({
      match: 'ip saddr',
      value: [
        { key: '1.1.1.1', counter: { packets: 3, bytes: 4 } },
        { key: '2.2.2.0/24', stmts: [LIMIT, { stmt: 'counter', packets: 0, bytes: 0 }] },
      ],
    })
    expect(renderRuleBody({ exprs: back as RuleExpr[] }, { listing: true })).toBe('ip saddr { 1.1.1.1 counter packets 3 bytes 4, 2.2.2.0/24 limit rate 1/second counter packets 0 bytes 0 } accept')
    expect(parseRule(renderRuleBody({ exprs }, {})).exprs).toEqual(exprs)
  })

  it('refuses them in flag sets and after a mask', () => {
    expect(() => parseRule('ct state { established counter, related }')).toThrow("nftkit does not support 'counter' in the elements of a flag set yet")
    const tx = new Transaction({ family: 'ip', table: 't' })
    tx.add({ kind: 'table' })
    tx.add({ kind: 'chain', name: 'c' })
    expect(() => tx.add({ kind: 'rule', chain: 'c', exprs: [{ match: 'meta mark', bits: [['&', 0xff]], value: [{ key: 1, counter: true }, 2] }] })).toThrow(
      'nftkit does not support statements in the elements of a set after a bitwise expression yet',
    )
  })
})

describe('element statements in the Fake', () => {
  it('keeps the given counter values and refuses statements other than the set declares, as the kernel', async () => {
    const nft = createFakeClient({ family: 'ip', table: 'f' })
    const tx = nft.transaction()
    tx.add({ kind: 'table' })
    tx.add({ kind: 'set', name: 's', type: 'ipv4_addr', flags: ['dynamic'] })
    tx.add({ kind: 'set', name: 'd', type: 'ipv4_addr', counter: true })
    tx.add({ kind: 'element', set: 's', elements: [{ key: '1.1.1.1', stmts: [{ stmt: 'limit', rate: 1, per: 'second' }, { stmt: 'counter', packets: 3, bytes: 4 }] }] })
    tx.add({ kind: 'element', set: 'd', elements: ['2.2.2.2', { key: '3.3.3.3', counter: { packets: 5, bytes: 6 } }] })
    await nft.commit(tx)
    const l = await nft.list()
    expect(l.sets.find((s) => s.name === 's')?.elements).toEqual([{ key: '1.1.1.1', stmts: [{ stmt: 'limit', rate: 1, per: 'second' }, { stmt: 'counter', packets: 3, bytes: 4 }] }])
    expect(l.sets.find((s) => s.name === 'd')?.elements).toEqual([
      { key: '2.2.2.2', counter: { packets: 0, bytes: 0 } },
      { key: '3.3.3.3', counter: { packets: 5, bytes: 6 } },
    ])
    const bad = nft.transaction()
    bad.add({ kind: 'element', set: 'd', elements: [{ key: '4.4.4.4', stmts: [{ stmt: 'limit', rate: 1, per: 'second' }] }] })
    await expect(nft.commit(bad)).rejects.toMatchObject({ code: 'EOPNOTSUPP' })
  })
})

describe('element statements on the wire', () => {
  // nf_tables.h numbers, written out so the test does not share the library's mistakes.
  const NEWSETELEM = (10 << 8) | 12
  const ELEM_LIST_ELEMENTS = 3
  const LIST_ELEM = 1
  const ELEM_KEY = 1
  const ELEM_EXPR = 7
  const ELEM_EXPRESSIONS = 11
  const EXPR_NAME = 1
  type Attr = { type: number; data: Buffer }
  const attrs = (b: Buffer): Attr[] => {
    const out: Attr[] = []
    for (let p = 0; p + 4 <= b.length; ) {
      const len = b.readUInt16LE(p)
      out.push({ type: b.readUInt16LE(p + 2) & 0x3fff, data: b.subarray(p + 4, p + len) })
      p += (len + 3) & ~3
    }
    return out
  }
  const name = (expr: Buffer) => {
    const d = attrs(expr).find((a) => a.type === EXPR_NAME)?.data as Buffer
    return d.subarray(0, d.indexOf(0)).toString()
  }

  it('sends one statement as NFTA_SET_ELEM_EXPR and two as NFTA_SET_ELEM_EXPRESSIONS, as nft 1.0.6 does', () => {
    const t = new Transaction({ family: 'ip', table: 't' })
    t.add({ kind: 'table' })
    t.add({ kind: 'set', name: 's', type: 'ipv4_addr', flags: ['dynamic'] })
    t.add({
      kind: 'element',
      set: 's',
      elements: [{ key: '1.1.1.1', counter: { packets: 3, bytes: 4 } }, { key: '2.2.2.2', stmts: [{ stmt: 'limit', rate: 1, per: 'second' }, { stmt: 'counter' }] }, '3.3.3.3'],
    })
    const nl = loadBinding().encode(encodeOps(t.prepare().ops).slice())
    const elems: Attr[][] = []
    for (let p = 0; p < nl.length; ) {
      const len = nl.readUInt32LE(p)
      if (nl.readUInt16LE(p + 4) === NEWSETELEM) {
        const list = attrs(nl.subarray(p + 20, p + len)).find((a) => a.type === ELEM_LIST_ELEMENTS) as Attr
        // libnftnl numbers the elements' nests 1, 2, 3... (the kernel reads any type there).
        for (const e of attrs(list.data)) elems.push(attrs(e.data))
      }
      p += len
    }
    const shape = elems.map((as) => {
      const key = as.find((a) => a.type === ELEM_KEY)
      const one = as.find((a) => a.type === ELEM_EXPR)
      const list = as.find((a) => a.type === ELEM_EXPRESSIONS)
      return {
        key: key ? [...attrs(key.data)[0].data].join('.') : undefined,
        expr: one ? name(one.data) : undefined,
        exprs: list ? attrs(list.data).map((x) => (x.type === LIST_ELEM ? name(x.data) : `?${x.type}`)) : undefined,
      }
    })
    expect(shape).toEqual([
      { key: '1.1.1.1', expr: 'counter', exprs: undefined },
      { key: '2.2.2.2', expr: undefined, exprs: ['limit', 'counter'] },
      { key: '3.3.3.3', expr: undefined, exprs: undefined },
    ])
  })
})

describe('element statements in a set that declares statements', () => {
  it('refuses other kinds at tx.add, naming the element', () => {
    const t = new Transaction({ family: 'ip', table: 't' })
    t.add({ kind: 'table' })
    expect(() =>
      t.add({ kind: 'set', name: 's', type: 'ipv4_addr', stmts: [{ stmt: 'limit', rate: 1, per: 'second' }, { stmt: 'counter' }], elements: [{ key: '1.1.1.1', stmts: [{ stmt: 'counter' }, { stmt: 'limit', rate: 1, per: 'second' }] }] }),
    ).toThrow(/limit, counter.*elements\[0\]\.stmts/)
    t.add({ kind: 'set', name: 'ok', type: 'ipv4_addr', stmts: [{ stmt: 'limit', rate: 1, per: 'second' }, { stmt: 'counter' }], elements: [{ key: '1.1.1.1', stmts: [{ stmt: 'limit', rate: 9, per: 'minute' }, { stmt: 'counter', packets: 1, bytes: 2 }] }] })
  })
})
