/**
 * Value types: parsing, printing and byte encoding of addresses, ports,
 * protocols, marks, interface names and MAC addresses.
 */
import { describe, expect, it } from 'vitest'
import {
  DATATYPES,
  VALUE_TYPES,
  concatTypeId,
  datatypeById,
  formatIPv4,
  formatIPv6,
  fromBytes,
  hostInteger,
  hostU32,
  networkOrderView,
  paddedSize,
  parseIPv4,
  parseIPv6,
  prefixLength,
  readHostU32,
  splitConcatTypeId,
  toBytes,
} from '../../lib/kernel/datatypes.js'
import { rejection } from '../helpers/rejection.js'

const v4 = DATATYPES.ipv4_addr
const v6 = DATATYPES.ipv6_addr
const port = DATATYPES.inet_service
const proto = DATATYPES.inet_proto
const mark = DATATYPES.mark
const ifname = DATATYPES.ifname
const mac = DATATYPES.ether_addr


const ip6 = (s: string): bigint => {
  const v = parseIPv6(s)
  if (v === undefined) throw new Error(`test setup: ${s} does not parse`)
  return v
}

describe('IPv4 addresses', () => {
  it('parses dotted quads into 32-bit values', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0n)
    expect(parseIPv4('10.0.0.1')).toBe(0x0a000001n)
    expect(parseIPv4('192.168.1.254')).toBe(0xc0a801fen)
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffffn)
  })

  it.each(['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', '1.2.3.-4', 'a.b.c.d', '', ' 1.2.3.4', '1..2.3'])(
    'rejects %j',
    (s) => {
      expect(parseIPv4(s)).toBeUndefined()
    },
  )

  it('formats values back to dotted quads', () => {
    expect(formatIPv4(0n)).toBe('0.0.0.0')
    expect(formatIPv4(0x0a000001n)).toBe('10.0.0.1')
    expect(formatIPv4(0xffffffffn)).toBe('255.255.255.255')
    expect(formatIPv4(0x7f000001n)).toBe('127.0.0.1')
  })

  it('round-trips every octet position', () => {
    for (const s of ['1.2.3.4', '128.0.0.1', '0.255.0.255', '172.16.31.9']) expect(formatIPv4(parseIPv4(s) as bigint)).toBe(s)
  })
})

