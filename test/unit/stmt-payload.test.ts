/**
 * Payload statements: parse → typed form → render gives nft's listing text
 * back; compile → decode gives the typed form back; the kernel expressions are
 * nft 1.0.6's (from `nft --debug=netlink`).
 */
import { describe, expect, it } from 'vitest'
import { compileRule } from '../../lib/expr/compile.js'
import { decodeRule } from '../../lib/expr/decode.js'
import { renderRuleBody } from '../../lib/expr/render.js'
import type { Family } from '../../lib/kernel/constants.js'
import type { RuleExpr } from '../../lib/model/rule-types.js'
import { parseRule } from '../../lib/nft/parser.js'

const env = (family: Family) => ({ family, table: 't', findSet: (name: string) => ({ name }), nextSetId: () => 1 })
const compile = (family: Family, exprs: RuleExpr[]) => compileRule(exprs, env(family), 'exprs').exprs
const roundTrip = (family: Family, exprs: RuleExpr[]) => decodeRule(compile(family, exprs), { family, anonSet: () => undefined })
const hex = (b: unknown) => Buffer.from(b as Uint8Array).toString('hex')

// [family, written, typed, printed by nft list ruleset (nft 1.0.6)]
const CASES: Array<[Family, string, RuleExpr[], string]> = [
  ['ip', 'ip daddr set 127.0.0.1', [{ stmt: 'payload set', key: 'ip daddr', value: '127.0.0.1' }], 'ip daddr set 127.0.0.1'],
  ['ip', 'ip ttl set 23', [{ stmt: 'payload set', key: 'ip ttl', value: 23 }], 'ip ttl set 23'],
  ['ip', 'ip ecn set 1', [{ stmt: 'payload set', key: 'ip ecn', value: 'ect1' }], 'ip ecn set ect1'],
  ['ip', 'ip dscp set af23', [{ stmt: 'payload set', key: 'ip dscp', value: 'af23' }], 'ip dscp set af23'],
  ['ip', 'udp dport set 65535', [{ stmt: 'payload set', key: 'udp dport', value: 65535 }], 'udp dport set 65535'],
  ['ip6', 'ip6 flowlabel set 0xfffff', [{ stmt: 'payload set', key: 'ip6 flowlabel', value: 1048575 }], 'ip6 flowlabel set 1048575'],
  ['ip6', 'ip6 dscp set 63', [{ stmt: 'payload set', key: 'ip6 dscp', value: '0x3f' }], 'ip6 dscp set 0x3f'],
  ['inet', 'ip ttl set 23', [{ stmt: 'payload set', key: 'ip ttl', value: 23 }], 'ip ttl set 23'],
  ['bridge', 'ether saddr set ff:fe:dc:ba:98:76 drop', [{ stmt: 'payload set', key: 'ether saddr', value: 'ff:fe:dc:ba:98:76' }, { stmt: 'drop' }], 'ether saddr set ff:fe:dc:ba:98:76 drop'],
  ['bridge', 'vlan id 1 vlan id set 2', [{ match: 'vlan id', value: 1 }, { stmt: 'payload set', key: 'vlan id', value: 2 }], 'vlan id 1 vlan id set 2'],
]

describe('payload statements', () => {
  for (const [family, text, typed, printed] of CASES) {
    it(`${family}: ${text}`, () => {
      expect(parseRule(text).exprs).toEqual(typed)
      expect(renderRuleBody({ exprs: typed })).toBe(printed)
      expect(parseRule(printed).exprs).toEqual(typed)
      expect(roundTrip(family, typed)).toEqual(typed)
    })
  }

  it('writes whole-byte fields from an immediate, with the header checksum and the pseudo-header flag', () => {
    const out = compile('ip', [{ stmt: 'payload set', key: 'ip daddr', value: '127.0.0.1' }])
    expect(out[0]).toMatchObject({ type: 'immediate', dreg: 1 })
    expect(hex(out[0].data)).toBe('7f000001')
    expect(out[1]).toEqual({ type: 'payload', sreg: 1, base: 1, offset: 16, len: 4, csumType: 1, csumOffset: 10, csumFlags: 1 })
    const tcp = compile('ip', [{ stmt: 'payload set', key: 'tcp dport', value: 80 }])
    expect(tcp.map((e) => e.type)).toEqual(['meta', 'cmp', 'immediate', 'payload'])
    expect(tcp[3]).toEqual({ type: 'payload', sreg: 1, base: 2, offset: 2, len: 2, csumType: 1, csumOffset: 16 })
    const ip6 = compile('ip6', [{ stmt: 'payload set', key: 'ip6 hoplimit', value: 1 }])
    expect(ip6[1]).toEqual({ type: 'payload', sreg: 1, base: 1, offset: 7, len: 1 })
  })

  it('reads, masks and writes back 16-bit words for odd fields of checksummed headers and bitfields', () => {
    // nft: payload load 2b @ network header + 8; bitwise (reg & 0x00ff) ^ 0x1700; payload write 2b @ + 8
    const ttl = compile('ip', [{ stmt: 'payload set', key: 'ip ttl', value: 23 }])
    expect(ttl[0]).toEqual({ type: 'payload', dreg: 1, base: 1, offset: 8, len: 2 })
    expect([hex(ttl[1].mask), hex(ttl[1].xor)]).toEqual(['00ff', '1700'])
    expect(ttl[2]).toEqual({ type: 'payload', sreg: 1, base: 1, offset: 8, len: 2, csumType: 1, csumOffset: 10 })
    // ip protocol: at odd offset 9, widened down to 8; a pseudo-header field.
    const proto = compile('ip', [{ stmt: 'payload set', key: 'ip protocol', value: 1 }])
    expect([hex(proto[1].mask), hex(proto[1].xor), proto[2].csumFlags]).toEqual(['ff00', '0001', 1])
    const dscp = compile('ip', [{ stmt: 'payload set', key: 'ip dscp', value: 'af23' }])
    expect([dscp[0].offset, hex(dscp[1].mask), hex(dscp[1].xor)]).toEqual([0, 'ff03', '0058'])
    // ip6 has no checksum: the dscp bits span two bytes, the flowlabel three.
    const d6 = compile('ip6', [{ stmt: 'payload set', key: 'ip6 dscp', value: 'af42' }])
    expect([hex(d6[1].mask), hex(d6[1].xor)]).toEqual(['f03f', '0900'])
    const fl = compile('ip6', [{ stmt: 'payload set', key: 'ip6 flowlabel', value: 12345 }])
    expect([fl[0].offset, fl[0].len, hex(fl[1].mask), hex(fl[1].xor)]).toEqual([1, 3, 'f00000', '003039'])
  })

  it('refuses what it cannot write', () => {
    expect(() => parseRule('meta l4proto set 6')).toThrow(/nftkit does not support 'meta l4proto set' yet/)
    expect(() => parseRule('ip daddr set ip saddr')).toThrow(/'ip daddr set' with an expression/)
    expect(() => parseRule('ip ttl set ip ttl & 3')).toThrow(/'ip ttl set' with an expression/)
    expect(parseRule('tcp dport set tcp sport map { 1 : 2 }').exprs).toEqual([{ stmt: 'payload set', key: 'tcp dport', value: { key: 'tcp sport', map: [[1, 2]] } }])
    expect(() => compile('ip', [{ stmt: 'payload set', key: 'ip dscp', value: 64 }])).toThrow(/6 bits/)
    expect(() => compile('ip', [{ stmt: 'payload set', key: 'ip saddr', value: '10.0.0.0/8' }])).toThrow(/not a range/)
  })
})
