/**
 * The testbed's addressing and naming plan, as pure functions: namespace
 * names, interface names, link addresses and the `ip -batch` lines that wire
 * a pod or a router. `topology.ts` runs them.
 *
 * Scheme: every router side of a pod veth carries 169.254.1.1/32 and a /32
 * host route to the pod; the pod has its IP/32 on `eth0`, a link route to
 * 169.254.1.1 and a default route via it. Consumer number i (1-based) gets the
 * transit link prov `to-gw<i>` 169.254.(100+i).1/30 <-> gw `to-prov`
 * 169.254.(100+i).2/30, and the tunnel gw `<tunnelInterface>`
 * 169.254.(200+i).1/30 <-> home `liqo-tunnel` 169.254.(200+i).2/30.
 * @module
 */
import type { Inventory, PodInventory } from '../../lib/policies/inventory.js'

/** Next hop every pod routes through: present on the router side of each pod veth. */
export const POD_GATEWAY = '169.254.1.1'
/** Name of the home router's interface towards its provider-side gateway. */
export const HOME_TUNNEL = 'liqo-tunnel'
/** Name of a gateway's interface towards the provider router. */
export const GATEWAY_UPLINK = 'to-prov'
/** Most consumers the address plan has room for. */
export const MAX_CONSUMERS = 54

/** Where a pod runs: a provider namespace, or a consumer's offloaded or local (home) namespace. */
export type PodPlacement =
  | { readonly kind: 'provider'; readonly namespace: string }
  | { readonly kind: 'offloaded'; readonly consumer: string; readonly namespace: string }
  | { readonly kind: 'local'; readonly consumer: string; readonly namespace: string }

/** One pod of the testbed. */
export interface TestbedPod {
  readonly name: string
  /** Its address, /32 on `eth0`. */
  readonly ip: string
  /** Where it runs (cluster, kind, Kubernetes namespace). */
  readonly placement: PodPlacement
  /** The pod's network namespace (interface `eth0`). */
  readonly netns: string
  /** Namespace of the router the pod hangs off (`prov` for provider and offloaded pods, `home-<consumer>` for local ones). */
  readonly router: string
  /** The router-side interface of the pod's veth. */
  readonly routerInterface: string
}

/** One router of the testbed. */
export interface TestbedRouter {
  /** `provider`: the provider's node; `gateway`: a consumer's provider-side gateway (firewall here); `home`: the consumer cluster's router. */
  readonly role: 'provider' | 'gateway' | 'home'
  /** Consumer name, for gateways and home routers. */
  readonly consumer?: string
  /** Its network namespace (e.g. for `createClient({ netns })`). */
  readonly netns: string
  /** Transit interfaces (not pod veths) and their addresses, CIDR notation. */
  readonly interfaces: Readonly<Record<string, string>>
}

/** Namespace names for a prefix. */
export const nsName = {
  provider: (prefix: string) => `${prefix}prov`,
  gateway: (prefix: string, consumer: string) => `${prefix}gw-${consumer}`,
  home: (prefix: string, consumer: string) => `${prefix}home-${consumer}`,
  pod: (prefix: string, pod: string) => `${prefix}pod-${pod}`,
}

/** Transit addresses of consumer number `i` (1-based). */
export function linkAddresses(i: number) {
  return {
    provToGw: `169.254.${100 + i}.1`,
    gwToProv: `169.254.${100 + i}.2`,
    gwTunnel: `169.254.${200 + i}.1`,
    homeTunnel: `169.254.${200 + i}.2`,
  }
}

const NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/

/** Throws unless `ip` is a dotted-quad IPv4 address. */
export function checkIp(ip: string, what: string): void {
  const parts = ip.split('.')
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    throw new Error(`${what}: not an IPv4 address: ${JSON.stringify(ip)}`)
  }
}

