/**
 * Set key types beyond addresses and ports: nft's integer keys declared with
 * typeof (size, byte order and the userdata nft 1.0.6 writes), interface
 * indexes resolved in the transaction's namespace, flag combinations.
 */
import { describe, expect, it } from 'vitest'
import { Transaction } from '../../lib/batch/transaction.js'
import { interfaceNames } from '../../lib/model/interfaces.js'
import { decodeListing } from '../../lib/io/listing.js'
import type { NativeDump } from '../../types/native.js'
import { canonicalExprs, plan } from '../../lib/reconcile/plan.js'
import { parseRule } from '../../lib/nft/parser.js'
import { renderRuleBody } from '../../lib/expr/render.js'

const ops = (t: Transaction) => t.prepare().ops as unknown as Array<Record<string, unknown>>
const hex = (b: unknown) => Buffer.from(b as Uint8Array).toString('hex')
/** The element keys of an element op, packed or listed. */
const keys = (op: Record<string, unknown>) => (op.packedKeys ? hex(op.packedKeys) : (op.elements as Array<{ key: Uint8Array }>).map((e) => hex(e.key)).join(''))

describe('integer keys from typeof', () => {
  it('declares typeof vlan id as nft does: integer, 2 bytes, the 12-bit length in the userdata', () => {
    const [set] = ops(new Transaction({ family: 'netdev', table: 't' }).add({ kind: 'set', name: 's1', type: 'integer', typeof: 'vlan id' }))
    expect(set).toMatchObject({ keyType: 4, keyLen: 2 })
    // Read from a set `nft -f` made (typeof vlan id): key byte order big, payload vlan (16) field 4, length 12.
    expect(hex(set.userdata)).toBe('000402000000031a000407000000011200041000000001040400000004040c000000')
  })

  it('declares typeof meta mark . vlan id and typeof ct bytes : meta priority', () => {
    const [s2] = ops(new Transaction({ family: 'netdev', table: 't' }).add({ kind: 'set', name: 's2', type: ['mark', 'integer'], typeof: ['meta mark', 'vlan id'] }))
    expect(s2).toMatchObject({ keyType: 19 * 64 + 4, keyLen: 8 })
    expect(hex(s2.userdata)).toBe('000400000000033400040d000000012c000e0004090000000106000403000000011a000407000000011200041000000001040400000004040c000000')
    const [m1] = ops(
      new Transaction({ family: 'netdev', table: 't' }).add({ kind: 'map', name: 'm1', type: 'integer', typeof: 'ct bytes', map: 'classid', mapTypeof: 'meta priority', flags: ['interval'] }),
    )
    expect(m1).toMatchObject({ keyType: 4, keyLen: 8, dataType: 23, dataLen: 4 })
  })

  it('needs typeof for an integer key', () => {
    expect(() => new Transaction({ table: 't' }).add({ kind: 'set', name: 's', type: 'integer' })).toThrow('Expected typeof with a selector of type integer')
  })

  it('lists an integer concatenation with the sizes of its typeof selectors', () => {
    const [s2] = ops(new Transaction({ family: 'netdev', table: 't' }).add({ kind: 'set', name: 's2', type: ['mark', 'integer'], typeof: ['meta mark', 'vlan id'] }))
    const dump = { genId: 1, tables: [], chains: [], rules: [], objects: [], sets: [{ ...s2, kind: 'set', family: 5, table: 't', name: 's2', handle: 1, flags: 0, elements: [] }] }
    const l = decodeListing(dump as unknown as NativeDump)
    expect(l.sets[0]).toMatchObject({ type: ['mark', 'integer'], typeof: ['meta mark', 'vlan id'] })
  })
})

