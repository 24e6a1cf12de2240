/**
 * Rule expressions as plain data in nft's vocabulary: matches
 * (`{ match: 'ip saddr', value: '10.0.0.0/8' }`) and statements
 * (`{ stmt: 'counter' }`, `{ stmt: 'accept' }`).
 * @module
 */
import type { ExthdrSelector, ResetTcpOptionStmt } from './exthdr-types.js'

/**
 * The headers a raw payload expression reads from: nft's `ll` (link layer),
 * `nh` (network header), `th` (transport header) and `ih` (inner header).
 */
export type RawPayloadBase = 'll' | 'nh' | 'th' | 'ih'

/**
 * A raw payload expression, nft's `@BASE,OFFSET,LENGTH` with offset and length
 * in bits (1-128 bits): `{ match: '@nh,16,16', value: 0x1234 }` is
 * `@nh,16,16 0x1234`. Values are unsigned integers in network byte order
 * (numbers, or `'0x...'` strings for wide fields); a field that does not
 * start and end on a byte boundary (`@nh,3,5`) compares its bits in place,
 * which nft lists as a mask of the covering bytes (`@nh,0,8 & 0x1f == 0x3`).
 * nft lists a raw expression it can name by the name (`@th,16,16` is
 * `th dport`).
 */
export type RawPayloadSelector = `@${RawPayloadBase},${number},${number}`

/**
 * IPsec state, nft's `ipsec in|out [spnum N] KEY`: a field of the security
 * association the packet came in with (`in`) or goes out with (`out`), entry
 * N of its secpath (0 when left out). `reqid` and `spi` are 32-bit integers.
 */
export type IpsecSelector = `ipsec ${'in' | 'out'} ${'' | `spnum ${number} `}${'reqid' | 'spi' | 'ip saddr' | 'ip daddr' | 'ip6 saddr' | 'ip6 daddr'}`

/** Something a rule can read from a packet or from conntrack, in nft's words. */
export type Selector =
  | 'ip saddr'
  | 'ip daddr'
  | 'ip protocol'
  | 'ip6 saddr'
  | 'ip6 daddr'
  | 'ip6 nexthdr'
  | 'tcp flags'
  | 'tcp sport'
  | 'tcp dport'
  | 'udp sport'
  | 'udp dport'
  | 'th sport'
  | 'th dport'
  | 'icmp type'
  | 'icmp code'
  | 'icmpv6 type'
  | 'icmpv6 code'
  | 'meta l4proto'
  | 'meta nfproto'
  | 'meta protocol'
  | 'meta iifname'
  | 'meta oifname'
  | 'meta mark'
  | 'meta iif'
  | 'meta oif'
  | 'meta sdif'
  | 'meta sdifname'
  | 'meta iifgroup'
  | 'meta oifgroup'
  | 'meta iiftype'
  | 'ct state'
  | 'ct status'
  | 'ct mark'
  | 'ether saddr'
  | 'ether daddr'
  | 'ip version'
  | 'ip hdrlength'
  | 'ip dscp'
  | 'ip ecn'
  | 'ip length'
  | 'ip id'
  | 'ip frag-off'
  | 'ip ttl'
  | 'ip checksum'
  | 'ip6 version'
  | 'ip6 dscp'
  | 'ip6 ecn'
  | 'ip6 flowlabel'
  | 'ip6 length'
  | 'ip6 hoplimit'
  | 'tcp sequence'
  | 'tcp ackseq'
  | 'tcp doff'
  | 'tcp reserved'
  | 'tcp window'
  | 'tcp checksum'
  | 'tcp urgptr'
  | 'udp length'
  | 'udp checksum'
  | 'udplite sport'
  | 'udplite dport'
  | 'udplite checksum'
  | 'sctp sport'
  | 'sctp dport'
  | 'sctp vtag'
  | 'sctp checksum'
  | 'dccp sport'
  | 'dccp dport'
  | 'dccp type'
  | 'ah nexthdr'
  | 'ah hdrlength'
  | 'ah reserved'
  | 'ah spi'
  | 'ah sequence'
  | 'esp spi'
  | 'esp sequence'
  | 'comp nexthdr'
  | 'comp flags'
  | 'comp cpi'
  | 'icmp checksum'
  | 'icmp id'
  | 'icmp sequence'
  | 'icmp gateway'
  | 'icmp mtu'
  | 'icmpv6 checksum'
  | ExthdrSelector
  | RawPayloadSelector
  | IpsecSelector
  | 'ether type'
  | 'vlan id'
  | 'vlan pcp'
  | 'vlan dei'
  | 'vlan type'
  | 'icmpv6 mtu'
  | 'icmpv6 id'
  | 'icmpv6 sequence'
  | 'icmpv6 max-delay'
  | 'igmp type'
  | 'igmp mrt'
  | 'igmp checksum'
  | 'igmp group'
  | 'arp htype'
  | 'arp ptype'
  | 'arp hlen'
  | 'arp plen'
  | 'arp operation'
  | 'arp saddr ether'
  | 'arp saddr ip'
  | 'arp daddr ether'
  | 'arp daddr ip'
  | 'meta length'
  | 'meta cpu'
  | 'meta cgroup'
  | 'meta random'
  | 'meta skuid'
  | 'meta skgid'
  | 'meta pkttype'
  | 'meta priority'
  | 'meta rtclassid'
  | 'meta ipsec'
  | 'meta time'
  | 'meta day'
  | 'meta hour'
  | 'rt classid'
  | 'rt ipsec'
  | 'rt ip nexthop'
  | 'rt ip6 nexthop'
  | 'meta oiftype'
  | 'meta ibrname'
  | 'meta obrname'
  | 'ct direction'
  | 'ct l3proto'
  | 'ct protocol'
  | 'ct zone'
  | 'ct bytes'
  | 'ct packets'
  | 'ct avgpkt'
  | 'socket transparent'
  | 'socket mark'
  | 'socket wildcard'
  | FibSelector
  | `osf${'' | ' ttl loose' | ' ttl skip'} ${'name' | 'version'}`
  | 'ct expiration'
  | 'ct helper'
  | 'ct id'
  | 'ct label'
  | CtDirSelector