/** Throws unless the pod can join a testbed beside `others` (name shape, address, unique name and address). */
export function checkPod(pod: PodInventory, others: Iterable<PodInventory>): void {
  if (!NAME.test(pod.name)) throw new Error(`pod name ${JSON.stringify(pod.name)}: lowercase letters, digits, '.', '-'`)
  checkIp(pod.ip, `pod ${pod.name}`)
  for (const o of others) {
    if (o.name === pod.name) throw new Error(`pod ${pod.name} already exists`)
    if (o.ip === pod.ip) throw new Error(`pod ${pod.name}: address ${pod.ip} already used by pod ${o.name}`)
  }
}

/** Throws when the inventory cannot be built (names, interface names, duplicate pods, too many consumers). */
export function checkInventory(inv: Inventory): void {
  if (inv.consumers.length > MAX_CONSUMERS) throw new Error(`at most ${MAX_CONSUMERS} consumers`)
  const seen: PodInventory[] = []
  const consumers = new Set<string>()
  for (const c of inv.consumers) {
    if (!NAME.test(c.name) || consumers.has(c.name)) throw new Error(`consumer name ${JSON.stringify(c.name)}: invalid or repeated`)
    consumers.add(c.name)
    const tun = c.gateway.tunnelInterface
    if (!IFNAME.test(tun) || tun === 'lo' || tun === GATEWAY_UPLINK) throw new Error(`consumer ${c.name}: bad tunnelInterface ${JSON.stringify(tun)}`)
  }
  const pods = [
    ...inv.provider.namespaces.flatMap((n) => n.pods),
    ...inv.consumers.flatMap((c) => [...c.offloaded, ...c.local].flatMap((n) => n.pods)),
  ]
  for (const p of pods) {
    checkPod(p, seen)
    seen.push(p)
  }
}

/** Every pod of the inventory with its placement. */
export function podsOf(inv: Inventory): { pod: PodInventory; placement: PodPlacement }[] {
  const out: { pod: PodInventory; placement: PodPlacement }[] = []
  for (const ns of inv.provider.namespaces) for (const pod of ns.pods) out.push({ pod, placement: { kind: 'provider', namespace: ns.name } })
  for (const c of inv.consumers) {
    for (const ns of c.offloaded) for (const pod of ns.pods) out.push({ pod, placement: { kind: 'offloaded', consumer: c.name, namespace: ns.name } })
    for (const ns of c.local) for (const pod of ns.pods) out.push({ pod, placement: { kind: 'local', consumer: c.name, namespace: ns.name } })
  }
  return out
}

/** Router-side batch lines: the pod's veth pair (peer `eth0` created in the pod's namespace), gateway address, host route. */
export function routerPodLines(pod: TestbedPod): string[] {
  const dev = pod.routerInterface
  return [
    `link add name ${dev} type veth peer name eth0 netns ${pod.netns}`,
    `addr add ${POD_GATEWAY}/32 dev ${dev}`,
    `link set ${dev} up`,
    `route add ${pod.ip}/32 dev ${dev}`,
  ]
}

/** Pod-side batch lines: loopback, address, routes through the link-local next hop. */
export function podLines(pod: TestbedPod): string[] {
  return [
    'link set lo up',
    `addr add ${pod.ip}/32 dev eth0`,
    'link set eth0 up',
    `route add ${POD_GATEWAY}/32 dev eth0`,
    `route add default via ${POD_GATEWAY} dev eth0`,
  ]
}

/** Sysctls of every router: forwarding on, no reverse-path filter, no ICMP rate limit, no redirects. */
export const ROUTER_SYSCTLS = [
  'net.ipv4.ip_forward=1',
  'net.ipv4.conf.all.rp_filter=0',
  'net.ipv4.conf.default.rp_filter=0',
  'net.ipv4.icmp_ratemask=0',
  'net.ipv4.conf.all.send_redirects=0',
  'net.ipv4.conf.default.send_redirects=0',
]
