/**
 * Differential corpus: each case is a rule written in nft syntax and the same
 * rule as nftkit typed expressions (in canonical form, i.e. as nftkit reads it
 * back). The kernel test loads both and demands identical state.
 */
import type { Family, RuleExpr, Transaction } from '../../lib/index.js'

export interface RuleCase {
  readonly nft: string
  readonly exprs: readonly RuleExpr[]
  readonly comment?: string
}

/** Objects every inet case may refer to, as nft text and as nftkit objects. */
export const INET_PRELUDE_NFT = `
  set allow { type ipv4_addr; flags interval; elements = { 10.0.0.1, 10.0.1.0/24, 10.0.2.10-10.0.2.20 } }
  set ports { type inet_service; elements = { 22, 443 } }
  set svc { type ipv4_addr . inet_proto . inet_service; elements = { 10.0.0.1 . tcp . 80 } }
  map vm { type ipv4_addr : verdict; elements = { 10.0.0.1 : accept, 10.0.0.2 : jump other } }
  set markint { type mark; flags interval; elements = { 0x00000001-0x00000005, 0x00000010 } }
  set markhash { type mark; elements = { 0x00000001, 0x00000010 } }
  set marknet { type mark . ipv4_addr; flags interval; elements = { 0x00000001-0x00000005 . 10.0.0.0/8 } }
  map markvm { type mark : verdict; flags interval; elements = { 0x00000001-0x00000005 : accept, 0x00000010 : drop } }
  counter cnt { }
  chain other { }
`

