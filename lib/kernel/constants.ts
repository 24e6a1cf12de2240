/**
 * Kernel and nft constants, in one place. Values come from the kernel's uapi
 * headers (linux/netfilter/nf_tables.h, linux/netfilter.h) and nft's datatype
 * table; names are nft's own words.
 * @module
 */

/** Address families nftables tables can have. */
export type Family = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev'

/** NFPROTO_* number of each family. */
export const FAMILY_NUMBER: Readonly<Record<Family, number>> = {
  inet: 1,
  ip: 2,
  arp: 3,
  netdev: 5,
  bridge: 7,
  ip6: 10,
}

/** Family name of an NFPROTO_* number. */
export function familyName(n: number): Family | undefined {
  for (const [k, v] of Object.entries(FAMILY_NUMBER)) if (v === n) return k as Family
  return undefined
}

/** Every family, in the order nft lists tables. */
export const FAMILIES: readonly Family[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']

/** Base chain hooks. `ingress`/`egress` need devices (netdev; inet ingress from kernel 5.10). */
export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress'

/** Hook numbers for the ip/ip6/inet/bridge families (NF_INET_*). */
export const HOOK_NUMBER: Readonly<Record<Exclude<Hook, 'egress'>, number>> = {
  prerouting: 0,
  input: 1,
  forward: 2,
  output: 3,
  postrouting: 4,
  ingress: 5,
}

/** Hook numbers for the netdev family (NF_NETDEV_*). */
export const NETDEV_HOOK_NUMBER: Readonly<Record<'ingress' | 'egress', number>> = { ingress: 0, egress: 1 }

/** Hook numbers for the arp family (NF_ARP_*). */
export const ARP_HOOK_NUMBER: Readonly<Record<'input' | 'output', number>> = { input: 0, output: 1 }

/** Hooks each family accepts. */
export const FAMILY_HOOKS: Readonly<Record<Family, readonly Hook[]>> = {
  ip: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  ip6: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  inet: ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'],
  bridge: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  arp: ['input', 'output'],
  netdev: ['ingress', 'egress'],
}

/** Where each chain type may live: its families and, if restricted, its hooks (the kernel's rules). */
export const CHAIN_TYPE_SCOPE: Readonly<Record<ChainType, { readonly families: readonly Family[]; readonly hooks?: readonly Hook[] }>> = {
  filter: { families: FAMILIES },
  nat: { families: ['ip', 'ip6', 'inet'], hooks: ['prerouting', 'input', 'output', 'postrouting'] },
  route: { families: ['ip', 'ip6', 'inet'], hooks: ['output'] },
}

/** The hooks a chain of `type` may use in a `family` table, or undefined when the type is not valid there. */
export function hooksFor(family: Family, type: ChainType): readonly Hook[] | undefined {
  const scope = CHAIN_TYPE_SCOPE[type]
  if (!scope.families.includes(family)) return undefined
  const hooks = scope.hooks
  return hooks ? FAMILY_HOOKS[family].filter((h) => hooks.includes(h)) : FAMILY_HOOKS[family]
}

/** Number of a hook in a family. */
export function hookNumber(family: Family, hook: Hook): number {
  if (family === 'netdev') return NETDEV_HOOK_NUMBER[hook as 'ingress' | 'egress']
  if (family === 'arp') return ARP_HOOK_NUMBER[hook as 'input' | 'output']
  return HOOK_NUMBER[hook as Exclude<Hook, 'egress'>]
}

/** Hook name of a number in a family. */
export function hookName(family: Family, n: number): Hook | undefined {
  const table: Record<string, number> =
    family === 'netdev' ? NETDEV_HOOK_NUMBER : family === 'arp' ? ARP_HOOK_NUMBER : HOOK_NUMBER
  for (const [k, v] of Object.entries(table)) if (v === n) return k as Hook
  return undefined
}

/** Chain types. */
export type ChainType = 'filter' | 'nat' | 'route'

/** Named chain priorities (nft's `priority filter`, `srcnat - 1`, ...). */
export type NamedPriority = 'raw' | 'mangle' | 'dstnat' | 'filter' | 'security' | 'srcnat' | 'out'

/**
 * Value of a named priority in a family and hook, as nft defines it; undefined
 * where nft does not accept that name.
 */
export function namedPriorityValue(family: Family, hook: Hook, name: NamedPriority): number | undefined {
  if (family === 'bridge') {
    const b: Partial<Record<NamedPriority, number>> = { dstnat: -300, filter: -200, out: 100, srcnat: 300 }
    if (name === 'dstnat' && hook !== 'prerouting') return undefined
    if (name === 'srcnat' && hook !== 'postrouting') return undefined
    if (name === 'out' && hook !== 'output') return undefined
    return b[name]
  }
  if (name === 'out') return undefined
  const v: Record<Exclude<NamedPriority, 'out'>, number> = {
    raw: -300,
    mangle: -150,
    dstnat: -100,
    filter: 0,
    security: 50,
    srcnat: 100,
  }
  if (family === 'netdev' || family === 'arp') return name === 'filter' ? 0 : undefined
  if (name === 'dstnat' && hook !== 'prerouting') return undefined
  if (name === 'srcnat' && hook !== 'postrouting') return undefined
  return v[name]
}

/** The named priority nft prints for a number, as `name`, `name + n` or `name - n`. */
export function priorityText(family: Family, hook: Hook, prio: number): string {
  const names: NamedPriority[] =
    family === 'bridge' ? ['dstnat', 'filter', 'out', 'srcnat'] : ['raw', 'mangle', 'dstnat', 'filter', 'security', 'srcnat']
  for (const n of names) {
    const v = namedPriorityValue(family, hook, n)
    if (v === undefined) continue
    if (v === prio) return n
  }
  // nft prints "name +/- n" within 10 of a standard priority.
  for (const n of names) {
    const v = namedPriorityValue(family, hook, n)
    if (v === undefined) continue
    const d = prio - v
    if (d !== 0 && Math.abs(d) <= 10) return d > 0 ? `${n} + ${d}` : `${n} - ${-d}`
  }
  return String(prio)
}

/** Verdict codes (NF_DROP, NF_ACCEPT, NFT_*). */
export const VERDICT_CODE = {
  drop: 0,
  accept: 1,
  queue: 3,
  continue: -1,
  break: -2,
  jump: -3,
  goto: -4,
  return: -5,
} as const

/**
 * NFT_CHAIN_BINDING (NFTA_CHAIN_FLAGS): a chain bound to the rule that jumps
 * to it (`jump { ... }`), created and destroyed with that rule.
 */
export const CHAIN_BINDING = 0x4

/** Chain policies. */
export type Policy = 'accept' | 'drop'

/** Table flags. */
export const TABLE_FLAG = { dormant: 1, owner: 2, persist: 4 } as const

/** Set flags (NFT_SET_*). */
export const SET_FLAG = {
  anonymous: 0x1,
  constant: 0x2,
  interval: 0x4,
  map: 0x8,
  timeout: 0x10,
  eval: 0x20,
  object: 0x40,
  concat: 0x80,
  expr: 0x100,
} as const

/** Element flags. */
export const ELEM_FLAG_INTERVAL_END = 1

/** Payload bases. */
export const PAYLOAD_BASE = { ll: 0, network: 1, transport: 2, inner: 3 } as const

/** Comparison operators (NFT_CMP_*). */
export const CMP_OP = { eq: 0, neq: 1, lt: 2, lte: 3, gt: 4, gte: 5 } as const

/** Range operators (NFT_RANGE_*). */
export const RANGE_OP = { eq: 0, neq: 1 } as const

/** Meta keys (NFT_META_*) nftkit knows. */
export const META_KEY = {
  len: 0,
  protocol: 1,
  priority: 2,
  mark: 3,
  iif: 4,
  oif: 5,
  iifname: 6,
  oifname: 7,
  iiftype: 8,
  oiftype: 9,
  skuid: 10,
  skgid: 11,
  nftrace: 12,
  rtclassid: 13,
  secmark: 14,
  nfproto: 15,
  l4proto: 16,
  bri_iifname: 17,
  bri_oifname: 18,
  pkttype: 19,
  cpu: 20,
  iifgroup: 21,
  oifgroup: 22,
  cgroup: 23,
  prandom: 24,
} as const

/** Conntrack keys (`enum nft_ct_keys`, NFT_CT_*). */
export const CT_KEY = {
  state: 0,
  direction: 1,
  status: 2,
  mark: 3,
  secmark: 4,
  expiration: 5,
  helper: 6,
  l3protocol: 7,
  saddr: 8,
  daddr: 9,
  protocol: 10,
  'proto-src': 11,
  'proto-dst': 12,
  labels: 13,
  packets: 14,
  bytes: 15,
  avgpkt: 16,
  zone: 17,
  eventmask: 18,
  srcIp: 19,
  dstIp: 20,
  srcIp6: 21,
  dstIp6: 22,
  id: 23,
} as const

/** Conntrack state bits (ct state). */
export const CT_STATE = { invalid: 1, established: 2, related: 4, new: 8, untracked: 64 } as const
/** Conntrack state names in the order nft prints them. */
export const CT_STATE_ORDER = ['invalid', 'established', 'related', 'new', 'untracked'] as const

/** Conntrack status bits (ct status). */
export const CT_STATUS = {
  expected: 1,
  'seen-reply': 2,
  assured: 4,
  confirmed: 8,
  snat: 16,
  dnat: 32,
  dying: 512,
} as const
/** Conntrack status names in the order nft prints them. */
export const CT_STATUS_ORDER = ['expected', 'seen-reply', 'assured', 'confirmed', 'snat', 'dnat', 'dying'] as const

/** TCP header flag bits (tcp flags). */
export const TCP_FLAG = { fin: 1, syn: 2, rst: 4, psh: 8, ack: 16, urg: 32, ecn: 64, cwr: 128 } as const
/** TCP flag names in the order nft prints them. */
export const TCP_FLAG_ORDER = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ecn', 'cwr'] as const

/** IP protocol numbers nft prints by name. */
export const L4PROTO: Readonly<Record<string, number>> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  ipv6: 41,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  comp: 108,
  udplite: 136,
  sctp: 132,
  dccp: 33,
}

