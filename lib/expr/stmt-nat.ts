/**
 * NAT flags, `redirect`, `tproxy` and `synproxy`: compiled as nft compiles
 * them, decoded back, and printed as `nft list ruleset` prints them.
 * @module
 */
import { NAT_FLAG } from '../kernel/constants.js'
import { DATATYPES, fromBytes, parseIPv4, parseIPv6, toBytes } from '../kernel/datatypes.js'
import { invalid } from '../kernel/errors.js'
import type { NativeExpr } from '../../types/native.js'
import type { Match, NatFlag, RedirectStmt, SynproxyStmt, TproxyStmt } from '../model/rule-types.js'
import type { SelectorSpec } from './selectors.js'

/** NAT flags in the order nft prints them. */
export const NAT_FLAG_ORDER: readonly NatFlag[] = ['random', 'fully-random', 'persistent']

const NAT_FLAG_BIT: Readonly<Record<NatFlag, number>> = {
  random: NAT_FLAG.protoRandom,
  'fully-random': NAT_FLAG.protoRandomFully,
  persistent: NAT_FLAG.persistent,
}

/** The NF_NAT_RANGE_* bits of a statement's `flags`. */
export function natFlagBits(flags: unknown, path: string): number {
  if (flags === undefined) return 0
  if (!Array.isArray(flags)) return invalid(path, `Expected a list of NAT flags (${NAT_FLAG_ORDER.join(', ')})`, flags)
  let bits = 0
  flags.forEach((f, i) => {
    if (typeof f !== 'string' || !Object.hasOwn(NAT_FLAG_BIT, f)) invalid(`${path}[${i}]`, `Expected one of ${NAT_FLAG_ORDER.join(', ')}`, f)
    bits |= NAT_FLAG_BIT[f as NatFlag]
  })
  return bits
}

/** NAT flag names of NF_NAT_RANGE_* bits (in nft's order); undefined if other bits are set. */
export function natFlagNames(bits: number): NatFlag[] | undefined {
  const names = NAT_FLAG_ORDER.filter((n) => (bits & NAT_FLAG_BIT[n]) !== 0)
  const known = names.reduce((a, n) => a | NAT_FLAG_BIT[n], 0)
  return known === bits ? names : undefined
}

/** ` random,persistent` (with its leading space), or '' for none. */
export function natFlagsText(flags: readonly NatFlag[] | undefined): string {
  if (!flags?.length) return ''
  return ` ${NAT_FLAG_ORDER.filter((f) => flags.includes(f)).join(',')}`
}

/** Spread into a statement: `{ flags }` when there are any. */
export function natFlagsField(bits: number): { flags?: NatFlag[] } | undefined {
  const names = natFlagNames(bits)
  if (names === undefined) return undefined
  return names.length ? { flags: names } : {}
}

function port(v: unknown, path: string): [number, number] {
  const iv = DATATYPES.inet_service.parse(v, path)
  return [Number(iv.lo), Number(iv.hi)]
}

/** Kernel expressions of `redirect [to :PORT[-PORT]] [FLAGS]`. */
export function compileRedirect(out: NativeExpr[], l4: number | undefined, st: RedirectStmt, path: string): void {
  const flags = natFlagBits(st.flags, `${path}.flags`)
  if (st.port === undefined) {
    out.push({ type: 'redir', ...(flags ? { flags } : {}) })
    return
  }
  if (l4 === undefined) invalid(`${path}.port`, 'Expected a transport protocol match (tcp/udp) before a port mapping', st.port)
  const [lo, hi] = port(st.port, `${path}.port`)
  out.push({ type: 'immediate', dreg: 1, data: toBytes(BigInt(lo), 2) })
  if (hi !== lo) out.push({ type: 'immediate', dreg: 2, data: toBytes(BigInt(hi), 2) })
  out.push({ type: 'redir', regProtoMin: 1, ...(hi !== lo ? { regProtoMax: 2 } : {}), flags: flags | NAT_FLAG.protoSpecified })
}

/** Port text of a proto_min/proto_max register pair: `80` or `80-90`. */
export function portText(lo: Buffer, hi: Buffer | undefined): string {
  const a = Number(fromBytes(lo))
  const b = hi ? Number(fromBytes(hi)) : a
  return a === b ? `${a}` : `${a}-${b}`
}

/** nft text of a redirect statement. */
export function redirectText(s: RedirectStmt): string {
  return `redirect${s.port !== undefined ? ` to :${s.port}` : ''}${natFlagsText(s.flags)}`
}

// ---------------------------------------------------------------- tproxy

const NFPROTO_NUM = { ip: 2, ip6: 10 } as const

