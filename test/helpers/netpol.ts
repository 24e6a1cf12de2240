/**
 * NetworkPolicy test helpers: manifest builders (the shapes `kubectl get -o
 * yaml` prints) and a small interpreter of the compiled table, so unit tests
 * can ask "does this packet pass?" of a {@link Declaration} without a kernel.
 * The interpreter knows only what the compiler emits (base chains per hook in
 * priority order, accept/drop/jump/goto, verdict maps, set lookups including
 * interval and concatenated sets, ct state, l4proto, th dport); anything else
 * throws, so a compiler change it does not understand fails loudly.
 */
import { parseCIDR, parseIP } from '../../lib/netpol/cidr.js'
import type { Declaration } from '../../lib/state/desired.js'

type Labels = Record<string, string>

/** A `v1 Namespace`. */
export const ns = (name: string, labels: Labels = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } })

/** A `v1 Pod` with addresses, node and container ports. */
export function pod(
  namespace: string,
  name: string,
  ips: string[],
  labels: Labels = {},
  opts: { node?: string; hostNetwork?: boolean; ports?: Array<{ name?: string; containerPort: number; protocol?: string }> } = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, labels, uid: 'ignored' },
    spec: {
      ...(opts.node !== undefined ? { nodeName: opts.node } : { nodeName: 'node-1' }),
      ...(opts.hostNetwork ? { hostNetwork: true } : {}),
      containers: [{ name: 'c', image: 'agnhost', ports: opts.ports ?? [] }],
    },
    status: { phase: 'Running', podIPs: ips.map((ip) => ({ ip })), ...(ips[0] ? { podIP: ips[0] } : {}) },
  }
}

/** A `networking.k8s.io/v1 NetworkPolicy`. */
export const netpol = (namespace: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { namespace, name },
  spec,
})

/** A `v1 List` of items. */
export const list = (...items: unknown[]) => ({ apiVersion: 'v1', kind: 'List', items })

/** A packet as the interpreter sees it. */
export interface Packet {
  readonly src: string
  readonly dst: string
  readonly proto?: 'tcp' | 'udp' | 'sctp' | 'icmp'
  readonly dport?: number
  /** Conntrack state (default new). */
  readonly ct?: 'new' | 'established' | 'related'
  /** Default forward. */
  readonly hook?: 'forward' | 'input' | 'output'
}

type Expr = Record<string, unknown>
type Verdict = 'accept' | 'drop' | { jump: string } | { goto: string }

const PROTO_NUM: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, icmpv6: 58 }
const PRIORITY: Record<string, number> = { filter: 0, 'filter - 1': -1, 'filter + 1': 1 }