/** ICMP types by name (nft's icmp_type). */
export const ICMP_TYPE: Readonly<Record<string, number>> = {
  'echo-reply': 0,
  'destination-unreachable': 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  'router-advertisement': 9,
  'router-solicitation': 10,
  'time-exceeded': 11,
  'parameter-problem': 12,
  'timestamp-request': 13,
  'timestamp-reply': 14,
  'info-request': 15,
  'info-reply': 16,
  'address-mask-request': 17,
  'address-mask-reply': 18,
}

/** ICMPv6 types by name (nft's icmpv6_type). */
export const ICMPV6_TYPE: Readonly<Record<string, number>> = {
  'destination-unreachable': 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'parameter-problem': 4,
  'echo-request': 128,
  'echo-reply': 129,
  'mld-listener-query': 130,
  'mld-listener-report': 131,
  'mld-listener-done': 132,
  'mld-listener-reduction': 132,
  'nd-router-solicit': 133,
  'nd-router-advert': 134,
  'nd-neighbor-solicit': 135,
  'nd-neighbor-advert': 136,
  'nd-redirect': 137,
  'router-renumbering': 138,
  'ind-neighbor-solicit': 141,
  'ind-neighbor-advert': 142,
  'mld2-listener-report': 143,
}

/** Ethernet protocols by name (nft's ether_type; `vlan` is an input alias of 8021q). */
export const ETHER_TYPE: Readonly<Record<string, number>> = { ip: 0x0800, arp: 0x0806, ip6: 0x86dd, '8021q': 0x8100, '8021ad': 0x88a8, vlan: 0x8100 }