export const INET_CASES: readonly RuleCase[] = [
  { nft: 'ip saddr 10.0.0.1 accept', exprs: [{ match: 'ip saddr', value: '10.0.0.1' }, { stmt: 'accept' }] },
  { nft: 'ip saddr != 10.0.0.1 drop', exprs: [{ match: 'ip saddr', op: '!=', value: '10.0.0.1' }, { stmt: 'drop' }] },
  { nft: 'ip daddr 10.0.0.0/8 accept', exprs: [{ match: 'ip daddr', value: '10.0.0.0/8' }, { stmt: 'accept' }] },
  { nft: 'ip saddr 10.0.0.0/20 accept', exprs: [{ match: 'ip saddr', value: '10.0.0.0/20' }, { stmt: 'accept' }] },
  { nft: 'ip saddr != 10.1.0.0/16 accept', exprs: [{ match: 'ip saddr', op: '!=', value: '10.1.0.0/16' }, { stmt: 'accept' }] },
  { nft: 'ip saddr 10.0.0.0/31 accept', exprs: [{ match: 'ip saddr', value: '10.0.0.0/31' }, { stmt: 'accept' }] },
  { nft: 'ip saddr 10.0.0.1-10.0.0.9 accept', exprs: [{ match: 'ip saddr', value: '10.0.0.1-10.0.0.9' }, { stmt: 'accept' }] },
  { nft: 'ip saddr != 10.0.0.1-10.0.0.9 accept', exprs: [{ match: 'ip saddr', op: '!=', value: '10.0.0.1-10.0.0.9' }, { stmt: 'accept' }] },
  { nft: 'ip saddr { 10.0.0.1, 10.0.0.2 } accept', exprs: [{ match: 'ip saddr', value: ['10.0.0.1', '10.0.0.2'] }, { stmt: 'accept' }] },
  { nft: 'ip saddr { 10.0.0.0/8, 192.168.1.1-192.168.1.9 } accept', exprs: [{ match: 'ip saddr', value: ['10.0.0.0/8', '192.168.1.1-192.168.1.9'] }, { stmt: 'accept' }] },
  { nft: 'ip saddr != { 10.0.0.1, 10.0.0.2 } drop', exprs: [{ match: 'ip saddr', op: '!=', value: ['10.0.0.1', '10.0.0.2'] }, { stmt: 'drop' }] },
  { nft: 'ip saddr @allow accept', exprs: [{ match: 'ip saddr', value: { set: 'allow' } }, { stmt: 'accept' }] },
  { nft: 'ip saddr != @allow drop', exprs: [{ match: 'ip saddr', op: '!=', value: { set: 'allow' } }, { stmt: 'drop' }] },
  { nft: 'ip6 saddr 2001:db8::1 accept', exprs: [{ match: 'ip6 saddr', value: '2001:db8::1' }, { stmt: 'accept' }] },
  { nft: 'ip6 daddr 2001:db8::/32 accept', exprs: [{ match: 'ip6 daddr', value: '2001:db8::/32' }, { stmt: 'accept' }] },
  { nft: 'ip6 saddr fe80::/10 drop', exprs: [{ match: 'ip6 saddr', value: 'fe80::/10' }, { stmt: 'drop' }] },
  { nft: 'ip6 saddr { 2001:db8::1, 2001:db8::2 } accept', exprs: [{ match: 'ip6 saddr', value: ['2001:db8::1', '2001:db8::2'] }, { stmt: 'accept' }] },
  { nft: 'tcp dport 22 accept', exprs: [{ match: 'tcp dport', value: 22 }, { stmt: 'accept' }] },
  { nft: 'tcp dport != 22 accept', exprs: [{ match: 'tcp dport', op: '!=', value: 22 }, { stmt: 'accept' }] },
  { nft: 'tcp dport 1000-2000 accept', exprs: [{ match: 'tcp dport', value: '1000-2000' }, { stmt: 'accept' }] },
  { nft: 'tcp dport != 1000-2000 accept', exprs: [{ match: 'tcp dport', op: '!=', value: '1000-2000' }, { stmt: 'accept' }] },
  { nft: 'udp sport 53 accept', exprs: [{ match: 'udp sport', value: 53 }, { stmt: 'accept' }] },
  { nft: 'th dport 8080 accept', exprs: [{ match: 'th dport', value: 8080 }, { stmt: 'accept' }] },
  { nft: 'tcp dport { 22, 80, 443 } accept', exprs: [{ match: 'tcp dport', value: [22, 80, 443] }, { stmt: 'accept' }] },
  { nft: 'tcp dport { 22, 1000-2000 } accept', exprs: [{ match: 'tcp dport', value: [22, '1000-2000'] }, { stmt: 'accept' }] },
  { nft: 'tcp dport @ports accept', exprs: [{ match: 'tcp dport', value: { set: 'ports' } }, { stmt: 'accept' }] },
  { nft: 'ip saddr 10.0.0.1 tcp dport 22 accept', exprs: [{ match: 'ip saddr', value: '10.0.0.1' }, { match: 'tcp dport', value: 22 }, { stmt: 'accept' }] },
  { nft: 'meta l4proto udp accept', exprs: [{ match: 'meta l4proto', value: 'udp' }, { stmt: 'accept' }] },
  { nft: 'meta l4proto != tcp drop', exprs: [{ match: 'meta l4proto', op: '!=', value: 'tcp' }, { stmt: 'drop' }] },
  { nft: 'meta l4proto { tcp, udp } accept', exprs: [{ match: 'meta l4proto', value: ['tcp', 'udp'] }, { stmt: 'accept' }] },
  { nft: 'meta nfproto ipv6 accept', exprs: [{ match: 'meta nfproto', value: 'ipv6' }, { stmt: 'accept' }] },
  { nft: 'iifname "eth0" accept', exprs: [{ match: 'meta iifname', value: 'eth0' }, { stmt: 'accept' }] },
  { nft: 'iifname "eth*" accept', exprs: [{ match: 'meta iifname', value: 'eth*' }, { stmt: 'accept' }] },
  { nft: 'oifname != "lo" drop', exprs: [{ match: 'meta oifname', op: '!=', value: 'lo' }, { stmt: 'drop' }] },
  { nft: 'iifname { "eth0", "wg0" } accept', exprs: [{ match: 'meta iifname', value: ['wg0', 'eth0'] }, { stmt: 'accept' }] },
  { nft: 'meta mark 0x00000010 accept', exprs: [{ match: 'meta mark', value: 16 }, { stmt: 'accept' }] },
  { nft: 'meta mark != 0x00000010 accept', exprs: [{ match: 'meta mark', op: '!=', value: 16 }, { stmt: 'accept' }] },
  { nft: 'ct state established,related accept', exprs: [{ match: 'ct state', value: ['established', 'related'] }, { stmt: 'accept' }] },
  { nft: 'ct state new accept', exprs: [{ match: 'ct state', value: 'new' }, { stmt: 'accept' }] },
  { nft: 'ct state != new drop', exprs: [{ match: 'ct state', op: '!=', value: 'new' }, { stmt: 'drop' }] },
  { nft: 'ct state invalid drop', exprs: [{ match: 'ct state', value: 'invalid' }, { stmt: 'drop' }] },
  { nft: 'ct status dnat accept', exprs: [{ match: 'ct status', value: 'dnat' }, { stmt: 'accept' }] },
  { nft: 'ct mark 0x00000001 accept', exprs: [{ match: 'ct mark', value: 1 }, { stmt: 'accept' }] },
  { nft: 'icmp type echo-request accept', exprs: [{ match: 'icmp type', value: 'echo-request' }, { stmt: 'accept' }] },
  { nft: 'icmpv6 type echo-request accept', exprs: [{ match: 'icmpv6 type', value: 'echo-request' }, { stmt: 'accept' }] },
  { nft: 'icmp type { echo-request, echo-reply } accept', exprs: [{ match: 'icmp type', value: ['echo-reply', 'echo-request'] }, { stmt: 'accept' }] },
  { nft: 'ip daddr . meta l4proto . th dport @svc accept', exprs: [{ match: ['ip daddr', 'meta l4proto', 'th dport'], value: { set: 'svc' } }, { stmt: 'accept' }] },
  { nft: 'ip saddr . tcp dport { 10.0.0.1 . 22, 10.0.0.2 . 80 } accept', exprs: [{ match: ['ip saddr', 'tcp dport'], value: [['10.0.0.1', 22], ['10.0.0.2', 80]] }, { stmt: 'accept' }] },
  { nft: 'ip daddr vmap @vm', exprs: [{ stmt: 'vmap', key: 'ip daddr', map: { set: 'vm' } }] },
  { nft: 'ip daddr vmap { 10.0.0.1 : accept, 10.0.0.2 : drop }', exprs: [{ stmt: 'vmap', key: 'ip daddr', map: [['10.0.0.1', 'accept'], ['10.0.0.2', 'drop']] }] },
  { nft: 'tcp dport vmap { 22 : jump other, 80 : accept }', exprs: [{ stmt: 'vmap', key: 'tcp dport', map: [[22, { jump: 'other' }], [80, 'accept']] }] },
  { nft: 'counter', exprs: [{ stmt: 'counter' }] },
  { nft: 'counter name "cnt"', exprs: [{ stmt: 'counter', name: 'cnt' }] },
  { nft: 'jump other', exprs: [{ stmt: 'jump', chain: 'other' }] },
  { nft: 'goto other', exprs: [{ stmt: 'goto', chain: 'other' }] },
  { nft: 'return', exprs: [{ stmt: 'return' }] },
  { nft: 'continue', exprs: [{ stmt: 'continue' }] },
  { nft: 'reject', exprs: [{ stmt: 'reject' }] },
  { nft: 'reject with tcp reset', exprs: [{ match: 'meta l4proto', value: 'tcp' }, { stmt: 'reject', with: 'tcp reset' }] },
  { nft: 'reject with icmp host-unreachable', exprs: [{ stmt: 'reject', with: { icmp: 'host-unreachable' } }] },
  { nft: 'reject with icmpv6 admin-prohibited', exprs: [{ stmt: 'reject', with: { icmpv6: 'admin-prohibited' } }] },
  { nft: 'reject with icmpx admin-prohibited', exprs: [{ stmt: 'reject', with: { icmpx: 'admin-prohibited' } }] },
  { nft: 'ct mark set 0x00000020', exprs: [{ stmt: 'ct mark set', value: 32 }] },
  { nft: 'meta mark set 0x00000010', exprs: [{ stmt: 'meta mark set', value: 16 }] },
  { nft: 'meta mark set ct mark', exprs: [{ stmt: 'meta mark set', value: 'ct mark' }] },
  { nft: 'notrack', exprs: [{ stmt: 'notrack' }] },
  { nft: 'log prefix "x " level warn', exprs: [{ stmt: 'log', prefix: 'x ' }] },
  { nft: 'log prefix "dropped: " level info', exprs: [{ stmt: 'log', prefix: 'dropped: ', level: 'info' }] },
  { nft: 'log', exprs: [{ stmt: 'log' }] },
  { nft: 'limit rate 10/second', exprs: [{ stmt: 'limit', rate: 10, per: 'second' }] },
  { nft: 'limit rate over 5/minute burst 10 packets', exprs: [{ stmt: 'limit', rate: 5, per: 'minute', burst: 10, over: true }] },
  { nft: 'snat ip to 1.2.3.4', exprs: [{ stmt: 'snat', to: '1.2.3.4', family: 'ip' }] },
  { nft: 'meta l4proto tcp dnat ip to 10.0.0.5:80', exprs: [{ match: 'meta l4proto', value: 'tcp' }, { stmt: 'dnat', to: '10.0.0.5:80', family: 'ip' }] },
  { nft: 'snat ip prefix to 10.1.0.0/24', exprs: [{ stmt: 'snat', to: '10.1.0.0/24', prefix: true, family: 'ip' }] },
  { nft: 'dnat ip6 to 2001:db8::5', exprs: [{ stmt: 'dnat', to: '2001:db8::5', family: 'ip6' }] },
  { nft: 'masquerade', exprs: [{ stmt: 'masquerade' }] },
  { nft: 'tcp flags syn tcp option maxseg size set rt mtu', exprs: [{ match: 'tcp flags', value: 'syn' }, { stmt: 'tcp mss set', value: 'rt mtu' }] },
  { nft: 'tcp flags syn tcp option maxseg size set 1360', exprs: [{ match: 'tcp flags', value: 'syn' }, { stmt: 'tcp mss set', value: 1360 }] },
  { nft: `ip saddr 10.0.0.1 counter accept comment "it's a comment, with spaces"`, exprs: [{ match: 'ip saddr', value: '10.0.0.1' }, { stmt: 'counter' }, { stmt: 'accept' }], comment: "it's a comment, with spaces" },
  { nft: 'ether saddr 02:00:00:00:00:01 accept', exprs: [{ match: 'ether saddr', value: '02:00:00:00:00:01' }, { stmt: 'accept' }] },
  { nft: 'ip protocol tcp accept', exprs: [{ match: 'ip protocol', value: 'tcp' }, { stmt: 'accept' }] },
  { nft: 'ip protocol tcp tcp dport 22 accept', exprs: [{ match: 'ip protocol', value: 'tcp' }, { match: 'tcp dport', value: 22 }, { stmt: 'accept' }] },
  { nft: 'iifname { "eth*", "wg0" } accept', exprs: [{ match: 'meta iifname', value: ['eth*', 'wg0'] }, { stmt: 'accept' }] },
  { nft: 'ip6 daddr ::ffff:10.0.0.1 drop', exprs: [{ match: 'ip6 daddr', value: '::ffff:10.0.0.1' }, { stmt: 'drop' }] },
  { nft: 'ct state ! established,related drop', exprs: [{ match: 'ct state', op: '!', value: ['established', 'related'] }, { stmt: 'drop' }] },
  // Flag selectors, every operator (nft: no op = any bit set, `!` = none set, `==` / `!=` = exact compare).
  { nft: 'tcp flags syn', exprs: [{ match: 'tcp flags', value: 'syn' }] },
  // A verdict map looked up with the masked field.
  {
    nft: 'tcp flags & (ack | urg) vmap { ack : jump other, urg : accept }',
    exprs: [{ stmt: 'vmap', key: 'tcp flags', bits: [['&', ['ack', 'urg']]], map: [['ack', { jump: 'other' }], ['urg', 'accept']] }],
  },
  { nft: 'tcp flags == syn', exprs: [{ match: 'tcp flags', op: '==', value: 'syn' }] },
  { nft: 'tcp flags != syn', exprs: [{ match: 'tcp flags', op: '!=', value: 'syn' }] },
  { nft: 'tcp flags ! syn', exprs: [{ match: 'tcp flags', op: '!', value: 'syn' }] },
  { nft: 'tcp flags syn,ack', exprs: [{ match: 'tcp flags', value: ['syn', 'ack'] }] },
  { nft: 'tcp flags syn|ack', exprs: [{ match: 'tcp flags', value: ['syn', 'ack'] }] },
  { nft: 'tcp flags == syn|ack', exprs: [{ match: 'tcp flags', op: '==', value: 'syn | ack' }] },
  { nft: 'tcp flags != syn,ack', exprs: [{ match: 'tcp flags', op: '!=', value: 'syn | ack' }] },
  { nft: 'tcp flags ! syn,ack', exprs: [{ match: 'tcp flags', op: '!', value: ['syn', 'ack'] }] },
  { nft: 'tcp flags { syn, ack }', exprs: [{ match: 'tcp flags', value: { elements: ['syn', 'ack'] } }] },
  { nft: 'ct state == established', exprs: [{ match: 'ct state', op: '==', value: 'established' }] },
  { nft: 'ct state ! established', exprs: [{ match: 'ct state', op: '!', value: 'established' }] },
  { nft: 'ct state == established|related', exprs: [{ match: 'ct state', op: '==', value: 'established | related' }] },
  { nft: 'ct state { established, related }', exprs: [{ match: 'ct state', value: { elements: ['established', 'related'] } }] },
  { nft: 'ct status dnat', exprs: [{ match: 'ct status', value: 'dnat' }] },
  { nft: 'ct status == dnat', exprs: [{ match: 'ct status', op: '==', value: 'dnat' }] },
  { nft: 'ct status != dnat', exprs: [{ match: 'ct status', op: '!=', value: 'dnat' }] },
  { nft: 'ct status ! dnat', exprs: [{ match: 'ct status', op: '!', value: 'dnat' }] },
  { nft: 'ct status snat,dnat', exprs: [{ match: 'ct status', value: ['snat', 'dnat'] }] },
  { nft: 'ct status ! snat,dnat', exprs: [{ match: 'ct status', op: '!', value: ['snat', 'dnat'] }] },
  { nft: 'ct status != snat|dnat', exprs: [{ match: 'ct status', op: '!=', value: 'snat | dnat' }] },
  // Host-order keys (marks) in interval sets and ranges: nft converts them to network order (byteorder hton).
  { nft: 'meta mark @markint accept', exprs: [{ match: 'meta mark', value: { set: 'markint' } }, { stmt: 'accept' }] },
  { nft: 'meta mark @markhash accept', exprs: [{ match: 'meta mark', value: { set: 'markhash' } }, { stmt: 'accept' }] },
  { nft: 'meta mark . ip saddr @marknet accept', exprs: [{ match: ['meta mark', 'ip saddr'], value: { set: 'marknet' } }, { stmt: 'accept' }] },
  { nft: 'meta mark vmap @markvm', exprs: [{ stmt: 'vmap', key: 'meta mark', map: { set: 'markvm' } }] },
  { nft: 'meta mark { 0x00000001-0x00000005, 0x0000000a } accept', exprs: [{ match: 'meta mark', value: ['0x00000001-0x00000005', 10] }, { stmt: 'accept' }] },
  { nft: 'ct mark { 0x00000001-0x00000005, 0x0000000a } accept', exprs: [{ match: 'ct mark', value: ['0x00000001-0x00000005', 10] }, { stmt: 'accept' }] },
  { nft: 'meta mark { 0x00000001, 0x0000000a } accept', exprs: [{ match: 'meta mark', value: [1, 10] }, { stmt: 'accept' }] },
  {
    nft: 'meta mark . ip saddr { 0x00000001-0x00000005 . 10.0.0.0/8 } accept',
    exprs: [{ match: ['meta mark', 'ip saddr'], value: [['0x00000001-0x00000005', '10.0.0.0/8']] }, { stmt: 'accept' }],
  },
  {
    nft: 'ip saddr . ct mark { 10.0.0.0/8 . 0x00000001-0x00000005 } accept',
    exprs: [{ match: ['ip saddr', 'ct mark'], value: [['10.0.0.0/8', '0x00000001-0x00000005']] }, { stmt: 'accept' }],
  },
  { nft: 'meta mark 0x00000001-0x00000005 accept', exprs: [{ match: 'meta mark', value: '1-5' }, { stmt: 'accept' }] },
  { nft: 'meta mark != 0x00000001-0x00000005 accept', exprs: [{ match: 'meta mark', op: '!=', value: '1-5' }, { stmt: 'accept' }] },
  { nft: 'meta mark 0x00000010/28 accept', exprs: [{ match: 'meta mark', value: '0x00000010/28' }, { stmt: 'accept' }] },
  { nft: 'ct mark != 0x00000010/28 accept', exprs: [{ match: 'ct mark', op: '!=', value: '0x00000010/28' }, { stmt: 'accept' }] },
]