/**
 * A routing lookup (nft's `fib`): the addresses (and marks and interfaces) it
 * looks up with, then the result, `oif` (an interface index), `oifname` or
 * `type` (an address type such as `local`, `unicast`):
 * `'fib daddr . iif type'`, `'fib saddr . mark . oif oifname'`.
 */
export type FibSelector = `fib ${'saddr' | 'daddr'}${'' | ' . mark'}${'' | ' . iif' | ' . oif'} ${'oif' | 'oifname' | 'type'}`

/**
 * Conntrack keys read in one direction of the connection (nft's
 * `ct original ip saddr`, `ct reply zone`, `ct original proto-dst`).
 */
export type CtDirSelector = `ct ${'original' | 'reply'} ${
  | 'zone'
  | 'bytes'
  | 'packets'
  | 'avgpkt'
  | 'protocol'
  | 'proto-src'
  | 'proto-dst'
  | 'ip saddr'
  | 'ip daddr'
  | 'ip6 saddr'
  | 'ip6 daddr'}`

/**
 * Comparison of a match, with nft's meaning of each operator (and the names
 * nft's JSON uses for them):
 *
 * - omitted: nft's implicit operator. Equality, except for the flag selectors
 *   (`tcp flags`, `ct state`, `ct status`), where it is a bit test: any of the
 *   named flags is set. `{ match: 'tcp flags', value: 'syn' }` is
 *   `tcp flags syn` and also matches SYN-ACK.
 * - `'=='`: equal. For flag selectors the whole field is compared exactly:
 *   `{ match: 'tcp flags', op: '==', value: 'syn' }` is `tcp flags == syn`,
 *   a bare SYN only.
 * - `'!='`: not equal; for flag selectors exactly (`ct status != dnat`: the
 *   status is anything but exactly dnat).
 * - `'in'` (flag selectors only): the bit test, spelled out; the same as
 *   omitting `op`.
 * - `'!'` (flag selectors only): none of the named flags is set
 *   (`ct status ! dnat`).
 *
 * - `'<'`, `'>'`, `'<='`, `'>='` (nft also reads `lt`, `gt`, `le`, `ge`):
 *   an order comparison of an integer, address, time or class id against one
 *   value, as unsigned numbers in network byte order (nft converts host-order
 *   keys such as `meta skuid` first): `{ match: 'meta skuid', op: '<', value: 3000 }`
 *   is `meta skuid < 3000`, `{ match: 'tcp sport', op: '>', value: 1024 }` is
 *   `tcp sport > 1024`. Not for flag selectors, interface names or indexes,
 *   sets or ranges.
 *
 * For flag selectors the value names the bits: `'syn'`, `['syn', 'ack']` and
 * `'syn | ack'` are the same mask. A set lookup (`{ elements }`, `{ set }`)
 * takes `'=='`/`'!='` only.
 */
export type MatchOp = '==' | '!=' | 'in' | '!' | RelationalOp

/** The order comparisons of a {@link MatchOp}: less, greater, less or equal, greater or equal. */
export type RelationalOp = '<' | '>' | '<=' | '>='

