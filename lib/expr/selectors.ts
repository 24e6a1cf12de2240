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
import type { Selector } from '../model/rule-types.js'

/** Where a selector's value comes from. */
export type Load =
  | { readonly kind: 'payload'; readonly base: number; readonly offset: number; readonly len: number }
  | { readonly kind: 'meta'; readonly key: number }
  | { readonly kind: 'ct'; readonly key: number }

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
}
