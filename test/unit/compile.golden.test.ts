/**
 * compileRule golden output: the kernel expressions nft itself generates for
 * the same rule (checked against `nft --debug=netlink`), protocol
 * dependencies included.
 */
import { describe, expect, it } from 'vitest'
import { DATATYPES, hostU32, VALUE_TYPES } from '../../lib/kernel/datatypes.js'
import type { Family } from '../../lib/kernel/constants.js'
import { type CompileEnv, compileRule, type SetInfo } from '../../lib/expr/compile.js'
import type { RuleExpr } from '../../lib/model/rule-types.js'
import type { NativeExpr } from '../../types/native.js'

const h = (hex: string) => Buffer.from(hex, 'hex')

function env(family: Family, sets: Record<string, SetInfo> = {}): CompileEnv {
  let id = 1
  return { family, table: 't', findSet: (name) => sets[name], nextSetId: () => id++ }
}
const compile = (family: Family, exprs: readonly RuleExpr[], sets: Record<string, SetInfo> = {}) => compileRule(exprs, env(family, sets), 'rule.exprs')
const exprsOf = (family: Family, exprs: readonly RuleExpr[], sets: Record<string, SetInfo> = {}) => compile(family, exprs, sets).exprs

// Building blocks, in nft's words.
const meta = (key: number): NativeExpr => ({ type: 'meta', key, dreg: 1 })
const cmp = (op: number, data: Buffer): NativeExpr => ({ type: 'cmp', sreg: 1, op, data })
const eq = (hex: string) => cmp(0, h(hex))
const payload = (base: number, offset: number, len: number, dreg = 1): NativeExpr => ({ type: 'payload', dreg, base, offset, len })
const verdict = (code: number, chain?: string): NativeExpr => ({ type: 'immediate', dreg: 0, verdict: code, ...(chain ? { chain } : {}) })
const NFPROTO_IPV4 = [meta(15), eq('02')]
const NFPROTO_IPV6 = [meta(15), eq('0a')]
const L4_TCP = [meta(16), eq('06')]
const L4_UDP = [meta(16), eq('11')]