/** A reference to a named set or map: `{ set: 'allow' }` is nft's `@allow`. */
export interface SetRef {
  readonly set: string
}

/**
 * The value side of a match. Depending on the selector: an address, CIDR or
 * range string (`'10.0.0.0/8'`, `'10.0.0.1-10.0.0.9'`), a number, a name
 * (`'tcp'`, `'established'`), a port range (`'1000-2000'`), an array (an
 * anonymous set, or for ct state/status a list of flags), or a named set.
 */
export type MatchValue =
  | string
  | number
  | ReadonlyArray<string | number | ReadonlyArray<string | number> | AnonymousSetElement>
  | SetRef
  | AnonymousSet

/**
 * An element of an anonymous set with its own stateful statements, nft's
 * `meta mark { 0x0000000a counter, 0x0000000b limit rate 1/second counter }`:
 * `{ match: 'meta mark', value: [{ key: 10, counter: true }, { key: 11, stmts:
 * [{ stmt: 'limit', rate: 1, per: 'second' }, { stmt: 'counter' }] }] }`. As
 * for a named set's element ({@link ElementSpec}): a counter alone is
 * `counter` (read back with its values), other statements (limit, quota, ct
 * count, at most two) are `stmts`. Such a set stays a set even with one
 * element (nft 1.0.6 folds a one-element set into a comparison and drops the
 * statements; nft 1.0.8 and later keep it; nftkit's nft parser reads the text
 * as the local nft 1.0.6 does).
 */
export interface AnonymousSetElement {
  readonly key: string | number | ReadonlyArray<string | number>
  readonly counter?: boolean | { readonly packets: number; readonly bytes: number }
  readonly stmts?: readonly SetStatefulStmt[]
}

/**
 * An explicit anonymous set: `{ elements: ['established', 'related'] }` is nft's
 * `ct state { established, related }` (a set lookup). For most selectors a plain
 * array means the same; for flag selectors (ct state, ct status) a plain array
 * is nft's `established,related` (a bit test), so the set form needs this.
 */
export interface AnonymousSet {
  readonly elements: ReadonlyArray<string | number | ReadonlyArray<string | number> | AnonymousSetElement>
}

/**
 * One step of a bitwise expression on a selector's value, nft's `&` (`and`),
 * `|` (`or`) and `^` (`xor`) with a constant: a value of the selector's type
 * (`'0.0.0.255'`, `0x3`), flag names for flag selectors (`['syn', 'ack']` or
 * `'syn | ack'`), or a plain number for any selector.
 */
export type BitwiseStep = readonly ['&' | '|' | '^', string | number | readonly string[]]

/**
 * A match: `{ match: 'tcp dport', value: 22 }` is `tcp dport 22`;
 * `{ match: ['ip daddr', 'meta l4proto', 'th dport'], value: { set: 'svc' } }`
 * is `ip daddr . meta l4proto . th dport @svc`.
 */
export interface Match {
  readonly match: Selector | readonly Selector[]
  /** Omitted: equality, or for flag selectors a bit test (see {@link MatchOp}). */
  readonly op?: MatchOp
  readonly value: MatchValue
  /**
   * Bitwise steps applied, left to right, to the selector's value before it is
   * compared (one selector only; `op` then takes `'=='` (the default) or
   * `'!='`): `{ match: 'meta mark', bits: [['&', 0x3]], value: 1 }` is
   * `meta mark & 0x00000003 == 0x00000001`, and
   * `{ match: 'tcp flags', bits: [['&', ['syn', 'ack']]], value: 'syn' }` is
   * nft's `tcp flags syn / syn,ack`. As in nft, the steps fold into one kernel
   * mask and xor, and a trailing `^ C` moves to the value (`meta mark ^ 3 == 1`
   * compares `meta mark == 2`).
   */
  readonly bits?: readonly BitwiseStep[]
}

/** A verdict in a verdict map entry or statement. */
export type Verdict =
  | 'accept'
  | 'drop'
  | 'continue'
  | 'return'
  | { readonly jump: string }
  | { readonly goto: string }

/** `counter`, optionally with starting values, or a reference to a named counter. */
export interface CounterStmt {
  readonly stmt: 'counter'
  /** Starting packet count (default 0). */
  readonly packets?: number
  /** Starting byte count (default 0). */
  readonly bytes?: number
  /** Use the named counter object instead of an anonymous one: `counter name "x"`. */
  readonly name?: string
}

/** Terminal and flow-control verdicts. */
export interface VerdictStmt {
  readonly stmt: 'accept' | 'drop' | 'continue' | 'return'
}

/** `jump CHAIN` / `goto CHAIN`. */
export interface JumpStmt {
  readonly stmt: 'jump' | 'goto'
  readonly chain: string
}