describe('interface index keys', () => {
  const ifs = interfaceNames(() => [[1, 'lo'], [7, 'eth0']])
  it('resolves names in the transaction namespace', () => {
    const t = new Transaction({ family: 'ip', table: 't', interfaces: ifs }).add({ kind: 'set', name: 'i', type: 'iface_index', elements: ['eth0', 1] })
    const [, el] = ops(t)
    expect(keys(el)).toBe('0700000001000000')
  })
  it('refuses a name without the namespace or without such an interface', () => {
    expect(() => new Transaction({ family: 'ip', table: 't' }).add({ kind: 'set', name: 'i', type: 'iface_index', elements: ['lo'] })).toThrow('Expected an interface index')
    expect(() => new Transaction({ family: 'ip', table: 't', interfaces: ifs }).add({ kind: 'set', name: 'i', type: 'iface_index', elements: ['nope0'] })).toThrow(
      'there is no interface "nope0"',
    )
  })
})

describe('tcp_flag keys', () => {
  it('encodes a combination as its bits', () => {
    const [, el] = ops(new Transaction({ family: 'ip', table: 't' }).add({ kind: 'set', name: 'f', type: 'tcp_flag', elements: ['syn | ack', 'fin'] }))
    expect(keys(el)).toBe('1201')
  })
})

describe('stateful statements of set declarations', () => {
  const decl = { kind: 'set', name: 'y', type: 'ipv4_addr', stmts: [{ stmt: 'limit', rate: 1, per: 'second' }, { stmt: 'counter' }] } as const
  it('sends two as expressions with NFT_SET_EXPR, one without it', () => {
    const [two] = ops(new Transaction({ family: 'ip', table: 'x' }).add(decl))
    expect(two.flags).toBe(0x100)
    expect((two.exprs as Array<{ type: string }>).map((e) => e.type)).toEqual(['limit', 'counter'])
    const [one] = ops(new Transaction({ family: 'ip', table: 'x' }).add({ kind: 'set', name: 'n', type: 'ipv4_addr', flags: ['dynamic'], stmts: [{ stmt: 'ct count', count: 20, over: true }] }))
    expect(one).toMatchObject({ flags: 0x20, exprs: [{ type: 'connlimit', count: 20, flags: 1 }] })
  })
  it('refuses named references and more than two', () => {
    expect(() => new Transaction({ family: 'ip', table: 'x' }).add({ kind: 'set', name: 'y', type: 'ipv4_addr', stmts: [{ stmt: 'limit', name: 'l' }] } as never)).toThrow('Expected no object name')
    expect(() =>
      new Transaction({ family: 'ip', table: 'x' }).add({ kind: 'set', name: 'y', type: 'ipv4_addr', stmts: [{ stmt: 'counter' }, { stmt: 'counter' }, { stmt: 'counter' }] }),
    ).toThrow('at most two')
  })
  it('reads the statements and the elements back, and plans nothing for the same declaration', () => {
    const [s, el] = ops(new Transaction({ family: 'ip', table: 'x' }).add({ ...decl, elements: ['1.1.1.1'] }))
    const exprs = [
      { type: 'limit', rate: 1, unit: 1, burst: 5, limitType: 0, flags: 0 },
      { type: 'counter', packets: 0, bytes: 0 },
    ]
    const keyOf = (e: Record<string, unknown>) => (e.elements as Array<{ key: Uint8Array }> | undefined)?.[0]?.key ?? (e.packedKeys as Uint8Array)
    const dump = {
      genId: 1,
      tables: [{ kind: 'table', family: 2, name: 'x', handle: 1, flags: 0 }],
      chains: [],
      rules: [],
      objects: [],
      sets: [{ ...s, kind: 'set', family: 2, table: 'x', name: 'y', handle: 2, exprs, elements: [{ key: keyOf(el), exprs }] }],
    }
    const l = decodeListing(dump as unknown as NativeDump)
    expect(l.sets[0]).toMatchObject({ stmts: decl.stmts, elements: [{ key: '1.1.1.1', stmts: [{ stmt: 'limit', rate: 1, per: 'second' }, { stmt: 'counter', packets: 0, bytes: 0 }] }] })
    const desired = { table: { kind: 'table', family: 'ip', name: 'x' }, chains: [], rules: [], counters: [], sets: [{ ...decl, family: 'ip', table: 'x', elements: ['1.1.1.1'] }] }
    expect(plan([desired as never], l)).toEqual([])
  })
})

