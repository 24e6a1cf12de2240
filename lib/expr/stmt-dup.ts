/**
 * `dup` and `fwd`: packet duplication to an address (and device) and
 * forwarding to a device (netdev), compiled as nft compiles them (the address
 * and the interface index in registers), decoded back and printed.
 * @module
 */
import { DATATYPES, parseIPv4, parseIPv6 } from '../kernel/datatypes.js'
import { invalid } from '../kernel/errors.js'
import type { NativeExpr } from '../../types/native.js'
import type { DupStmt, FwdStmt } from '../model/rule-types.js'

const NFPROTO_NUM = { ip: 2, ip6: 10 } as const

function addrBytes(to: unknown, fam: 'ip' | 'ip6', path: string): Buffer {
  if (typeof to !== 'string' || (fam === 'ip' ? parseIPv4(to) : parseIPv6(to)) === undefined)
    return invalid(path, `Expected an ${fam === 'ip' ? 'IPv4' : 'IPv6'} address`, to)
  const t = fam === 'ip' ? DATATYPES.ipv4_addr : DATATYPES.ipv6_addr
  return t.encode(t.parse(to, path).lo)
}

function ifindexBytes(v: unknown): Buffer {
  return Buffer.from(new Uint32Array([Number(v)]).buffer)
}

/**
 * Kernel expressions of `dup to ADDR [device IF]` (ip, ip6 tables) or
 * `dup to IF` (netdev). `ifindex` resolves an interface name.
 */
export function compileDup(out: NativeExpr[], family: string, st: DupStmt, ifindex: (v: unknown, path: string) => unknown, path: string): void {
  if (family === 'netdev') {
    if (st.to !== undefined) invalid(`${path}.to`, "nftkit does not support 'dup to' an address in netdev tables yet (only a device)", st.to)
    if (st.device === undefined) invalid(`${path}.device`, 'Expected the device to duplicate to', st.device)
    out.push({ type: 'immediate', dreg: 1, data: ifindexBytes(ifindex(st.device, `${path}.device`)) })
    out.push({ type: 'dup', sregDev: 1 })
    return
  }
  if (family !== 'ip' && family !== 'ip6') invalid(path, "nftkit does not support 'dup' outside ip, ip6 and netdev tables yet", family)
  out.push({ type: 'immediate', dreg: 1, data: addrBytes(st.to, family, `${path}.to`) })
  if (st.device === undefined) {
    out.push({ type: 'dup', sregAddr: 1 })
    return
  }
  out.push({ type: 'immediate', dreg: 2, data: ifindexBytes(ifindex(st.device, `${path}.device`)) })
  out.push({ type: 'dup', sregAddr: 1, sregDev: 2 })
}

/** Kernel expressions of `fwd to IF` / `fwd ip|ip6 to ADDR device IF` (netdev tables). */
export function compileFwd(out: NativeExpr[], family: string, st: FwdStmt, ifindex: (v: unknown, path: string) => unknown, path: string): void {
  if (family !== 'netdev') invalid(path, "Expected 'fwd' in a netdev table", family)
  if (st.device === undefined) invalid(`${path}.device`, 'Expected the device to forward to', st.device)
  out.push({ type: 'immediate', dreg: 1, data: ifindexBytes(ifindex(st.device, `${path}.device`)) })
  if (st.to === undefined) {
    out.push({ type: 'fwd', sregDev: 1 })
    return
  }
  const fam = st.family ?? (typeof st.to === 'string' && st.to.includes(':') ? 'ip6' : 'ip')
  if (fam !== 'ip' && fam !== 'ip6') invalid(`${path}.family`, "Expected 'ip' or 'ip6'", st.family)
  out.push({ type: 'immediate', dreg: 2, data: addrBytes(st.to, fam, `${path}.to`) })
  out.push({ type: 'fwd', sregDev: 1, sregAddr: 2, nfproto: NFPROTO_NUM[fam] })
}

function addrText(b: Buffer): string | undefined {
  const t = b.length === 4 ? DATATYPES.ipv4_addr : b.length === 16 ? DATATYPES.ipv6_addr : undefined
  if (!t) return undefined
  const v = t.decode(b)
  return String(t.format({ lo: v, hi: v }))
}

function deviceOf(b: Buffer, ifname?: (i: number) => string | undefined): string | number | undefined {
  if (b.length !== 4) return undefined
  const i = new Uint32Array(Uint8Array.from(b).buffer)[0]
  return ifname?.(i) ?? i
}

/** Decodes a dup or fwd expression given the immediates in its registers; undefined if nft would not write it so. */
export function decodeDupFwd(e: NativeExpr, imm: (reg: unknown) => Buffer, family: string, ifname?: (i: number) => string | undefined): DupStmt | FwdStmt | undefined {
  const dev = e.sregDev !== undefined ? deviceOf(imm(e.sregDev), ifname) : undefined
  if (e.sregDev !== undefined && dev === undefined) return undefined
  const to = e.sregAddr !== undefined ? addrText(imm(e.sregAddr)) : undefined
  if (e.sregAddr !== undefined && to === undefined) return undefined
  if (e.type === 'dup') {
    if (family === 'netdev' ? to !== undefined || dev === undefined : to === undefined) return undefined
    if (to !== undefined && (family === 'ip') !== !to.includes(':')) return undefined
    return { stmt: 'dup', ...(to !== undefined ? { to } : {}), ...(dev !== undefined ? { device: dev } : {}) }
  }
  if (family !== 'netdev' || dev === undefined) return undefined
  if (to === undefined) return e.nfproto === undefined ? { stmt: 'fwd', device: dev } : undefined
  const fam = Number(e.nfproto) === 2 ? 'ip' : Number(e.nfproto) === 10 ? 'ip6' : undefined
  if (!fam || (fam === 'ip6') !== to.includes(':')) return undefined
  return { stmt: 'fwd', family: fam, to, device: dev }
}

const devText = (d: string | number) => (typeof d === 'string' ? JSON.stringify(d) : String(d))

/** nft text of a dup statement. */
export function dupText(s: DupStmt): string {
  if (s.to === undefined) return `dup to ${devText(s.device ?? '')}`
  return `dup to ${s.to}${s.device !== undefined ? ` device ${devText(s.device)}` : ''}`
}

/** nft text of a fwd statement. */
export function fwdText(s: FwdStmt): string {
  if (s.to === undefined) return `fwd to ${devText(s.device)}`
  const fam = s.family ?? (s.to.includes(':') ? 'ip6' : 'ip')
  return `fwd ${fam} to ${s.to} device ${devText(s.device)}`
}
