/**
 * AddrIndex, the reconciler's open-addressing index of plain IPv4 hash sets:
 * against a Set of strings under long random sequences of adds and deletes
 * (crowded tables, so runs wrap around and deletions shift entries back),
 * the edge addresses, and refusal of anything but canonical dotted quads.
 */
import { describe, expect, it } from 'vitest'
import { AddrIndex } from '../../lib/elements/addr-index.js'
import { dotted } from '../../lib/kernel/ipv4.js'
import { rng } from '../helpers/rng.js'

describe('AddrIndex', () => {
  it('agrees with a Set through 200 000 random adds and deletes over a small address pool', () => {
    for (const seed of [1, 7, 42]) {
      const next = rng(seed)
      // A pool of 3000 addresses in a few clusters: many collisions, long runs.
      const pool = Array.from({ length: 3000 }, (_, i) => dotted(((i % 3) * 0x01000000 + 0x0a000000 + (next() % 4096)) >>> 0))
      const ix = new AddrIndex()
      const ref = new Set<string>()
      for (let step = 0; step < 200000; step++) {
        const a = pool[next() % pool.length]
        if (next() % 3 === 0) {
          expect(ix.delete(a)).toBe(ref.delete(a))
        } else {
          ix.set(a, a)
          ref.add(a)
        }
        if (step % 997 === 0) {
          const probe = pool[next() % pool.length]
          expect(ix.get(probe)).toBe(ref.has(probe) ? probe : undefined)
        }
      }
      expect(ix.size).toBe(ref.size)
      expect([...ix.values()].sort()).toEqual([...ref].sort())
      for (const a of pool) expect(ix.get(a) !== undefined).toBe(ref.has(a))
    }
  })

  it('holds 0.0.0.0 and 255.255.255.255 like any other address', () => {
    const ix = AddrIndex.of(['0.0.0.0', '255.255.255.255', '10.0.0.1'])
    expect(ix?.size).toBe(3)
    expect(ix?.get('255.255.255.255')).toBe('255.255.255.255')
    expect(ix?.get('0.0.0.0')).toBe('0.0.0.0')
    expect([...(ix?.values() ?? [])].sort()).toEqual(['0.0.0.0', '10.0.0.1', '255.255.255.255'])
    expect(ix?.delete('255.255.255.255')).toBe(true)
    expect(ix?.delete('255.255.255.255')).toBe(false)
    expect(ix?.size).toBe(2)
  })

  it('grows from a small table to 100 000 addresses and back down to none', () => {
    const ix = new AddrIndex()
    const all = Array.from({ length: 100000 }, (_, i) => dotted((0x0a640000 + i) >>> 0))
    for (const a of all) ix.set(a, a)
    expect(ix.size).toBe(100000)
    for (let i = 0; i < all.length; i += 2) expect(ix.delete(all[i])).toBe(true)
    expect(ix.size).toBe(50000)
    for (let i = 0; i < all.length; i++) expect(ix.get(all[i])).toBe(i % 2 ? all[i] : undefined)
    for (let i = 1; i < all.length; i += 2) ix.delete(all[i])
    expect(ix.size).toBe(0)
    expect([...ix.values()]).toEqual([])
  })

  it('indexes only canonical dotted quads', () => {
    expect(AddrIndex.of(['10.0.0.1', { key: '10.0.0.2', timeout: 5 }])).toBeUndefined()
    expect(AddrIndex.of(['10.0.0.01'])).toBeUndefined()
    expect(AddrIndex.of(['10.0.0.0/24'])).toBeUndefined()
    const ix = new AddrIndex()
    expect(() => ix.set('10.0.0.1', { key: '10.0.0.1' })).toThrow(/plain IPv4 addresses/)
    expect(() => ix.set('fe80::1', 'fe80::1')).toThrow(/plain IPv4 addresses/)
    expect(ix.get('not an address')).toBeUndefined()
    expect(ix.delete('not an address')).toBe(false)
  })
})
