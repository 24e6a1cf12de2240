/**
 * IPsec state of a packet, nft's `ipsec in|out [spnum N] KEY` (the kernel's
 * xfrm expression): the SA the packet was decapsulated with (`in`) or will be
 * encapsulated with (`out`), entry `spnum` of the secpath (0, the default, is
 * not printed). Rows of the selector table made on first use, like raw
 * payloads: the name carries direction and index.
 *
 * As nft (src/xfrm.c): `reqid` is a 32-bit integer in host byte order, `spi`
 * one in network order, the addresses are IPv4 or IPv6 addresses; no protocol
 * dependency is added, in inet tables either.
 * @module
 */
import { type Datatype, DATATYPES, VALUE_TYPES } from '../kernel/datatypes.js'
import type { IpsecSelector } from '../model/rule-types.js'

/** The kernel's load of an xfrm selector (NFTA_XFRM_KEY, NFTA_XFRM_DIR, NFTA_XFRM_SPNUM). */
export interface XfrmLoad {
  readonly kind: 'xfrm'
  /** NFT_XFRM_KEY_*. */
  readonly key: number
  /** XFRM_POLICY_IN (0) or XFRM_POLICY_OUT (1). */
  readonly dir: 0 | 1
  /** Index in the secpath. */
  readonly spnum: number
}

/** An xfrm row of the selector table (a `SelectorSpec` with an xfrm load). */
export interface XfrmSpec {
  readonly name: IpsecSelector
  readonly load: XfrmLoad
  readonly size: number
  readonly type: Datatype
}

/** NFT_XFRM_KEY_* by nft's key words, with the value's type. */
const KEYS: ReadonlyArray<readonly [string, number, Datatype]> = [
  ['ip daddr', 1, DATATYPES.ipv4_addr],
  ['ip6 daddr', 2, DATATYPES.ipv6_addr],
  ['ip saddr', 3, DATATYPES.ipv4_addr],
  ['ip6 saddr', 4, DATATYPES.ipv6_addr],
  ['reqid', 5, VALUE_TYPES.hostInt32],
  ['spi', 6, VALUE_TYPES.int32],
]

/** The largest secpath index nft accepts (XFRM_MAX_DEPTH - 1). */
const SPNUM_MAX = 5

/** The canonical selector name of an xfrm load, as nft prints it. */
export function xfrmName(dir: number, spnum: number, key: number): IpsecSelector | undefined {
  const k = KEYS.find((x) => x[1] === key)
  if (!k || (dir !== 0 && dir !== 1)) return undefined
  return `ipsec ${dir === 0 ? 'in' : 'out'}${spnum ? ` spnum ${spnum}` : ''} ${k[0]}` as IpsecSelector
}

/** The row of `ipsec in|out [spnum N] KEY`, or undefined if `s` is not one. */
export function xfrmSpec(s: string): XfrmSpec | undefined {
  const m = /^ipsec (in|out)(?: spnum (\d{1,3}))? (reqid|spi|ip6? [sd]addr)$/.exec(s)
  if (!m) return undefined
  const spnum = m[2] === undefined ? 0 : Number(m[2])
  if (spnum > SPNUM_MAX) return undefined
  const k = KEYS.find((x) => x[0] === m[3]) as (typeof KEYS)[number]
  const dir = m[1] === 'in' ? 0 : 1
  return { name: xfrmName(dir, spnum, k[1]) as IpsecSelector, load: { kind: 'xfrm', key: k[1], dir, spnum }, size: k[2].size, type: k[2] }
}