describe('protocol dependencies', () => {
  it('inet: ip saddr is guarded by meta nfproto ipv4 (key 15), first', () => {
    expect(exprsOf('inet', [{ match: 'ip saddr', value: '10.0.0.1' }, { stmt: 'accept' }])).toEqual([
      ...NFPROTO_IPV4,
      payload(1, 12, 4),
      eq('0a000001'),
      verdict(1),
    ])
  })

  it('inet: tcp dport is guarded by meta l4proto tcp (key 16)', () => {
    expect(exprsOf('inet', [{ match: 'tcp dport', value: 22 }])).toEqual([...L4_TCP, payload(2, 2, 2), eq('0016')])
    expect(exprsOf('inet', [{ match: 'udp sport', value: 53 }])).toEqual([...L4_UDP, payload(2, 0, 2), eq('0035')])
  })

  it('th dport needs no transport dependency', () => {
    expect(exprsOf('inet', [{ match: 'th dport', value: 8080 }])).toEqual([payload(2, 2, 2), eq('1f90')])
  })

  it('ip family: no nfproto for ip selectors, but l4proto for tcp', () => {
    expect(exprsOf('ip', [{ match: 'ip saddr', value: '10.0.0.1' }, { match: 'tcp dport', value: 22 }])).toEqual([
      payload(1, 12, 4),
      eq('0a000001'),
      ...L4_TCP,
      payload(2, 2, 2),
      eq('0016'),
    ])
  })

  it('bridge: ip saddr is guarded by meta protocol (key 1) ip = 0800', () => {
    expect(exprsOf('bridge', [{ match: 'ip saddr', value: '10.0.0.1' }])).toEqual([meta(1), eq('0800'), payload(1, 12, 4), eq('0a000001')])
    expect(exprsOf('netdev', [{ match: 'ip6 daddr', value: '::1' }])).toEqual([
      meta(1),
      eq('86dd'),
      payload(1, 24, 16),
      eq('00000000000000000000000000000001'),
    ])
  })

  it('an explicit meta l4proto tcp before tcp dport is not duplicated', () => {
    expect(exprsOf('inet', [{ match: 'meta l4proto', value: 'tcp' }, { match: 'tcp dport', value: 22 }])).toEqual([
      ...L4_TCP,
      payload(2, 2, 2),
      eq('0016'),
    ])
  })

  it('explicit meta nfproto and ip protocol satisfy later dependencies too', () => {
    expect(exprsOf('inet', [{ match: 'meta nfproto', value: 'ipv4' }, { match: 'ip saddr', value: '1.1.1.1' }])).toEqual([
      ...NFPROTO_IPV4,
      payload(1, 12, 4),
      eq('01010101'),
    ])
    expect(exprsOf('inet', [{ match: 'ip protocol', value: 'tcp' }, { match: 'tcp dport', value: 22 }])).toEqual([
      ...NFPROTO_IPV4,
      payload(1, 9, 1),
      eq('06'),
      payload(2, 2, 2),
      eq('0016'),
    ])
    expect(exprsOf('inet', [{ match: 'ip6 nexthdr', value: 'udp' }, { match: 'udp dport', value: 53 }])).toEqual([
      ...NFPROTO_IPV6,
      payload(1, 6, 1),
      eq('11'),
      payload(2, 2, 2),
      eq('0035'),
    ])
  })

  it('a negated protocol match does not satisfy the dependency', () => {
    expect(exprsOf('inet', [{ match: 'meta l4proto', op: '!=', value: 'tcp' }, { match: 'tcp dport', value: 22 }])).toEqual([
      meta(16),
      cmp(1, h('06')),
      ...L4_TCP,
      payload(2, 2, 2),
      eq('0016'),
    ])
  })

  it('a transport match after the statement that needs it re-adds the dependency only once per rule', () => {
    expect(exprsOf('inet', [{ match: 'ip saddr', value: '1.1.1.1' }, { match: 'ip daddr', value: '2.2.2.2' }])).toEqual([
      ...NFPROTO_IPV4,
      payload(1, 12, 4),
      eq('01010101'),
      payload(1, 16, 4),
      eq('02020202'),
    ])
  })

  it('icmp type needs both nfproto ipv4 and l4proto icmp', () => {
    expect(exprsOf('inet', [{ match: 'icmp type', value: 'echo-request' }])).toEqual([...NFPROTO_IPV4, meta(16), eq('01'), payload(2, 0, 1), eq('08')])
    expect(exprsOf('ip6', [{ match: 'icmpv6 type', value: 'echo-request' }])).toEqual([meta(16), eq('3a'), payload(2, 0, 1), eq('80')])
  })

  it('ether selectors need meta iiftype ether outside bridge/netdev', () => {
    const iiftypeEther = VALUE_TYPES.iface_type.encode(1n)
    expect(exprsOf('inet', [{ match: 'ether saddr', value: '02:00:00:00:00:01' }])).toEqual([
      meta(8),
      cmp(0, iiftypeEther),
      payload(0, 6, 6),
      eq('020000000001'),
    ])
    expect(exprsOf('bridge', [{ match: 'ether daddr', value: '02:00:00:00:00:02' }])).toEqual([payload(0, 0, 6), eq('020000000002')])
  })

  // Regression test (found as a bug, fixed): in bridge/netdev tables an explicit `meta protocol ip` does not satisfy
  // the network dependency (trackContext handles meta nfproto but not meta
  // protocol), so the compare is emitted twice. nft emits it once:
  //   nft --debug=netlink add rule bridge b c meta protocol ip ip saddr 10.0.0.1
  //   [ meta load protocol => reg 1 ] [ cmp eq reg 1 0x00000008 ] [ payload load 4b @ network header + 12 ] ...
  it('bridge: an explicit meta protocol ip before ip saddr is not duplicated (as nft)', () => {
    expect(exprsOf('bridge', [{ match: 'meta protocol', value: 'ip' }, { match: 'ip saddr', value: '10.0.0.1' }])).toEqual([
      meta(1),
      eq('0800'),
      payload(1, 12, 4),
      eq('0a000001'),
    ])
  })
})

