/**
 * Provider protection, generated: from an {@link Inventory}, the
 * FirewallConfigurations each consumer's gateway enforces (default deny, allow
 * the consumer only towards the pods it offloaded, kept in a named set), the
 * NetworkPolicies of each offloaded namespace (egress only within the same
 * consumer), and the two variants: consumer protection and leaf-to-leaf
 * isolation. Output is plain Liqo objects (networking.liqo.io/v1beta1 with
 * nftkit's ctstate and named-set extensions) that `nftkit apply` or the
 * reconciler applies.
 * @module
 */
import type { FirewallConfiguration } from '../liqo/firewall-configuration.js'
import type { ConsumerInventory, Inventory } from './inventory.js'

/** Name of the named set of offloaded pod IPs in every generated provider-protection table. */
export const OFFLOADED_SET = 'offloaded-pods'
/** Table name of provider protection at a consumer's gateway. */
export const PROVIDER_TABLE = 'liqo-provider-protection'
/** Table name of consumer protection at the consumer's own gateway. */
export const CONSUMER_TABLE = 'liqo-consumer-protection'
/** Table name of leaf-to-leaf isolation at a hub consumer's gateway. */
export const LEAF_TABLE = 'liqo-leaf-isolation'
/** Label that names the consumer a generated object belongs to (Liqo's `firewall-unique`). */
export const UNIQUE_LABEL = 'networking.liqo.io/firewall-unique'
/** Label Liqo's gateway agents select on. */
export const CATEGORY_LABEL = 'networking.liqo.io/firewall-category'
/** Label telling the generated policy family apart. */
export const SUBCATEGORY_LABEL = 'networking.liqo.io/firewall-subcategory'
/** Label put on offloaded namespaces, naming the consumer that offloaded them. */
export const ORIGIN_LABEL = 'liqo.io/origin-cluster-id'

/** Options of {@link providerProtection}. */
export interface ProviderProtectionOptions {
  /**
   * Filter only traffic that crosses the tunnel interface (default true):
   * forwarded traffic between other interfaces is accepted by a privileged rule.
   */
  readonly tunnelOnly?: boolean
  /**
   * How a consumer's forbidden connection attempts end: `reject` (default: TCP
   * reset, ICMP admin-prohibited, so clients fail fast) or `drop` (silence).
   */
  readonly deny?: 'reject' | 'drop'
  /** Namespace the FirewallConfiguration objects are written to (default `liqo`). */
  readonly namespace?: string
}

type FilterRule = {
  name: string
  counter?: boolean
  match: Record<string, unknown>[]
  action: 'accept' | 'drop' | 'reject'
  value?: string
}

/** Return traffic of connections that were allowed: the first rule of every gateway table. */
const allowEstablished = (): FilterRule => ({ name: 'allow-established', match: [{ op: 'eq', ctstate: { value: ['established', 'related'] } }], action: 'accept' })
const ipSet = (name: string, ips: readonly string[]) => ({ name, keyType: 'ipv4_addr', elements: ips.map((key) => ({ key })) })
const dev = (op: 'eq' | 'neq', value: string, position: 'in' | 'out') => ({ op, dev: { value, position } })
const ip = (op: 'eq' | 'neq', value: string, position: 'src' | 'dst') => ({ op, ip: { value, position } })

/** The IPv4 addresses of every pod a consumer offloaded, in inventory order. */
export function offloadedIPs(c: ConsumerInventory): string[] {
  return c.offloaded.flatMap((ns) => ns.pods.map((p) => p.ip))
}

/**
 * The rules every generated gateway table starts with (anti-lockout): return
 * traffic, the gateway's control-plane peers, and (with `tunnelOnly`) traffic
 * that does not touch the tunnel. They always sit before generated rules.
 */
function privilegedRules(tunnel: string, control: readonly string[], tunnelOnly: boolean): FilterRule[] {
  const rules: FilterRule[] = [allowEstablished()]
  if (control.length) {
    rules.push({ name: 'allow-control-plane-in', match: [ip('eq', '@control-plane', 'src')], action: 'accept' })
    rules.push({ name: 'allow-control-plane-out', match: [ip('eq', '@control-plane', 'dst')], action: 'accept' })
  }
  if (tunnelOnly) rules.push({ name: 'allow-not-tunnel', match: [dev('neq', tunnel, 'in'), dev('neq', tunnel, 'out')], action: 'accept' })
  return rules
}

