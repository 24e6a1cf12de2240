/**
 * Checks an inventory before any policy is generated from it: every problem
 * with its field path (`consumers[1].offloaded[0].pods[2].ip`), so that a bad
 * pod IP never becomes a hole or a lock-out in a generated firewall.
 * @module
 */
import { dotted, ipv4Value } from '../kernel/ipv4.js'
import { keysOnly, type Problem, readYaml } from '../liqo/firewall-configuration.js'
import { findDataProblem } from '../model/validate.js'
import type { Inventory } from './inventory.js'

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/
const IFNAME = /^[^\s/]{1,15}$/

/** The 32-bit value of a canonical dotted-quad IPv4 address, or undefined. */
const ipv4 = (s: unknown): number | undefined => (typeof s === 'string' ? ipv4Value(s) : undefined)

/** `[network, mask]` of an IPv4 CIDR without host bits, or a reason it is not one. */
function cidr(s: unknown): { net: number; mask: number } | string {
  if (typeof s !== 'string') return 'expected a CIDR string such as 10.200.0.0/16'
  const [a, l, more] = s.split('/')
  const net = ipv4(a)
  const len = Number(l)
  if (more !== undefined || net === undefined || l === undefined || !/^\d{1,2}$/.test(l) || len > 32) return 'expected an IPv4 CIDR such as 10.200.0.0/16'
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
  if ((net & mask) >>> 0 !== net) return `host bits set: did you mean ${dotted((net & mask) >>> 0)}/${len}?`
  return { net, mask }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Every problem of an inventory: shapes and unknown fields, names (DNS
 * labels), interface names (at most 15 bytes), pod IPs (valid, inside the pod
 * CIDR of where they run, unique), pod and namespace names unique, CIDRs
 * without host bits and not overlapping. An empty list means valid.
 */
export function validateInventory(v: unknown): Problem[] {
  const shape = findDataProblem(v, '')
  if (shape) return [{ path: shape.path.replace(/^\./, ''), message: shape.reason.replace(/^Expected/, 'expected') }]
  try {
    return inventoryProblems(v)
  } catch (e) {
    // A shape no check expected (a bug to report): a problem, not a crash.
    return [{ path: '', message: `cannot check this inventory (${e instanceof Error ? e.name : typeof e} while checking it)` }]
  }
}

function inventoryProblems(v: unknown): Problem[] {
  const out: Problem[] = []
  const bad = (path: string, message: string): void => {
    out.push({ path, message })
  }
  if (!isObj(v)) return [{ path: '', message: 'expected an object with provider and consumers' }]
  const keys = (o: Record<string, unknown>, allowed: string[], path: string) => keysOnly(o, allowed, path, out)
  keys(v, ['provider', 'consumers'], '')
  const podNames = new Map<string, string>()
  const podIPs = new Map<string, string>()
  const nsNames = new Map<string, string>()
  const cidrs: { path: string; net: number; mask: number }[] = []
  const name = (x: unknown, path: string) => {
    if (typeof x !== 'string' || !NAME.test(x)) bad(path, `expected a DNS label (lowercase letters, digits, '-', at most 63), got ${JSON.stringify(x)}`)
  }
  const checkCIDR = (x: unknown, path: string) => {
    const c = cidr(x)
    if (typeof c === 'string') {
      bad(path, c)
      return undefined
    }
    const clash = cidrs.find((o) => ((o.net ^ c.net) & o.mask & c.mask) === 0)
    if (clash) bad(path, `overlaps ${clash.path}`)
    cidrs.push({ path, ...c })
    return c
  }
  const namespaces = (list: unknown, path: string, within: { net: number; mask: number } | undefined) => {
    if (!Array.isArray(list)) {
      bad(path, 'expected a list of namespaces')
      return
    }
    for (const [i, ns] of list.entries()) {
      const np = `${path}[${i}]`
      if (!isObj(ns)) {
        bad(np, 'expected an object with name and pods')
        continue
      }
      keys(ns, ['name', 'pods'], np)
      name(ns.name, `${np}.name`)
      if (typeof ns.name === 'string') {
        const prev = nsNames.get(ns.name)
        if (prev) bad(`${np}.name`, `namespace '${ns.name}' already declared at ${prev}`)
        else nsNames.set(ns.name, `${np}.name`)
      }
      if (!Array.isArray(ns.pods)) {
        bad(`${np}.pods`, 'expected a list of pods')
        continue
      }
      for (const [k, p] of ns.pods.entries()) {
        const pp = `${np}.pods[${k}]`
        if (!isObj(p)) {
          bad(pp, 'expected an object with name and ip')
          continue
        }
        keys(p, ['name', 'ip'], pp)
        name(p.name, `${pp}.name`)
        if (typeof p.name === 'string') {
          const prev = podNames.get(p.name)
          if (prev) bad(`${pp}.name`, `pod '${p.name}' already declared at ${prev}`)
          else podNames.set(p.name, `${pp}.name`)
        }
        const a = ipv4(p.ip)
        if (a === undefined) {
          bad(`${pp}.ip`, `expected an IPv4 address, got ${JSON.stringify(p.ip)}`)
          continue
        }
        if (within && ((a & within.mask) >>> 0 !== within.net)) bad(`${pp}.ip`, `${p.ip} is outside the pod CIDR of the cluster it runs in`)
        const prev = podIPs.get(p.ip as string)
        if (prev) bad(`${pp}.ip`, `${p.ip} already used by ${prev}`)
        else podIPs.set(p.ip as string, pp)
      }
    }
  }
  let providerNet: { net: number; mask: number } | undefined
  const pv = v.provider
  if (!isObj(pv)) bad('provider', 'expected an object with name, podCIDR and namespaces')
  else {
    keys(pv, ['name', 'podCIDR', 'namespaces'], 'provider')
    name(pv.name, 'provider.name')
    providerNet = checkCIDR(pv.podCIDR, 'provider.podCIDR')
    namespaces(pv.namespaces, 'provider.namespaces', providerNet)
  }
  if (!Array.isArray(v.consumers)) bad('consumers', 'expected a list of consumer clusters')
  else {
    const seen = new Map<string, string>()
    const tunnels = new Map<string, string>()
    for (const [i, c] of v.consumers.entries()) {
      const cp = `consumers[${i}]`
      if (!isObj(c)) {
        bad(cp, 'expected an object')
        continue
      }
      keys(c, ['name', 'podCIDR', 'gateway', 'offloaded', 'local'], cp)
      name(c.name, `${cp}.name`)
      if (typeof c.name === 'string') {
        if (seen.has(c.name)) bad(`${cp}.name`, `consumer '${c.name}' already declared at ${seen.get(c.name)}`)
        else seen.set(c.name, `${cp}.name`)
      }
      const net = checkCIDR(c.podCIDR, `${cp}.podCIDR`)
      const g = c.gateway
      if (!isObj(g)) bad(`${cp}.gateway`, 'expected an object with tunnelInterface')
      else {
        keys(g, ['tunnelInterface', 'controlPlane'], `${cp}.gateway`)
        if (typeof g.tunnelInterface !== 'string' || !IFNAME.test(g.tunnelInterface))
          bad(`${cp}.gateway.tunnelInterface`, `expected an interface name of 1 to 15 bytes without spaces or '/', got ${JSON.stringify(g.tunnelInterface)}`)
        else if (tunnels.has(g.tunnelInterface)) bad(`${cp}.gateway.tunnelInterface`, `already used by ${tunnels.get(g.tunnelInterface)}`)
        else tunnels.set(g.tunnelInterface, `${cp}.gateway`)
        if (g.controlPlane !== undefined) {
          if (!Array.isArray(g.controlPlane)) bad(`${cp}.gateway.controlPlane`, 'expected a list of IPv4 addresses')
          else for (const [k, a] of g.controlPlane.entries()) if (ipv4(a) === undefined) bad(`${cp}.gateway.controlPlane[${k}]`, `expected an IPv4 address, got ${JSON.stringify(a)}`)
        }
      }
      namespaces(c.offloaded, `${cp}.offloaded`, providerNet)
      namespaces(c.local, `${cp}.local`, net)
    }
  }
  return out
}

/** An inventory problem found while reading a file: which document, which field. */
export class InventoryError extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(`invalid inventory:\n${problems.map((p) => `  ${p.path || '(document)'}: ${p.message}`).join('\n')}`)
    this.name = 'InventoryError'
  }
}

/**
 * Reads an inventory from YAML or JSON text and validates it.
 * @throws InventoryError listing every problem with its field path.
 */
export function readInventory(text: string, file = 'inventory'): Inventory {
  const docs = readYaml(text)
  const errs = docs.flatMap((d) => d.problems.map((p) => ({ path: `${file}: ${p.path}`, message: p.message })))
  if (errs.length) throw new InventoryError(errs)
  if (docs.length !== 1) throw new InventoryError([{ path: file, message: `expected exactly one YAML document, found ${docs.length}` }])
  const v = docs[0].value
  const problems = validateInventory(v)
  const at = (path: string) => {
    const pos = docs[0].locate?.(path)
    return pos ? `${file}:${pos.line}:${pos.col}` : file
  }
  if (problems.length) throw new InventoryError(problems.map((p) => ({ path: `${at(p.path)}: ${p.path}`, message: p.message })))
  return v as Inventory
}