/** Splits a tproxy target: `addr`, `addr:port`, `[v6]`, `[v6]:port`, `:port`. */
function tproxyTarget(to: string, path: string): { fam?: 'ip' | 'ip6'; addr?: Buffer; port?: number } {
  const bad = () => invalid(path, 'Expected an address, address:port, [ipv6], [ipv6]:port or :port', to)
  let a = to.trim()
  let p: string | undefined
  const v6 = /^\[([^\]]+)\](?::(.+))?$/.exec(a)
  if (v6) {
    a = v6[1]
    p = v6[2]
  } else if (a.startsWith(':')) {
    p = a.slice(1)
    a = ''
  } else if ((a.match(/:/g) ?? []).length === 1) {
    ;[a, p] = a.split(':')
  }
  let fam: 'ip' | 'ip6' | undefined
  let addr: Buffer | undefined
  if (a !== '') {
    if (parseIPv4(a) !== undefined) {
      fam = 'ip'
      addr = DATATYPES.ipv4_addr.encode(DATATYPES.ipv4_addr.parse(a, path).lo)
    } else if (parseIPv6(a) !== undefined) {
      fam = 'ip6'
      addr = DATATYPES.ipv6_addr.encode(DATATYPES.ipv6_addr.parse(a, path).lo)
    } else bad()
  }
  let pn: number | undefined
  if (p !== undefined) {
    const [lo, hi] = port(/^\d+$/.test(p) ? Number(p) : p, path)
    if (lo !== hi) bad()
    pn = lo
  }
  if (addr === undefined && pn === undefined) bad()
  return { fam, addr, port: pn }
}

/**
 * Kernel expressions of `tproxy [ip|ip6] to ADDR[:PORT]|:PORT`. nft requires a
 * transport protocol match first (`meta l4proto tcp`), and in inet tables a
 * family for an address.
 */
export function compileTproxy(out: NativeExpr[], tableFamily: string, l4: number | undefined, st: TproxyStmt, path: string): void {
  if (typeof st.to !== 'string') invalid(`${path}.to`, 'Expected a tproxy target such as 192.0.2.1:8080 or :8080', st.to)
  if (l4 === undefined) invalid(path, 'Expected a transport protocol match (e.g. meta l4proto tcp) before tproxy', st)
  if (tableFamily !== 'ip' && tableFamily !== 'ip6' && tableFamily !== 'inet') invalid(path, 'Expected tproxy in an ip, ip6 or inet table', tableFamily)
  const t = tproxyTarget(st.to, `${path}.to`)
  if (st.family !== undefined && st.family !== 'ip' && st.family !== 'ip6') invalid(`${path}.family`, "Expected 'ip' or 'ip6'", st.family)
  if (st.family !== undefined && t.fam !== undefined && st.family !== t.fam) invalid(`${path}.family`, `Expected ${t.fam} for ${st.to}`, st.family)
  if ((tableFamily === 'ip' || tableFamily === 'ip6') && ((st.family ?? t.fam ?? tableFamily) !== tableFamily))
    invalid(`${path}.to`, `Expected an ${tableFamily === 'ip' ? 'IPv4' : 'IPv6'} address in an ${tableFamily} table`, st.to)
  const fam = tableFamily === 'inet' ? st.family : tableFamily
  if (tableFamily === 'inet' && t.addr && !st.family)
    invalid(`${path}.family`, "Expected family 'ip' or 'ip6' for a tproxy address in an inet table (nft's 'tproxy ip to ...')", st.family)
  let reg = 1
  const e: Record<string, unknown> = { type: 'tproxy', family: fam ? NFPROTO_NUM[fam as 'ip' | 'ip6'] : 0 }
  if (t.addr) {
    out.push({ type: 'immediate', dreg: reg, data: t.addr })
    e.regAddr = reg++
  }
  if (t.port !== undefined) {
    out.push({ type: 'immediate', dreg: reg, data: toBytes(BigInt(t.port), 2) })
    e.regPort = reg++
  }
  out.push(e as NativeExpr)
}

/** Decodes a tproxy expression given the immediates in its registers. */
export function decodeTproxy(e: NativeExpr, imm: (reg: unknown) => Buffer, tableFamily: string): TproxyStmt | undefined {
  const f = Number(e.family ?? 0)
  const fam = f === 2 ? 'ip' : f === 10 ? 'ip6' : f === 0 ? undefined : null
  if (fam === null) return undefined
  let to = ''
  if (e.regAddr !== undefined) {
    const data = imm(e.regAddr)
    const t = data.length === 4 ? DATATYPES.ipv4_addr : data.length === 16 ? DATATYPES.ipv6_addr : undefined
    if (!t || (fam && (fam === 'ip') !== (data.length === 4))) return undefined
    const a = String(t.format({ lo: t.decode(data), hi: t.decode(data) }))
    to = data.length === 16 ? `[${a}]` : a
  }
  if (e.regPort !== undefined) to += `:${Number(fromBytes(imm(e.regPort)))}`
  if (to === '') return undefined
  return { stmt: 'tproxy', to, ...(tableFamily === 'inet' && fam ? { family: fam } : {}) }
}