function fwc(name: string, namespace: string, labels: Record<string, string>, table: object): FirewallConfiguration {
  return { apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration', metadata: { name, namespace, labels }, spec: { table } } as FirewallConfiguration
}

/**
 * Provider protection: one FirewallConfiguration per consumer, for the gateway
 * that terminates its tunnel. The forward chain drops by default; the consumer
 * may open connections only towards the pods it offloaded (set
 * {@link OFFLOADED_SET}); its offloaded pods may open connections back home
 * (towards its pod CIDR); replies pass as established/related; anything else
 * the consumer tries is rejected (or dropped), and provider pods cannot open
 * connections into the consumer's cluster.
 */
export function providerProtection(inv: Inventory, opts: ProviderProtectionOptions = {}): FirewallConfiguration[] {
  const tunnelOnly = opts.tunnelOnly ?? true
  const deny = opts.deny ?? 'reject'
  return inv.consumers.map((c) => {
    const tun = c.gateway.tunnelInterface
    const control = c.gateway.controlPlane ?? []
    const rules: FilterRule[] = [
      ...privilegedRules(tun, control, tunnelOnly),
      { name: 'allow-consumer-to-offloaded', match: [dev('eq', tun, 'in'), ip('eq', `@${OFFLOADED_SET}`, 'dst')], action: 'accept' },
      { name: 'allow-offloaded-to-consumer', match: [dev('eq', tun, 'out'), ip('eq', `@${OFFLOADED_SET}`, 'src'), ip('eq', c.podCIDR, 'dst')], action: 'accept' },
    ]
    if (deny === 'reject') {
      rules.push({ name: 'reject-consumer-tcp', match: [dev('eq', tun, 'in'), { op: 'eq', proto: { value: 'tcp' } }], action: 'reject', value: 'tcp reset' })
      rules.push({ name: 'reject-consumer', match: [dev('eq', tun, 'in')], action: 'reject', value: 'icmp admin-prohibited' })
    }
    const sets = [ipSet(OFFLOADED_SET, offloadedIPs(c)), ...(control.length ? [ipSet('control-plane', control)] : [])]
    return fwc(
      `provider-protection-${c.name}`,
      opts.namespace ?? 'liqo',
      { [CATEGORY_LABEL]: 'gateway', [SUBCATEGORY_LABEL]: 'provider-protection', [UNIQUE_LABEL]: c.name },
      {
        name: PROVIDER_TABLE,
        family: 'IPV4',
        sets,
        chains: [{ name: 'forward', type: 'filter', hook: 'forward', priority: 0, policy: 'drop', rules: { filterRules: rules } }],
      },
    )
  })
}

/** Options of {@link consumerProtection}. */
export interface ConsumerProtectionOptions {
  /** The tunnel interface at the consumer's own gateway (default `liqo-tunnel`). */
  readonly tunnelInterface?: string
  /** Namespace of the objects (default `liqo`). */
  readonly namespace?: string
}

/**
 * Consumer protection, for each consumer's own gateway: connections that
 * arrive through the tunnel may be opened only by the pods the consumer
 * offloaded; provider pods outside offloaded namespaces cannot open
 * connections towards the consumer's pods (replies to the consumer's own
 * connections still pass).
 */
export function consumerProtection(inv: Inventory, opts: ConsumerProtectionOptions = {}): FirewallConfiguration[] {
  const tun = opts.tunnelInterface ?? 'liqo-tunnel'
  return inv.consumers.map((c) =>
    fwc(
      `consumer-protection-${c.name}`,
      opts.namespace ?? 'liqo',
      { [CATEGORY_LABEL]: 'gateway', [SUBCATEGORY_LABEL]: 'consumer-protection', [UNIQUE_LABEL]: c.name },
      {
        name: CONSUMER_TABLE,
        family: 'IPV4',
        sets: [ipSet(OFFLOADED_SET, offloadedIPs(c))],
        chains: [
          {
            name: 'forward',
            type: 'filter',
            hook: 'forward',
            priority: 0,
            policy: 'accept',
            rules: {
              filterRules: [
                allowEstablished(),
                { name: 'allow-offloaded', match: [dev('eq', tun, 'in'), ip('eq', `@${OFFLOADED_SET}`, 'src')], action: 'accept' },
                { name: 'drop-provider-initiated', match: [dev('eq', tun, 'in')], action: 'drop' },
              ],
            },
          },
        ],
      },
    ),
  )
}

/** A consumer that offloads to several providers (the hub of a star), for {@link leafIsolation}. */
export interface HubInventory {
  readonly name: string
  /** One tunnel per provider (leaf). */
  readonly leaves: readonly { readonly provider: string; readonly tunnelInterface: string }[]
}

/**
 * Leaf-to-leaf isolation at a hub consumer's gateway: pods offloaded to
 * different providers cannot talk to each other through the hub (traffic that
 * enters from one leaf's tunnel and leaves through another's is dropped).
 */
export function leafIsolation(hub: HubInventory, opts: { namespace?: string } = {}): FirewallConfiguration {
  const rules: FilterRule[] = []
  for (const a of hub.leaves)
    for (const b of hub.leaves)
      if (a !== b) rules.push({ name: `drop-${a.provider}-to-${b.provider}`, match: [dev('eq', a.tunnelInterface, 'in'), dev('eq', b.tunnelInterface, 'out')], action: 'drop' })
  return fwc(
    `leaf-isolation-${hub.name}`,
    opts.namespace ?? 'liqo',
    { [CATEGORY_LABEL]: 'gateway', [SUBCATEGORY_LABEL]: 'leaf-isolation', [UNIQUE_LABEL]: hub.name },
    { name: LEAF_TABLE, family: 'IPV4', chains: [{ name: 'forward', type: 'filter', hook: 'forward', priority: 0, policy: 'accept', rules: { filterRules: rules } }] },
  )
}

/** A Kubernetes NetworkPolicy (networking.k8s.io/v1), as much of it as we generate. */
export interface NetworkPolicy {
  readonly apiVersion: 'networking.k8s.io/v1'
  readonly kind: 'NetworkPolicy'
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>> }
  readonly spec: {
    readonly podSelector: Readonly<Record<string, never>>
    readonly policyTypes: readonly ['Egress']
    readonly egress: readonly {
      readonly to: readonly ({ readonly namespaceSelector: { readonly matchLabels: Readonly<Record<string, string>> } } | { readonly ipBlock: { readonly cidr: string } })[]
    }[]
  }
}