/** Cases for an `ip` table. */
export const IP_CASES: readonly RuleCase[] = [
  { nft: 'ip saddr 10.0.0.1 tcp dport 22 accept', exprs: [{ match: 'ip saddr', value: '10.0.0.1' }, { match: 'tcp dport', value: 22 }, { stmt: 'accept' }] },
  { nft: 'ip saddr 10.30.0.0/24 counter reject', exprs: [{ match: 'ip saddr', value: '10.30.0.0/24' }, { stmt: 'counter' }, { stmt: 'reject' }] },
  { nft: 'reject with icmp host-unreachable', exprs: [{ stmt: 'reject', with: { icmp: 'host-unreachable' } }] },
  { nft: 'snat to 1.2.3.4', exprs: [{ stmt: 'snat', to: '1.2.3.4', family: 'ip' }] },
  { nft: 'icmp type echo-request accept', exprs: [{ match: 'icmp type', value: 'echo-request' }, { stmt: 'accept' }] },
  // nft hides the tcp dependency of a tcp reset only right before the reject.
  { nft: 'reject with tcp reset', exprs: [{ stmt: 'reject', with: 'tcp reset' }] },
  {
    nft: 'iifname "x" meta l4proto tcp counter reject with tcp reset',
    exprs: [{ match: 'meta iifname', value: 'x' }, { match: 'meta l4proto', value: 'tcp' }, { stmt: 'counter' }, { stmt: 'reject', with: 'tcp reset' }],
  },
]