/**
 * `jump { ... }` / `goto { ... }`: a chain binding, an anonymous chain that
 * belongs to this rule. It is created with the rule (in the same batch, as a
 * chain flagged NFT_CHAIN_BINDING that the kernel names `__chain%d`) and
 * destroyed with it; listings show its rules inline, as nft does.
 *
 * @example
 * // meta l4proto { tcp, udp } th dport 53 jump { ip saddr 10.0.0.0/8 accept; drop }
 * { stmt: 'jump', rules: [
 *   { exprs: [{ match: 'ip saddr', value: '10.0.0.0/8' }, { stmt: 'accept' }] },
 *   { exprs: [{ stmt: 'drop' }] },
 * ] }
 */
export interface BindingStmt {
  readonly stmt: 'jump' | 'goto'
  /** The bound chain's rules, in order (at least one). */
  readonly rules: readonly BoundRule[]
}

/** One rule of a bound chain ({@link BindingStmt}). */
export interface BoundRule {
  readonly exprs: readonly RuleExpr[]
  readonly comment?: string
}

/**
 * `reject`: with no `with`, the kernel default nft uses (ICMP port-unreachable
 * in ip/ip6, ICMPx port-unreachable in inet/bridge).
 */
export interface RejectStmt {
  readonly stmt: 'reject'
  readonly with?:
    | { readonly icmp: string | number }
    | { readonly icmpv6: string | number }
    | { readonly icmpx: string | number }
    | 'tcp reset'
}

/** One step of a computed mark: a bitwise step with a number, or a shift by a number of bits. */
export type MarkStep = readonly ['&' | '|' | '^', number] | readonly ['<<' | '>>', number]

/**
 * A mark computed from the packet's or the connection's mark:
 * `{ from: 'ct mark', bits: [['|', 1]] }` is `ct mark | 0x00000001`,
 * `{ from: 'meta mark', bits: [['|', 0x10], ['<<', 8]] }` is
 * `(meta mark | 0x00000010) << 8`. Steps apply left to right; as in nft,
 * adjacent `&`, `|` and `^` steps fold into one kernel mask and xor.
 */
export interface MarkExpr {
  readonly from: 'meta mark' | 'ct mark'
  readonly bits?: readonly MarkStep[]
}

/**
 * A value looked up in a map by a packet key (nft's `KEY map { k : v, ... }`
 * and `KEY map @name`), for the statements that set a value:
 * `{ key: 'ip saddr', map: [['1.1.1.1', 2]] }` is `ip saddr map { 1.1.1.1 : 2 }`,
 * `{ key: ['ip saddr', 'ip daddr'], map: { set: 'm' } }` is
 * `ip saddr . ip daddr map @m`. Values have the type of what is set (a mark,
 * an address, ...); a packet whose key is not in the map is left as it is
 * (the lookup fails and the rule stops there).
 */
export interface MapValue {
  readonly key: Selector | readonly Selector[]
  readonly map: SetRef | ReadonlyArray<readonly [string | number | ReadonlyArray<string | number>, string | number]>
}

/**
 * A number generator (nft's `numgen inc|random mod N [offset O]`): an
 * incrementing counter or a random number, modulo `mod`, plus `offset`.
 */
export interface NumgenExpr {
  readonly numgen: 'inc' | 'random'
  readonly mod: number
  readonly offset?: number
}

/**
 * A hash (nft's `jhash KEY mod N [seed S] [offset O]` of packet fields, or
 * `symhash mod N [offset O]` of the flow, the same both ways), modulo `mod`,
 * plus `offset`. Without a seed the kernel picks a random one for jhash.
 */
export interface HashExpr {
  readonly hash: 'jhash' | 'symhash'
  /** The fields jhash hashes (one selector or a concatenation); not for symhash. */
  readonly key?: Selector | readonly Selector[]
  readonly mod: number
  readonly seed?: number
  readonly offset?: number
}

/** `ct mark set VALUE` or `ct mark set meta mark ...` ({@link MarkExpr}). */
export interface CtMarkSetStmt {
  readonly stmt: 'ct mark set'
  readonly value: number | MarkExpr | MapValue | NumgenExpr | HashExpr
}

/**
 * `ct event set new,related`: the conntrack events reported for this
 * connection. An empty list is nft's `ct event set 0x0` (no events).
 */
export interface CtEventSetStmt {
  readonly stmt: 'ct event set'
  readonly value: ReadonlyArray<
    'new' | 'related' | 'destroy' | 'reply' | 'assured' | 'protoinfo' | 'helper' | 'mark' | 'seqadj' | 'secmark' | 'label'
  >
}

