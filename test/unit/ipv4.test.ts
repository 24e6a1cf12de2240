/**
 * The one IPv4 parser (kernel/ipv4.ts) and the address parse without
 * exceptions (datatypes.parseAddress): canonical dotted quads only, spans of
 * a string, and reason codes instead of error wording.
 */
import { describe, expect, it } from 'vitest'
import { dotted, ipv4Span, ipv4Value, put32 } from '../../lib/kernel/ipv4.js'
import { DATATYPES, parseAddress } from '../../lib/kernel/datatypes.js'
import { NftValidationError } from '../../lib/kernel/errors.js'

describe('ipv4Value / ipv4Span', () => {
  it('reads canonical dotted quads', () => {
    expect(ipv4Value('0.0.0.0')).toBe(0)
    expect(ipv4Value('10.0.0.1')).toBe(0x0a000001)
    expect(ipv4Value('255.255.255.255')).toBe(0xffffffff)
    expect(ipv4Value('192.168.100.9')).toBe(0xc0a86409)
  })

  it('refuses anything else', () => {
    for (const s of ['', '1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.00', '256.0.0.1', '1.2.3.1000', '1..2.3', '.1.2.3', '1.2.3.', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.-4', '1.2.3.4/8', 'a.b.c.d', '１.2.3.4'])
      expect(ipv4Value(s), s).toBeUndefined()
  })

  it('reads a span of a longer string', () => {
    expect(ipv4Span('10.0.0.0/8', 0, 8)).toBe(0x0a000000)
    expect(ipv4Span('1.2.3.4-5.6.7.8', 8, 15)).toBe(0x05060708)
    expect(ipv4Span('1.2.3.4-5.6.7.8', 0, 15)).toBe(-1)
  })

  it('formats and packs back', () => {
    for (const v of [0, 1, 0x0a000001, 0x7f000001, 0xfffffffe, 0xffffffff]) expect(ipv4Value(dotted(v))).toBe(v)
    const b = new Uint8Array(8)
    put32(b, 4, 0xc0a80001)
    expect(Buffer.from(b).toString('hex')).toBe('00000000c0a80001')
  })
})

describe('parseAddress', () => {
  it('gives intervals for addresses, CIDRs and ranges', () => {
    expect(parseAddress('ipv4_addr', '10.0.0.0/8')).toEqual({ lo: 0x0a000000n, hi: 0x0affffffn })
    expect(parseAddress('ipv4_addr', ' 10.0.0.1 - 10.0.0.9 ')).toEqual({ lo: 0x0a000001n, hi: 0x0a000009n })
    expect(parseAddress('ipv6_addr', '::1')).toEqual({ lo: 1n, hi: 1n })
  })

  it('gives a reason code, and the message parse() throws', () => {
    const cases: Array<[string, string]> = [
      ['10.0.0.1/8', 'host-bits'],
      ['10.0.0.9-10.0.0.1', 'range-order'],
      ['10.0.0.1/33', 'prefix'],
      ['10.0.0.1-x', 'range'],
      ['nope', 'malformed'],
    ]
    for (const [v, code] of cases) {
      const r = parseAddress('ipv4_addr', v)
      expect('code' in r && r.code, v).toBe(code)
      expect(() => DATATYPES.ipv4_addr.parse(v, 'p')).toThrow(NftValidationError)
      try {
        DATATYPES.ipv4_addr.parse(v, 'p')
      } catch (e) {
        expect((e as NftValidationError).reason).toBe('code' in r ? r.message : '')
      }
    }
  })
})
