/**
 * A structural check of a Kubernetes NetworkPolicy (networking.k8s.io/v1)
 * for the admission webhook: the shape the API server's own validation
 * enforces (selectors, peers, ipBlocks, ports), with field paths, then the
 * NetworkPolicy compiler's reader; see docs/webhook-and-metrics.md.
 * @module
 */
import { isIP } from 'node:net'
import { NftValidationError } from '../kernel/errors.js'
import { QUOTE_MAX } from '../kernel/limits.js'
import type { Problem } from '../liqo/firewall-configuration.js'
import { readClusterManifests } from '../netpol/manifests.js'

/**
 * What `/validate-networkpolicy` checks: first {@link networkPolicyProblems}
 * (every structural problem at once); when there is none, the NetworkPolicy
 * compiler's own reader (`readClusterManifests` of lib/netpol), which is
 * stricter (label key and value syntax, unknown fields, named-port syntax,
 * the limits on sizes) and stops at its first problem. An object the reader
 * accepts is one `nftkit` can compile and enforce.
 */
export function networkPolicyAdmissionProblems(obj: unknown): Problem[] {
  const structural = networkPolicyProblems(obj)
  if (structural.length > 0) return structural
  try {
    readClusterManifests([obj])
  } catch (e) {
    if (!(e instanceof NftValidationError)) throw e
    // The reader names a lone document "(document)"; the webhook's paths start at the object.
    const path = e.path.replace(/^\(document\)\.?/, '')
    return [{ path, message: e.reason.replace(/^Expected/, 'expected') }]
  }
  return []
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const show = (v: unknown): string => {
  const s = v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v))
  return s.length > QUOTE_MAX ? `${s.slice(0, QUOTE_MAX)}...` : s
}
/** Keys of a map (metadata.labels, matchLabels) quoted in a path when not a plain word. */
const keyPath = (base: string, k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${base}.${k}` : `${base}[${JSON.stringify(k)}]`)

/** A Kubernetes IANA service name: 1-15 lower-case letters, digits and single inner hyphens, at least one letter. */
const SVC_NAME = /^(?=.*[a-z])[a-z0-9](?:[a-z0-9]|-(?!-))*$/

/**
 * Every structural problem of a NetworkPolicy, with field paths
 * (`spec.ingress[0].from[1].ipBlock.except[0]`); an empty list means the
 * shape is valid. Checks: apiVersion/kind, `spec.podSelector` present,
 * label selectors (matchLabels strings; matchExpressions operators and their
 * values), `policyTypes` (Ingress/Egress, no repeats), peers (at least one
 * selector or an ipBlock, an ipBlock alone), ipBlock CIDRs (and `except`
 * entries of the same family strictly inside `cidr`), ports (protocol TCP/UDP/SCTP,
 * a port number 1-65535 or a service name, `endPort` only after a numeric
 * port and not below it).
 */
export function networkPolicyProblems(obj: unknown): Problem[] {
  const out: Problem[] = []
  const bad = (path: string, message: string) => out.push({ path, message })
  if (!isObj(obj)) return [{ path: '', message: 'expected an object' }]
  if (obj.apiVersion !== 'networking.k8s.io/v1') bad('apiVersion', `expected networking.k8s.io/v1, got ${show(obj.apiVersion)}`)
  if (obj.kind !== 'NetworkPolicy') bad('kind', `expected NetworkPolicy, got ${show(obj.kind)}`)
  const spec = obj.spec
  if (!isObj(spec)) return [...out, { path: 'spec', message: 'expected an object with podSelector' }]
  if (spec.podSelector === undefined) bad('spec.podSelector', 'required (use {} to select every pod of the namespace)')
  else selector(spec.podSelector, 'spec.podSelector', bad)
  if (spec.policyTypes !== undefined) {
    if (!Array.isArray(spec.policyTypes)) bad('spec.policyTypes', 'expected a list of Ingress and Egress')
    else
      spec.policyTypes.forEach((t, i) => {
        if (t !== 'Ingress' && t !== 'Egress') bad(`spec.policyTypes[${i}]`, `expected Ingress or Egress, got ${show(t)}`)
        else if (Array.isArray(spec.policyTypes) && spec.policyTypes.indexOf(t) !== i) bad(`spec.policyTypes[${i}]`, `${t} is listed twice`)
      })
  }
  for (const dir of ['ingress', 'egress'] as const) {
    const rules = spec[dir]
    if (rules === undefined || rules === null) continue
    if (!Array.isArray(rules)) {
      bad(`spec.${dir}`, 'expected a list of rules')
      continue
    }
    const peersKey = dir === 'ingress' ? 'from' : 'to'
    for (const [i, r] of rules.entries()) {
      const p = `spec.${dir}[${i}]`
      if (!isObj(r)) {
        bad(p, 'expected an object')
        continue
      }
      for (const k of Object.keys(r)) if (k !== peersKey && k !== 'ports') bad(`${p}.${k}`, `unknown field (a ${dir} rule has ${peersKey} and ports)`)
      list(r[peersKey], `${p}.${peersKey}`, bad, (peer, pp) => peerProblems(peer, pp, bad))
      list(r.ports, `${p}.ports`, bad, (port, pp) => portProblems(port, pp, bad))
    }
  }
  return out
}

type Bad = (path: string, message: string) => void

function list(v: unknown, path: string, bad: Bad, each: (item: unknown, path: string) => void): void {
  if (v === undefined || v === null) return
  if (!Array.isArray(v)) {
    bad(path, 'expected a list')
    return
  }
  for (let i = 0; i < v.length; i++) each(v[i], `${path}[${i}]`)
}

function selector(v: unknown, path: string, bad: Bad): void {
  if (!isObj(v)) {
    bad(path, 'expected a label selector (matchLabels, matchExpressions)')
    return
  }
  for (const k of Object.keys(v)) if (k !== 'matchLabels' && k !== 'matchExpressions') bad(`${path}.${k}`, 'unknown field (a label selector has matchLabels and matchExpressions)')
  if (v.matchLabels !== undefined && v.matchLabels !== null) {
    if (!isObj(v.matchLabels)) bad(`${path}.matchLabels`, 'expected a map of strings')
    else for (const [k, x] of Object.entries(v.matchLabels)) if (typeof x !== 'string') bad(keyPath(`${path}.matchLabels`, k), `expected a string, got ${show(x)}`)
  }
  list(v.matchExpressions, `${path}.matchExpressions`, bad, (e, p) => {
    if (!isObj(e)) {
      bad(p, 'expected an object with key and operator')
      return
    }
    if (typeof e.key !== 'string' || e.key === '') bad(`${p}.key`, `expected a label key, got ${show(e.key)}`)
    const values = e.values
    if (values !== undefined && values !== null && (!Array.isArray(values) || values.some((x) => typeof x !== 'string'))) {
      bad(`${p}.values`, 'expected a list of strings')
      return
    }
    const n = Array.isArray(values) ? values.length : 0
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (n === 0) bad(`${p}.values`, `must be non-empty for operator ${e.operator}`)
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (n > 0) bad(`${p}.values`, `must be empty for operator ${e.operator}`)
    } else bad(`${p}.operator`, `expected In, NotIn, Exists or DoesNotExist, got ${show(e.operator)}`)
  })
}

function peerProblems(v: unknown, path: string, bad: Bad): void {
  if (!isObj(v)) {
    bad(path, 'expected a peer (podSelector, namespaceSelector or ipBlock)')
    return
  }
  for (const k of Object.keys(v))
    if (k !== 'podSelector' && k !== 'namespaceSelector' && k !== 'ipBlock') bad(`${path}.${k}`, 'unknown field (a peer has podSelector, namespaceSelector and ipBlock)')
  const has = (k: string) => v[k] !== undefined && v[k] !== null
  if (!has('podSelector') && !has('namespaceSelector') && !has('ipBlock')) {
    bad(path, 'expected podSelector, namespaceSelector or ipBlock')
    return
  }
  if (has('ipBlock') && (has('podSelector') || has('namespaceSelector'))) bad(`${path}.ipBlock`, 'an ipBlock must be the only field of its peer')
  if (has('podSelector')) selector(v.podSelector, `${path}.podSelector`, bad)
  if (has('namespaceSelector')) selector(v.namespaceSelector, `${path}.namespaceSelector`, bad)
  if (!has('ipBlock')) return
  const b = v.ipBlock
  if (!isObj(b)) {
    bad(`${path}.ipBlock`, 'expected an object with cidr')
    return
  }
  const outer = cidr(b.cidr)
  if (!outer) {
    bad(`${path}.ipBlock.cidr`, `expected a CIDR such as 10.0.0.0/8 or fd00::/8, got ${show(b.cidr)}`)
    return
  }
  list(b.except, `${path}.ipBlock.except`, bad, (e, p) => {
    const inner = cidr(e)
    if (!inner) {
      bad(p, `expected a CIDR, got ${show(e)}`)
      return
    }
    if (inner.family !== outer.family || inner.len <= outer.len || !sameNet(inner.addr, outer.addr, outer.len)) bad(p, `expected a CIDR strictly inside ${b.cidr as string}`)
  })
}

function portProblems(v: unknown, path: string, bad: Bad): void {
  if (!isObj(v)) {
    bad(path, 'expected an object with protocol, port and endPort')
    return
  }
  if (v.protocol !== undefined && v.protocol !== 'TCP' && v.protocol !== 'UDP' && v.protocol !== 'SCTP')
    bad(`${path}.protocol`, `expected TCP, UDP or SCTP, got ${show(v.protocol)}`)
  const port = v.port
  if (typeof port === 'number') {
    if (!Number.isInteger(port) || port < 1 || port > 65535) bad(`${path}.port`, `expected a port of 1-65535, got ${show(port)}`)
  } else if (typeof port === 'string') {
    if (port.length > 15 || !SVC_NAME.test(port)) bad(`${path}.port`, `expected a port number or a named port (1-15 lower-case letters, digits and hyphens), got ${show(port)}`)
  } else if (port !== undefined && port !== null) bad(`${path}.port`, `expected a number or a name, got ${show(port)}`)
  if (v.endPort === undefined || v.endPort === null) return
  if (typeof v.endPort !== 'number' || !Number.isInteger(v.endPort) || v.endPort < 1 || v.endPort > 65535) bad(`${path}.endPort`, `expected a port of 1-65535, got ${show(v.endPort)}`)
  else if (typeof port !== 'number') bad(`${path}.endPort`, 'needs a numeric port')
  else if (v.endPort < port) bad(`${path}.endPort`, `must not be below port ${port}`)
}

interface Cidr {
  readonly family: 4 | 6
  readonly addr: bigint
  readonly len: number
}

/** A CIDR as the API server accepts it (host bits allowed, as Go's net.ParseCIDR does). */
function cidr(v: unknown): Cidr | undefined {
  if (typeof v !== 'string') return undefined
  const slash = v.indexOf('/')
  if (slash < 0) return undefined
  const ip = v.slice(0, slash)
  const lenText = v.slice(slash + 1)
  const family = isIP(ip)
  if (family !== 4 && family !== 6) return undefined
  const len = /^\d{1,3}$/.test(lenText) ? Number(lenText) : -1
  if (len < 0 || len > (family === 4 ? 32 : 128)) return undefined
  return { family, addr: family === 4 ? v4(ip) : v6(ip), len: family === 4 ? len + 96 : len }
}

function v4(ip: string): bigint {
  return ip.split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n)
}

function v6(ip: string): bigint {
  let s = ip
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const dot = s.lastIndexOf(':')
  if (s.includes('.')) {
    const n = v4(s.slice(dot + 1))
    s = `${s.slice(0, dot + 1)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
  return groups.reduce((a, g) => (a << 16n) | BigInt(Number.parseInt(g, 16)), 0n)
}

/** True if `a` lies in the `len`-bit prefix of `b` (both 128-bit; IPv4 mapped to the low 32 bits). */
function sameNet(a: bigint, b: bigint, len: number): boolean {
  const shift = BigInt(128 - len)
  return a >> shift === b >> shift
}