/** Interface types by name (nft's iface_type, ARPHRD_*). */
export const IFACE_TYPE: Readonly<Record<string, number>> = { ether: 1, ppp: 512, ipip: 768, ipip6: 769, loopback: 772, sit: 776, ipgre: 778 }

/** ARP operations by name (nft's arp_op). */
export const ARP_OP: Readonly<Record<string, number>> = { request: 1, reply: 2, rrequest: 3, rreply: 4, inrequest: 8, inreply: 9, nak: 10 }

/** DCCP packet types by name (nft's dccp_pkttype). */
export const DCCP_PKTTYPE: Readonly<Record<string, number>> = {
  request: 0,
  response: 1,
  data: 2,
  ack: 3,
  dataack: 4,
  closereq: 5,
  close: 6,
  reset: 7,
  sync: 8,
  syncack: 9,
}

/** IGMP types by name (nft's igmp_type). */
export const IGMP_TYPE: Readonly<Record<string, number>> = {
  'membership-query': 0x11,
  'membership-report-v1': 0x12,
  'membership-report-v2': 0x16,
  'membership-report-v3': 0x22,
  'leave-group': 0x17,
}

/** Reject types (NFT_REJECT_*). */
export const REJECT_TYPE = { icmp: 0, tcpReset: 1, icmpx: 2 } as const

