/**
 * What each selector loads and how its values are typed: the single table the
 * compiler and the decoder both read.
 * @module
 */
import {
  CT_KEY,
  CT_STATE,
  CT_STATE_ORDER,
  CT_STATUS,
  CT_STATUS_ORDER,
  L4PROTO,
  META_KEY,
  PAYLOAD_BASE,
  TCP_FLAG,
  TCP_FLAG_ORDER,
} from '../kernel/constants.js'
import { type HashLoad, type NumgenLoad, numgenRow } from './numgen.js'
import { rawPayloadSpec } from './raw-payload.js'
import { type XfrmLoad, xfrmSpec } from './xfrm.js'
import { EXTHDR_SELECTORS, exthdrAlias, type ExthdrLoad, numericTcpOption } from './exthdr.js'
import { type Datatype, DATATYPES, shiftedType, VALUE_TYPES } from '../kernel/datatypes.js'
import { CT_HELPER_NAME_TYPE, CT_KEYS, CT_LABEL_TYPE, TIME_TYPE } from '../kernel/ct-types.js'
import type { CtDirSelector, FibSelector, IpsecSelector, Selector } from '../model/rule-types.js'

/** Where a selector's value comes from. */
export type Load =
  | {
      readonly kind: 'payload'
      readonly base: number
      readonly offset: number
      readonly len: number
      /**
       * A bitfield inside the loaded bytes (nft's HDR_BITFIELD): `width` bits
       * ending `shift` bits above the last loaded bit. nft masks the other
       * bits away after the load; values compare shifted (see subbyte.ts).
       */
      readonly bits?: { readonly shift: number; readonly width: number }
    }
  | { readonly kind: 'meta'; readonly key: number }
  | { readonly kind: 'ct'; readonly key: number; readonly dir?: 0 | 1 }
  | ExthdrLoad
  | { readonly kind: 'rt'; readonly key: number }
  /** `socket KEY` (NFT_SOCKET_*). */
  | { readonly kind: 'socket'; readonly key: number }
  /** `osf [ttl loose|skip] name|version`: NF_OSF_TTL_* and NFT_OSF_F_VERSION. */
  | { readonly kind: 'osf'; readonly ttl: number; readonly flags: number }
  /** `fib`: NFTA_FIB_F_* flags and the NFT_FIB_RESULT_* result. */
  | { readonly kind: 'fib'; readonly flags: number; readonly result: number }
  | NumgenLoad
  | HashLoad
  | XfrmLoad

/** One selector. */
export interface SelectorSpec {
  readonly name: Selector
  readonly load: Load
  /** Bytes loaded into the register. */
  readonly size: number
  /** Value type. */
  readonly type: Datatype
  /**
   * Network protocol the selector needs (`meta nfproto` / `meta protocol`
   * dependency; for ARP header fields `meta protocol arp` in bridge and netdev
   * tables, none in arp tables).
   */
  readonly l3?: 'ip' | 'ip6' | 'arp'
  /**
   * ICMP(v6) types the field exists in (`icmp mtu` only in destination-unreachable
   * messages): nft adds an `icmp type` match before it, a compare for one type,
   * an anonymous set `{ echo-request, echo-reply }` for two, unless the rule
   * already matched the type.
   */
  readonly icmpType?: readonly number[]
  /**
   * nft keeps the network-protocol dependency it adds for this selector visible
   * in listings (igmp in inet tables: `meta nfproto ipv4 igmp type ...`).
   */
  readonly l3Shown?: boolean
  /** Link-layer header access needs `meta iiftype ether` outside bridge/netdev tables. */
  readonly l2?: boolean
  /** An 802.1Q header field: needs `ether type 8021q` first (bridge tables). */
  readonly vlan?: boolean
  /** Transport protocol number the selector needs (`meta l4proto` dependency). */
  readonly l4?: number
  /** Bit names for flag selectors (ct state, ct status). */
  readonly flags?: Readonly<Record<string, number>>
  /** Names printed in order for flag selectors. */
  readonly flagOrder?: readonly string[]
  /** Interface-name selectors accept a trailing `*` wildcard. */
  readonly wildcard?: boolean
  /**
   * Interface-index selectors (`meta iif`): values are interface names, which
   * the compiler resolves to indexes in the target network namespace.
   */
  readonly ifindex?: boolean
}

const { nf_proto: nfproto, ether_type: etherType, icmp_type: icmpType, icmpv6_type: icmpv6Type, iface_type: iftype } = VALUE_TYPES

const P = PAYLOAD_BASE
const payload = (base: number, offset: number, len: number): Load => ({ kind: 'payload', base, offset, len })