/**
 * `ct [original|reply] zone set N`: the conntrack zone (0-65535), optionally
 * of one direction; or a zone looked up in a map (`ct zone set meta mark map { ... }`).
 */
export interface CtZoneSetStmt {
  readonly stmt: 'ct zone set'
  readonly value: number | MapValue
  readonly dir?: 'original' | 'reply'
}

/** `ct label set N`: sets label bit N (0-127) of the connection. */
export interface CtLabelSetStmt {
  readonly stmt: 'ct label set'
  readonly value: number
}

/**
 * `ct helper set "name"`, `ct timeout set "name"`, `ct expectation set "name"`:
 * attaches the named ct helper, timeout policy or expectation object of the
 * table to the connection.
 */
export interface CtObjectSetStmt {
  readonly stmt: 'ct helper set' | 'ct timeout set' | 'ct expectation set'
  readonly name: string
}

/**
 * `ct helper set tcp dport map { 21 : "ftp", 2121 : "ftp" }` (also timeout
 * and expectation): the ct object to attach, picked by a packet key from an
 * anonymous map of key to object name.
 */
export interface CtObjectMapStmt {
  readonly stmt: 'ct helper set' | 'ct timeout set' | 'ct expectation set'
  readonly key: Selector | readonly Selector[]
  readonly map: ReadonlyArray<readonly [string | number | ReadonlyArray<string | number>, string]>
  readonly name?: undefined
}

/**
 * `ct count N` / `ct count over N` (the connlimit expression): matches while
 * the number of connections is at most N (or, with `over`, above N).
 */
export interface CtCountStmt {
  readonly stmt: 'ct count'
  readonly count: number
  readonly over?: boolean
}

/**
 * A stateful statement of a set declaration or of one element (no object
 * names): every element gets its own copy (`limit rate 1/second`, `counter`,
 * `quota 10 mbytes`, `ct count over 20`).
 */
export type SetStatefulStmt = CounterStmt | LimitStmt | QuotaStmt | CtCountStmt

/**
 * `meta mark set VALUE`, `meta mark set ct mark`, `meta mark set ct mark ...`
 * ({@link MarkExpr}), `meta mark set KEY map { ... }` ({@link MapValue}),
 * `meta mark set numgen ...` ({@link NumgenExpr}) or `jhash ...` ({@link HashExpr}).
 */
export interface MetaMarkSetStmt {
  readonly stmt: 'meta mark set'
  readonly value: number | 'ct mark' | MarkExpr | MapValue | NumgenExpr | HashExpr
}

/** Meta keys a rule can write with {@link MetaSetStmt}. */
export type MetaSetKey = 'priority' | 'nftrace' | 'pkttype'

/**
 * `meta KEY set VALUE` for keys other than the mark: `{ stmt: 'meta set', key:
 * 'priority', value: '1:10' }` sets the tc class id (`root`, `none`,
 * `MAJOR:MINOR` in hex, or a number), `key: 'nftrace'` with 1 turns on rule
 * tracing for the packet, `key: 'pkttype'` sets the packet type (`host`,
 * `broadcast`, `multicast`, `other`). The mark has its own {@link MetaMarkSetStmt}.
 */
export interface MetaSetStmt {
  readonly stmt: 'meta set'
  readonly key: MetaSetKey
  /** One value, or (priority, pkttype) a value looked up in a map (`meta priority set ct bytes map @m`). */
  readonly value: string | number | MapValue
}

/** `notrack`. */
export interface NotrackStmt {
  readonly stmt: 'notrack'
}

/** A `log flags` option: which packet details the kernel log shows. */
export type LogFlag = 'tcp sequence' | 'tcp options' | 'ip options' | 'skuid' | 'ether'

/**
 * `log`: to the kernel log (`prefix`, `level`, `flags`), or with `group` to an
 * nflog group (`prefix`, `group`, `snaplen`, `queueThreshold`). nft prints
 * `log prefix "x" group 2 snaplen 33 queue-threshold 2` and
 * `log level debug flags tcp sequence,options flags skuid`.
 */
export interface LogStmt {
  readonly stmt: 'log'
  readonly prefix?: string
  readonly level?: 'emerg' | 'alert' | 'crit' | 'err' | 'warn' | 'notice' | 'info' | 'debug' | 'audit'
  /** Details to log: `'all'` or a list (`['tcp sequence', 'ip options']`). Not with `group`. */
  readonly flags?: 'all' | readonly LogFlag[]
  /** nflog group 0-65535: log to userspace (ulogd) instead of the kernel log. */
  readonly group?: number
  /** With `group`: bytes of each packet to copy (0 or omitted: the whole packet). */
  readonly snaplen?: number
  /** With `group`: packets to queue in the kernel before sending them (nft's `queue-threshold`). */
  readonly queueThreshold?: number
}

