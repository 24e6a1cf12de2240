/**
 * The words of nft's rule language (nftables 1.0.x), by expression family, so
 * that the parser can name what nftkit does not support yet ("nftkit does not
 * support 'meta cgroup' yet") instead of failing on a word it does not know.
 * Only used for messages: what nftkit supports is what `expr/selectors.ts`
 * and the parser's statements define.
 * @module
 */

/** Header fields of each protocol nft matches on (payload and extension headers). */
export const NFT_PAYLOAD_FIELDS: Readonly<Record<string, readonly string[]>> = {
  ether: ['saddr', 'daddr', 'type'],
  vlan: ['id', 'dei', 'cfi', 'pcp', 'type'],
  arp: ['htype', 'ptype', 'hlen', 'plen', 'operation', 'saddr', 'daddr'],
  ip: ['version', 'hdrlength', 'dscp', 'ecn', 'length', 'id', 'frag-off', 'ttl', 'protocol', 'checksum', 'saddr', 'daddr', 'option'],
  ip6: ['version', 'dscp', 'ecn', 'flowlabel', 'length', 'nexthdr', 'hoplimit', 'saddr', 'daddr'],
  icmp: ['type', 'code', 'checksum', 'id', 'sequence', 'gateway', 'mtu'],
  icmpv6: ['type', 'code', 'checksum', 'parameter-problem', 'packet-too-big', 'id', 'sequence', 'max-delay', 'taddr', 'daddr'],
  igmp: ['type', 'mrt', 'checksum', 'group'],
  tcp: ['sport', 'dport', 'sequence', 'ackseq', 'doff', 'reserved', 'flags', 'window', 'checksum', 'urgptr', 'option'],
  udp: ['sport', 'dport', 'length', 'checksum'],
  udplite: ['sport', 'dport', 'csumcov', 'checksum'],
  sctp: ['sport', 'dport', 'vtag', 'checksum', 'chunk'],
  dccp: ['sport', 'dport', 'type'],
  th: ['sport', 'dport'],
  ah: ['nexthdr', 'hdrlength', 'reserved', 'spi', 'sequence'],
  esp: ['spi', 'sequence'],
  comp: ['nexthdr', 'flags', 'cpi'],
  gre: ['version', 'flags', 'protocol'],
  geneve: ['vni', 'type'],
  vxlan: ['vni', 'flags'],
  hbh: ['nexthdr', 'hdrlength'],
  rt: ['nexthdr', 'hdrlength', 'type', 'seg-left'],
  rt0: ['addr'],
  rt2: ['addr'],
  srh: ['last-entry', 'flags', 'tag', 'sid'],
  frag: ['nexthdr', 'reserved', 'frag-off', 'reserved2', 'more-fragments', 'id'],
  dst: ['nexthdr', 'hdrlength'],
  mh: ['nexthdr', 'hdrlength', 'type', 'reserved', 'checksum'],
}

/** `meta` keys. */
export const NFT_META_KEYS: readonly string[] = [
  'length', 'protocol', 'priority', 'mark', 'iif', 'iifname', 'iiftype', 'oif', 'oifname', 'oiftype',
  'skuid', 'skgid', 'nftrace', 'rtclassid', 'ibriport', 'obriport', 'ibrname', 'obrname', 'pkttype', 'cpu',
  'iifgroup', 'oifgroup', 'cgroup', 'random', 'ipsec', 'secpath', 'nfproto', 'l4proto', 'time', 'day', 'hour',
  'iifkind', 'oifkind', 'broute', 'sdif', 'sdifname', 'ibrpvid', 'ibrvproto', 'secmark',
]

/** `meta` keys nft also accepts without the `meta` keyword. */
export const NFT_BARE_META_KEYS: readonly string[] = [
  'mark', 'iif', 'iifname', 'iiftype', 'oif', 'oifname', 'oiftype', 'skuid', 'skgid', 'nftrace', 'rtclassid',
  'ibriport', 'obriport', 'ibrname', 'obrname', 'pkttype', 'cpu', 'iifgroup', 'oifgroup', 'cgroup', 'time', 'day', 'hour',
]

/** `ct` keys (some take a direction first: `ct original saddr`). */
export const NFT_CT_KEYS: readonly string[] = [
  'state', 'direction', 'status', 'mark', 'expiration', 'helper', 'l3proto', 'protocol', 'saddr', 'daddr',
  'proto-src', 'proto-dst', 'label', 'bytes', 'packets', 'avgpkt', 'zone', 'event', 'count', 'id', 'secmark',
  'timeout', 'expectation', 'ip', 'ip6',
]

