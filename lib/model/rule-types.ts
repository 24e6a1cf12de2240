/**
 * Rule expressions as plain data in nft's vocabulary: matches
 * (`{ match: 'ip saddr', value: '10.0.0.0/8' }`) and statements
 * (`{ stmt: 'counter' }`, `{ stmt: 'accept' }`).
 * @module
 */

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
  | 'meta iiftype'
  | 'ct state'
  | 'ct status'
  | 'ct mark'
  | 'ether saddr'
  | 'ether daddr'
  | 'ip length'
  | 'ip id'
  | 'ip frag-off'
  | 'ip ttl'
  | 'ip checksum'
  | 'ip6 length'
  | 'ip6 hoplimit'
  | 'tcp sequence'
  | 'tcp ackseq'
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
  | 'ah nexthdr'
  | 'ah hdrlength'
  | 'ah reserved'
  | 'ah spi'
  | 'ah sequence'
  | 'esp spi'
  | 'esp sequence'
  | 'comp nexthdr'
  | 'comp cpi'
  | 'icmp checksum'
  | 'icmpv6 checksum'
  | 'ether type'
  | 'meta length'
  | 'meta cpu'
  | 'meta cgroup'
  | 'meta random'
  | 'meta skuid'
  | 'meta skgid'
  | 'meta pkttype'
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
 * For flag selectors the value names the bits: `'syn'`, `['syn', 'ack']` and
 * `'syn | ack'` are the same mask. A set lookup (`{ elements }`, `{ set }`)
 * takes `'=='`/`'!='` only.
 */
export type MatchOp = '==' | '!=' | 'in' | '!'

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
  | ReadonlyArray<string | number | ReadonlyArray<string | number>>
  | SetRef
  | AnonymousSet

/**
 * An explicit anonymous set: `{ elements: ['established', 'related'] }` is nft's
 * `ct state { established, related }` (a set lookup). For most selectors a plain
 * array means the same; for flag selectors (ct state, ct status) a plain array
 * is nft's `established,related` (a bit test), so the set form needs this.
 */
export interface AnonymousSet {
  readonly elements: ReadonlyArray<string | number | ReadonlyArray<string | number>>
}

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

/** `ct mark set VALUE`. */
export interface CtMarkSetStmt {
  readonly stmt: 'ct mark set'
  readonly value: number
}

/** `meta mark set VALUE` or `meta mark set ct mark`. */
export interface MetaMarkSetStmt {
  readonly stmt: 'meta mark set'
  readonly value: number | 'ct mark'
}

/** `notrack`. */
export interface NotrackStmt {
  readonly stmt: 'notrack'
}

/** `log [prefix "..."] [level L]`. */
export interface LogStmt {
  readonly stmt: 'log'
  readonly prefix?: string
  readonly level?: 'emerg' | 'alert' | 'crit' | 'err' | 'warn' | 'notice' | 'info' | 'debug' | 'audit'
}

/** `limit rate [over] N/UNIT [burst B packets]`. */
export interface LimitStmt {
  readonly stmt: 'limit'
  readonly rate: number
  readonly per: 'second' | 'minute' | 'hour' | 'day' | 'week'
  readonly burst?: number
  /** Match when the rate is exceeded instead of under it. */
  readonly over?: boolean
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
  readonly to: string
  readonly prefix?: boolean
  readonly family?: 'ip' | 'ip6'
}

/** `masquerade [to :PORT[-PORT]]`. */
export interface MasqueradeStmt {
  readonly stmt: 'masquerade'
  readonly port?: number | string
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
 * Verdict map lookup: `ip daddr vmap @name` or an anonymous map
 * `{ key: 'ip daddr', map: [['10.0.0.1', 'accept'], ...] }`.
 */
export interface VmapStmt {
  readonly stmt: 'vmap'
  readonly key: Selector | readonly Selector[]
  readonly map: SetRef | ReadonlyArray<readonly [string | number | ReadonlyArray<string | number>, Verdict]>
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

/** Every statement. */
export type Statement =
  | CounterStmt
  | VerdictStmt
  | JumpStmt
  | RejectStmt
  | CtMarkSetStmt
  | MetaMarkSetStmt
  | NotrackStmt
  | LogStmt
  | LimitStmt
  | NatStmt
  | MasqueradeStmt
  | MssClampStmt
  | VmapStmt
  | SetStmt

/** One element of a rule: a match or a statement, in order. */
export type RuleExpr = Match | Statement