/** Cases for an `ip6` table. */
export const IP6_CASES: readonly RuleCase[] = [
  { nft: 'ip6 saddr 2001:db8::/64 tcp dport 443 accept', exprs: [{ match: 'ip6 saddr', value: '2001:db8::/64' }, { match: 'tcp dport', value: 443 }, { stmt: 'accept' }] },
  { nft: 'reject', exprs: [{ stmt: 'reject' }] },
]

/** Cases for a `bridge` table. */
export const BRIDGE_CASES: readonly RuleCase[] = [
  { nft: 'ip saddr 10.0.0.1 accept', exprs: [{ match: 'ip saddr', value: '10.0.0.1' }, { stmt: 'accept' }] },
  { nft: 'ether daddr 02:00:00:00:00:02 drop', exprs: [{ match: 'ether daddr', value: '02:00:00:00:00:02' }, { stmt: 'drop' }] },
]

/** The typed twin of INET_PRELUDE_NFT: the named objects the inet cases refer to (nothing for other families). */
export function addPrelude(tx: Transaction, family: Family): void {
  if (family !== 'inet') return
  tx.add({ kind: 'chain', name: 'other' })
  tx.add({ kind: 'set', name: 'allow', type: 'ipv4_addr', flags: ['interval'], elements: ['10.0.0.1', '10.0.1.0/24', '10.0.2.10-10.0.2.20'] })
  tx.add({ kind: 'set', name: 'ports', type: 'inet_service', elements: [22, 443] })
  tx.add({ kind: 'set', name: 'svc', type: ['ipv4_addr', 'inet_proto', 'inet_service'], elements: [['10.0.0.1', 'tcp', 80]] })
  tx.add({ kind: 'map', name: 'vm', type: 'ipv4_addr', map: 'verdict', elements: [{ key: '10.0.0.1', value: 'accept' }, { key: '10.0.0.2', value: { jump: 'other' } }] })
  tx.add({ kind: 'set', name: 'markint', type: 'mark', flags: ['interval'], elements: ['0x00000001-0x00000005', 16] })
  tx.add({ kind: 'set', name: 'markhash', type: 'mark', elements: [1, 16] })
  tx.add({ kind: 'set', name: 'marknet', type: ['mark', 'ipv4_addr'], flags: ['interval'], elements: [['0x00000001-0x00000005', '10.0.0.0/8']] })
  tx.add({ kind: 'map', name: 'markvm', type: 'mark', map: 'verdict', flags: ['interval'], elements: [{ key: '0x00000001-0x00000005', value: 'accept' }, { key: 16, value: 'drop' }] })
  tx.add({ kind: 'counter', name: 'cnt' })
}
