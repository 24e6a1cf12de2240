/**
 * Set and map elements: interval normalisation (merging, bounds), option and
 * value checks, concatenation layout, and decoding back.
 */
import { describe, expect, it } from 'vitest'
import { ELEM_FLAG_INTERVAL_END, VERDICT_CODE } from '../../lib/kernel/constants.js'
import { DATATYPES, type Datatype, hostU32 } from '../../lib/kernel/datatypes.js'
import { decodeElements as decodeRecords, encodeElements } from '../../lib/elements/elements.js'
import type { Element, SetShape } from '../../lib/model/element-types.js'
import { NftValidationError } from '../../lib/kernel/errors.js'
import { cstr, encodeTlvs } from '../../lib/kernel/udata.js'
import type { NativeElement } from '../../types/native.js'
import { rejection } from '../helpers/rejection.js'

const { ipv4_addr: v4, ipv6_addr: v6, inet_service: port, inet_proto: proto, mark, ifname } = DATATYPES

const set = (key: Datatype | Datatype[], extra: Partial<SetShape> = {}): SetShape => ({
  name: 's',
  key: Array.isArray(key) ? key : [key],
  interval: false,
  ...extra,
})
const ivset = (key: Datatype | Datatype[], extra: Partial<SetShape> = {}) => set(key, { interval: true, ...extra })

/** Elements as [hex key, flags] pairs: easy to read golden values. */
const bounds = (els: readonly NativeElement[]) => els.map((e) => [Buffer.from(e.key as Uint8Array).toString('hex'), e.flags ?? 0])
const END = ELEM_FLAG_INTERVAL_END
/** decodeElements over what encodeElements produced (as the kernel would return it). */
const decodeElements = (shape: SetShape, els: readonly NativeElement[] | Parameters<typeof decodeRecords>[1]) =>
  decodeRecords(shape, els as Parameters<typeof decodeRecords>[1])


