/**
 * The object model: plain data in nft's vocabulary, discriminated by `kind`.
 * `family` and `table` default from the client or transaction.
 * @module
 */
import type { ChainType, Family, Hook, NamedPriority, Policy } from '../kernel/constants.js'
import type { KeyTypeName } from '../kernel/datatypes.js'
import type { Element, ObjectMapType } from './element-types.js'
import type { RuleExpr, Selector, SetStatefulStmt } from './rule-types.js'

/** Table flags. `owner` and `persist` need kernel >= 5.12 / 6.9. */
export type TableFlag = 'dormant' | 'owner' | 'persist'

/** A table. */
export interface Table {
  readonly kind: 'table'
  readonly family?: Family
  /** Defaults to the transaction's table. */
  readonly name?: string
  readonly flags?: readonly TableFlag[]
  /** Requires kernel >= 5.10 (table comments). */
  readonly comment?: string
  /** Kernel handle (read back; or to delete by handle). */
  readonly handle?: number
}

/**
 * A chain priority: a number, a named priority (`'filter'`) or a named priority
 * with an offset (`'srcnat - 1'`, `'filter + 10'`).
 */
export type Priority = number | NamedPriority | `${NamedPriority} ${'+' | '-'} ${number}`

/** A chain. With `hook` it is a base chain (type, hook and priority required). */
export interface Chain {
  readonly kind: 'chain'
  readonly family?: Family
  readonly table?: string
  readonly name: string
  readonly type?: ChainType
  readonly hook?: Hook
  readonly priority?: Priority
  /** Base chains only; default accept. */
  readonly policy?: Policy
  /** Devices for ingress/egress hooks (netdev family; inet ingress). */
  readonly devices?: readonly string[]
  /** Requires kernel >= 5.10 (chain comments). */
  readonly comment?: string
  readonly handle?: number
}

/** A rule: matches and statements in order. */
export interface Rule {
  readonly kind: 'rule'
  readonly family?: Family
  readonly table?: string
  readonly chain: string
  readonly exprs: readonly RuleExpr[]
  readonly comment?: string
  /** Required for replace and delete; set when read back. */
  readonly handle?: number
  /** For add (after) and insert (before). Without it, add appends and insert prepends. */
  readonly position?: number
}

/** Set flags nft accepts in declarations. */
export type SetFlag = 'interval' | 'timeout' | 'constant' | 'dynamic'

/**
 * A key type: one type, or several for a concatenation. `'integer'` is nft's
 * integer of a `typeof` selector (`typeof vlan id`, `typeof ct bytes`): its
 * size and byte order are the selector's, so it needs `typeof`.
 */
export type KeyType = KeyTypeName | 'integer' | readonly (KeyTypeName | 'integer')[]

export type { SetStatefulStmt } from './rule-types.js'

/** What named sets and maps declare alike. */
export interface SetDeclaration {
  readonly family?: Family
  readonly table?: string
  readonly name: string
  /** Key type; several for a concatenation. */
  readonly type: KeyType
  /**
   * The selectors the key is declared with, as nft's `typeof ip saddr . tcp dport`
   * (nft then lists the set with `typeof`). `type` must be their types.
   */
  readonly typeof?: Selector | readonly Selector[]
  readonly flags?: readonly SetFlag[]
  /** Default element timeout in milliseconds (needs the timeout flag). */
  readonly timeout?: number
  /** Garbage collection interval in milliseconds. */
  readonly gcInterval?: number
  /** Maximum number of elements. */
  readonly size?: number
  readonly policy?: 'performance' | 'memory'
  /** Attach a counter to every element (nft's `counter` in a set declaration). */
  readonly counter?: boolean
  /**
   * Stateful statements every element gets, at most two, in order (nft's
   * `limit rate 1/second; counter;` in a set declaration). A counter alone is
   * written `counter: true` instead.
   */
  readonly stmts?: readonly SetStatefulStmt[]
  /** Merge adjacent and overlapping elements of an interval set (nft's `auto-merge`). */
  readonly autoMerge?: boolean
  readonly comment?: string
  /** Initial elements (added in the same batch). */
  readonly elements?: readonly Element[]
  readonly handle?: number
}

/** A named set. */
export interface NamedSet extends SetDeclaration {
  readonly kind: 'set'
}

/** A named map: a set whose elements carry values (`'verdict'` for verdict maps). */
export interface NamedMap extends SetDeclaration {
  readonly kind: 'map'
  /**
   * The value type; `'integer'` needs `mapTypeof` (its size and byte order are the selector's).
   * Several types for a concatenation (nft's `type ipv4_addr : ipv4_addr . inet_service`):
   * element values are then arrays of one value per type.
   */
  readonly map: KeyTypeName | 'integer' | 'verdict' | ObjectMapType | readonly (KeyTypeName | 'integer')[]
  /**
   * Values are ranges or prefixes (nft's `type ipv4_addr : interval ipv4_addr . inet_service`,
   * NAT targets such as `10.0.0.1-10.0.0.3 . 8000-8999`).
   */
  readonly mapInterval?: boolean
  /**
   * With `typeof`: the selector(s) the value is declared with (nft's
   * `typeof ip saddr : meta mark`); verdict maps leave it out.
   */
  readonly mapTypeof?: Selector | readonly Selector[]
}