/**
 * The NetworkPolicy of each offloaded namespace: its pods may open
 * connections only towards namespaces offloaded by the same consumer (selected
 * by {@link ORIGIN_LABEL}) and back home (the consumer's pod CIDR, through the
 * gateway). This covers what never crosses a gateway: pod-to-pod traffic
 * inside the provider.
 */
export function networkPolicies(inv: Inventory): NetworkPolicy[] {
  return inv.consumers.flatMap((c) =>
    c.offloaded.map((ns) => ({
      apiVersion: 'networking.k8s.io/v1' as const,
      kind: 'NetworkPolicy' as const,
      metadata: { name: 'liqo-provider-protection', namespace: ns.name, labels: { [ORIGIN_LABEL]: c.name } },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'] as const,
        egress: [{ to: [{ namespaceSelector: { matchLabels: { [ORIGIN_LABEL]: c.name } } }, { ipBlock: { cidr: c.podCIDR } }] }],
      },
    })),
  )
}

/** Element changes of one consumer's offloaded-pod set between two inventories. */
export interface OffloadedDelta {
  readonly consumer: string
  readonly add: string[]
  readonly remove: string[]
}

/**
 * What changed in each consumer's offloaded pods between two inventories:
 * the element deltas for {@link OFFLOADED_SET} (consumers whose pods did not
 * change are left out).
 */
export function offloadedDeltas(before: Inventory, after: Inventory): OffloadedDelta[] {
  const out: OffloadedDelta[] = []
  for (const c of after.consumers) {
    const prev = new Set(offloadedIPs(before.consumers.find((x) => x.name === c.name) ?? { ...c, offloaded: [] }))
    const next = new Set(offloadedIPs(c))
    const add = [...next].filter((x) => !prev.has(x))
    const remove = [...prev].filter((x) => !next.has(x))
    if (add.length || remove.length) out.push({ consumer: c.name, add, remove })
  }
  for (const c of before.consumers)
    if (!after.consumers.some((x) => x.name === c.name) && offloadedIPs(c).length) out.push({ consumer: c.name, add: [], remove: offloadedIPs(c) })
  return out
}