describe('interval sets: merging and bounds', () => {
  it('has INTERVAL_END = 1', () => {
    expect(END).toBe(1)
  })

  it('keeps two adjacent /25 prefixes apart (as nft does for named sets): an end and a start on the same key', () => {
    expect(bounds(encodeElements(ivset(v4), ['10.0.0.0/25', '10.0.0.128/25'], 'e'))).toEqual([
      ['0a000000', 0],
      ['0a000080', END],
      ['0a000080', 0],
      ['0a000100', END],
    ])
  })

  it('merges adjacent prefixes with mergeAdjacent (as nft does for anonymous sets)', () => {
    expect(bounds(encodeElements(ivset(v4), ['10.0.0.0/25', '10.0.0.128/25'], 'e', { mergeAdjacent: true }))).toEqual([
      ['0a000000', 0],
      ['0a000100', END],
    ])
  })

  it('merges overlapping and contained elements in any order (adjacent ones only with mergeAdjacent)', () => {
    expect(bounds(encodeElements(ivset(v4), ['10.0.0.5', '10.0.0.10', '10.0.0.1-10.0.0.9', '10.0.0.3/32'], 'e', { mergeAdjacent: true }))).toEqual([
      ['0a000001', 0],
      ['0a00000b', END],
    ])
    expect(bounds(encodeElements(ivset(v4), ['10.0.0.5', '10.0.0.10', '10.0.0.1-10.0.0.9', '10.0.0.3/32'], 'e'))).toEqual([
      ['0a000001', 0],
      ['0a00000a', END],
      ['0a00000a', 0],
      ['0a00000b', END],
    ])
  })

  it('keeps disjoint intervals apart, sorted, each with start and end+1 bounds', () => {
    expect(bounds(encodeElements(ivset(v4), ['192.168.0.0/16', '10.0.0.1', '10.0.1.0/24'], 'e'))).toEqual([
      ['0a000001', 0],
      ['0a000002', END],
      ['0a000100', 0],
      ['0a000200', END],
      ['c0a80000', 0],
      ['c0a90000', END],
    ])
  })

  it('emits no end bound for an interval reaching the maximum address', () => {
    expect(bounds(encodeElements(ivset(v4), ['255.255.255.0/24'], 'e'))).toEqual([['ffffff00', 0]])
    expect(bounds(encodeElements(ivset(v4), ['255.255.255.255'], 'e'))).toEqual([['ffffffff', 0]])
    expect(bounds(encodeElements(ivset(port), ['60000-65535'], 'e'))).toEqual([['ea60', 0]])
    expect(bounds(encodeElements(ivset(v6), ['ffff::/16'], 'e'))).toEqual([['ffff0000000000000000000000000000', 0]])
  })

  it('adds the leading zero end bound nft sends on creation, unless the first interval starts at zero', () => {
    expect(bounds(encodeElements(ivset(v4), ['10.0.0.0/24'], 'e', { leadingZero: true }))).toEqual([
      ['00000000', END],
      ['0a000000', 0],
      ['0a000100', END],
    ])
    expect(bounds(encodeElements(ivset(v4), ['0.0.0.0/8'], 'e', { leadingZero: true }))).toEqual([
      ['00000000', 0],
      ['01000000', END],
    ])
    expect(encodeElements(ivset(v4), [], 'e', { leadingZero: true })).toEqual([])
  })

  it('keeps adjacent elements with options apart, each with its own bounds', () => {
    const els = encodeElements(ivset(v4), [{ key: '10.0.0.128/25', comment: 'b' }, { key: '10.0.0.0/25', comment: 'a' }], 'e')
    expect(bounds(els)).toEqual([
      ['0a000000', 0],
      ['0a000080', END],
      ['0a000080', 0],
      ['0a000100', END],
    ])
    expect(els[0].userdata).toEqual(encodeTlvs([[0, cstr('a')]]))
    expect(els[2].userdata).toEqual(encodeTlvs([[0, cstr('b')]]))
  })

  it('rejects overlaps that cannot be merged because of options, naming the element', () => {
    const e = rejection(() => encodeElements(ivset(v4), [{ key: '10.0.0.0/24', comment: 'a' }, { key: '10.0.0.128/25' }], 'add(0).elements'))
    expect(e.path).toBe('add(0).elements[1]')
    expect(e.reason).toBe(
      'Expected elements that do not overlap: 10.0.0.128/25 overlaps 10.0.0.0/24 and they cannot be merged (values, options, or a delete)',
    )
    expect(e.value).toEqual({ key: '10.0.0.128/25' })
  })

  it('does not merge for a delete: adjacent ones stay separate, overlaps are rejected', () => {
    expect(bounds(encodeElements(ivset(v4), ['10.0.0.0/24', '10.0.1.0/24'], 'e', { forDelete: true }))).toEqual([
      ['0a000000', 0],
      ['0a000100', END],
      ['0a000100', 0],
      ['0a000200', END],
    ])
    expect(rejection(() => encodeElements(ivset(v4), ['10.0.0.0/24', '10.0.0.5'], 'e', { forDelete: true })).path).toBe('e[1]')
  })

  it('never merges map elements (their values differ)', () => {
    const m = ivset(v4, { data: 'verdict' })
    const els = encodeElements(m, [{ key: '10.0.0.0/25', value: 'accept' }, { key: '10.0.0.128/25', value: 'drop' }], 'e')
    expect(els).toEqual([
      { key: Buffer.from('0a000000', 'hex'), verdict: VERDICT_CODE.accept },
      { key: Buffer.from('0a000080', 'hex'), flags: END },
      { key: Buffer.from('0a000080', 'hex'), verdict: VERDICT_CODE.drop },
      { key: Buffer.from('0a000100', 'hex'), flags: END },
    ])
    expect(() => encodeElements(m, [{ key: '10.0.0.0/24', value: 'accept' }, { key: '10.0.0.1', value: 'accept' }], 'e')).toThrow(
      NftValidationError,
    )
  })
})