/**
 * `limit rate [over] N/UNIT [burst B packets]`, or with `bytes: true` a byte
 * rate: `{ rate: 1049600, per: 'second', bytes: true, burst: 1024 }` is
 * `limit rate 1025 kbytes/second burst 1 kbytes` (rate and burst in bytes;
 * nft prints them in the largest of bytes, kbytes, mbytes that divides them).
 */
export interface LimitStmt {
  readonly stmt: 'limit'
  /** Packets per `per`, or bytes with `bytes: true`. */
  readonly rate: number
  readonly per: 'second' | 'minute' | 'hour' | 'day' | 'week'
  /** Count bytes instead of packets (nft's `kbytes/second`). */
  readonly bytes?: boolean
  /** Packets (or bytes) allowed above the rate at once; default 5 packets, or 0 bytes. */
  readonly burst?: number
  /** Match when the rate is exceeded instead of under it. */
  readonly over?: boolean
  readonly name?: undefined
}

/** `limit name "x"`: use the named limit object of the table. */
export interface LimitRefStmt {
  readonly stmt: 'limit'
  readonly name: string
}

/**
 * `quota [over] N bytes [used M bytes]`: `{ stmt: 'quota', bytes: 1049600 }`
 * is `quota 1025 kbytes` (printed in the largest of bytes, kbytes, mbytes that
 * divides it). It matches until `bytes` have passed (with `over`: after).
 */
export interface QuotaStmt {
  readonly stmt: 'quota'
  readonly bytes: number
  readonly over?: boolean
  /** Bytes already used (the kernel counts on from here). */
  readonly used?: number
  readonly name?: undefined
}

/** `quota name "x"`: use the named quota object of the table. */
export interface QuotaRefStmt {
  readonly stmt: 'quota'
  readonly name: string
}

/**
 * `snat`/`dnat`: `to` an address (`'1.2.3.4'`), address and port
 * (`'1.2.3.4:80'`, IPv6 as `'[2001:db8::1]:80'`), or a prefix with
 * `prefix: true` (`snat prefix to 10.0.0.0/24`). In inet tables `family`
 * says which address family is translated (nft's `snat ip to ...`); it is
 * inferred from the address when omitted.
 */
export interface NatStmt {
  readonly stmt: 'snat' | 'dnat'
  /** The target; a port alone is written `':80'` or `':80-90'` (nft's `dnat to :80`). */
  readonly to: string
  readonly prefix?: boolean
  readonly family?: 'ip' | 'ip6'
  /** NAT flags (nft's `dnat to 10.0.0.1 random,persistent`). */
  readonly flags?: readonly NatFlag[]
}

/**
 * One target in a NAT map: an address, range or prefix (`'192.168.2.3'`,
 * `'10.0.0.2-10.0.0.4'`, `'192.168.2.0/24'`), or an address and port
 * (`['192.168.2.3', 80]`, `['10.141.10.0/24', '8888-8999']`; nft's
 * `192.168.2.3 . 80`). Ranges and prefixes make the map's data an interval
 * (nft's `maps to interval`).
 */
export type NatMapValue = string | readonly [string, number | string]

/**
 * `snat`/`dnat` to the value a map gives for a packet key: nft's
 * `snat to ip saddr map { 10.141.11.4 : 192.168.2.3 }` is
 * `{ stmt: 'snat', key: 'ip saddr', map: [['10.141.11.4', '192.168.2.3']] }`;
 * `map: { set: 'm' }` names a map of the table (`map @m`). With `prefix: true`
 * the map's prefixes translate prefix to prefix (nft's `snat ip prefix to`).
 * `family` is the translated family (needed in inet tables).
 */
export interface NatMapStmt {
  readonly stmt: 'snat' | 'dnat'
  readonly key: Selector | readonly Selector[]
  /**
   * The map; without one the key's value is the address itself (nft's
   * `dnat to numgen inc mod 2 offset 167772161`, numgen and hash keys only).
   */
  readonly map?: SetRef | ReadonlyArray<readonly [string | number | ReadonlyArray<string | number>, NatMapValue]>
  readonly family?: 'ip' | 'ip6'
  readonly prefix?: boolean
  /** NAT flags (nft's `random`, `persistent`, `fully-random`). */
  readonly flags?: readonly NatFlag[]
  readonly to?: undefined
}

/**
 * `dup to ADDR [device IF]` (ip, ip6 tables) or `dup to IF` (netdev tables):
 * sends a copy of the packet to an address (through a device) or out of a
 * device. The device is an interface name (resolved in the target network
 * namespace) or an index.
 */
