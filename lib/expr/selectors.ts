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
import { DATATYPES, type Datatype, VALUE_TYPES } from '../kernel/datatypes.js'
import { CT_HELPER_NAME_TYPE, CT_KEYS, CT_LABEL_TYPE, TIME_TYPE } from '../kernel/ct-types.js'
import type { CtDirSelector, Selector } from '../model/rule-types.js'

/** Where a selector's value comes from. */
export type Load =
  | { readonly kind: 'payload'; readonly base: number; readonly offset: number; readonly len: number }
  | { readonly kind: 'meta'; readonly key: number }
  | { readonly kind: 'ct'; readonly key: number; readonly dir?: 0 | 1 }

/** One selector. */
export interface SelectorSpec {
  readonly name: Selector
  readonly load: Load
  /** Bytes loaded into the register. */
  readonly size: number
  /** Value type. */
  readonly type: Datatype
  /** Network protocol the selector needs (`meta nfproto` / `meta protocol` dependency). */
  readonly l3?: 'ip' | 'ip6'
  /** Link-layer header access needs `meta iiftype ether` outside bridge/netdev tables. */
  readonly l2?: boolean
  /** Transport protocol number the selector needs (`meta l4proto` dependency). */
  readonly l4?: number
  /** Bit names for flag selectors (ct state, ct status). */
  readonly flags?: Readonly<Record<string, number>>
  /** Names printed in order for flag selectors. */
  readonly flagOrder?: readonly string[]
  /** Interface-name selectors accept a trailing `*` wildcard. */
  readonly wildcard?: boolean
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
const { int8, int16, int32, hostInt16, hostInt32, hostInt64 } = VALUE_TYPES
const meta = (key: number): Load => ({ kind: 'meta', key })
const ct = (key: number): Load => ({ kind: 'ct', key })
const N = P.network
const T = P.transport

/** Every selector by name. */
export const SELECTORS: Readonly<Record<Selector, SelectorSpec>> = {
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
  'ip length': L({ name: 'ip length', load: payload(N, 2, 2), type: int16, l3: 'ip' }),
  'ip id': L({ name: 'ip id', load: payload(N, 4, 2), type: int16, l3: 'ip' }),
  'ip frag-off': L({ name: 'ip frag-off', load: payload(N, 6, 2), type: int16, l3: 'ip' }),
  'ip ttl': L({ name: 'ip ttl', load: payload(N, 8, 1), type: int8, l3: 'ip' }),
  'ip checksum': L({ name: 'ip checksum', load: payload(N, 10, 2), type: int16, l3: 'ip' }),
  'ip6 length': L({ name: 'ip6 length', load: payload(N, 4, 2), type: int16, l3: 'ip6' }),
  'ip6 hoplimit': L({ name: 'ip6 hoplimit', load: payload(N, 7, 1), type: int8, l3: 'ip6' }),
  'tcp sequence': L({ name: 'tcp sequence', load: payload(T, 4, 4), type: int32, l4: TCP }),
  'tcp ackseq': L({ name: 'tcp ackseq', load: payload(T, 8, 4), type: int32, l4: TCP }),
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
  'ah nexthdr': L({ name: 'ah nexthdr', load: payload(T, 0, 1), type: DATATYPES.inet_proto, l4: AH }),
  'ah hdrlength': L({ name: 'ah hdrlength', load: payload(T, 1, 1), type: int8, l4: AH }),
  'ah reserved': L({ name: 'ah reserved', load: payload(T, 2, 2), type: int16, l4: AH }),
  'ah spi': L({ name: 'ah spi', load: payload(T, 4, 4), type: int32, l4: AH }),
  'ah sequence': L({ name: 'ah sequence', load: payload(T, 8, 4), type: int32, l4: AH }),
  'esp spi': L({ name: 'esp spi', load: payload(T, 0, 4), type: int32, l4: ESP }),
  'esp sequence': L({ name: 'esp sequence', load: payload(T, 4, 4), type: int32, l4: ESP }),
  'comp nexthdr': L({ name: 'comp nexthdr', load: payload(T, 0, 1), type: DATATYPES.inet_proto, l4: COMP }),
  'comp cpi': L({ name: 'comp cpi', load: payload(T, 2, 2), type: int16, l4: COMP }),
  'icmp checksum': L({ name: 'icmp checksum', load: payload(T, 2, 2), type: int16, l3: 'ip', l4: 1 }),
  'icmpv6 checksum': L({ name: 'icmpv6 checksum', load: payload(T, 2, 2), type: int16, l3: 'ip6', l4: 58 }),
  'ether type': L({ name: 'ether type', load: payload(P.ll, 12, 2), type: etherType, l2: true }),
  // meta keys (nft's meta.c templates: key, type, size, byte order).
  'meta length': L({ name: 'meta length', load: meta(META_KEY.len), type: hostInt32 }),
  'meta cpu': L({ name: 'meta cpu', load: meta(META_KEY.cpu), type: hostInt32 }),
  'meta cgroup': L({ name: 'meta cgroup', load: meta(META_KEY.cgroup), type: hostInt32 }),
  // nft keeps random numbers in network order (no conversion: they have no byte order).
  'meta random': L({ name: 'meta random', load: meta(META_KEY.prandom), type: int32 }),
  'meta skuid': L({ name: 'meta skuid', load: meta(META_KEY.skuid), type: VALUE_TYPES.uid }),
  'meta skgid': L({ name: 'meta skgid', load: meta(META_KEY.skgid), type: VALUE_TYPES.gid }),
  'meta pkttype': L({ name: 'meta pkttype', load: meta(META_KEY.pkttype), type: VALUE_TYPES.pkt_type }),
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
  'ct expiration': L({ name: 'ct expiration', load: ct(CT_KEYS.expiration), type: TIME_TYPE }),
  'ct helper': L({ name: 'ct helper', load: ct(CT_KEYS.helper), type: CT_HELPER_NAME_TYPE }),
  // nft's ct id is a big-endian integer (the kernel stores the id as it hashes it).
  'ct id': L({ name: 'ct id', load: ct(CT_KEYS.id), type: int32 }),
  // A bit test of the 128-bit label mask (compile.ts and decode.ts handle it as one).
  'ct label': L({ name: 'ct label', load: ct(CT_KEYS.labels), type: CT_LABEL_TYPE }),
  ...ctDirRows(),
}

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
  return Object.hasOwn(SHORT_SELECTORS, t) ? SHORT_SELECTORS[t] : undefined
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
}