/** nft text of a tproxy statement. */
export function tproxyText(s: TproxyStmt, family?: string): string {
  return `tproxy${family === 'inet' && s.family ? ` ${s.family}` : ''} to ${s.to}`
}

// ---------------------------------------------------------------- synproxy

export const SYNPROXY_F = { mss: 0x1, wscale: 0x2, sackPerm: 0x4, timestamp: 0x8 } as const // NF_SYNPROXY_OPT_*

/**
 * Kernel expression of `synproxy [mss N] [wscale N] [timestamp] [sack-perm]`.
 * With only one of mss and wscale, nft sends the other as 0 and lists both.
 */
export function compileSynproxy(out: NativeExpr[], st: SynproxyStmt, path: string): void {
  const e: Record<string, unknown> = { type: 'synproxy', ...synproxyOptions(st, path) }
  // nft sets both options when either is given (the other as 0) and lists both.
  if (e.mss !== undefined || e.wscale !== undefined) {
    e.mss ??= 0
    e.wscale ??= 0
    e.flags = (e.flags as number) | SYNPROXY_F.mss | SYNPROXY_F.wscale
  }
  out.push(e as NativeExpr)
}

/**
 * The checked synproxy options (statement and object alike): `mss` and
 * `wscale` as given, and `flags` with the bit of each option named.
 */
export function synproxyOptions(o: { readonly mss?: number; readonly wscale?: number; readonly timestamp?: boolean; readonly sackPerm?: boolean }, path: string): Record<string, unknown> {
  let flags = 0
  const attrs: Record<string, unknown> = {}
  if (o.mss !== undefined) {
    if (!Number.isInteger(o.mss) || o.mss < 0 || o.mss > 65535) invalid(`${path}.mss`, 'Expected an MSS of 0-65535', o.mss)
    attrs.mss = o.mss
    flags |= SYNPROXY_F.mss
  }
  if (o.wscale !== undefined) {
    if (!Number.isInteger(o.wscale) || o.wscale < 0 || o.wscale > 14) invalid(`${path}.wscale`, 'Expected a window scale of 0-14', o.wscale)
    attrs.wscale = o.wscale
    flags |= SYNPROXY_F.wscale
  }
  for (const k of ['timestamp', 'sackPerm'] as const)
    if (o[k] !== undefined && typeof o[k] !== 'boolean') invalid(`${path}.${k}`, 'Expected true or false', o[k])
  if (o.timestamp) flags |= SYNPROXY_F.timestamp
  if (o.sackPerm) flags |= SYNPROXY_F.sackPerm
  attrs.flags = flags
  return attrs
}

/** Decodes a synproxy expression. */
export function decodeSynproxy(e: NativeExpr): SynproxyStmt | undefined {
  const flags = Number(e.flags ?? 0)
  if (flags & ~0xf) return undefined
  return {
    stmt: 'synproxy',
    ...(flags & SYNPROXY_F.mss ? { mss: Number(e.mss ?? 0) } : {}),
    ...(flags & SYNPROXY_F.wscale ? { wscale: Number(e.wscale ?? 0) } : {}),
    ...(flags & SYNPROXY_F.timestamp ? { timestamp: true } : {}),
    ...(flags & SYNPROXY_F.sackPerm ? { sackPerm: true } : {}),
  }
}

/** nft text of a synproxy statement. */
export function synproxyText(s: SynproxyStmt): string {
  let t = 'synproxy'
  if (s.mss !== undefined) t += ` mss ${s.mss}`
  if (s.wscale !== undefined) t += ` wscale ${s.wscale}`
  if (s.timestamp) t += ' timestamp'
  if (s.sackPerm) t += ' sack-perm'
  return t
}

// ---------------------------------------------------------------- fib exists / missing

/** NFTA_FIB_F_PRESENT: the lookup yields whether there is a result, not the result. */
export const FIB_F_PRESENT = 0x20

/**
 * `fib daddr oif exists` / `missing`: the fib lookup with the present flag and
 * a compare of its boolean with 1 or 0. (With `oifname` the value
 * would be an interface name, so only `oif` has this form in the model.)
 */
export function compileFibPresence(out: NativeExpr[], s: SelectorSpec, m: Match, path: string): void {
  if (s.load.kind !== 'fib') return
  if (m.op !== undefined && m.op !== '==') invalid(`${path}.op`, "Expected no operator with 'exists' or 'missing'", m.op)
  if (s.load.result !== 1) invalid(`${path}.match`, "Expected a fib oif lookup with 'exists' or 'missing'", m.match)
  out.push({ type: 'fib', flags: s.load.flags | FIB_F_PRESENT, result: s.load.result, dreg: 1 })
  // nft compares a host-order 32-bit word (its boolean is one byte, the register write four).
  out.push({ type: 'cmp', sreg: 1, op: 0, data: Buffer.from(new Uint32Array([m.value === 'exists' ? 1 : 0]).buffer) })
}
