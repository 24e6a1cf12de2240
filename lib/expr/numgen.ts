/**
 * `numgen inc|random mod N [offset O]`, `jhash EXPR mod N [seed S] [offset O]`
 * and `symhash mod N [offset O]`: number generators and hashes as selectors.
 * Their rows join the selector table on first use, named as nft prints them
 * (`jhash ip saddr mod 2 seed 0xdeadbeef`); the value is a host-order 32-bit
 * integer.
 * @module
 */
import { type Datatype, VALUE_TYPES } from '../kernel/datatypes.js'
import type { NativeExpr } from '../../types/native.js'
import type { Selector } from '../model/rule-types.js'

/**
 * The fields of a selector row this file reads and writes (a SrcSpec of
 * selectors.ts, which imports this file, so it is not imported here).
 */
export interface SrcSpec {
  readonly name: Selector
  readonly load: { readonly kind: string; readonly bits?: unknown }
  readonly size: number
  readonly type: Datatype
  readonly l3?: 'ip' | 'ip6' | 'arp'
  readonly l4?: number
  readonly l2?: boolean
  readonly vlan?: boolean
}

/** `numgen`: NFT_NG_INCREMENTAL (0) or NFT_NG_RANDOM (1). */
export interface NumgenLoad {
  readonly kind: 'numgen'
  readonly ngType: 0 | 1
  readonly modulus: number
  readonly offset: number
}

/** `jhash` (hashType 0, of another selector's value) or `symhash` (1). */
export interface HashLoad {
  readonly kind: 'hash'
  readonly hashType: 0 | 1
  readonly modulus: number
  readonly offset: number
  readonly seed?: number
  /** What jhash hashes. */
  readonly src?: SrcSpec
}

const U32 = /^(0x[0-9a-f]+|\d+)$/i
const u32 = (s: string | undefined): number | undefined => {
  if (s === undefined || !U32.test(s)) return undefined
  const n = Number(s)
  return n <= 0xffffffff ? n : undefined
}

function tail(mod: number, seed: number | undefined, offset: number): string {
  return ` mod ${mod}${seed !== undefined ? ` seed 0x${seed.toString(16)}` : ''}${offset ? ` offset ${offset}` : ''}`
}

/**
 * The row of a numgen or hash selector name, or undefined if it is none.
 * `inner` resolves jhash's selector (one selector, no concatenation).
 */
export function numgenRow(name: string, inner: (s: string) => SrcSpec | undefined, text: (s: Selector) => string): SrcSpec | undefined {
  let m = /^numgen (inc|random) mod (\S+)(?: offset (\S+))?$/.exec(name)
  if (m) {
    const mod = u32(m[2])
    const off = m[3] === undefined ? 0 : u32(m[3])
    if (!mod || off === undefined) return undefined
    const load: NumgenLoad = { kind: 'numgen', ngType: m[1] === 'inc' ? 0 : 1, modulus: mod, offset: off }
    return row(`numgen ${m[1]}${tail(mod, undefined, off)}`, load)
  }
  m = /^symhash mod (\S+)(?: offset (\S+))?$/.exec(name)
  if (m) {
    const mod = u32(m[1])
    const off = m[2] === undefined ? 0 : u32(m[2])
    if (!mod || off === undefined) return undefined
    return row(`symhash${tail(mod, undefined, off)}`, { kind: 'hash', hashType: 1, modulus: mod, offset: off })
  }
  m = /^jhash (.+?) mod (\S+)(?: seed (\S+))?(?: offset (\S+))?$/.exec(name)
  if (m) {
    const src = inner(m[1])
    const mod = u32(m[2])
    const seed = m[3] === undefined ? undefined : u32(m[3])
    const off = m[4] === undefined ? 0 : u32(m[4])
    if (!src || !mod || (m[3] !== undefined && seed === undefined) || off === undefined) return undefined
    if (src.load.kind === 'hash' || src.load.kind === 'numgen' || (src.load.kind === 'payload' && src.load.bits)) return undefined
    const load: HashLoad = { kind: 'hash', hashType: 0, modulus: mod, offset: off, ...(seed !== undefined ? { seed } : {}), src }
    return {
      ...row(`jhash ${text(src.name)}${tail(mod, seed, off)}`, load),
      ...(src.l3 ? { l3: src.l3 } : {}),
      ...(src.l4 !== undefined ? { l4: src.l4 } : {}),
      ...(src.l2 ? { l2: src.l2 } : {}),
      ...(src.vlan ? { vlan: src.vlan } : {}),
    }
  }
  return undefined
}

function row(name: string, load: NumgenLoad | HashLoad): SrcSpec & { load: NumgenLoad | HashLoad } {
  return { name: name as Selector, load, size: 4, type: VALUE_TYPES.hostInt32 }
}

/**
 * Kernel expressions loading a numgen or hash value into `dreg`; jhash first
 * loads its source into register 2 with `loadSrc`.
 */
export function numgenLoadExprs(l: NumgenLoad | HashLoad, dreg: number, loadSrc: (src: SrcSpec, reg: number) => void): NativeExpr[] {
  if (l.kind === 'numgen') return [{ type: 'numgen', dreg, modulus: l.modulus, ngType: l.ngType, ...(l.offset ? { offset: l.offset } : {}) }]
  const common = { dreg, modulus: l.modulus, ...(l.offset ? { offset: l.offset } : {}) }
  if (l.hashType === 1) return [{ type: 'hash', ...common, hashType: 1 }]
  if (!l.src) return []
  loadSrc(l.src, 2)
  return [{ type: 'hash', sreg: 2, len: l.src.size, ...common, ...(l.seed !== undefined ? { seed: l.seed } : {}), hashType: 0 }]
}

/** The selector name of a numgen expression, or undefined. */
export function numgenName(e: NativeExpr): string | undefined {
  const t = Number(e.ngType ?? 0)
  if (t !== 0 && t !== 1) return undefined
  return `numgen ${t === 0 ? 'inc' : 'random'} mod ${Number(e.modulus)}${e.offset ? ` offset ${Number(e.offset)}` : ''}`
}

/** The selector name of a hash expression (`srcText`: how jhash's source prints), or undefined. */
export function hashName(e: NativeExpr, srcText: string | undefined): string | undefined {
  const t = Number(e.hashType ?? 0)
  const rest = tail(Number(e.modulus), t === 0 && e.seed !== undefined ? Number(e.seed) : undefined, Number(e.offset ?? 0))
  if (t === 1) return e.sreg === undefined ? `symhash${rest}` : undefined
  if (t !== 0 || srcText === undefined) return undefined
  return `jhash ${srcText}${rest}`
}