describe('values', () => {
  it('byte-aligned prefixes load only the prefix bytes', () => {
    expect(exprsOf('inet', [{ match: 'ip saddr', value: '10.1.0.0/16' }])).toEqual([...NFPROTO_IPV4, payload(1, 12, 2), eq('0a01')])
    expect(exprsOf('inet', [{ match: 'ip daddr', value: '10.0.0.0/8' }])).toEqual([...NFPROTO_IPV4, payload(1, 16, 1), eq('0a')])
    expect(exprsOf('ip6', [{ match: 'ip6 saddr', value: '2001:db8::/64' }])).toEqual([payload(1, 8, 8), eq('20010db800000000')])
    expect(exprsOf('ip', [{ match: 'ip saddr', op: '!=', value: '10.1.0.0/16' }])).toEqual([payload(1, 12, 2), cmp(1, h('0a01'))])
  })

  it('other prefixes load the whole address and mask it', () => {
    expect(exprsOf('inet', [{ match: 'ip saddr', value: '10.0.0.0/20' }])).toEqual([
      ...NFPROTO_IPV4,
      payload(1, 12, 4),
      { type: 'bitwise', sreg: 1, dreg: 1, len: 4, mask: h('fffff000'), xor: h('00000000') },
      eq('0a000000'),
    ])
    expect(exprsOf('ip6', [{ match: 'ip6 saddr', value: 'fe80::/10' }])).toEqual([
      payload(1, 8, 16),
      { type: 'bitwise', sreg: 1, dreg: 1, len: 16, mask: h('ffc00000000000000000000000000000'), xor: Buffer.alloc(16) },
      eq('fe800000000000000000000000000000'),
    ])
  })

  it('ranges: == is cmp gte (5) + lte (3); != is a range expression (op 1)', () => {
    expect(exprsOf('inet', [{ match: 'tcp dport', value: '1000-2000' }])).toEqual([...L4_TCP, payload(2, 2, 2), cmp(5, h('03e8')), cmp(3, h('07d0'))])
    expect(exprsOf('inet', [{ match: 'tcp dport', op: '!=', value: '1000-2000' }])).toEqual([
      ...L4_TCP,
      payload(2, 2, 2),
      { type: 'range', sreg: 1, op: 1, from: h('03e8'), to: h('07d0') },
    ])
    expect(exprsOf('ip', [{ match: 'ip saddr', value: '10.0.0.1-10.0.0.9' }])).toEqual([payload(1, 12, 4), cmp(5, h('0a000001')), cmp(3, h('0a000009'))])
  })

  it('host-order values are encoded in host order', () => {
    expect(exprsOf('inet', [{ match: 'meta mark', value: 16 }])).toEqual([meta(3), cmp(0, hostU32(16))])
    expect(exprsOf('inet', [{ match: 'ct mark', op: '!=', value: '0x1' }])).toEqual([{ type: 'ct', key: 3, dreg: 1 }, cmp(1, hostU32(1))])
  })

  it('interface names: full names are 16 bytes, wildcards compare the stem', () => {
    expect(exprsOf('inet', [{ match: 'meta iifname', value: 'eth0' }])).toEqual([meta(6), cmp(0, Buffer.concat([Buffer.from('eth0'), Buffer.alloc(12)]))])
    expect(exprsOf('inet', [{ match: 'oifname' as never, value: 'eth*' }])).toEqual([meta(7), eq('657468')])
  })

  // Regression test (found as a bug, fixed): `tcp flags == syn` compiled to the
  // bit test of `tcp flags syn` (also SYN-ACK), and `ct status ! dnat` to the
  // exact `ct status != dnat`. Every operator as `nft --debug=netlink` (1.0.6)
  // compiles it: no op / `in` = (x & mask) != 0, `!` = (x & mask) == 0,
  // `==` / `!=` = a compare of the whole field.
  it('flag selectors: each operator as nft compiles it', () => {
    const flags = payload(2, 13, 1)
    const test = (mask: string, op: number) => [{ type: 'bitwise', sreg: 1, dreg: 1, len: 1, mask: h(mask), xor: h('00') }, cmp(op, h('00'))]
    const tcp: Array<[RuleExpr, NativeExpr[]]> = [
      [{ match: 'tcp flags', value: 'syn' }, test('02', 1)], // tcp flags syn
      [{ match: 'tcp flags', op: 'in', value: 'syn' }, test('02', 1)],
      [{ match: 'tcp flags', op: '==', value: 'syn' }, [eq('02')]], // tcp flags == syn
      [{ match: 'tcp flags', op: '!=', value: 'syn' }, [cmp(1, h('02'))]], // tcp flags != syn
      [{ match: 'tcp flags', op: '!', value: 'syn' }, test('02', 0)], // tcp flags ! syn
      [{ match: 'tcp flags', value: ['syn', 'ack'] }, test('12', 1)], // tcp flags syn,ack
      [{ match: 'tcp flags', value: 'syn | ack' }, test('12', 1)], // tcp flags syn|ack
      [{ match: 'tcp flags', op: '==', value: 'syn | ack' }, [eq('12')]], // tcp flags == syn|ack
      [{ match: 'tcp flags', op: '==', value: ['syn', 'ack'] }, [eq('12')]], // tcp flags == syn,ack
      [{ match: 'tcp flags', op: '!=', value: 'syn | ack' }, [cmp(1, h('12'))]], // tcp flags != syn|ack
      [{ match: 'tcp flags', op: '!=', value: ['syn', 'ack'] }, [cmp(1, h('12'))]], // tcp flags != syn,ack
      [{ match: 'tcp flags', op: '!', value: ['syn', 'ack'] }, test('12', 0)], // tcp flags ! syn,ack
    ]
    for (const [m, want] of tcp) expect(exprsOf('inet', [m]), JSON.stringify(m)).toEqual([...L4_TCP, flags, ...want])
    const ct = (key: number): NativeExpr => ({ type: 'ct', key, dreg: 1 })
    const test32 = (mask: number, op: number) => [{ type: 'bitwise', sreg: 1, dreg: 1, len: 4, mask: hostU32(mask), xor: hostU32(0) }, cmp(op, hostU32(0))]
    const conn: Array<[RuleExpr, NativeExpr[]]> = [
      [{ match: 'ct state', value: 'established' }, [ct(0), ...test32(2, 1)]],
      [{ match: 'ct state', op: '==', value: 'established' }, [ct(0), cmp(0, hostU32(2))]],
      [{ match: 'ct state', op: '!=', value: 'established' }, [ct(0), cmp(1, hostU32(2))]],
      [{ match: 'ct state', op: '!', value: 'established' }, [ct(0), ...test32(2, 0)]],
      [{ match: 'ct state', value: ['established', 'related'] }, [ct(0), ...test32(6, 1)]],
      [{ match: 'ct state', op: '==', value: 'established | related' }, [ct(0), cmp(0, hostU32(6))]],
      [{ match: 'ct state', op: '!', value: ['established', 'related'] }, [ct(0), ...test32(6, 0)]],
      [{ match: 'ct status', value: 'dnat' }, [ct(2), ...test32(0x20, 1)]],
      [{ match: 'ct status', op: '==', value: 'dnat' }, [ct(2), cmp(0, hostU32(0x20))]],
      [{ match: 'ct status', op: '!=', value: 'dnat' }, [ct(2), cmp(1, hostU32(0x20))]],
      [{ match: 'ct status', op: '!', value: 'dnat' }, [ct(2), ...test32(0x20, 0)]], // ct status ! dnat
      [{ match: 'ct status', op: '!', value: ['snat', 'dnat'] }, [ct(2), ...test32(0x30, 0)]],
      [{ match: 'ct status', op: '!=', value: 'snat | dnat' }, [ct(2), cmp(1, hostU32(0x30))]],
    ]
    for (const [m, want] of conn) expect(exprsOf('inet', [m]), JSON.stringify(m)).toEqual(want)
    // `{ elements }` stays a set lookup (tcp flags { syn, ack }).
    const r = compile('inet', [{ match: 'tcp flags', value: { elements: ['syn', 'ack'] } }])
    expect(r.exprs).toEqual([...L4_TCP, flags, { type: 'lookup', sreg: 1, set: '__set%d', setId: 1 }])
  })

  it('flag operators: bit tests only for flag values, clear errors otherwise', () => {
    expect(() => exprsOf('inet', [{ match: 'meta mark', op: '!', value: 1 }])).toThrow(/'!' is a bit test of tcp flags, ct state or ct status/)
    expect(() => exprsOf('inet', [{ match: 'tcp flags', op: '!', value: { elements: ['syn'] } }])).toThrow(/not a set lookup/)
    expect(() => exprsOf('inet', [{ match: 'tcp flags', op: '<' as never, value: 'syn' }])).toThrow(/Expected '==', '!=', 'in' or '!'/)
  })

  it('a single-element list is a plain compare', () => {
    expect(compile('inet', [{ match: 'tcp dport', value: [22] }])).toEqual({ exprs: [...L4_TCP, payload(2, 2, 2), eq('0016')], sets: [] })
  })
})

