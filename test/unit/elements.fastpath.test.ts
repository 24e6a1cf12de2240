/**
 * The packed IPv4 fast path must be indistinguishable from the general element
 * code: same kernel elements out, same strings back, same errors (by falling
 * back). Compared on seeded random sets and on edge cases.
 */
import { describe, expect, it } from 'vitest'
import { ELEM_FLAG_INTERVAL_END, SET_FLAG } from '../../lib/kernel/constants.js'
import { DATATYPES } from '../../lib/kernel/datatypes.js'
import { fastIPv4, fastIPv4Decode, fewIPv4 } from '../../lib/elements/elements-fast.js'
import { decodeElements, encodeElements, packElements, unpackElements } from '../../lib/elements/elements.js'
import type { SetShape } from '../../lib/model/element-types.js'
import { NftValidationError } from '../../lib/kernel/errors.js'
import { jsValue } from '../../lib/expr/decode.js'
import { decodeListing } from '../../lib/io/listing.js'
import { Transaction } from '../../lib/batch/transaction.js'
import { encodeElementFields } from '../../lib/elements/elements.js'
import type { NativeElement, NativeRecord } from '../../types/native.js'

const v4 = DATATYPES.ipv4_addr
const hashSet: SetShape = { name: 's', key: [v4], interval: false }
const ivSet: SetShape = { name: 's', key: [v4], interval: true }