describe('element checks', () => {
  it('requires a value for every map element', () => {
    const e = rejection(() => encodeElements(set(v4, { name: 'vm', data: 'verdict' }), ['10.0.0.1'], 'add(2).elements'))
    expect(e.path).toBe('add(2).elements[0].value')
    expect(e.reason).toBe('Expected a value: vm is a map')
  })

  it('rejects values on set elements', () => {
    const e = rejection(() => encodeElements(set(v4), [{ key: '10.0.0.1', value: 'accept' }], 'x'))
    expect(e.path).toBe('x[0].value')
    expect(e.reason).toBe('Expected no value: s is a set, not a map')
  })

  it('rejects ranges and prefixes in sets without the interval flag', () => {
    for (const v of ['10.0.0.0/24', '10.0.0.1-10.0.0.2']) {
      const e = rejection(() => encodeElements(set(v4), ['10.0.0.9', v], 'x'))
      expect(e.path).toBe('x[1]')
      expect(e.reason).toBe('Expected a single value: set s has no interval flag, so ranges and prefixes are not allowed')
    }
    // A /32 is one address: fine.
    expect(bounds(encodeElements(set(v4), ['10.0.0.1/32'], 'x'))).toEqual([['0a000001', 0]])
  })

  it('rejects bad verdicts and data values with the value path', () => {
    expect(rejection(() => encodeElements(set(v4, { data: 'verdict' }), [{ key: '10.0.0.1', value: 'reject' }], 'x')).path).toBe('x[0].value')
    expect(rejection(() => encodeElements(set(port, { data: mark }), [{ key: 22, value: -1 }], 'x')).path).toBe('x[0].value')
    expect(rejection(() => encodeElements(set(port, { data: v4 }), [{ key: 22, value: '10.0.0.0/24' }], 'x')).reason).toBe(
      'Expected a single map value',
    )
  })

  it('checks timeouts against the set and comment length', () => {
    expect(rejection(() => encodeElements(set(v4), [{ key: '1.1.1.1', timeout: 1000 }], 'x')).reason).toBe(
      'Expected no timeout: set s has no timeout flag',
    )
    expect(rejection(() => encodeElements(set(v4, { timeout: true }), [{ key: '1.1.1.1', timeout: 0 }], 'x')).path).toBe('x[0].timeout')
    expect(rejection(() => encodeElements(set(v4), [{ key: '1.1.1.1', comment: 'c'.repeat(128) }], 'x')).path).toBe('x[0].comment')
    expect(encodeElements(set(v4, { timeout: true }), [{ key: '1.1.1.1', timeout: 1500, counter: true }], 'x')).toEqual([
      { key: Buffer.from('01010101', 'hex'), timeout: 1500, exprs: [{ type: 'counter' }] },
    ])
  })

  it('names the key path inside element specs', () => {
    expect(rejection(() => encodeElements(set(v4), [{ key: 'nope' }], 'x')).path).toBe('x[0].key')
    expect(rejection(() => encodeElements(set(v4), ['1.1.1.1', 'nope'], 'x')).path).toBe('x[1]')
  })

  it('drops duplicate set keys but rejects duplicate map keys', () => {
    expect(bounds(encodeElements(set(v4), ['10.0.0.1', '10.0.0.2', '10.0.0.1'], 'x'))).toEqual([
      ['0a000001', 0],
      ['0a000002', 0],
    ])
    const e = rejection(() => encodeElements(set(port, { data: mark }), [{ key: 22, value: 1 }, { key: 22, value: 1 }], 'x'))
    expect(e.path).toBe('x[1]')
    expect(e.reason).toBe('Expected each map key once')
  })

  it('encodes map data in the data type byte order', () => {
    expect(encodeElements(set(port, { data: mark }), [{ key: 22, value: 16 }], 'x')).toEqual([{ key: Buffer.from('0016', 'hex'), data: hostU32(16) }])
    expect(encodeElements(set(port, { data: v4 }), [{ key: 80, value: '10.0.0.5' }], 'x')).toEqual([
      { key: Buffer.from('0050', 'hex'), data: Buffer.from('0a000005', 'hex') },
    ])
    expect(encodeElements(set(v4, { data: 'verdict' }), [{ key: '10.0.0.2', value: { jump: 'other' } }, { key: '10.0.0.3', value: { goto: 'x' } }], 'x')).toEqual([
      { key: Buffer.from('0a000002', 'hex'), verdict: VERDICT_CODE.jump, chain: 'other' },
      { key: Buffer.from('0a000003', 'hex'), verdict: VERDICT_CODE.goto, chain: 'x' },
    ])
  })
})

describe('concatenations', () => {
  const svc = set([v4, proto, port])

  it('pads every field to 4 bytes', () => {
    expect(bounds(encodeElements(svc, [['10.0.0.1', 'tcp', 80]], 'x'))).toEqual([['0a000001' + '06000000' + '00500000', 0]])
    expect(bounds(encodeElements(set([ifname, port]), [['eth0', 22]], 'x'))).toEqual([
      [Buffer.concat([Buffer.from('eth0'), Buffer.alloc(12)]).toString('hex') + '00160000', 0],
    ])
  })

  it('requires one value per field, naming the field on a bad one', () => {
    expect(rejection(() => encodeElements(svc, [['10.0.0.1', 'tcp']], 'x')).reason).toBe(
      'Expected an array of 3 values (ipv4_addr . inet_proto . inet_service)',
    )
    expect(rejection(() => encodeElements(svc, [['10.0.0.1', 'tcpx', 80]], 'x')).path).toBe('x[0][1]')
    expect(rejection(() => encodeElements(set(v4), [['10.0.0.1']], 'x')).reason).toBe(
      'Expected one ipv4_addr value (the set is not a concatenation)',
    )
  })

  it('encodes interval concatenations with key and keyEnd, not bounds', () => {
    expect(encodeElements(ivset([v4, port]), [['10.0.0.0/24', '1000-2000']], 'x')).toEqual([
      { key: Buffer.from('0a00000003e80000', 'hex'), keyEnd: Buffer.from('0a0000ff07d00000', 'hex') },
    ])
  })
})