/** Elements of a named set or map, for add/delete/destroy. */
export interface Elements {
  readonly kind: 'element'
  readonly family?: Family
  readonly table?: string
  /** The set or map name. */
  readonly set: string
  readonly elements: readonly Element[]
}

/** A named counter object. */
export interface Counter {
  readonly kind: 'counter'
  readonly family?: Family
  readonly table?: string
  readonly name: string
  readonly packets?: number
  readonly bytes?: number
  readonly comment?: string
  readonly handle?: number
}

/**
 * A named quota object: `quota q { over 25 mbytes }` is
 * `{ kind: 'quota', name: 'q', bytes: 26214400, over: true }` (fields as in
 * the `quota` statement; rules use it with `{ stmt: 'quota', name: 'q' }`).
 */
export interface Quota {
  readonly kind: 'quota'
  readonly family?: Family
  readonly table?: string
  readonly name: string
  /** The quota in bytes. */
  readonly bytes: number
  /** Match after the quota is used up instead of until then. */
  readonly over?: boolean
  /** Bytes already used (the kernel counts on from here). */
  readonly used?: number
  readonly comment?: string
  readonly handle?: number
}

/**
 * A conntrack helper object, nft's `ct helper NAME { type "ftp" protocol tcp; l3proto ip; }`:
 * rules attach it with `ct helper set "NAME"`.
 */
export interface CtHelper {
  readonly kind: 'ct helper'
  readonly family?: Family
  readonly table?: string
  readonly name: string
  /** The kernel's helper (`ftp`, `sip`, `tftp`, ...), 1-15 bytes. */
  readonly type: string
  readonly protocol: 'tcp' | 'udp'
  /** Network protocol; omitted, the kernel takes the table's family (`inet` in inet tables). */
  readonly l3proto?: 'ip' | 'ip6' | 'inet'
  readonly comment?: string
  readonly handle?: number
}

/**
 * A named limit object: `limit l { rate 400/minute }` is
 * `{ kind: 'limit', name: 'l', rate: 400, per: 'minute' }` (fields as in the
 * `limit` statement; rules use it with `{ stmt: 'limit', name: 'l' }`).
 */
export interface Limit {
  readonly kind: 'limit'
  readonly family?: Family
  readonly table?: string
  readonly name: string
  /** Packets per `per`, or bytes with `bytes: true`. */
  readonly rate: number
  readonly per: 'second' | 'minute' | 'hour' | 'day' | 'week'
  /** Count bytes instead of packets. */
  readonly bytes?: boolean
  /** Default 5 packets, or 0 bytes. */
  readonly burst?: number
  readonly over?: boolean
  readonly comment?: string
  readonly handle?: number
}

/**
 * A named synproxy object, nft's `synproxy s { mss 1460; wscale 7; timestamp sack-perm; }`
 * (fields as in the `synproxy` statement): rules use it with
 * `{ stmt: 'synproxy', name: 's' }` or pick one from an object map.
 */
export interface Synproxy {
  readonly kind: 'synproxy'
  readonly family?: Family
  readonly table?: string
  readonly name: string
  /** The MSS advertised to the client (0-65535). */
  readonly mss?: number
  /** The window scale advertised to the client (0-14). */
  readonly wscale?: number
  readonly timestamp?: boolean
  /** nft's `sack-perm`. */
  readonly sackPerm?: boolean
  readonly comment?: string
  readonly handle?: number
}

/**
 * A conntrack expectation object, nft's
 * `ct expectation NAME { protocol tcp; dport 1234; timeout 2m; size 12; l3proto ip; }`:
 * rules attach it with `ct expectation set "NAME"`.
 */
export interface CtExpectation {
  readonly kind: 'ct expectation'
  readonly family?: Family
  readonly table?: string
  readonly name: string
  /** Transport protocol of the expected connection (`tcp`, `udp`, ... or a number). */
  readonly protocol: string | number
  /** Destination port of the expected connection. */
  readonly dport: number
  /** How long the expectation lives, in milliseconds. */
  readonly timeout: number
  /** Maximum number of expectations (0-255). */
  readonly size: number
  /** Network protocol; omitted, the kernel takes the table's family (required in inet tables). */
  readonly l3proto?: 'ip' | 'ip6'
  readonly comment?: string
  readonly handle?: number
}

/** The whole ruleset (for flush). */
export interface Ruleset {
  readonly kind: 'ruleset'
  /** Only this family's tables; all families when omitted. */
  readonly family?: Family
}

/** Every object kind. */
export type NftObject = Table | Chain | Rule | NamedSet | NamedMap | Elements | Counter | Quota | Limit | Synproxy | CtHelper | CtExpectation | Ruleset

/** Object kinds. */
export type ObjectKind = NftObject['kind']