describe('sets', () => {
  it('lists become anonymous sets created before the rule', () => {
    const r = compile('inet', [{ match: 'tcp dport', value: [22, 80] }])
    expect(r.exprs).toEqual([...L4_TCP, payload(2, 2, 2), { type: 'lookup', sreg: 1, set: '__set%d', setId: 1 }])
    expect(r.sets).toHaveLength(2)
    expect(r.sets[0]).toMatchObject({ verb: 'add', kind: 'set', family: 1, table: 't', name: '__set%d', setId: 1, flags: 3, keyType: 13, keyLen: 2, size: 2 })
    expect(r.sets[1]).toEqual({
      verb: 'add',
      kind: 'element',
      family: 1,
      table: 't',
      set: '__set%d',
      setId: 1,
      elements: [{ key: h('0016') }, { key: h('0050') }],
    })
  })

  it('lists with ranges become interval sets with bounds and the leading zero', () => {
    const r = compile('inet', [{ match: 'tcp dport', op: '!=', value: [22, '1000-2000'] }])
    expect(r.exprs.at(-1)).toEqual({ type: 'lookup', sreg: 1, set: '__set%d', setId: 1, flags: 1 })
    expect(r.sets[0]).toMatchObject({ flags: 7 })
    expect(r.sets[1].elements).toEqual([
      { key: h('0000'), flags: 1 },
      { key: h('0016') },
      { key: h('0017'), flags: 1 },
      { key: h('03e8') },
      { key: h('07d1'), flags: 1 },
    ])
  })

  it('concatenations load fields into consecutive 4-byte registers from 8 (reg 1 = 8-11)', () => {
    const r = compile('inet', [{ match: ['ip saddr', 'tcp dport'], value: [['10.0.0.1', 22]] }])
    expect(r.exprs).toEqual([...NFPROTO_IPV4, ...L4_TCP, payload(1, 12, 4, 1), payload(2, 2, 2, 9), { type: 'lookup', sreg: 1, set: '__set%d', setId: 1 }])
    expect(r.sets[0]).toMatchObject({ keyType: 7 * 64 + 13, keyLen: 8, flags: 3 })
    expect(r.sets[1].elements).toEqual([{ key: h('0a00000100160000') }])
    const v6 = compile('inet', [{ match: ['ip6 saddr', 'meta l4proto', 'th dport'], value: { set: 'svc6' } }])
    // nfproto dependency in reg 1, then a 16-byte address in 8-11, l4proto in 12, the port in 13 (as nft).
    expect(v6.exprs.filter((e) => e.type !== 'cmp' && e.dreg !== undefined).map((e) => e.dreg)).toEqual([1, 1, 12, 13])
  })

  it('named sets are looked up by name, with their id when declared in the same batch', () => {
    const allow: SetInfo = { name: 'allow', id: 7, key: [DATATYPES.ipv4_addr] }
    expect(exprsOf('inet', [{ match: 'ip saddr', op: '!=', value: { set: 'allow' } }], { allow })).toEqual([
      ...NFPROTO_IPV4,
      payload(1, 12, 4),
      { type: 'lookup', sreg: 1, set: 'allow', setId: 7, flags: 1 },
    ])
    expect(exprsOf('inet', [{ match: 'tcp dport', value: { set: 'elsewhere' } }])).toEqual([
      ...L4_TCP,
      payload(2, 2, 2),
      { type: 'lookup', sreg: 1, set: 'elsewhere' },
    ])
  })

  it('verdict maps: lookup into register 0; anonymous ones are __map%d', () => {
    expect(exprsOf('inet', [{ stmt: 'vmap', key: 'ip daddr', map: { set: 'vm' } }])).toEqual([
      ...NFPROTO_IPV4,
      payload(1, 16, 4),
      { type: 'lookup', sreg: 1, set: 'vm', dreg: 0 },
    ])
    const r = compile('inet', [{ stmt: 'vmap', key: 'tcp dport', map: [[22, { jump: 'other' }], [80, 'accept']] }])
    expect(r.exprs.at(-1)).toEqual({ type: 'lookup', sreg: 1, set: '__map%d', setId: 1, dreg: 0 })
    expect(r.sets[0]).toMatchObject({ name: '__map%d', flags: 0xb, dataType: 0xffffff00, dataLen: 16 })
    expect(r.sets[1].elements).toEqual([
      { key: h('0016'), verdict: -3, chain: 'other' },
      { key: h('0050'), verdict: 1 },
    ])
  })

  // Regression test (found as a bug, fixed): host-order keys (marks) in
  // interval sets were looked up without nft's byteorder conversion, so the
  // register (host order) was compared with big-endian bounds: mark 1 missed
  // { 1-5 }. nft --debug=netlink (1.0.6):
  //   meta mark { 1-5, 10 }      [ meta load mark => reg 1 ] [ byteorder reg 1 = hton(reg 1, 4, 4) ] [ lookup ]
  //                              elements 0 [end], 0x01000000, 0x06000000 [end], 0x0a000000, 0x0b000000 [end] (big-endian)
  //   meta mark . ip saddr @s    [ meta load mark => reg 1 ] [ byteorder reg 1 = hton(reg 1, 4, 4) ] [ payload load 4b => reg 9 ]
  //   ip saddr . meta mark { }   [ payload => reg 1 ] [ meta load mark => reg 9 ] [ byteorder reg 9 = hton(reg 9, 4, 4) ]
  //   meta mark 1-5              hton, cmp gte 0x01000000 (bytes 00000001), cmp lte ...
  //   meta mark != 1-5           hton, range neq
  //   meta iiftype 1-5           byteorder hton(reg 1, 2, 2), cmp gte/lte
  //   meta mark { 1, 10 }, @hash no conversion (hash sets hold host-order keys)
  const hton = (reg: number, size: number): NativeExpr => ({ type: 'byteorder', sreg: reg, dreg: reg, op: 1, len: size, size })
  it('host-order keys are converted to network order for interval sets and ranges, as nft does', () => {
    const mark = meta(3)
    const anon = compile('ip', [{ match: 'meta mark', value: ['1-5', 10] }])
    expect(anon.exprs).toEqual([mark, hton(1, 4), { type: 'lookup', sreg: 1, set: '__set%d', setId: 1 }])
    expect(anon.sets[1].elements).toEqual([
      { key: h('00000000'), flags: 1 },
      { key: h('00000001') },
      { key: h('00000006'), flags: 1 },
      { key: h('0000000a') },
      { key: h('0000000b'), flags: 1 },
    ])
    const ctMark = compile('ip', [{ match: 'ct mark', value: ['1-5', 10] }])
    expect(ctMark.exprs.slice(0, 2)).toEqual([{ type: 'ct', key: 3, dreg: 1 }, hton(1, 4)])
    // Hash sets keep host order: no conversion.
    expect(exprsOf('ip', [{ match: 'meta mark', value: [1, 10] }])).toEqual([mark, { type: 'lookup', sreg: 1, set: '__set%d', setId: 1 }])
    const m: SetInfo = { name: 'm', key: [DATATYPES.mark], interval: true }
    const hs: SetInfo = { name: 'hs', key: [DATATYPES.mark] }
    const s: SetInfo = { name: 's', key: [DATATYPES.mark, DATATYPES.ipv4_addr], interval: true }
    const hc: SetInfo = { name: 'hc', key: [DATATYPES.mark, DATATYPES.ipv4_addr] }
    const sets = { m, hs, s, hc }
    expect(exprsOf('ip', [{ match: 'meta mark', value: { set: 'm' } }], sets)).toEqual([mark, hton(1, 4), { type: 'lookup', sreg: 1, set: 'm' }])
    expect(exprsOf('ip', [{ match: 'meta mark', value: { set: 'hs' } }], sets)).toEqual([mark, { type: 'lookup', sreg: 1, set: 'hs' }])
    expect(exprsOf('ip', [{ match: ['meta mark', 'ip saddr'], value: { set: 's' } }], sets)).toEqual([
      mark,
      hton(1, 4),
      payload(1, 12, 4, 9),
      { type: 'lookup', sreg: 1, set: 's' },
    ])
    expect(exprsOf('ip', [{ match: ['meta mark', 'ip saddr'], value: { set: 'hc' } }], sets)).toEqual([mark, payload(1, 12, 4, 9), { type: 'lookup', sreg: 1, set: 'hc' }])
    expect(exprsOf('ip', [{ stmt: 'vmap', key: 'meta mark', map: { set: 'm' } }], sets)).toEqual([mark, hton(1, 4), { type: 'lookup', sreg: 1, set: 'm', dreg: 0 }])
    // The second field of an anonymous interval concatenation, in register 9.
    const cat = compile('ip', [{ match: ['ip saddr', 'meta mark'], value: [['10.0.0.0/8', '1-5']] }])
    expect(cat.exprs).toEqual([payload(1, 12, 4), { type: 'meta', key: 3, dreg: 9 }, hton(9, 4), { type: 'lookup', sreg: 1, set: '__set%d', setId: 1 }])
    expect(cat.sets[1].elements).toEqual([{ key: h('0a00000000000001'), keyEnd: h('0affffff00000005') }])
    // Ranges.
    expect(exprsOf('ip', [{ match: 'meta mark', value: '1-5' }])).toEqual([mark, hton(1, 4), cmp(5, h('00000001')), cmp(3, h('00000005'))])
    expect(exprsOf('ip', [{ match: 'meta mark', op: '!=', value: '1-5' }])).toEqual([
      mark,
      hton(1, 4),
      { type: 'range', sreg: 1, op: 1, from: h('00000001'), to: h('00000005') },
    ])
    // Mark prefixes are a host-order mask, no conversion (nft: bitwise & 0xfffffff0, cmp eq 0x10).
    expect(exprsOf('ip', [{ match: 'meta mark', value: '0x00000010/28' }])).toEqual([
      mark,
      { type: 'bitwise', sreg: 1, dreg: 1, len: 4, mask: hostU32(0xfffffff0), xor: hostU32(0) },
      cmp(0, hostU32(0x10)),
    ])
    // Interface-type ranges are still refused (nft prints them as numbers, nftkit would print names).
    expect(() => exprsOf('ip', [{ match: 'meta iiftype', value: '1-5' }])).toThrow(/ranges are not supported for meta iiftype/)
  })

  it('a lookup of host-order keys in a set nftkit does not know is refused (its byte order depends on the flags)', () => {
    expect(() => exprsOf('ip', [{ match: 'meta mark', value: { set: 'nowhere' } }])).toThrow(/flags of set nowhere are needed/)
    expect(() => exprsOf('ip', [{ match: 'ip saddr', value: { set: 'nowhere' } }])).not.toThrow()
  })

  it('interval concatenations carry key and keyEnd (flags 0x87, as nft)', () => {
    const r = compile('inet', [{ match: ['ip saddr', 'tcp dport'], value: [['10.0.0.0/24', 22]] }])
    expect(r.sets[0]).toMatchObject({ flags: 0x87, concat: [4, 2] })
    expect(r.sets[1].elements).toEqual([{ key: h('0a00000000160000'), keyEnd: h('0a0000ff00160000') }])
  })

  // Regression test (found as a bug, fixed): a wildcard inside a list (`iifname { "eth*", "wg0" }`) is stored as the
  // literal interface name "eth*" (key 6574682a...) in a plain hash set, so the
  // rule never matches eth0; render still prints it as the wildcard. nft makes
  // an interval set with the prefix range ["eth", "eti") for it:
  //   nft --debug=netlink add rule inet t f iifname { "eth*", "wg0" } accept
  //   __set%d t 7 size 5: 0 [end], eth, eti [end], wg0, wg0+1 [end]
  it('a wildcard in a list of interface names is a prefix interval, as in nft', () => {
    const name = (s: string, last = 0) => {
      const b = Buffer.alloc(16)
      b.write(s)
      b[15] = last
      return b
    }
    const r = compile('inet', [{ match: 'meta iifname', value: ['eth*', 'wg0'] }])
    expect(r.sets[0].flags).toBe(7)
    expect(r.sets[1].elements).toEqual([
      { key: Buffer.alloc(16), flags: 1 },
      { key: name('eth') },
      { key: name('eti'), flags: 1 },
      { key: name('wg0') },
      { key: name('wg0', 1), flags: 1 },
    ])
  })

  it('allocates one set id per anonymous set', () => {
    const r = compile('inet', [{ match: 'ip saddr', value: ['1.1.1.1', '2.2.2.2'] }, { match: 'tcp dport', value: [1, 2] }])
    expect(r.sets.map((s) => s.setId)).toEqual([1, 1, 2, 2])
  })
})

