/**
 * The reconciler's index of a large plain IPv4 hash set (pod IPs): the
 * addresses as 32-bit values in one open-addressing table. A Map of 100 000
 * address strings costs several cache misses per lookup (the string object,
 * its hash, the bucket chain); here a lookup is one probe into a Uint32Array,
 * and the garbage collector has one object to look at instead of 200 000.
 * @module
 */
import { dotted, ipv4Value } from '../kernel/ipv4.js'

/** Keys are canonical dotted quads; values are the same strings (a plain set's element is its key). */
export class AddrIndex {
  /** Address + 1 per slot (0 = empty); 255.255.255.255 lives in #hasMax instead. */
  #slots: Uint32Array
  #mask: number
  /** 32 − log2(slots): home slots come from the product's high bits, which mix all input bits. */
  #shift: number
  #count = 0
  #hasMax = false

  constructor(expected = 16) {
    let cap = 16
    while (cap < expected * 2) cap *= 2
    this.#slots = new Uint32Array(cap)
    this.#mask = cap - 1
    this.#shift = 32 - Math.log2(cap)
  }

  /** An index of `addrs`, or undefined if one of them is not a canonical dotted quad. */
  static of(addrs: readonly unknown[]): AddrIndex | undefined {
    const ix = new AddrIndex(addrs.length)
    for (const a of addrs) {
      if (typeof a !== 'string') return undefined
      const v = ipv4Value(a)
      if (v === undefined) return undefined
      ix.#add(v)
    }
    return ix
  }

  /** Number of addresses. */
  get size(): number {
    return this.#count + (this.#hasMax ? 1 : 0)
  }

  /** `key` if it is in the index, else undefined (the Map-like read the reconciler does). */
  get(key: string): string | undefined {
    const v = ipv4Value(key)
    return v !== undefined && this.#has(v) ? key : undefined
  }

  /** Adds `key` (a canonical dotted quad; anything else is refused). */
  set(key: string, value: unknown): this {
    const v = ipv4Value(key)
    if (v === undefined || value !== key) throw new TypeError(`AddrIndex holds plain IPv4 addresses, not ${JSON.stringify(value)}`)
    this.#add(v)
    return this
  }

  /** Removes `key`; true if it was there. */
  delete(key: string): boolean {
    const v = ipv4Value(key)
    return v !== undefined && this.#delete(v)
  }

  /** True if the address with 32-bit value `v` is in the index. */
  hasValue(v: number): boolean {
    return this.#has(v)
  }

  /** Adds the address with 32-bit value `v`. */
  addValue(v: number): void {
    this.#add(v)
  }

  /** Removes the address with 32-bit value `v`; true if it was there. */
  deleteValue(v: number): boolean {
    return this.#delete(v)
  }

  /** The addresses as dotted quads (table order). */
  *values(): IterableIterator<string> {
    const s = this.#slots
    for (let i = 0; i < s.length; i++) if (s[i] !== 0) yield dotted(s[i] - 1)
    if (this.#hasMax) yield dotted(0xffffffff)
  }

  #slot(v: number): number {
    // Fibonacci hashing: the low bits of the product depend only on the low
    // bits of the address (x.y.z.0 networks would crowd a few slots).
    return Math.imul(v, 0x9e3779b1) >>> this.#shift
  }

  #has(v: number): boolean {
    if (v === 0xffffffff) return this.#hasMax
    const s = this.#slots
    const want = v + 1
    for (let i = this.#slot(v); ; i = (i + 1) & this.#mask) {
      const x = s[i]
      if (x === want) return true
      if (x === 0) return false
    }
  }

  #add(v: number): void {
    if (v === 0xffffffff) {
      this.#hasMax = true
      return
    }
    if ((this.#count + 1) * 2 > this.#slots.length) this.#grow()
    const s = this.#slots
    const want = v + 1
    for (let i = this.#slot(v); ; i = (i + 1) & this.#mask) {
      const x = s[i]
      if (x === want) return
      if (x === 0) {
        s[i] = want
        this.#count++
        return
      }
    }
  }

  #delete(v: number): boolean {
    if (v === 0xffffffff) {
      const had = this.#hasMax
      this.#hasMax = false
      return had
    }
    const s = this.#slots
    const mask = this.#mask
    const want = v + 1
    let i = this.#slot(v)
    for (; ; i = (i + 1) & mask) {
      if (s[i] === want) break
      if (s[i] === 0) return false
    }
    // Backward-shift deletion: move later members of the run into the hole
    // when their home slot allows it, so no tombstones are needed.
    let hole = i
    for (let j = (i + 1) & mask; s[j] !== 0; j = (j + 1) & mask) {
      const home = this.#slot(s[j] - 1)
      // j's entry may move to the hole if its home is not in (hole, j] (cyclically).
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j
      if (!between) {
        s[hole] = s[j]
        hole = j
      }
    }
    s[hole] = 0
    this.#count--
    return true
  }

  #grow(): void {
    const old = this.#slots
    this.#slots = new Uint32Array(old.length * 2)
    this.#mask = this.#slots.length - 1
    this.#shift--
    this.#count = 0
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) this.#add(old[i] - 1)
  }
}