const L = (spec: Omit<SelectorSpec, 'size'> & { size?: number }): SelectorSpec => ({
  ...spec,
  size: spec.size ?? (spec.load.kind === 'payload' ? spec.load.len : spec.type.size),
})

const TCP = L4PROTO.tcp
const UDP = L4PROTO.udp
const UDPLITE = 136
const SCTP = 132
const DCCP = 33
const AH = 51
const ESP = 50
const COMP = 108
const IGMP = 2
/** echo-request, echo-reply: nft's dependency set for echo fields, in its order. */
const ICMP_ECHO = [8, 0]
const ICMPV6_ECHO = [128, 129]
const { int8, int16, int32, hostInt16, hostInt32, hostInt64 } = VALUE_TYPES
const meta = (key: number): Load => ({ kind: 'meta', key })
const ct = (key: number): Load => ({ kind: 'ct', key })
const N = P.network
const T = P.transport
/** A bitfield: `len` bytes loaded at `offset`, the field `width` bits wide, `shift` bits above the end. */
const bitfield = (base: number, offset: number, len: number, shift: number, width: number): Load => ({
  kind: 'payload',
  base,
  offset,
  len,
  bits: { shift, width },
})
const sub = (t: Datatype, l: Load): Datatype =>
  l.kind === 'payload' && l.bits ? shiftedType(t, l.bits.shift, l.bits.width, l.len) : t

const { iface_index: ifaceIndex, fib_addrtype: fibAddrtype } = VALUE_TYPES

/** The `fib` rows: every combination of lookup keys and result, in nft's printing order. */
function fibSelectors(): Record<FibSelector, SelectorSpec> {
  const out: Record<string, SelectorSpec> = {}
  const FIB_F = { saddr: 0x1, daddr: 0x2, mark: 0x4, iif: 0x8, oif: 0x10 }
  const RESULT = { oif: [1, ifaceIndex], oifname: [2, DATATYPES.ifname], type: [3, fibAddrtype] } as const
  for (const addr of ['saddr', 'daddr'] as const)
    for (const mark of [false, true])
      for (const dev of [undefined, 'iif', 'oif'] as const)
        for (const [res, [result, type]] of Object.entries(RESULT)) {
          const keys = [addr, ...(mark ? ['mark' as const] : []), ...(dev ? [dev] : [])]
          const name = `fib ${keys.join(' . ')} ${res}` as FibSelector
          const flags = keys.reduce((a, k) => a | FIB_F[k], 0)
          out[name] = L({ name, load: { kind: 'fib', flags, result }, type })
        }
  return out as Record<FibSelector, SelectorSpec>
}

