/**
 * Number generators and hashes as statement values (nft's
 * `ct mark set numgen inc mod 2`, `meta mark set jhash ip saddr . ip daddr mod 4 seed 0x1`,
 * `ct mark set symhash mod 2 offset 100`): their kernel expressions
 * (netlink_linearize.c netlink_gen_numgen, netlink_gen_hash), decoding and text.
 * @module
 */
import { invalid } from '../kernel/errors.js'
import type { NativeExpr } from '../../types/native.js'
import type { HashExpr, NumgenExpr, Selector } from '../model/rule-types.js'

/** NFT_NG_INCREMENTAL, NFT_NG_RANDOM. */
const NG_TYPE = { inc: 0, random: 1 } as const
/** NFT_HASH_JENKINS, NFT_HASH_SYM. */
const HASH_TYPE = { jhash: 0, symhash: 1 } as const

/** Whether a statement value is a number generator or a hash. */
export function isNumgenOrHash(v: unknown): v is NumgenExpr | HashExpr {
  return typeof v === 'object' && v !== null && ('numgen' in v || 'hash' in v)
}

const u32 = (v: unknown, path: string, min = 0): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 0xffffffff) invalid(path, `Expected an integer ${min}-4294967295`, v)
  return v
}

/** The numgen expression writing into `dreg`. @throws NftValidationError */
export function numgenExpr(v: NumgenExpr, dreg: number, path: string): NativeExpr {
  if (!Object.hasOwn(NG_TYPE, v.numgen)) invalid(`${path}.numgen`, "Expected 'inc' or 'random'", v.numgen)
  return { type: 'numgen', dreg, ngType: NG_TYPE[v.numgen], modulus: u32(v.mod, `${path}.mod`, 1), offset: u32(v.offset ?? 0, `${path}.offset`) }
}

/**
 * The hash expression writing into `dreg`, reading `len` bytes of key from
 * register 2 (jhash; the caller loads the key there first). @throws NftValidationError
 */
export function hashExpr(v: HashExpr, dreg: number, len: number, path: string): NativeExpr {
  if (!Object.hasOwn(HASH_TYPE, v.hash)) invalid(`${path}.hash`, "Expected 'jhash' or 'symhash'", v.hash)
  if (v.hash === 'symhash' && v.key !== undefined) invalid(`${path}.key`, 'Expected no key: symhash hashes the flow', v.key)
  if (v.hash === 'symhash' && v.seed !== undefined) invalid(`${path}.seed`, 'Expected no seed: symhash has none', v.seed)
  if (v.hash === 'jhash' && v.key === undefined) invalid(`${path}.key`, 'Expected the fields jhash hashes', v.key)
  return {
    type: 'hash',
    ...(v.hash === 'jhash' ? { sreg: 2, len } : {}),
    dreg,
    modulus: u32(v.mod, `${path}.mod`, 1),
    ...(v.seed !== undefined ? { seed: u32(v.seed, `${path}.seed`) } : {}),
    offset: u32(v.offset ?? 0, `${path}.offset`),
    hashType: HASH_TYPE[v.hash],
  }
}

const num = (v: unknown) => Number(v ?? 0)

/** Decodes a numgen expression; undefined for shapes nftkit has no form for. */
export function decodeNumgen(e: NativeExpr): NumgenExpr | undefined {
  const t = num(e.ngType)
  const kind = t === 0 ? 'inc' : t === 1 ? 'random' : undefined
  if (!kind || e.setName !== undefined) return undefined
  const offset = num(e.offset)
  return { numgen: kind, mod: num(e.modulus), ...(offset ? { offset } : {}) }
}

/** Decodes a hash expression given the selectors of its key (jhash); undefined for other shapes. */
export function decodeHash(e: NativeExpr, key: readonly Selector[] | undefined): HashExpr | undefined {
  const t = num(e.hashType)
  const offset = num(e.offset)
  const common = { mod: num(e.modulus), ...(e.seed !== undefined ? { seed: num(e.seed) } : {}), ...(offset ? { offset } : {}) }
  if (t === 1) return key || e.sreg !== undefined || e.seed !== undefined ? undefined : { hash: 'symhash', ...common }
  if (t !== 0 || !key || key.length === 0) return undefined
  return { hash: 'jhash', key: key.length === 1 ? key[0] : [...key], ...common }
}

/** nft text of a number generator or hash, with `keyText` printing jhash's key. */
export function numgenHashText(v: NumgenExpr | HashExpr, keyText: (k: Selector | readonly Selector[]) => string): string {
  const off = v.offset ? ` offset ${v.offset}` : ''
  if ('numgen' in v) return `numgen ${v.numgen} mod ${v.mod}${off}`
  const seed = v.seed !== undefined ? ` seed 0x${v.seed.toString(16)}` : ''
  return `${v.hash}${v.key !== undefined ? ` ${keyText(v.key)}` : ''} mod ${v.mod}${seed}${off}`
}