describe('decodeElements inverts encodeElements', () => {
  const roundTrip = (shape: SetShape, els: readonly Element[], opts = {}) => {
    return decodeElements(shape, encodeElements(shape, els, 'x', opts)).map((d) => d.fields.map((f, i) => shape.key[i].format(f)))
  }

  it('rebuilds intervals from start/end bounds (adjacent ones merged with mergeAdjacent, apart without)', () => {
    expect(roundTrip(ivset(v4), ['10.0.0.0/25', '10.0.0.128/25', '192.168.1.1'], {})).toEqual([['10.0.0.0/25'], ['10.0.0.128/25'], ['192.168.1.1']])
    for (const opts of [{ mergeAdjacent: true }, { leadingZero: true, mergeAdjacent: true }])
      expect(roundTrip(ivset(v4), ['10.0.0.0/25', '10.0.0.128/25', '10.0.2.10-10.0.2.20', '192.168.1.1', '255.255.255.0/24'], opts)).toEqual([
        ['10.0.0.0/24'],
        ['10.0.2.10-10.0.2.20'],
        ['192.168.1.1'],
        ['255.255.255.0/24'],
      ])
  })

  it('rebuilds adjacent intervals that share a bound', () => {
    const shape = ivset(v4)
    const decoded = decodeElements(shape, encodeElements(shape, [{ key: '10.0.0.0/25', comment: 'a' }, { key: '10.0.0.128/25', comment: 'b' }], 'x'))
    expect(decoded.map((d) => v4.format(d.fields[0]))).toEqual(['10.0.0.0/25', '10.0.0.128/25'])
    expect(decoded.map((d) => d.userdata)).toEqual([encodeTlvs([[0, cstr('a')]]), encodeTlvs([[0, cstr('b')]])])
  })

  it('does not depend on the order the kernel returns bounds in', () => {
    const shape = ivset(v6)
    const enc = encodeElements(shape, ['2001:db8::/32', '::1', 'fe80::/10'], 'x', { leadingZero: true })
    const fwd = decodeElements(shape, enc)
    const rev = decodeElements(shape, [...enc].reverse())
    expect(rev).toEqual(fwd)
    expect(fwd.map((d) => v6.format(d.fields[0]))).toEqual(['::1', '2001:db8::/32', 'fe80::/10'])
  })

  it('sorts hash set elements by key and keeps map data and verdicts', () => {
    const shape = set(v4, { data: 'verdict' })
    const decoded = decodeElements(shape, encodeElements(shape, [{ key: '10.0.0.2', value: { jump: 'other' } }, { key: '10.0.0.1', value: 'accept' }], 'x'))
    expect(decoded).toEqual([
      { fields: [{ lo: 0x0a000001n, hi: 0x0a000001n }], verdict: VERDICT_CODE.accept },
      { fields: [{ lo: 0x0a000002n, hi: 0x0a000002n }], verdict: VERDICT_CODE.jump, chain: 'other' },
    ])
  })

  it('splits concatenated keys into fields, with ranges from keyEnd', () => {
    // Concatenations list as nft sorts them: the whole key as a host-order integer.
    expect(roundTrip(set([v4, proto, port]), [['10.0.0.2', 'udp', 53], ['10.0.0.1', 'tcp', 80]])).toEqual([
      ['10.0.0.2', 'udp', 53],
      ['10.0.0.1', 'tcp', 80],
    ])
    expect(roundTrip(ivset([v4, port]), [['10.0.0.0/24', '1000-2000']])).toEqual([['10.0.0.0/24', '1000-2000']])
  })

  it('reads element counters, timeouts and data', () => {
    const [d] = decodeElements(set(port, { data: mark }), [
      { key: Buffer.from('0016', 'hex'), data: hostU32(7), timeout: 5000, expiration: 1200, exprs: [{ type: 'counter', packets: 3n, bytes: 180n }] },
    ])
    expect(d).toEqual({ fields: [{ lo: 22n, hi: 22n }], data: hostU32(7), timeout: 5000, expiration: 1200, counter: { packets: 3, bytes: 180 } })
  })
})