/** Every selector by name (ipsec rows join on first use: their names carry direction and secpath index). */
const ROWS: Readonly<Record<Exclude<Selector, IpsecSelector>, SelectorSpec>> = {
  'ip saddr': L({ name: 'ip saddr', load: payload(P.network, 12, 4), type: DATATYPES.ipv4_addr, l3: 'ip' }),
  'ip daddr': L({ name: 'ip daddr', load: payload(P.network, 16, 4), type: DATATYPES.ipv4_addr, l3: 'ip' }),
  'ip protocol': L({ name: 'ip protocol', load: payload(P.network, 9, 1), type: DATATYPES.inet_proto, l3: 'ip' }),
  'ip6 saddr': L({ name: 'ip6 saddr', load: payload(P.network, 8, 16), type: DATATYPES.ipv6_addr, l3: 'ip6' }),
  'ip6 daddr': L({ name: 'ip6 daddr', load: payload(P.network, 24, 16), type: DATATYPES.ipv6_addr, l3: 'ip6' }),
  'ip6 nexthdr': L({ name: 'ip6 nexthdr', load: payload(P.network, 6, 1), type: DATATYPES.inet_proto, l3: 'ip6' }),
  'tcp flags': L({
    name: 'tcp flags',
    load: payload(P.transport, 13, 1),
    type: VALUE_TYPES.tcp_flag,
    l4: TCP,
    flags: TCP_FLAG,
    flagOrder: TCP_FLAG_ORDER,
  }),
  'tcp sport': L({ name: 'tcp sport', load: payload(P.transport, 0, 2), type: DATATYPES.inet_service, l4: TCP }),
  'tcp dport': L({ name: 'tcp dport', load: payload(P.transport, 2, 2), type: DATATYPES.inet_service, l4: TCP }),
  'udp sport': L({ name: 'udp sport', load: payload(P.transport, 0, 2), type: DATATYPES.inet_service, l4: UDP }),
  'udp dport': L({ name: 'udp dport', load: payload(P.transport, 2, 2), type: DATATYPES.inet_service, l4: UDP }),
  'th sport': L({ name: 'th sport', load: payload(P.transport, 0, 2), type: DATATYPES.inet_service }),
  'th dport': L({ name: 'th dport', load: payload(P.transport, 2, 2), type: DATATYPES.inet_service }),
  'icmp type': L({ name: 'icmp type', load: payload(P.transport, 0, 1), type: icmpType, l3: 'ip', l4: 1 }),
  'icmp code': L({ name: 'icmp code', load: payload(P.transport, 1, 1), type: VALUE_TYPES.icmp_code, l3: 'ip', l4: 1 }),
  'icmpv6 type': L({ name: 'icmpv6 type', load: payload(P.transport, 0, 1), type: icmpv6Type, l3: 'ip6', l4: 58 }),
  'icmpv6 code': L({ name: 'icmpv6 code', load: payload(P.transport, 1, 1), type: VALUE_TYPES.icmpv6_code, l3: 'ip6', l4: 58 }),
  'meta l4proto': L({ name: 'meta l4proto', load: { kind: 'meta', key: META_KEY.l4proto }, type: DATATYPES.inet_proto }),
  'meta nfproto': L({ name: 'meta nfproto', load: { kind: 'meta', key: META_KEY.nfproto }, type: nfproto }),
  'meta protocol': L({ name: 'meta protocol', load: { kind: 'meta', key: META_KEY.protocol }, type: etherType }),
  'meta iifname': L({
    name: 'meta iifname',
    load: { kind: 'meta', key: META_KEY.iifname },
    type: DATATYPES.ifname,
    wildcard: true,
  }),
  'meta oifname': L({
    name: 'meta oifname',
    load: { kind: 'meta', key: META_KEY.oifname },
    type: DATATYPES.ifname,
    wildcard: true,
  }),
  'meta mark': L({ name: 'meta mark', load: { kind: 'meta', key: META_KEY.mark }, type: DATATYPES.mark }),
  'meta iif': L({ name: 'meta iif', load: meta(META_KEY.iif), type: VALUE_TYPES.iface_index, ifindex: true }),
  'meta oif': L({ name: 'meta oif', load: meta(META_KEY.oif), type: VALUE_TYPES.iface_index, ifindex: true }),
  'meta sdif': L({ name: 'meta sdif', load: meta(33), type: VALUE_TYPES.iface_index, ifindex: true }),
  'meta sdifname': L({ name: 'meta sdifname', load: meta(34), type: DATATYPES.ifname, wildcard: true }),
  'meta iifgroup': L({ name: 'meta iifgroup', load: meta(META_KEY.iifgroup), type: VALUE_TYPES.devgroup }),
  'meta oifgroup': L({ name: 'meta oifgroup', load: meta(META_KEY.oifgroup), type: VALUE_TYPES.devgroup }),
  'ct state': L({
    name: 'ct state',
    load: { kind: 'ct', key: CT_KEY.state },
    type: VALUE_TYPES.ct_state,
    flags: CT_STATE,
    flagOrder: CT_STATE_ORDER,
  }),
  'ct status': L({
    name: 'ct status',
    load: { kind: 'ct', key: CT_KEY.status },
    type: VALUE_TYPES.ct_status,
    flags: CT_STATUS,
    flagOrder: CT_STATUS_ORDER,
  }),
  'ct mark': L({ name: 'ct mark', load: { kind: 'ct', key: CT_KEY.mark }, type: DATATYPES.mark }),
  'ether saddr': L({ name: 'ether saddr', load: payload(P.ll, 6, 6), type: DATATYPES.ether_addr, l2: true }),
  'ether daddr': L({ name: 'ether daddr', load: payload(P.ll, 0, 6), type: DATATYPES.ether_addr, l2: true }),
  'meta iiftype': L({ name: 'meta iiftype', load: { kind: 'meta', key: META_KEY.iiftype }, type: iftype }),
  // Header fields: one row each (nft's proto.c templates: base, offset, length, type).
  'ip version': L({ name: 'ip version', load: bitfield(N, 0, 1, 4, 4), type: sub(int8, bitfield(N, 0, 1, 4, 4)), l3: 'ip' }),
  'ip hdrlength': L({ name: 'ip hdrlength', load: bitfield(N, 0, 1, 0, 4), type: sub(int8, bitfield(N, 0, 1, 0, 4)), l3: 'ip' }),
  'ip dscp': L({ name: 'ip dscp', load: bitfield(N, 1, 1, 2, 6), type: VALUE_TYPES.ip_dscp, l3: 'ip' }),
  'ip ecn': L({ name: 'ip ecn', load: bitfield(N, 1, 1, 0, 2), type: sub(VALUE_TYPES.ecn, bitfield(N, 1, 1, 0, 2)), l3: 'ip' }),
  'ip length': L({ name: 'ip length', load: payload(N, 2, 2), type: int16, l3: 'ip' }),
  'ip id': L({ name: 'ip id', load: payload(N, 4, 2), type: int16, l3: 'ip' }),
  'ip frag-off': L({ name: 'ip frag-off', load: payload(N, 6, 2), type: int16, l3: 'ip' }),
  'ip ttl': L({ name: 'ip ttl', load: payload(N, 8, 1), type: int8, l3: 'ip' }),
  'ip checksum': L({ name: 'ip checksum', load: payload(N, 10, 2), type: int16, l3: 'ip' }),
  'ip6 version': L({ name: 'ip6 version', load: bitfield(N, 0, 1, 4, 4), type: sub(int8, bitfield(N, 0, 1, 4, 4)), l3: 'ip6' }),
  'ip6 dscp': L({ name: 'ip6 dscp', load: bitfield(N, 0, 2, 6, 6), type: VALUE_TYPES.ip6_dscp, l3: 'ip6' }),
  'ip6 ecn': L({ name: 'ip6 ecn', load: bitfield(N, 1, 1, 4, 2), type: sub(VALUE_TYPES.ecn, bitfield(N, 1, 1, 4, 2)), l3: 'ip6' }),
  'ip6 flowlabel': L({ name: 'ip6 flowlabel', load: bitfield(N, 1, 3, 0, 20), type: sub(VALUE_TYPES.int24, bitfield(N, 1, 3, 0, 20)), l3: 'ip6' }),
  'ip6 length': L({ name: 'ip6 length', load: payload(N, 4, 2), type: int16, l3: 'ip6' }),
  'ip6 hoplimit': L({ name: 'ip6 hoplimit', load: payload(N, 7, 1), type: int8, l3: 'ip6' }),
  'tcp sequence': L({ name: 'tcp sequence', load: payload(T, 4, 4), type: int32, l4: TCP }),
  'tcp ackseq': L({ name: 'tcp ackseq', load: payload(T, 8, 4), type: int32, l4: TCP }),
  'tcp doff': L({ name: 'tcp doff', load: bitfield(T, 12, 1, 4, 4), type: sub(int8, bitfield(T, 12, 1, 4, 4)), l4: TCP }),
  'tcp reserved': L({ name: 'tcp reserved', load: bitfield(T, 12, 1, 0, 4), type: sub(int8, bitfield(T, 12, 1, 0, 4)), l4: TCP }),
  'tcp window': L({ name: 'tcp window', load: payload(T, 14, 2), type: int16, l4: TCP }),
  'tcp checksum': L({ name: 'tcp checksum', load: payload(T, 16, 2), type: int16, l4: TCP }),
  'tcp urgptr': L({ name: 'tcp urgptr', load: payload(T, 18, 2), type: int16, l4: TCP }),
  'udp length': L({ name: 'udp length', load: payload(T, 4, 2), type: int16, l4: UDP }),
  'udp checksum': L({ name: 'udp checksum', load: payload(T, 6, 2), type: int16, l4: UDP }),
  'udplite sport': L({ name: 'udplite sport', load: payload(T, 0, 2), type: DATATYPES.inet_service, l4: UDPLITE }),
  'udplite dport': L({ name: 'udplite dport', load: payload(T, 2, 2), type: DATATYPES.inet_service, l4: UDPLITE }),
  'udplite checksum': L({ name: 'udplite checksum', load: payload(T, 6, 2), type: int16, l4: UDPLITE }),
  'sctp sport': L({ name: 'sctp sport', load: payload(T, 0, 2), type: DATATYPES.inet_service, l4: SCTP }),
  'sctp dport': L({ name: 'sctp dport', load: payload(T, 2, 2), type: DATATYPES.inet_service, l4: SCTP }),
  'sctp vtag': L({ name: 'sctp vtag', load: payload(T, 4, 4), type: int32, l4: SCTP }),
  'sctp checksum': L({ name: 'sctp checksum', load: payload(T, 8, 4), type: int32, l4: SCTP }),
  'dccp sport': L({ name: 'dccp sport', load: payload(T, 0, 2), type: DATATYPES.inet_service, l4: DCCP }),
  'dccp dport': L({ name: 'dccp dport', load: payload(T, 2, 2), type: DATATYPES.inet_service, l4: DCCP }),
  // 4 bits of byte 8 (mask 0x1e); the type's values are shifted into place.
  'dccp type': L({ name: 'dccp type', load: bitfield(T, 8, 1, 1, 4), type: VALUE_TYPES.dccp_pkttype, l4: DCCP }),
  'ah nexthdr': L({ name: 'ah nexthdr', load: payload(T, 0, 1), type: DATATYPES.inet_proto, l4: AH }),
  'ah hdrlength': L({ name: 'ah hdrlength', load: payload(T, 1, 1), type: int8, l4: AH }),
  'ah reserved': L({ name: 'ah reserved', load: payload(T, 2, 2), type: int16, l4: AH }),
  'ah spi': L({ name: 'ah spi', load: payload(T, 4, 4), type: int32, l4: AH }),
  'ah sequence': L({ name: 'ah sequence', load: payload(T, 8, 4), type: int32, l4: AH }),
  'esp spi': L({ name: 'esp spi', load: payload(T, 0, 4), type: int32, l4: ESP }),
  'esp sequence': L({ name: 'esp sequence', load: payload(T, 4, 4), type: int32, l4: ESP }),
  'comp nexthdr': L({ name: 'comp nexthdr', load: payload(T, 0, 1), type: DATATYPES.inet_proto, l4: COMP }),
  'comp flags': L({ name: 'comp flags', load: payload(T, 1, 1), type: VALUE_TYPES.bitmask8, l4: COMP }),
  'comp cpi': L({ name: 'comp cpi', load: payload(T, 2, 2), type: int16, l4: COMP }),
  'icmp checksum': L({ name: 'icmp checksum', load: payload(T, 2, 2), type: int16, l3: 'ip', l4: 1 }),
  'icmp id': L({ name: 'icmp id', load: payload(T, 4, 2), type: int16, l3: 'ip', l4: 1, icmpType: ICMP_ECHO }),
  'icmp sequence': L({ name: 'icmp sequence', load: payload(T, 6, 2), type: int16, l3: 'ip', l4: 1, icmpType: ICMP_ECHO }),
  'icmp gateway': L({ name: 'icmp gateway', load: payload(T, 4, 4), type: int32, l3: 'ip', l4: 1, icmpType: [5] }),
  'icmp mtu': L({ name: 'icmp mtu', load: payload(T, 6, 2), type: int16, l3: 'ip', l4: 1, icmpType: [3] }),
  'icmpv6 checksum': L({ name: 'icmpv6 checksum', load: payload(T, 2, 2), type: int16, l3: 'ip6', l4: 58 }),
  // IPv6 extension headers, TCP options, SCTP chunks (nft's exthdr expression).
  ...EXTHDR_SELECTORS,
  'ether type': L({ name: 'ether type', load: payload(P.ll, 12, 2), type: etherType, l2: true }),
  // 802.1Q (nft's proto.c vlan template: pcp 3 bits, dei 1, id 12, then the type).
  'vlan id': L({ name: 'vlan id', load: bitfield(P.ll, 14, 2, 0, 12), type: sub(int16, bitfield(P.ll, 14, 2, 0, 12)), vlan: true }),
  'vlan pcp': L({ name: 'vlan pcp', load: bitfield(P.ll, 14, 1, 5, 3), type: sub(int8, bitfield(P.ll, 14, 1, 5, 3)), vlan: true }),
  'vlan dei': L({ name: 'vlan dei', load: bitfield(P.ll, 14, 1, 4, 1), type: sub(int8, bitfield(P.ll, 14, 1, 4, 1)), vlan: true }),
  'vlan type': L({ name: 'vlan type', load: payload(P.ll, 16, 2), type: etherType, vlan: true }),
  'icmpv6 mtu': L({ name: 'icmpv6 mtu', load: payload(T, 4, 4), type: int32, l3: 'ip6', l4: 58, icmpType: [2] }),
  'icmpv6 id': L({ name: 'icmpv6 id', load: payload(T, 4, 2), type: int16, l3: 'ip6', l4: 58, icmpType: ICMPV6_ECHO }),
  'icmpv6 sequence': L({ name: 'icmpv6 sequence', load: payload(T, 6, 2), type: int16, l3: 'ip6', l4: 58, icmpType: ICMPV6_ECHO }),
  'icmpv6 max-delay': L({ name: 'icmpv6 max-delay', load: payload(T, 4, 2), type: int16, l3: 'ip6', l4: 58, icmpType: [130] }),
  'igmp type': L({ name: 'igmp type', load: payload(T, 0, 1), type: VALUE_TYPES.igmp_type, l3: 'ip', l4: IGMP, l3Shown: true }),
  'igmp mrt': L({ name: 'igmp mrt', load: payload(T, 1, 1), type: int8, l3: 'ip', l4: IGMP, l3Shown: true }),
  'igmp checksum': L({ name: 'igmp checksum', load: payload(T, 2, 2), type: int16, l3: 'ip', l4: IGMP, l3Shown: true }),
  'igmp group': L({ name: 'igmp group', load: payload(T, 4, 4), type: int32, l3: 'ip', l4: IGMP, l3Shown: true }),
  // ARP header fields (nft's proto_arp, Ethernet/IPv4 addresses).
  'arp htype': L({ name: 'arp htype', load: payload(N, 0, 2), type: int16, l3: 'arp' }),
  'arp ptype': L({ name: 'arp ptype', load: payload(N, 2, 2), type: etherType, l3: 'arp' }),
  'arp hlen': L({ name: 'arp hlen', load: payload(N, 4, 1), type: int8, l3: 'arp' }),
  'arp plen': L({ name: 'arp plen', load: payload(N, 5, 1), type: int8, l3: 'arp' }),
  'arp operation': L({ name: 'arp operation', load: payload(N, 6, 2), type: VALUE_TYPES.arp_op, l3: 'arp' }),
  'arp saddr ether': L({ name: 'arp saddr ether', load: payload(N, 8, 6), type: DATATYPES.ether_addr, l3: 'arp' }),
  'arp saddr ip': L({ name: 'arp saddr ip', load: payload(N, 14, 4), type: DATATYPES.ipv4_addr, l3: 'arp' }),
  'arp daddr ether': L({ name: 'arp daddr ether', load: payload(N, 18, 6), type: DATATYPES.ether_addr, l3: 'arp' }),
  'arp daddr ip': L({ name: 'arp daddr ip', load: payload(N, 24, 4), type: DATATYPES.ipv4_addr, l3: 'arp' }),
  // meta keys (nft's meta.c templates: key, type, size, byte order).
  'meta length': L({ name: 'meta length', load: meta(META_KEY.len), type: hostInt32 }),
  'meta cpu': L({ name: 'meta cpu', load: meta(META_KEY.cpu), type: hostInt32 }),
  'meta cgroup': L({ name: 'meta cgroup', load: meta(META_KEY.cgroup), type: hostInt32 }),
  // nft keeps random numbers in network order (no conversion: they have no byte order).
  'meta random': L({ name: 'meta random', load: meta(META_KEY.prandom), type: int32 }),
  'meta skuid': L({ name: 'meta skuid', load: meta(META_KEY.skuid), type: VALUE_TYPES.uid }),
  'meta skgid': L({ name: 'meta skgid', load: meta(META_KEY.skgid), type: VALUE_TYPES.gid }),
  'meta pkttype': L({ name: 'meta pkttype', load: meta(META_KEY.pkttype), type: VALUE_TYPES.pkt_type }),
  'meta priority': L({ name: 'meta priority', load: meta(META_KEY.priority), type: VALUE_TYPES.classid }),
  'meta rtclassid': L({ name: 'meta rtclassid', load: meta(META_KEY.rtclassid), type: VALUE_TYPES.realm }),
  'meta ipsec': L({ name: 'meta ipsec', load: meta(25), type: VALUE_TYPES.boolean }),
  // Times: nanoseconds since the epoch, day of the week, seconds since midnight (UTC).
  'meta time': L({ name: 'meta time', load: meta(30), type: VALUE_TYPES.time }),
  'meta day': L({ name: 'meta day', load: meta(31), type: VALUE_TYPES.day }),
  'meta hour': L({ name: 'meta hour', load: meta(32), type: VALUE_TYPES.hour }),
  // rt keys (nft's rt.c templates).
  'rt classid': L({ name: 'rt classid', load: { kind: 'rt', key: 0 }, type: VALUE_TYPES.realm }),
  'rt ipsec': L({ name: 'rt ipsec', load: { kind: 'rt', key: 4 }, type: VALUE_TYPES.boolean }),
  // The route's next hop (NFT_RT_NEXTHOP4/6); nft adds no dependency (`rt nexthop` alone takes the table's family: write it out).
  'rt ip nexthop': L({ name: 'rt ip nexthop', load: { kind: 'rt', key: 1 }, type: DATATYPES.ipv4_addr }),
  'rt ip6 nexthop': L({ name: 'rt ip6 nexthop', load: { kind: 'rt', key: 2 }, type: DATATYPES.ipv6_addr }),
  'meta oiftype': L({ name: 'meta oiftype', load: meta(META_KEY.oiftype), type: iftype }),
  'meta ibrname': L({ name: 'meta ibrname', load: meta(META_KEY.bri_iifname), type: DATATYPES.ifname, wildcard: true }),
  'meta obrname': L({ name: 'meta obrname', load: meta(META_KEY.bri_oifname), type: DATATYPES.ifname, wildcard: true }),
  // ct keys (nft's ct.c templates).
  'ct direction': L({ name: 'ct direction', load: ct(CT_KEY.direction), type: VALUE_TYPES.ct_dir }),
  'ct l3proto': L({ name: 'ct l3proto', load: ct(CT_KEY.l3protocol), type: VALUE_TYPES.nf_proto_host }),
  'ct protocol': L({ name: 'ct protocol', load: ct(CT_KEY.protocol), type: DATATYPES.inet_proto }),
  'ct zone': L({ name: 'ct zone', load: ct(17), type: hostInt16 }),
  'ct bytes': L({ name: 'ct bytes', load: ct(15), type: hostInt64 }),
  'ct packets': L({ name: 'ct packets', load: ct(14), type: hostInt64 }),
  'ct avgpkt': L({ name: 'ct avgpkt', load: ct(16), type: hostInt64 }),
  // socket keys (nft's socket.c templates): booleans of one byte, the mark host-order.
  'socket transparent': L({ name: 'socket transparent', load: { kind: 'socket', key: 0 }, type: int8 }),
  'socket mark': L({ name: 'socket mark', load: { kind: 'socket', key: 1 }, type: DATATYPES.mark }),
  'socket wildcard': L({ name: 'socket wildcard', load: { kind: 'socket', key: 2 }, type: int8 }),
  ...fibSelectors(),
  // osf: the OS genre (or genre:version) of a SYN, a 16-byte string.
  'osf name': L({ name: 'osf name', load: { kind: 'osf', ttl: 0, flags: 0 }, type: VALUE_TYPES.string16 }),
  'osf ttl loose name': L({ name: 'osf ttl loose name', load: { kind: 'osf', ttl: 1, flags: 0 }, type: VALUE_TYPES.string16 }),
  'osf ttl skip name': L({ name: 'osf ttl skip name', load: { kind: 'osf', ttl: 2, flags: 0 }, type: VALUE_TYPES.string16 }),
  'osf version': L({ name: 'osf version', load: { kind: 'osf', ttl: 0, flags: 1 }, type: VALUE_TYPES.string16 }),
  'osf ttl loose version': L({ name: 'osf ttl loose version', load: { kind: 'osf', ttl: 1, flags: 1 }, type: VALUE_TYPES.string16 }),
  'osf ttl skip version': L({ name: 'osf ttl skip version', load: { kind: 'osf', ttl: 2, flags: 1 }, type: VALUE_TYPES.string16 }),
  'ct expiration': L({ name: 'ct expiration', load: ct(CT_KEYS.expiration), type: TIME_TYPE }),
  'ct helper': L({ name: 'ct helper', load: ct(CT_KEYS.helper), type: CT_HELPER_NAME_TYPE }),
  // nft's ct id is a big-endian integer (the kernel stores the id as it hashes it).
  'ct id': L({ name: 'ct id', load: ct(CT_KEYS.id), type: int32 }),
  // A bit test of the 128-bit label mask (compile.ts and decode.ts handle it as one).
  'ct label': L({ name: 'ct label', load: ct(CT_KEYS.labels), type: CT_LABEL_TYPE }),
  ...ctDirRows(),
}