export interface DupStmt {
  readonly stmt: 'dup'
  readonly to?: string
  readonly device?: string | number
}

/**
 * `fwd to IF` or `fwd ip|ip6 to ADDR device IF` (netdev tables): forwards the
 * packet out of a device (to a next-hop address).
 */
export interface FwdStmt {
  readonly stmt: 'fwd'
  readonly device: string | number
  readonly to?: string
  readonly family?: 'ip' | 'ip6'
}

/**
 * A NAT flag: `random` (randomised port mapping), `fully-random` (random
 * source port selection), `persistent` (same mapping for a client).
 */
export type NatFlag = 'random' | 'fully-random' | 'persistent'

/** `masquerade [to :PORT[-PORT]] [FLAGS]`. */
export interface MasqueradeStmt {
  readonly stmt: 'masquerade'
  readonly port?: number | string
  readonly flags?: readonly NatFlag[]
}

/**
 * `redirect [to :PORT[-PORT]] [FLAGS]`: destination NAT to the local machine.
 * A port needs a transport protocol match first (`tcp dport 80` or
 * `meta l4proto tcp`).
 */
export interface RedirectStmt {
  readonly stmt: 'redirect'
  readonly port?: number | string
  readonly flags?: readonly NatFlag[]
}

/**
 * `tproxy [ip|ip6] to ADDR`, `ADDR:PORT`, `[IPV6]:PORT` or `:PORT`:
 * transparent proxying to a local socket. nft requires a transport protocol
 * match first (`meta l4proto tcp`). In inet tables an address needs
 * `family`; a port alone may go without.
 */
export interface TproxyStmt {
  readonly stmt: 'tproxy'
  readonly to: string
  readonly family?: 'ip' | 'ip6'
}

/**
 * `synproxy [mss N] [wscale N] [timestamp] [sack-perm]`: answers TCP SYNs
 * with SYN cookies, advertising these options.
 */
export interface SynproxyStmt {
  readonly stmt: 'synproxy'
  readonly mss?: number
  readonly wscale?: number
  readonly timestamp?: boolean
  /** nft's `sack-perm`. */
  readonly sackPerm?: boolean
  readonly name?: undefined
}

/** `synproxy name "x"`: use the named synproxy object of the table. */
export interface SynproxyRefStmt {
  readonly stmt: 'synproxy'
  readonly name: string
}

/**
 * `tcp option maxseg size set VALUE|rt mtu` (TCP MSS clamping; usually after a
 * `{ match: 'tcp flags', value: 'syn' }` match, as nft writes it).
 */
export interface MssClampStmt {
  readonly stmt: 'tcp mss set'
  readonly value: number | 'rt mtu'
}

/**
 * A packet header write (nft's payload statement): `{ stmt: 'payload set', key:
 * 'ip ttl', value: 64 }` is `ip ttl set 64`, `{ stmt: 'payload set', key:
 * 'ip dscp', value: 'cs1' }` is `ip dscp set cs1`. The key is a header field
 * (ip, ip6, tcp, udp, ether, vlan, ...; not ct or meta keys), the value one
 * value of its type. As nft, the kernel updates the header's checksum (and
 * for addresses, the protocol and the length the transport checksum too).
 */
export interface PayloadSetStmt {
  readonly stmt: 'payload set'
  readonly key: Selector
  /** One value, or a value looked up in a map (`ip daddr set iifname map @m`). */
  readonly value: string | number | MapValue
}

/**
 * A raw payload statement, nft's `@BASE,OFFSET,LENGTH set VALUE`: writes an
 * unsigned integer (a number, or a `'0x...'` string for wide fields) into the
 * packet: `{ stmt: 'raw payload set', field: '@nh,8,8', value: 5 }` is
 * `@nh,8,8 set 0x5`. A field of part of a byte (`@ih,58,6`) is read, masked
 * and written back, which nft lists by the bytes it rewrites, as the field's
 * own value masked: `{ stmt: 'raw payload set', field: '@ih,48,16', value: { from:
 * '@ih,48,16', bits: [['&', 0xffc1], ['|', 0x1]] } }` is
 * `@ih,48,16 set @ih,48,16 & 0xffc1 | 0x1`. nft reads `@th,0,16` and
 * `@th,16,16` as `th sport` and `th dport`. Inner-header writes update the
 * transport checksum.
 */
export interface RawPayloadSetStmt {
  readonly stmt: 'raw payload set'
  readonly field: RawPayloadSelector | 'th sport' | 'th dport'
  readonly value: number | string | { readonly from: RawPayloadSelector | 'th sport' | 'th dport'; readonly bits: readonly BitwiseStep[] }
}