/** `rt` keys. */
export const NFT_RT_KEYS: readonly string[] = ['classid', 'nexthop', 'mtu', 'ipsec', 'ip', 'ip6']

/** Statements and other expressions that start with their own keyword. */
export const NFT_STATEMENTS: readonly string[] = [
  'quota', 'redirect', 'tproxy', 'queue', 'dup', 'fwd', 'fib', 'numgen', 'jhash', 'symhash', 'synproxy', 'osf',
  'socket', 'meter', 'update', 'add', 'delete', 'set', 'last', 'flow', 'exthdr', 'secmark', 'xt',
  'connlimit', 'flowtable', 'snat', 'dnat', 'masquerade', 'log', 'limit', 'counter', 'reject', 'notrack', 'reset',
]

/** NAT flags. */
export const NFT_NAT_FLAGS: readonly string[] = ['random', 'fully-random', 'persistent', 'netmap']

/** Relational operators as nft spells them (symbols and words). */
export const RELATIONAL_WORDS: Readonly<Record<string, '<' | '>' | '<=' | '>='>> = {
  '<': '<',
  '>': '>',
  '<=': '<=',
  '>=': '>=',
  lt: '<',
  gt: '>',
  le: '<=',
  ge: '>=',
}

/**
 * What nft would read at this point, named the way nft's documentation names
 * it, when nftkit cannot: `['meta', 'cgroup']` -> `meta cgroup`. Returns the
 * feature name and how many words it spans, or undefined for a word that is
 * no nft keyword either.
 */
export function nftFeature(words: readonly string[]): { name: string; width: number } | undefined {
  const [a, b, c] = words
  if (a === undefined) return undefined
  if (a === '@' || a.startsWith('@')) return { name: 'raw payload expressions (@base,offset,length)', width: 1 }
  if (a === 'meta' && b && NFT_META_KEYS.includes(b)) return { name: `meta ${b}`, width: 2 }
  if (a === 'ct') {
    if ((b === 'original' || b === 'reply') && c) return { name: `ct ${b} ${c}`, width: 3 }
    if (b && NFT_CT_KEYS.includes(b)) return { name: `ct ${b}`, width: 2 }
    return { name: 'ct', width: 1 }
  }
  if (a === 'rt' && b && NFT_RT_KEYS.includes(b)) return { name: `rt ${b}`, width: 2 }
  if (Object.hasOwn(NFT_PAYLOAD_FIELDS, a)) {
    if (b && NFT_PAYLOAD_FIELDS[a].includes(b)) return { name: `${a} ${b}`, width: 2 }
    return { name: a, width: 1 }
  }
  if (NFT_BARE_META_KEYS.includes(a)) return { name: `meta ${a}`, width: 1 }
  if (a === 'meta') return { name: 'meta', width: 1 }
  if (NFT_NAT_FLAGS.includes(a)) return { name: `NAT flag ${a}`, width: 1 }
  if (NFT_STATEMENTS.includes(a)) return { name: a === 'tcp' ? 'tcp option' : a, width: 1 }
  return undefined
}

/** Stateful objects and other table-level declarations. */
export const NFT_OBJECTS: readonly string[] = ['quota', 'limit', 'ct', 'synproxy', 'flowtable', 'secmark', 'tunnel']

/** Set and map options besides the ones nftkit reads. */
export const NFT_SET_OPTIONS: readonly string[] = ['auto-merge', 'typeof', 'limit', 'ct', 'quota']

/** nft's datatype names (`nft describe`), for set keys and map data. */
export const NFT_TYPES: readonly string[] = [
  'verdict', 'nf_proto', 'bitmask', 'integer', 'string', 'lladdr', 'ipv4_addr', 'ipv6_addr', 'ether_addr', 'ether_type',
  'arp_op', 'inet_proto', 'inet_service', 'icmp_type', 'tcp_flag', 'dccp_pkttype', 'mh_type', 'time', 'mark', 'iface_index',
  'iface_type', 'realm', 'classid', 'uid', 'gid', 'ct_state', 'ct_dir', 'ct_status', 'icmpv6_type', 'pkt_type',
  'icmp_code', 'icmpv6_code', 'icmpx_code', 'devgroup', 'dscp', 'ecn', 'fib_addrtype', 'boolean', 'ifname',
  'igmp_type', 'day', 'hour', 'cgroupsv2', 'ct_event', 'ct_label', 'arp_hrd', 'nfproto', 'interval',
]