/** Every selector by name. */
export const SELECTORS = ROWS as Readonly<Record<Selector, SelectorSpec>>

/**
 * Keys nft reads per direction (`ct original ip saddr`, `ct reply zone`): the
 * ct expression's direction attribute. The kernel keeps no direction for
 * `protocol`, so `ct original protocol` lists as `ct protocol`.
 */
function ctDirRows(): Record<CtDirSelector, SelectorSpec> {
  const keys: ReadonlyArray<[string, number, Datatype]> = [
    ['zone', CT_KEYS.zone, hostInt16],
    ['bytes', CT_KEYS.bytes, hostInt64],
    ['packets', CT_KEYS.packets, hostInt64],
    ['avgpkt', CT_KEYS.avgpkt, hostInt64],
    ['protocol', CT_KEYS.protocol, DATATYPES.inet_proto],
    ['proto-src', CT_KEYS.protoSrc, DATATYPES.inet_service],
    ['proto-dst', CT_KEYS.protoDst, DATATYPES.inet_service],
    ['ip saddr', CT_KEYS.srcIp, DATATYPES.ipv4_addr],
    ['ip daddr', CT_KEYS.dstIp, DATATYPES.ipv4_addr],
    ['ip6 saddr', CT_KEYS.srcIp6, DATATYPES.ipv6_addr],
    ['ip6 daddr', CT_KEYS.dstIp6, DATATYPES.ipv6_addr],
  ]
  const out: Record<string, SelectorSpec> = {}
  for (const [dir, d] of [['original', 0], ['reply', 1]] as const)
    for (const [k, key, type] of keys) {
      const name = `ct ${dir} ${k}` as CtDirSelector
      out[name] = L({ name, load: { kind: 'ct', key, dir: d }, type })
    }
  return out as Record<CtDirSelector, SelectorSpec>
}