/** The verdict of a compiled table for a packet: 'accept' or 'drop'. */
export function verdict(d: Declaration, p: Packet): 'accept' | 'drop' {
  const chains = new Map<string, { hook?: string; priority?: unknown; policy?: string; rules: Expr[][] }>()
  const sets = new Map<string, { type: unknown; elements: unknown[]; map?: string }>()
  for (const op of d.operations) {
    const o = op.object as unknown as Record<string, unknown>
    if (o.kind === 'chain') chains.set(o.name as string, { hook: o.hook as string, priority: o.priority, policy: o.policy as string, rules: [] })
    if (o.kind === 'set' || o.kind === 'map') sets.set(o.name as string, { type: o.type, elements: (o.elements as unknown[]) ?? [], map: o.map as string })
    if (o.kind === 'rule') chains.get(o.chain as string)?.rules.push(o.exprs as Expr[])
  }
  const hook = p.hook ?? 'forward'
  const base = [...chains.entries()].filter(([, c]) => c.hook === hook).sort((a, b) => prio(a[1].priority) - prio(b[1].priority))
  for (const [name, c] of base) {
    const v = runChain(name)
    if (v === 'drop') return 'drop'
    if (v === undefined && c.policy === 'drop') return 'drop'
  }
  return 'accept'

  function prio(x: unknown): number {
    if (typeof x === 'number') return x
    if (typeof x === 'string' && x in PRIORITY) return PRIORITY[x]
    throw new Error(`priority ${String(x)}`)
  }
  /** Runs a chain: a terminal verdict, or undefined when it falls off the end (or returns). */
  function runChain(name: string, depth = 0): 'accept' | 'drop' | undefined {
    if (depth > 16) throw new Error('jump loop')
    const c = chains.get(name)
    if (!c) throw new Error(`no chain ${name}`)
    for (const exprs of c.rules) {
      const v = runRule(exprs, depth)
      if (v === 'next') continue
      return v
    }
    return undefined
  }
  function runRule(exprs: Expr[], depth: number): 'accept' | 'drop' | 'next' | undefined {
    for (const e of exprs) {
      if ('match' in e) {
        if (!matches(e)) return 'next'
        continue
      }
      switch (e.stmt) {
        case 'counter':
          continue
        case 'accept':
        case 'drop':
          return e.stmt
        case 'jump': {
          const v = runChain(e.chain as string, depth + 1)
          if (v !== undefined) return v
          continue
        }
        case 'goto':
          return runChain(e.chain as string, depth + 1)
        case 'vmap': {
          const v = lookupVerdict(e)
          if (v === undefined) continue
          if (v === 'accept' || v === 'drop') return v
          if ('goto' in v) return runChain(v.goto, depth + 1)
          const r = runChain(v.jump, depth + 1)
          if (r !== undefined) return r
          continue
        }
        default:
          throw new Error(`statement ${String(e.stmt)}`)
      }
    }
    return 'next'
  }
  function field(sel: string): { family?: 4 | 6; value: string | number } | undefined {
    const fam = parseIP(p.src)?.family
    switch (sel) {
      case 'ip saddr':
        return fam === 4 ? { family: 4, value: p.src } : undefined
      case 'ip daddr':
        return fam === 4 ? { family: 4, value: p.dst } : undefined
      case 'ip6 saddr':
        return fam === 6 ? { family: 6, value: p.src } : undefined
      case 'ip6 daddr':
        return fam === 6 ? { family: 6, value: p.dst } : undefined
      case 'meta l4proto':
        return { value: PROTO_NUM[p.proto ?? 'tcp'] }
      case 'th dport':
        return p.proto === 'icmp' || p.dport === undefined ? undefined : { value: p.dport }
      default:
        throw new Error(`selector ${sel}`)
    }
  }
  function eq(a: string | number, want: unknown): boolean {
    if (typeof a === 'number') {
      if (typeof want === 'number') return a === want
      if (typeof want === 'string' && want in PROTO_NUM) return a === PROTO_NUM[want]
      if (typeof want === 'string' && /^\d+-\d+$/.test(want)) {
        const [lo, hi] = want.split('-').map(Number)
        return a >= lo && a <= hi
      }
      if (typeof want === 'string' && /^\d+$/.test(want)) return a === Number(want)
      throw new Error(`value ${String(want)}`)
    }
    const ip = parseIP(a)
    if (!ip || typeof want !== 'string') throw new Error(`address ${a} vs ${String(want)}`)
    let lo: bigint
    let hi: bigint
    if (want.includes('/')) {
      const c = parseCIDR(want)
      if (!c) throw new Error(`cidr ${want}`)
      ;({ lo, hi } = c)
    } else if (want.includes('-') && !want.includes(':')) {
      const [l, h] = want.split('-').map((x) => parseIP(x)?.value)
      if (l === undefined || h === undefined) throw new Error(`range ${want}`)
      lo = l
      hi = h
    } else if (want.includes('-')) {
      const i = want.indexOf('-')
      const l = parseIP(want.slice(0, i))?.value
      const h = parseIP(want.slice(i + 1))?.value
      if (l === undefined || h === undefined) throw new Error(`range ${want}`)
      lo = l
      hi = h
    } else {
      const v = parseIP(want)
      if (!v) throw new Error(`address ${want}`)
      lo = hi = v.value
    }
    return ip.value >= lo && ip.value <= hi
  }
  function matches(e: Expr): boolean {
    const sel = e.match as string | string[]
    const value = e.value
    if (sel === 'ct state') {
      const states = Array.isArray(value) ? value : [value]
      return states.includes(p.ct ?? 'new')
    }
    const sels = Array.isArray(sel) ? sel : [sel]
    const fields = sels.map(field)
    if (fields.some((f) => f === undefined)) return false
    const vals = fields.map((f) => (f as { value: string | number }).value)
    const elements = typeof value === 'object' && value !== null && 'set' in value ? elementsOf((value as { set: string }).set) : Array.isArray(value) ? value : [value]
    const hit = elements.some((el) => (vals.length === 1 ? eq(vals[0], el) : Array.isArray(el) && el.length === vals.length && vals.every((v, i) => eq(v, el[i]))))
    return e.op === '!=' ? !hit : hit
  }
  function elementsOf(name: string): unknown[] {
    const s = sets.get(name)
    if (!s) throw new Error(`no set ${name}`)
    return s.elements.map((x) => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as { key: unknown }).key : x))
  }
  function lookupVerdict(e: Expr): Verdict | undefined {
    const f = field(e.key as string)
    if (!f) return undefined
    const name = (e.map as { set: string }).set
    const s = sets.get(name)
    if (!s || s.map !== 'verdict') throw new Error(`no verdict map ${name}`)
    for (const el of s.elements as Array<{ key: string; value: Verdict }>) if (eq(f.value, el.key)) return el.value
    return undefined
  }
}