describe('statements', () => {
  it('verdicts', () => {
    expect(exprsOf('inet', [{ stmt: 'accept' }, { stmt: 'drop' }, { stmt: 'continue' }, { stmt: 'return' }])).toEqual([verdict(1), verdict(0), verdict(-1), verdict(-5)])
    expect(exprsOf('inet', [{ stmt: 'jump', chain: 'x' }, { stmt: 'goto', chain: 'y' }])).toEqual([verdict(-3, 'x'), verdict(-4, 'y')])
  })

  it('reject: icmpx in inet, icmp in ip, icmp/icmpv6 after a network match, tcp reset with l4proto', () => {
    expect(exprsOf('inet', [{ stmt: 'reject' }])).toEqual([{ type: 'reject', rejectType: 2, code: 1 }])
    expect(exprsOf('bridge', [{ stmt: 'reject' }])).toEqual([{ type: 'reject', rejectType: 2, code: 1 }])
    expect(exprsOf('ip', [{ stmt: 'reject' }])).toEqual([{ type: 'reject', rejectType: 0, code: 3 }])
    expect(exprsOf('ip6', [{ stmt: 'reject' }])).toEqual([{ type: 'reject', rejectType: 0, code: 4 }])
    expect(exprsOf('inet', [{ match: 'ip saddr', value: '1.1.1.1' }, { stmt: 'reject' }]).at(-1)).toEqual({ type: 'reject', rejectType: 0, code: 3 })
    expect(exprsOf('inet', [{ stmt: 'reject', with: { icmp: 'host-unreachable' } }])).toEqual([...NFPROTO_IPV4, { type: 'reject', rejectType: 0, code: 1 }])
    expect(exprsOf('inet', [{ stmt: 'reject', with: { icmpv6: 'admin-prohibited' } }])).toEqual([...NFPROTO_IPV6, { type: 'reject', rejectType: 0, code: 1 }])
    expect(exprsOf('inet', [{ stmt: 'reject', with: { icmpx: 'admin-prohibited' } }])).toEqual([{ type: 'reject', rejectType: 2, code: 3 }])
    expect(exprsOf('inet', [{ stmt: 'reject', with: 'tcp reset' }])).toEqual([...L4_TCP, { type: 'reject', rejectType: 1 }])
  })

  it('marks, notrack, counters', () => {
    expect(exprsOf('inet', [{ stmt: 'meta mark set', value: 16 }])).toEqual([
      { type: 'immediate', dreg: 1, data: hostU32(16) },
      { type: 'meta', key: 3, sreg: 1 },
    ])
    expect(exprsOf('inet', [{ stmt: 'ct mark set', value: 32 }]).at(-1)).toEqual({ type: 'ct', key: 3, sreg: 1 })
    expect(exprsOf('inet', [{ stmt: 'meta mark set', value: 'ct mark' }])).toEqual([
      { type: 'ct', key: 3, dreg: 1 },
      { type: 'meta', key: 3, sreg: 1 },
    ])
    expect(exprsOf('inet', [{ stmt: 'notrack' }, { stmt: 'counter' }, { stmt: 'counter', packets: 2, bytes: 9 }, { stmt: 'counter', name: 'cnt' }])).toEqual([
      { type: 'notrack' },
      { type: 'counter' },
      { type: 'counter', packets: 2, bytes: 9 },
      { type: 'objref', objType: 1, name: 'cnt' },
    ])
  })

  it('log and limit', () => {
    expect(exprsOf('inet', [{ stmt: 'log' }, { stmt: 'log', prefix: 'x ', level: 'info' }])).toEqual([{ type: 'log' }, { type: 'log', prefix: 'x ', level: 6 }])
    expect(exprsOf('inet', [{ stmt: 'limit', rate: 10, per: 'second' }, { stmt: 'limit', rate: 5, per: 'minute', burst: 10, over: true }])).toEqual([
      { type: 'limit', rate: 10, unit: 1, burst: 5, limitType: 0, flags: 0 },
      { type: 'limit', rate: 5, unit: 60, burst: 10, limitType: 0, flags: 1 },
    ])
  })

  it('nat: address and port registers, netmap for prefixes', () => {
    expect(exprsOf('inet', [{ match: 'meta l4proto', value: 'tcp' }, { stmt: 'dnat', to: '10.0.0.5:80' }])).toEqual([
      ...L4_TCP,
      { type: 'immediate', dreg: 1, data: h('0a000005') },
      { type: 'immediate', dreg: 2, data: h('0050') },
      { type: 'nat', natType: 1, family: 2, regAddrMin: 1, regProtoMin: 2, flags: 2 },
    ])
    expect(exprsOf('ip', [{ stmt: 'snat', to: '10.1.0.0/24', prefix: true }])).toEqual([
      { type: 'immediate', dreg: 1, data: h('0a010000') },
      { type: 'immediate', dreg: 2, data: h('0a0100ff') },
      { type: 'nat', natType: 0, family: 2, regAddrMin: 1, regAddrMax: 2, flags: 0x40 },
    ])
    expect(exprsOf('inet', [{ stmt: 'dnat', to: '2001:db8::5' }])).toEqual([
      { type: 'immediate', dreg: 1, data: h('20010db8000000000000000000000005') },
      { type: 'nat', natType: 1, family: 10, regAddrMin: 1 },
    ])
    expect(exprsOf('inet', [{ match: 'udp dport', value: 53 }, { stmt: 'masquerade', port: '1000-2000' }]).slice(-3)).toEqual([
      { type: 'immediate', dreg: 1, data: h('03e8') },
      { type: 'immediate', dreg: 2, data: h('07d0') },
      { type: 'masq', regProtoMin: 1, regProtoMax: 2, flags: 2 },
    ])
  })

  it('tcp mss clamping', () => {
    expect(exprsOf('inet', [{ match: 'tcp flags', value: 'syn' }, { stmt: 'tcp mss set', value: 'rt mtu' }])).toEqual([
      ...L4_TCP,
      payload(2, 13, 1),
      { type: 'bitwise', sreg: 1, dreg: 1, len: 1, mask: h('02'), xor: h('00') },
      cmp(1, h('00')),
      { type: 'rt', key: 3, dreg: 1 },
      { type: 'byteorder', dreg: 1, sreg: 1, op: 1, len: 2, size: 2 },
      { type: 'exthdr', sreg: 1, exthdrType: 2, offset: 2, len: 2, op: 1 },
    ])
    expect(exprsOf('inet', [{ stmt: 'tcp mss set', value: 1360 }]).at(-2)).toEqual({ type: 'immediate', dreg: 1, data: h('0550') })
  })

  it('raw expressions pass through unchanged', () => {
    const raw: NativeExpr[] = [{ type: 'counter' }, { type: 'quota', bytes: 100n, flags: 0 }]
    expect(exprsOf('inet', [{ match: 'tcp dport', value: 22 }, { raw } as unknown as RuleExpr, { stmt: 'accept' }])).toEqual([
      ...L4_TCP,
      payload(2, 2, 2),
      eq('0016'),
      ...raw,
      verdict(1),
    ])
  })
})