/** How nft prints a selector (meta iifname prints as plain `iifname`, etc.). */
export function selectorText(s: Selector): string {
  switch (s) {
    case 'meta iifname':
      return 'iifname'
    case 'meta oifname':
      return 'oifname'
    case 'meta iif':
      return 'iif'
    case 'meta oif':
      return 'oif'
    case 'meta iifgroup':
      return 'iifgroup'
    case 'meta oifgroup':
      return 'oifgroup'
    case 'meta l4proto':
      return 'meta l4proto'
    case 'meta mark':
      return 'meta mark'
    default:
      return s
  }
}

/** Accepts nft's short forms (`iifname`, `mark`, `l4proto`) as selector names. */
export function normalizeSelector(s: string): Selector | undefined {
  if (Object.hasOwn(SELECTORS, s)) return s as Selector // the common case: already canonical
  const t = s.trim().replace(/\s+/g, ' ')
  if (Object.hasOwn(SELECTORS, t)) return t as Selector
  const ex = exthdrAlias(t) ?? addNumericTcpOption(t) ?? addNumgenRow(t) ?? addRawPayload(t) ?? addXfrmRow(t)
  if (ex) return ex
  if (t === 'meta secpath') return 'meta ipsec'
  return Object.hasOwn(SHORT_SELECTORS, t) ? SHORT_SELECTORS[t] : undefined
}