/** Deterministic PRNG (LCG) so a failure is reproducible. */
function rng(seed: number): () => number {
  let s = seed
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff
    return s / 0x80000000
  }
}
const dotted = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`

function randomElements(rand: () => number, interval: boolean): string[] {
  const n = 16 + Math.floor(rand() * 24)
  const r0 = rand()
  const base = r0 < 0.1 ? 0 : r0 < 0.2 ? 0xffffff00 : 0x0a000000
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const a = base + Math.floor(rand() * 256)
    const r = rand()
    if (!interval || r < 0.4) out.push(dotted(a))
    else if (r < 0.7) {
      const len = 24 + Math.floor(rand() * 9)
      const span = 2 ** (32 - len)
      out.push(`${dotted(a - (a % span))}/${len}`)
    } else out.push(`${dotted(a)}-${dotted(Math.min(a + Math.floor(rand() * 12), 0xffffffff))}`)
  }
  return out
}

type Pair = [string, number]
const fromPacked = (p: { packedKeys: Uint8Array; keyLen: number; packedFlags: Uint8Array }): Pair[] =>
  [...p.packedFlags].map((f, i) => [Buffer.from(p.packedKeys.subarray(i * p.keyLen, (i + 1) * p.keyLen)).toString('hex'), f])
const fromElements = (els: ReadonlyArray<{ key?: Uint8Array; flags?: number }>): Pair[] => els.map((e) => [Buffer.from(e.key as Uint8Array).toString('hex'), e.flags ?? 0])
const sorted = (x: Pair[]) => [...x].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))

describe('fastIPv4 agrees with encodeElements', () => {
  for (const interval of [true, false]) {
    for (const leadingZero of [false, true]) {
      it(`on 150 random ${interval ? 'interval' : 'hash'} sets${leadingZero ? ' (leading zero)' : ''}`, () => {
        const rand = rng(interval ? 1001 : 2002)
        const shape = interval ? ivSet : hashSet
        for (let iter = 0; iter < 150; iter++) {
          const els = randomElements(rand, interval)
          const label = JSON.stringify(els)
          const fast = fastIPv4(shape, els, { leadingZero })
          expect(fast, label).toBeDefined()
          if (!fast) return
          const general = encodeElements(shape, els, 'e', { leadingZero })
          // Interval bounds are sorted by both; for hash sets the order is irrelevant to the kernel.
          if (interval) expect(fromPacked(fast), label).toEqual(fromElements(general))
          else expect(sorted(fromPacked(fast)), label).toEqual(sorted(fromElements(general)))
          // And both read back to the same strings.
          const back = decodeElements(shape, general as Parameters<typeof decodeElements>[1]).map((d) => jsValue(v4, d.fields[0]))
          expect(fastIPv4Decode(interval, fast.packedKeys, fast.packedFlags), label).toEqual(back)
        }
      })
    }
  }
})

describe('fewIPv4 (1-15 elements) agrees with encodeElements or declines', () => {
  for (const interval of [true, false]) {
    for (const forDelete of [false, true]) {
      it(`on 400 random small ${interval ? 'interval' : 'hash'} lists${forDelete ? ' (delete)' : ''}`, () => {
        const rand = rng(interval ? 3003 : 4004)
        const shape = interval ? ivSet : hashSet
        let taken = 0
        for (let iter = 0; iter < 400; iter++) {
          const els = randomElements(rand, interval).slice(0, 1 + Math.floor(rand() * 15))
          const label = JSON.stringify(els)
          const few = fewIPv4(shape, els, {})
          if (!few) continue // overlaps and duplicates go the general way
          const general = encodeElements(shape, els, 'e', { forDelete })
          taken++
          if (interval) expect(fromPacked(few), label).toEqual(fromElements(general))
          else expect(sorted(fromPacked(few)), label).toEqual(sorted(fromElements(general)))
        }
        expect(taken).toBeGreaterThan(100)
      })
    }
  }
  it('declines what it does not handle', () => {
    expect(fewIPv4(ivSet, [], {})).toBeUndefined()
    expect(fewIPv4(ivSet, ['10.0.0.1'], { leadingZero: true })).toBeUndefined()
    expect(fewIPv4(hashSet, ['10.0.0.0/24'], {})).toBeUndefined()
    expect(fewIPv4(ivSet, ['10.0.0.1', '10.0.0.1'], {})).toBeUndefined()
    expect(fewIPv4(ivSet, ['10.0.0.0/24', '10.0.0.7'], {})).toBeUndefined()
    expect(fewIPv4(ivSet, ['010.0.0.1'], {})).toBeUndefined()
    expect(fewIPv4(ivSet, [42], {})).toBeUndefined()
    expect(fewIPv4({ ...ivSet, data: v4 }, ['10.0.0.1'], {})).toBeUndefined()
    expect(fewIPv4(ivSet, Array.from({ length: 16 }, (_, i) => `10.0.0.${i}`), {})).toBeUndefined()
    const max = fewIPv4(ivSet, ['255.255.255.255'], {})
    expect(max && fromPacked(max)).toEqual([['ffffffff', 0]])
  })
})

describe('fastIPv4 edge cases', () => {
  const pad = (xs: string[]) => [...xs, ...Array.from({ length: 16 }, (_, i) => `172.16.0.${i * 2}`)]

  it('declines small batches, non-strings, maps, other key types and concatenations', () => {
    expect(fastIPv4(ivSet, ['10.0.0.1'], {})).toBeUndefined()
    expect(fastIPv4(ivSet, [...pad([]), { key: '10.0.0.1' }], {})).toBeUndefined()
    expect(fastIPv4({ ...ivSet, data: 'verdict' }, pad([]), {})).toBeUndefined()
    expect(fastIPv4({ ...ivSet, key: [DATATYPES.ipv6_addr] }, pad([]), {})).toBeUndefined()
    expect(fastIPv4({ ...ivSet, key: [v4, DATATYPES.inet_service] }, pad([]), {})).toBeUndefined()
  })

  it('declines input it does not parse canonically, so the general path reports it', () => {
    for (const bad of ['10.0.0.1/8', '10.0.0.300', '010.0.0.1', '10.0.0.9-10.0.0.1', ' 10.0.0.1', '10.0.0.0/33', '10.0.0.0/032'])
      expect(fastIPv4(ivSet, pad([bad]), {}), bad).toBeUndefined()
    expect(fastIPv4(hashSet, pad(['10.0.0.0/24']), {})).toBeUndefined()
    expect(fastIPv4(ivSet, pad(['10.0.0.0/24', '10.0.0.128/25']), { forDelete: true })).toBeUndefined()
  })

  it('covers the whole address space and the maximum address without end bounds', () => {
    const all = fastIPv4(ivSet, pad(['0.0.0.0/0']), { leadingZero: true })
    expect(all && fromPacked(all)).toEqual([['00000000', 0]])
    const top = fastIPv4(ivSet, pad(['255.255.255.255']), {})
    expect(top && fromPacked(top).at(-1)).toEqual(['ffffffff', 0])
    expect(fastIPv4Decode(true, Buffer.from('00000000', 'hex'), Buffer.from([0]))).toEqual(['0.0.0.0/0'])
  })

  it('decodes bounds in any order (ends sort before starts at the same address)', () => {
    // 10.0.0.0/25 and 10.0.0.128/25 sharing a bound, plus a leading zero end, shuffled.
    const keys = Buffer.from(['0a000100', '0a000080', '00000000', '0a000000'].join(''), 'hex')
    const flags = Buffer.from([ELEM_FLAG_INTERVAL_END, 0, ELEM_FLAG_INTERVAL_END, 0])
    expect(fastIPv4Decode(true, keys, flags)).toEqual(['10.0.0.0/25', '10.0.0.128/25'])
  })
})

describe('encodeElementFields and the transaction', () => {
  it('packs 16 or more plain elements and keeps smaller batches as element objects', () => {
    const ports = Array.from({ length: 20 }, (_, i) => 1000 + i)
    const shape: SetShape = { name: 'p', key: [DATATYPES.inet_service], interval: false }
    const packed = encodeElementFields(shape, ports, 'x', {})
    expect(packed.elements).toBeUndefined()
    expect(packed.keyLen).toBe(2)
    expect(Buffer.from(packed.packedKeys as Uint8Array).subarray(0, 4)).toEqual(Buffer.from('03e803e9', 'hex'))
    expect([...(packed.packedFlags as Uint8Array)]).toEqual(Array(20).fill(0))
    expect(encodeElementFields(shape, ports.slice(0, 3), 'x', {}).elements).toHaveLength(3)
  })

  it('does not pack elements that carry more than a key and flags', () => {
    const shape: SetShape = { name: 'c', key: [v4], interval: false }
    const els = Array.from({ length: 20 }, (_, i) => ({ key: `10.0.0.${i}`, comment: 'x' }))
    const r = encodeElementFields(shape, els, 'x', {})
    expect(r.packedKeys).toBeUndefined()
    expect(r.elements).toHaveLength(20)
  })

  it('still reports the precise error when the fast path declines', () => {
    const els = [...Array.from({ length: 20 }, (_, i) => `10.1.0.${i}`), '10.0.0.1/8']
    const tx = new Transaction({ table: 't' })
    let err: unknown
    try {
      tx.add({ kind: 'set', name: 's', type: 'ipv4_addr', flags: ['interval'], elements: els })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(NftValidationError)
    expect((err as NftValidationError).path).toBe('add(0).elements[20]')
    expect((err as NftValidationError).reason).toContain('did you mean 10.0.0.0/8?')
  })

  it('sends the same element bounds packed as unpacked', () => {
    const els = Array.from({ length: 40 }, (_, i) => `10.0.${i >> 1}.${(i & 1) * 128}/25`)
    const tx = new Transaction({ table: 't' }).add({ kind: 'set', name: 's', type: 'ipv4_addr', flags: ['interval'], elements: els })
    const op = tx.prepare().ops[1]
    expect(op.kind).toBe('element')
    expect(op.packedKeys).toBeDefined()
    const unpacked = unpackElements({ elementKeys: op.packedKeys as Uint8Array, elementKeyLen: op.keyLen as number, elementFlags: op.packedFlags as Uint8Array })
    expect(fromElements(unpacked)).toEqual(fromElements(encodeElements(ivSet, els, 'e', { leadingZero: true })))
    // Adjacent /25s stay separate elements (as nft keeps them): leading zero + 40 starts and 40 ends.
    const b = fromElements(unpacked)
    expect(b).toHaveLength(81)
    expect(b.slice(0, 3)).toEqual([
      ['00000000', 1],
      ['0a000000', 0],
      ['0a000080', 1],
    ])
  })

  it('packElements/unpackElements are inverse for plain elements', () => {
    const els: NativeElement[] = Array.from({ length: 18 }, (_, i) => (i % 3 ? { key: Buffer.from([i, 0]) } : { key: Buffer.from([i, 1]), flags: 1 }))
    const p = packElements(els)
    expect(p).toBeDefined()
    if (!p) return
    expect(unpackElements({ elementKeys: p.packedKeys, elementKeyLen: p.keyLen, elementFlags: p.packedFlags })).toEqual(els)
    expect(packElements([...els, { key: Buffer.from([1, 2, 3]) }])).toBeUndefined() // mixed key sizes
  })
})

describe('decodeListing: packed and unpacked dumps read the same', () => {
  const setRecord = (interval: boolean, elements: Record<string, unknown>): NativeRecord =>
    ({
      kind: 'set',
      family: 1,
      table: 't',
      name: 's',
      handle: 3,
      flags: interval ? SET_FLAG.interval : 0,
      keyType: 7,
      keyLen: 4,
      ...elements,
    }) as NativeRecord
  const dump = (sets: NativeRecord[]) => ({ genId: 1, tables: [], chains: [], sets, rules: [], objects: [] })

  for (const interval of [true, false]) {
    it(`${interval ? 'interval' : 'hash'} IPv4 set`, () => {
      // 24 disjoint elements, so that they stay 16 or more after merging.
      const els = Array.from({ length: 24 }, (_, i) => (interval && i % 2 ? `10.${i}.0.0/16` : `10.${i}.0.${i}`))
      const shape = interval ? ivSet : hashSet
      const enc = encodeElements(shape, els, 'e', { leadingZero: interval })
      const p = packElements(enc)
      expect(p).toBeDefined()
      if (!p) return
      const a = decodeListing(dump([setRecord(interval, { elements: enc })]))
      const b = decodeListing(dump([setRecord(interval, { elementKeys: p.packedKeys, elementKeyLen: 4, elementFlags: p.packedFlags })]))
      expect(b.sets[0].elements).toEqual(a.sets[0].elements)
      expect(a.sets[0]).toMatchObject({ kind: 'set', type: 'ipv4_addr', name: 's', handle: 3 })
    })
  }
})