describe('IPv6 addresses', () => {
  it('parses full, compressed and mixed forms', () => {
    expect(parseIPv6('::')).toBe(0n)
    expect(parseIPv6('::1')).toBe(1n)
    expect(parseIPv6('1::')).toBe(1n << 112n)
    expect(parseIPv6('2001:db8::1')).toBe((0x20010db8n << 96n) | 1n)
    expect(parseIPv6('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe((0x20010db8n << 96n) | 1n)
    expect(parseIPv6('::ffff:1.2.3.4')).toBe((0xffffn << 32n) | 0x01020304n)
    expect(parseIPv6('1:2:3:4:5:6:1.2.3.4')).toBe(ip6('1:2:3:4:5:6:102:304'))
    // "::" may stand for a single group.
    expect(parseIPv6('1:2:3:4:5:6:7::')).toBe(ip6('1:2:3:4:5:6:7:0'))
  })

  it.each(['1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', '12345::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8::', ':1::', '1.2.3.4', '::1.2.3.256', ':'])(
    'rejects %j',
    (s) => {
      expect(parseIPv6(s)).toBeUndefined()
    },
  )

  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // leading zeros dropped, longest run compressed
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['1:0:0:1:0:0:0:1', '1:0:0:1::1'], // the longer run wins
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['fe80::1:0:0:0', 'fe80::1:0:0:0'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:DB8::ABCD', '2001:db8::abcd'], // lower case
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'], // IPv4-mapped keeps the dotted tail
    ['0:0:0:0:0:ffff:a00:1', '::ffff:10.0.0.1'],
    ['::ffff:0:0', '::ffff:0.0.0.0'],
    ['0:0:0:0:1:0:0:0', '::1:0:0:0'],
  ])('formats %s as %s (RFC 5952)', (input, printed) => {
    expect(formatIPv6(ip6(input))).toBe(printed)
  })

  // Regression test (found as a bug, fixed): nft prints IPv4-compatible addresses (first 96 bits zero, group 7 non-zero)
  // with a dotted tail via inet_ntop: `nft list` shows `ip6 saddr ::1.2.3.4`, nftkit
  // prints `::102:304` although formatIPv6 claims to print "as RFC 5952 and nft do".
  it('formats IPv4-compatible addresses as nft does (::1.2.3.4)', () => {
    expect(formatIPv6(ip6('::1.2.3.4'))).toBe('::1.2.3.4')
  })
})

describe('address value types (ipv4_addr, ipv6_addr)', () => {
  it('parses single addresses, CIDRs and ranges into intervals', () => {
    expect(v4.parse('10.0.0.1', 'p')).toEqual({ lo: 0x0a000001n, hi: 0x0a000001n })
    expect(v4.parse('10.0.0.0/8', 'p')).toEqual({ lo: 0x0a000000n, hi: 0x0affffffn })
    expect(v4.parse('10.0.0.0/32', 'p')).toEqual({ lo: 0x0a000000n, hi: 0x0a000000n })
    expect(v4.parse('0.0.0.0/0', 'p')).toEqual({ lo: 0n, hi: 0xffffffffn })
    expect(v4.parse('10.0.0.1-10.0.0.9', 'p')).toEqual({ lo: 0x0a000001n, hi: 0x0a000009n })
    expect(v4.parse(' 10.0.0.1 - 10.0.0.9 ', 'p')).toEqual({ lo: 0x0a000001n, hi: 0x0a000009n })
    expect(v6.parse('2001:db8::/32', 'p')).toEqual({ lo: 0x20010db8n << 96n, hi: (0x20010db8n << 96n) | ((1n << 96n) - 1n) })
    expect(v6.parse('::1-::5', 'p')).toEqual({ lo: 1n, hi: 5n })
  })

  it('rejects a CIDR with host bits and suggests the network', () => {
    const e = rejection(() => v4.parse('10.0.0.1/8', 'rule.exprs[0].value'))
    expect(e.path).toBe('rule.exprs[0].value')
    expect(e.value).toBe('10.0.0.1/8')
    expect(e.reason).toContain('no host bits')
    expect(e.reason).toContain('did you mean 10.0.0.0/8?')
    expect(e.message).toBe(
      'Expected a CIDR with no host bits set (did you mean 10.0.0.0/8?) for rule.exprs[0].value but received "10.0.0.1/8" (string)',
    )
    expect(rejection(() => v4.parse('192.168.1.77/26', 'p')).reason).toContain('did you mean 192.168.1.64/26?')
    expect(rejection(() => v6.parse('2001:db8::1/32', 'p')).reason).toContain('did you mean 2001:db8::/32?')
    expect(rejection(() => v6.parse('fe80::1/10', 'p')).reason).toContain('did you mean fe80::/10?')
    expect(rejection(() => v6.parse('::ffff:10.0.0.1/120', 'p')).reason).toContain('did you mean ::ffff:10.0.0.0/120?')
  })

  it.each(['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', '10.0.0.0/abc', '10.0.0.0/1000', '10.0.0/8'])(
    'rejects the IPv4 CIDR %j with the allowed prefix range',
    (s) => {
      const e = rejection(() => v4.parse(s, 'x'))
      expect(e.reason).toBe('Expected an IPv4 address in CIDR notation with a prefix length of 0-32')
    },
  )

  it.each(['1::/129', '1::/', '1::/x', 'zz::/64'])('rejects the IPv6 CIDR %j with the allowed prefix range', (s) => {
    expect(rejection(() => v6.parse(s, 'x')).reason).toBe('Expected an IPv6 address in CIDR notation with a prefix length of 0-128')
  })

  it('rejects reversed ranges', () => {
    const e = rejection(() => v4.parse('10.0.0.9-10.0.0.1', 'r'))
    expect(e.reason).toBe('Expected a range whose start is not above its end')
    expect(e.path).toBe('r')
    expect(rejection(() => v6.parse('::9-::1', 'r')).reason).toBe('Expected a range whose start is not above its end')
  })

  it('rejects malformed range bounds and non-strings', () => {
    expect(rejection(() => v4.parse('10.0.0.1-10.0.0.300', 'r')).reason).toMatch(/^Expected a range of .*IPv4 address.* like a-b$/)
    expect(rejection(() => v4.parse(167772161, 'r')).reason).toBe('Expected an IPv4 address, CIDR or range')
    expect(rejection(() => v4.parse('2001:db8::1', 'r')).reason).toBe('Expected an IPv4 address, CIDR or range')
    expect(rejection(() => v6.parse('10.0.0.1', 'r')).reason).toBe('Expected an IPv6 address, CIDR or range')
  })

  it('prints single values, prefixes and ranges as nft does', () => {
    expect(v4.format({ lo: 0x0a000001n, hi: 0x0a000001n })).toBe('10.0.0.1')
    expect(v4.format({ lo: 0x0a000000n, hi: 0x0a0000ffn })).toBe('10.0.0.0/24')
    expect(v4.format({ lo: 0x0a000002n, hi: 0x0a000003n })).toBe('10.0.0.2/31')
    expect(v4.format({ lo: 0x0a000001n, hi: 0x0a000002n })).toBe('10.0.0.1-10.0.0.2')
    expect(v4.format({ lo: 0n, hi: 0xffffffffn })).toBe('0.0.0.0/0')
    expect(v6.format(v6.parse('2001:db8::/32', 'p'))).toBe('2001:db8::/32')
    expect(v6.format(v6.parse('2001:db8::1-2001:db8::2', 'p'))).toBe('2001:db8::1-2001:db8::2')
  })

  it('encodes big-endian and decodes back', () => {
    expect(v4.encode(0x0a000001n)).toEqual(Buffer.from('0a000001', 'hex'))
    expect(v4.decode(Buffer.from('c0a80001', 'hex'))).toBe(0xc0a80001n)
    const a = ip6('2001:db8::ff')
    expect(v6.encode(a)).toEqual(Buffer.from('20010db80000000000000000000000ff', 'hex'))
    expect(v6.decode(v6.encode(a))).toBe(a)
    expect(v4.size).toBe(4)
    expect(v6.size).toBe(16)
  })
})

describe('prefixLength()', () => {
  it('returns the prefix length of an aligned power-of-two block', () => {
    expect(prefixLength(0x0a000000n, 0x0a0000ffn, 32)).toBe(24)
    expect(prefixLength(0x0a000000n, 0x0a000000n, 32)).toBe(32)
    expect(prefixLength(0n, 0xffffffffn, 32)).toBe(0)
    expect(prefixLength(0x0a000002n, 0x0a000003n, 32)).toBe(31)
    expect(prefixLength(0n, (1n << 128n) - 1n, 128)).toBe(0)
    expect(prefixLength(0x20010db8n << 96n, (0x20010db8n << 96n) | ((1n << 96n) - 1n), 128)).toBe(32)
  })

  it('returns undefined for unaligned or non-power-of-two spans', () => {
    expect(prefixLength(1n, 2n, 32)).toBeUndefined() // power of two, not aligned
    expect(prefixLength(0n, 2n, 32)).toBeUndefined() // three addresses
    expect(prefixLength(0x0a000080n, 0x0a00017fn, 32)).toBeUndefined()
    expect(prefixLength(5n, 4n, 32)).toBeUndefined() // empty
  })
})

describe('ports (inet_service)', () => {
  it('accepts numbers, numeric strings, hex and ranges', () => {
    expect(port.parse(22, 'p')).toEqual({ lo: 22n, hi: 22n })
    expect(port.parse('443', 'p')).toEqual({ lo: 443n, hi: 443n })
    expect(port.parse('0x16', 'p')).toEqual({ lo: 22n, hi: 22n })
    expect(port.parse('1000-2000', 'p')).toEqual({ lo: 1000n, hi: 2000n })
    expect(port.parse(' 1000 - 2000 ', 'p')).toEqual({ lo: 1000n, hi: 2000n })
    expect(port.parse(0, 'p')).toEqual({ lo: 0n, hi: 0n })
    expect(port.parse(65535, 'p')).toEqual({ lo: 65535n, hi: 65535n })
  })

  it('accepts service names as nft does (/etc/services), printing them as numbers', () => {
    expect(port.parse('ssh', 'p')).toEqual({ lo: 22n, hi: 22n })
    expect(port.format({ lo: 22n, hi: 22n })).toBe(22)
  })

  it.each([65536, -1, 22.5, '65536', 'no-such-service', '', '1000-70000', Number.NaN, null])('rejects %j', (v) => {
    const e = rejection(() => port.parse(v, 'add(0).exprs[0].value'))
    expect(e.path).toBe('add(0).exprs[0].value')
    expect(e.reason).toBe('Expected a port number 0-65535 or a range like 1000-2000')
  })

  it('rejects reversed port ranges', () => {
    expect(rejection(() => port.parse('2000-1000', 'p')).reason).toBe('Expected a range whose start is not above its end')
  })

  it('encodes big-endian and prints numbers and ranges', () => {
    expect(port.encode(22n)).toEqual(Buffer.from([0x00, 0x16]))
    expect(port.format({ lo: 22n, hi: 22n })).toBe(22)
    expect(port.format({ lo: 1000n, hi: 2000n })).toBe('1000-2000')
  })
})

describe('protocols (inet_proto) and other named integers', () => {
  it('accepts protocol names and numbers', () => {
    expect(proto.parse('tcp', 'p')).toEqual({ lo: 6n, hi: 6n })
    expect(proto.parse('udp', 'p')).toEqual({ lo: 17n, hi: 17n })
    expect(proto.parse('icmp', 'p')).toEqual({ lo: 1n, hi: 1n })
    expect(proto.parse('ipv6-icmp', 'p')).toEqual({ lo: 58n, hi: 58n })
    expect(proto.parse('icmpv6', 'p')).toEqual({ lo: 58n, hi: 58n })
    expect(proto.parse(132, 'p')).toEqual({ lo: 132n, hi: 132n })
    expect(proto.parse('tcp-udp', 'p')).toEqual({ lo: 6n, hi: 17n })
  })

  it('prints the canonical name, never the alias, and numbers without a name', () => {
    expect(proto.format({ lo: 6n, hi: 6n })).toBe('tcp')
    expect(proto.format({ lo: 58n, hi: 58n })).toBe('ipv6-icmp')
    expect(proto.format({ lo: 200n, hi: 200n })).toBe(200)
  })

  it('rejects unknown names and out-of-range numbers', () => {
    expect(rejection(() => proto.parse('tcpp', 'p')).reason).toBe('Expected a protocol name (tcp, udp, ...) or number 0-255')
    expect(rejection(() => proto.parse(256, 'p')).reason).toBe('Expected a protocol name (tcp, udp, ...) or number 0-255')
    // Names are looked up as own properties only.
    expect(rejection(() => proto.parse('constructor', 'p')).path).toBe('p')
  })

  it('lets a hyphenated name win over a range, and splits ranges of hyphenated names', () => {
    const icmp = VALUE_TYPES.icmp_type
    expect(icmp.parse('echo-request', 'p')).toEqual({ lo: 8n, hi: 8n })
    expect(icmp.parse('echo-reply-echo-request', 'p')).toEqual({ lo: 0n, hi: 8n })
    expect(icmp.format({ lo: 8n, hi: 8n })).toBe('echo-request')
    expect(VALUE_TYPES.icmpv6_type.parse('nd-neighbor-solicit', 'p')).toEqual({ lo: 135n, hi: 135n })
    expect(VALUE_TYPES.nf_proto.parse('ipv6', 'p')).toEqual({ lo: 10n, hi: 10n })
    expect(VALUE_TYPES.ether_type.format({ lo: 0x86ddn, hi: 0x86ddn })).toBe('ip6')
  })
})

describe('marks (host byte order)', () => {
  it('parses decimal and hex and prints 0x%08x', () => {
    expect(mark.parse(16, 'p')).toEqual({ lo: 16n, hi: 16n })
    expect(mark.parse('0x10', 'p')).toEqual({ lo: 16n, hi: 16n })
    expect(mark.parse(0xffffffff, 'p')).toEqual({ lo: 0xffffffffn, hi: 0xffffffffn })
    expect(mark.format({ lo: 16n, hi: 16n })).toBe('0x00000010')
    expect(rejection(() => mark.parse(2 ** 32, 'p')).reason).toBe('Expected a mark 0-4294967295 (decimal or 0x hex)')
  })

  it('encodes in host order like hostU32; ordered in network order (ranges and interval sets convert it, as nft)', () => {
    expect(mark.encode(0x01020304n)).toEqual(hostU32(0x01020304))
    expect(mark.decode(hostU32(0xdeadbeef))).toBe(0xdeadbeefn)
    expect(readHostU32(hostU32(123456))).toBe(123456)
    expect(readHostU32(hostU32(1).subarray(0, 4))).toBe(1)
    expect(mark.byteorder).toBe('host')
    expect(mark.ordered).toBe(true)
    expect(hostInteger(mark)).toBe(true)
    expect(networkOrderView(mark).encode(1n)).toEqual(Buffer.from('00000001', 'hex'))
    expect(networkOrderView(mark).decode(Buffer.from('00000005', 'hex'))).toBe(5n)
  })
})

describe('interface names (ifname)', () => {
  it('accepts 1-15 bytes and encodes NUL-padded to 16 bytes', () => {
    const iv = ifname.parse('eth0', 'p')
    expect(iv.lo).toBe(iv.hi)
    expect(ifname.encode(iv.lo)).toEqual(Buffer.concat([Buffer.from('eth0'), Buffer.alloc(12)]))
    expect(ifname.format(iv)).toBe('"eth0"')
    expect(ifname.format(ifname.parse('a'.repeat(15), 'p'))).toBe(`"${'a'.repeat(15)}"`)
    // Hyphens are part of interface names, not ranges.
    expect(ifname.format(ifname.parse('veth-a', 'p'))).toBe('"veth-a"')
  })

  it('rejects empty, over-long (in bytes) and NUL-containing names', () => {
    for (const bad of ['', 'a'.repeat(16), 'é'.repeat(8), 'eth\u00000', 7]) {
      const e = rejection(() => ifname.parse(bad, 'devices[0]'))
      expect(e.reason).toBe('Expected an interface name of 1-15 bytes (or a prefix wildcard like "eth*")')
      expect(e.path).toBe('devices[0]')
    }
    // 7 two-byte characters are 14 bytes: fine.
    expect(() => ifname.parse('é'.repeat(7), 'p')).not.toThrow()
  })
})

describe('MAC addresses (ether_addr)', () => {
  it('parses, normalises case and prints zero-padded lower case', () => {
    const iv = mac.parse('02:00:00:00:00:0A', 'p')
    expect(iv).toEqual({ lo: 0x02000000000an, hi: 0x02000000000an })
    expect(mac.format(iv)).toBe('02:00:00:00:00:0a')
    expect(mac.format(mac.parse('2:0:0:0:0:1', 'p'))).toBe('02:00:00:00:00:01')
    expect(mac.encode(iv.lo)).toEqual(Buffer.from('02000000000a', 'hex'))
  })

  it('parses and prints ranges, rejecting reversed ones', () => {
    const iv = mac.parse('02:00:00:00:00:01-02:00:00:00:00:ff', 'p')
    expect(iv).toEqual({ lo: 0x020000000001n, hi: 0x0200000000ffn })
    expect(mac.format(iv)).toBe('02:00:00:00:00:01-02:00:00:00:00:ff')
    expect(rejection(() => mac.parse('02:00:00:00:00:ff-02:00:00:00:00:01', 'p')).reason).toBe(
      'Expected a range whose start is not above its end',
    )
  })

  it.each(['02:00:00:00:00', '02:00:00:00:00:00:01', '02-00-00-00-00-01x', 'zz:00:00:00:00:01', '002:00:00:00:00:01'])(
    'rejects %j',
    (s) => {
      expect(rejection(() => mac.parse(s, 'p')).reason).toBe('Expected a MAC address like 02:00:00:00:00:01')
    },
  )
})

describe('byte helpers and type ids', () => {
  it('toBytes/fromBytes are inverse big-endian conversions at every size', () => {
    expect(toBytes(0x0102n, 2)).toEqual(Buffer.from([1, 2]))
    expect(toBytes(0x010203040506n, 6)).toEqual(Buffer.from([1, 2, 3, 4, 5, 6]))
    expect(toBytes(1n, 16)).toEqual(Buffer.concat([Buffer.alloc(15), Buffer.from([1])]))
    for (const [v, size] of [[0n, 1], [0xffn, 1], [0xabcdefn, 3], [0xffffffffffffn, 6], [0x0102030405060708n, 8], [(1n << 128n) - 1n, 16]] as const)
      expect(fromBytes(toBytes(v, size))).toBe(v)
    expect(fromBytes(new Uint8Array(0))).toBe(0n)
  })

  it('pads concatenation fields to 4 bytes', () => {
    expect([1, 2, 4, 6, 16].map(paddedSize)).toEqual([4, 4, 4, 8, 16])
  })

  it('builds and splits composite concatenation type ids', () => {
    const key = [v4, proto, port]
    const id = concatTypeId(key)
    expect(id).toBe((7 * 64 + 12) * 64 + 13)
    expect(splitConcatTypeId(id, 12)?.map((t) => t.name)).toEqual(['ipv4_addr', 'inet_proto', 'inet_service'])
    expect(splitConcatTypeId(id, 8)).toBeUndefined() // key length must match the padded fields
    expect(datatypeById(7)).toBe(v4)
    expect(datatypeById(14)?.name).toBe('icmp_type')
    expect(datatypeById(63)).toBeUndefined()
  })
})