/** Rows of TCP option kinds nft has no name for (`tcp option 6`) join the table on first use. */
function addNumericTcpOption(s: string): Selector | undefined {
  const spec = numericTcpOption(s)
  if (spec) (SELECTORS as Record<string, SelectorSpec>)[s] = spec
  return spec?.name
}

/** Rows of numgen and hash expressions (`numgen inc mod 2`, `jhash ip saddr mod 2 seed 0x1`) join the table on first use. */
function addNumgenRow(s: string): Selector | undefined {
  if (!/^(numgen|jhash|symhash) /.test(s)) return undefined
  const spec = numgenRow(s, (x) => {
    const n = normalizeSelector(x)
    return n ? SELECTORS[n] : undefined
  }, selectorText)
  if (!spec) return undefined
  ;(SELECTORS as Record<string, SelectorSpec>)[spec.name] = spec as SelectorSpec
  return spec.name
}

/** Raw payload expressions (`@nh,16,16`) join the table on first use, under their canonical name. */
function addRawPayload(s: string): Selector | undefined {
  if (!s.startsWith('@')) return undefined
  const spec = rawPayloadSpec(s)
  // nft reads the transport header's ports as `th sport` / `th dport` (their type is inet_service).
  if (spec?.name === '@th,0,16') return 'th sport'
  if (spec?.name === '@th,16,16') return 'th dport'
  if (spec && !Object.hasOwn(SELECTORS, spec.name)) (SELECTORS as Record<string, SelectorSpec>)[spec.name] = spec
  return spec?.name
}

