/**
 * Named synproxy objects (`synproxy s { mss 1460; wscale 7; timestamp sack-perm; }`):
 * their kernel attributes (NFT_OBJECT_SYNPROXY: mss, wscale, flags), decoded
 * from a dump and printed as `nft list ruleset` prints them.
 * @module
 */
import type { Synproxy } from '../model/objects.js'
import { SYNPROXY_F, synproxyOptions } from './stmt-nat.js'

/** NFT_OBJECT_SYNPROXY. */
export const OBJECT_SYNPROXY = 10

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0))

/**
 * The kernel attributes of a synproxy object. Unlike the statement (where nft
 * 1.0.6 sends both mss and wscale when either is given), an object carries
 * the flag of each option it names, as nft's object grammar sets them.
 */
export function synproxyObjectAttrs(o: Synproxy, path: string): Record<string, unknown> {
  return synproxyOptions(o, path)
}

/** The typed fields of a dumped synproxy object (without kind, name and place); undefined for flags nft does not write. */
export function decodeSynproxyObject(r: Record<string, unknown>): Omit<Synproxy, 'kind' | 'name'> | undefined {
  const flags = num(r.flags)
  if (flags & ~0xf) return undefined
  return {
    ...(flags & SYNPROXY_F.mss ? { mss: num(r.mss) } : {}),
    ...(flags & SYNPROXY_F.wscale ? { wscale: num(r.wscale) } : {}),
    ...(flags & SYNPROXY_F.timestamp ? { timestamp: true } : {}),
    ...(flags & SYNPROXY_F.sackPerm ? { sackPerm: true } : {}),
  }
}

/**
 * The body lines of a synproxy object as `nft list ruleset` prints them,
 * without the comment: `mss N`, `wscale N`, then `timestamp sack-perm` on one
 * line (nft 1.0.6 prints `timestamp ` and ` sack-perm` when only one is set).
 */
export function synproxyObjectLines(o: Synproxy): string[] {
  const lines: string[] = []
  if (o.mss !== undefined) lines.push(`mss ${o.mss}`)
  if (o.wscale !== undefined) lines.push(`wscale ${o.wscale}`)
  if (o.timestamp || o.sackPerm) lines.push(`${o.timestamp ? 'timestamp' : ''} ${o.sackPerm ? 'sack-perm' : ''}`)
  return lines
}

/** The body of a synproxy object in an nft command (`mss 1460; wscale 7; timestamp sack-perm;`), without the comment. */
export function synproxyObjectCommand(o: Synproxy): string {
  const parts: string[] = []
  if (o.mss !== undefined) parts.push(`mss ${o.mss}`)
  if (o.wscale !== undefined) parts.push(`wscale ${o.wscale}`)
  const opts = [o.timestamp ? 'timestamp' : '', o.sackPerm ? 'sack-perm' : ''].filter(Boolean).join(' ')
  if (opts) parts.push(opts)
  return parts.map((p) => `${p};`).join(' ')
}