/** ICMP codes usable in `reject with icmp <code>`. */
export const ICMP_CODE: Readonly<Record<string, number>> = {
  'net-unreachable': 0,
  'host-unreachable': 1,
  'prot-unreachable': 2,
  'port-unreachable': 3,
  'net-prohibited': 9,
  'host-prohibited': 10,
  'admin-prohibited': 13,
  'frag-needed': 4,
}

/** ICMPv6 codes usable in `reject with icmpv6 <code>`. */
export const ICMPV6_CODE: Readonly<Record<string, number>> = {
  'no-route': 0,
  'admin-prohibited': 1,
  'addr-unreachable': 3,
  'port-unreachable': 4,
  'policy-fail': 5,
  'reject-route': 6,
}

/** ICMPx (family-independent) codes usable in `reject with icmpx <code>`. */
export const ICMPX_CODE: Readonly<Record<string, number>> = {
  'no-route': 0,
  'port-unreachable': 1,
  'host-unreachable': 2,
  'admin-prohibited': 3,
}

/** Log levels (syslog). */
export const LOG_LEVEL = { emerg: 0, alert: 1, crit: 2, err: 3, warn: 4, notice: 5, info: 6, debug: 7, audit: 8 } as const

/** Limit time units in seconds. */
export const LIMIT_UNIT = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 } as const

/** NAT types (NFT_NAT_*). */
export const NAT_TYPE = { snat: 0, dnat: 1 } as const

/** NAT range flags (NF_NAT_RANGE_*). */
export const NAT_FLAG = {
  mapIps: 0x1,
  protoSpecified: 0x2,
  protoRandom: 0x4,
  persistent: 0x8,
  protoRandomFully: 0x10,
  protoOffset: 0x20,
  netmap: 0x40,
} as const

/** Named object types (NFT_OBJECT_*). */
export const OBJECT_TYPE = { counter: 1, quota: 2, limit: 4, synproxy: 10 } as const

/** Mobility header types (nft's mh_type symbols). */
export const MH_TYPE: Readonly<Record<string, number>> = {
  'binding-refresh-request': 0,
  'home-test-init': 1,
  'careof-test-init': 2,
  'home-test': 3,
  'careof-test': 4,
  'binding-update': 5,
  'binding-acknowledgement': 6,
  'binding-error': 7,
  'fast-binding-update': 8,
  'fast-binding-acknowledgement': 9,
  'fast-binding-advertisement': 10,
  'experimental-mobility-header': 11,
  'home-agent-switch-message': 12,
}

/** nft datatype ids used in set key and data types. */
export const DATATYPE = {
  verdict: 1,
  nf_proto: 2,
  bitmask: 3,
  integer: 4,
  string: 5,
  ipv4_addr: 7,
  ipv6_addr: 8,
  ether_addr: 9,
  ether_type: 10,
  inet_proto: 12,
  inet_service: 13,
  icmp_type: 14,
  mark: 19,
  ifindex: 20,
  ct_state: 26,
  icmpv6_type: 29,
  ifname: 41,
} as const

/** Kernel data type of a verdict map value (NFT_DATA_VERDICT). */
export const NFT_DATA_VERDICT = 0xffffff00

/** Maximum name length the kernel accepts for tables, chains, sets, objects (NFT_NAME_MAXLEN - 1). */
export const NAME_MAX = 255
/** Maximum interface name length (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15
/** Maximum comment length nft accepts (NFTNL_UDATA_COMMENT_MAXLEN). */
export const COMMENT_MAX = 128