/** IPsec rows (`ipsec in reqid`, `ipsec out spnum 1 ip saddr`) join the table on first use. */
function addXfrmRow(s: string): Selector | undefined {
  if (!s.startsWith('ipsec ')) return undefined
  const spec = xfrmSpec(s)
  if (spec && !Object.hasOwn(SELECTORS, spec.name)) (SELECTORS as Record<string, SelectorSpec>)[spec.name] = spec
  return spec?.name
}

/** Bare meta keys nft accepts without `meta`. */
const SHORT_SELECTORS: Readonly<Record<string, Selector>> = {
  iifname: 'meta iifname',
  oifname: 'meta oifname',
  mark: 'meta mark',
  l4proto: 'meta l4proto',
  nfproto: 'meta nfproto',
  protocol: 'meta protocol',
  cpu: 'meta cpu',
  skuid: 'meta skuid',
  skgid: 'meta skgid',
  cgroup: 'meta cgroup',
  pkttype: 'meta pkttype',
  oiftype: 'meta oiftype',
  iiftype: 'meta iiftype',
  ibrname: 'meta ibrname',
  obrname: 'meta obrname',
  'vlan cfi': 'vlan dei',
  iif: 'meta iif',
  oif: 'meta oif',
  iifgroup: 'meta iifgroup',
  oifgroup: 'meta oifgroup',
  rtclassid: 'meta rtclassid',
  time: 'meta time',
  day: 'meta day',
  hour: 'meta hour',
}