describe('meters', () => {
  it('parse, render and parse again give the same statement', () => {
    for (const text of ['tcp dport 22 meter m1 { ip saddr limit rate 10/second } accept', 'meter m3 size 1234 { ip saddr . tcp dport timeout 1m ct count over 3 } drop']) {
      const r = parseRule(text)
      expect(parseRule(renderRuleBody({ exprs: r.exprs }))).toEqual(r)
    }
    expect(parseRule('meter m { ip saddr timeout 10s counter }').exprs[0]).toEqual({ stmt: 'meter', name: 'm', key: 'ip saddr', timeout: 10000, stmts: [{ stmt: 'counter' }] })
  })
  it("creates the meter's set before the rule: anonymous, dynamic, timeout with a timeout, size 65535", () => {
    const t = new Transaction({ family: 'ip', table: 'x' }).add({ kind: 'rule', chain: 'c', exprs: parseRule('meter m2 { ip saddr timeout 10s counter }').exprs })
    const [set, rule] = ops(t)
    expect(set).toMatchObject({ kind: 'set', name: 'm2', flags: 0x31, keyType: 7, keyLen: 4, size: 65535 })
    expect((rule.exprs as Array<Record<string, unknown>>).at(-1)).toMatchObject({ type: 'dynset', op: 1, set: 'm2', timeout: 10000 })
  })
  it('plans nothing for a meter rule the kernel holds', () => {
    const exprs = parseRule('meter m1 { ip saddr limit rate 10/second } accept').exprs
    expect(canonicalExprs(exprs, 'ip', 'x')).toEqual([{ stmt: 'meter', name: 'm1', size: 65535, key: 'ip saddr', stmts: [{ stmt: 'limit', rate: 10, per: 'second' }] }, { stmt: 'accept' }])
  })
})

describe('interface index keys in the planner', () => {
  it('compares desired interface names with the listed ones', () => {
    const ifs = interfaceNames(() => [[1, 'lo'], [7, 'eth0']])
    const listed = { kind: 'set', family: 'ip', table: 'x', name: 'i', handle: 2, type: 'iface_index', elements: ['eth0'] }
    const l = { genId: 1, tables: [{ kind: 'table', family: 'ip', name: 'x', handle: 1 }], chains: [], rules: [], counters: [], sets: [listed] }
    Object.defineProperty(l, 'interfaces', { value: ifs, enumerable: false })
    const desired = (elements: string[]) => ({ table: { kind: 'table', family: 'ip', name: 'x' }, chains: [], rules: [], counters: [], sets: [{ kind: 'set', family: 'ip', table: 'x', name: 'i', type: 'iface_index', elements }] })
    expect(plan([desired(['eth0']) as never], l as never)).toEqual([])
    expect(plan([desired(['eth0', 'lo']) as never], l as never)).toEqual([{ verb: 'add', object: { kind: 'element', family: 'ip', table: 'x', set: 'i', elements: ['lo'] } }])
  })
})

describe('dscp keys', () => {
  it('shifts the field down for a lookup in a named dscp set, as nft does', () => {
    const t = new Transaction({ family: 'ip6', table: 't' })
      .add({ kind: 'set', name: 's', type: 'dscp', elements: ['cs1'] })
      .add({ kind: 'rule', chain: 'c', exprs: parseRule('ip6 dscp @s').exprs })
    const rule = ops(t).find((o) => o.kind === 'rule') as Record<string, unknown>
    const exprs = rule.exprs as Array<Record<string, unknown>>
    expect(exprs.map((e) => e.type)).toEqual(['payload', 'bitwise', 'bitwise', 'lookup'])
    expect(exprs[2]).toMatchObject({ op: 2, len: 2, data: Buffer.from([6, 0, 0, 0]) })
  })
  it('refuses the lookup when the set is not known to be of type dscp', () => {
    expect(() => new Transaction({ family: 'ip6', table: 't' }).add({ kind: 'rule', chain: 'c', exprs: parseRule('ip6 dscp @s').exprs })).toThrow('nftkit does not support ip6 dscp in a lookup in a named set yet')
  })
})