/**
 * Verdict map lookup: `ip daddr vmap @name` or an anonymous map
 * `{ key: 'ip daddr', map: [['10.0.0.1', 'accept'], ...] }`.
 */
export interface VmapStmt {
  readonly stmt: 'vmap'
  readonly key: Selector | readonly Selector[]
  readonly map: SetRef | ReadonlyArray<readonly [string | number | ReadonlyArray<string | number>, Verdict]>
  /**
   * Bitwise steps applied to a single selector key before the lookup, as in
   * matches (`tcp flags & (ack | urg) vmap { ack : jump a, urg : jump u }`);
   * anonymous maps only.
   */
  readonly bits?: readonly BitwiseStep[]
}

/**
 * `counter name tcp dport map { 443 : "c1", 80 : "c2" }` (also `quota`,
 * `limit` and `synproxy`): the named object to use, picked by a packet key
 * from an anonymous map of key to object name (keys may be ranges and
 * prefixes), or from a named object map (`{ set: 'm' }`, nft's `map @m`,
 * declared `type ipv4_addr : quota`).
 */
export interface ObjectMapStmt {
  readonly stmt: 'counter' | 'quota' | 'limit' | 'synproxy'
  readonly key: Selector | readonly Selector[]
  readonly map: SetRef | ReadonlyArray<readonly [string | number | ReadonlyArray<string | number>, string]>
  readonly name?: undefined
}

/**
 * One part of a set statement's key or value: a selector read from the packet
 * (`'ip saddr'`) or a constant (`{ value: 10002 }`, in the set's type).
 */
export type SetStmtPart = Selector | { readonly value: string | number }

/**
 * A set statement: adds, updates or deletes an element of a named set or map
 * from the packet. `{ stmt: 'set', op: 'add', set: 'seen', key: 'ip saddr', timeout: 30000 }`
 * is nft's `add @seen { ip saddr timeout 30s }`; `stmts` attach per-element
 * stateful statements (`update @s { ip saddr limit rate 10/second counter }`),
 * `data` is the value stored in a map (`update @m { ip saddr : tcp sport }`).
 */
export interface SetStmt {
  readonly stmt: 'set'
  readonly op: 'add' | 'update' | 'delete'
  /** The set or map name. */
  readonly set: string
  /** The element key: one part, or several for a concatenation. */
  readonly key: SetStmtPart | readonly SetStmtPart[]
  /** Element timeout in milliseconds (the set needs the timeout flag). */
  readonly timeout?: number
  /** Value stored in a map: one part, or several for a concatenation. */
  readonly data?: SetStmtPart | readonly SetStmtPart[]
  /** Stateful statements kept per element: `counter`, `limit`, `quota`. */
  readonly stmts?: readonly Statement[]
}

/**
 * `meter NAME size N { KEY [timeout T] STATEMENTS }`: a set statement on a
 * set of its own that the rule creates (nft's meters; `nft list ruleset`
 * shows the meter in the rule and not the set). Without a timeout nft adds
 * the element (`add`), with one it refreshes it (`update`).
 */
export interface MeterStmt {
  readonly stmt: 'meter'
  /** The meter's (set's) name. */
  readonly name: string
  /** Maximum number of entries (nft's default 65535). */
  readonly size?: number
  /** The entry key: selectors, several for a concatenation. */
  readonly key: Selector | readonly Selector[]
  /** Entry timeout in milliseconds (the meter's set gets the timeout flag). */
  readonly timeout?: number
  /** Stateful statements kept per entry: `limit`, `counter`, `quota`, `ct count`. */
  readonly stmts?: readonly Statement[]
}

/** Every statement. */
export type Statement =
  | CounterStmt
  | VerdictStmt
  | JumpStmt
  | BindingStmt
  | RejectStmt
  | CtMarkSetStmt
  | CtEventSetStmt
  | CtZoneSetStmt
  | CtLabelSetStmt
  | CtObjectSetStmt
  | CtObjectMapStmt
  | CtCountStmt
  | MetaMarkSetStmt
  | MetaSetStmt
  | NotrackStmt
  | LogStmt
  | LimitStmt
  | LimitRefStmt
  | QuotaStmt
  | QuotaRefStmt
  | ObjectMapStmt
  | NatStmt
  | NatMapStmt
  | DupStmt
  | FwdStmt
  | MasqueradeStmt
  | RedirectStmt
  | TproxyStmt
  | SynproxyStmt
  | SynproxyRefStmt
  | MssClampStmt
  | PayloadSetStmt
  | RawPayloadSetStmt
  | ResetTcpOptionStmt
  | VmapStmt
  | SetStmt
  | MeterStmt

/** One element of a rule: a match or a statement, in order. */
export type RuleExpr = Match | Statement
