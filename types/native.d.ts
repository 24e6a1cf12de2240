/**
 * The typed contract of the native addon (build/Release/nftkit.node).
 * Only lib/io/native.ts loads it; everything else receives it through
 * {@link NativeBinding}. Descriptors are flat, already validated and
 * normalised by the TypeScript layer (priorities are numbers, values are bytes).
 */

/** One kernel expression: its name and attributes (see native/core/expr_schema.cc). */
export interface NativeExpr {
  readonly type: string
  /** Nested expressions: the stateful statements of a dynset (set statement). */
  readonly [attr: string]: number | bigint | string | Uint8Array | readonly NativeExpr[] | undefined
}

/** One set element. */
export interface NativeElement {
  readonly key?: Uint8Array
  readonly keyEnd?: Uint8Array
  readonly flags?: number
  readonly timeout?: number | bigint
  readonly data?: Uint8Array
  readonly verdict?: number
  readonly chain?: string
  readonly objref?: string
  readonly userdata?: Uint8Array
  readonly exprs?: readonly NativeExpr[]
}

/** Operation verbs the native layer encodes. */
export type NativeVerb = 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'destroy' | 'flush'
/** Object kinds the native layer encodes. */
export type NativeKind = 'table' | 'chain' | 'rule' | 'set' | 'element' | 'object' | 'ruleset'

/** One operation of a batch. Fields not relevant to a kind are ignored. */
export interface NativeOp {
  readonly verb: NativeVerb
  readonly kind: NativeKind
  readonly family: number
  readonly table?: string
  readonly name?: string
  readonly chain?: string
  readonly set?: string
  readonly handle?: number | bigint
  readonly position?: number | bigint
  readonly flags?: number
  readonly hook?: number
  readonly priority?: number
  readonly type?: string
  readonly policy?: number
  readonly devices?: readonly string[]
  readonly userdata?: Uint8Array
  readonly id?: number
  readonly setId?: number
  /**
   * A chain binding (`jump { ... }`): on a chain op, the bound chain's id in
   * the batch (NFTA_CHAIN_ID; the op has no name and flags NFT_CHAIN_BINDING);
   * on a rule op, the id of the chain the rule goes to (NFTA_RULE_CHAIN_ID,
   * instead of `chain`).
   */
  readonly chainId?: number
  readonly keyType?: number
  /** A set's key length in bytes; for packed elements, the size of each key in `packedKeys`. */
  readonly keyLen?: number
  readonly dataType?: number
  readonly dataLen?: number
  readonly objType?: number
  readonly setPolicy?: number
  readonly timeout?: number | bigint
  readonly gcInterval?: number
  readonly size?: number
  readonly concat?: readonly number[]
  readonly exprs?: readonly NativeExpr[]
  readonly elements?: readonly NativeElement[]
  /** Plain elements packed: fixed-size keys back to back (see `keyLen`). */
  readonly packedKeys?: Uint8Array
  /** One flags byte per packed key (e.g. 1 = interval end). */
  readonly packedFlags?: Uint8Array
  /** Ask the kernel to echo the created object so its handle comes back. */
  readonly echo?: boolean
  /** Named object attributes (counter packets/bytes, quota, limit). */
  readonly packets?: number | bigint
  readonly bytes?: number | bigint
}

/** A kernel error for one message of a batch. */
export interface NativeOpError {
  readonly errno: number
  /** Not sent by the addon: the library names errnos itself (`errnoName`); ignored if given. */
  readonly code?: string
  /** Index of the operation in the ops array, -1 for the batch itself. */
  readonly index: number
  readonly msgType: number
  readonly extMessage?: string
  readonly extOffset?: number
}

/** What a commit returns. `ok` is false when any error was reported. */
export interface NativeCommitResult {
  readonly ok: boolean
  /** Netlink messages in the batch, BEGIN and END included. */
  readonly messages: number
  readonly bytes: number
  /** [operation index, handle] for every echoed object (absent when there are none). */
  readonly handles?: ReadonlyArray<readonly [number, number | bigint]>
  /** The kernel's refusals (absent when there are none). */
  readonly errors?: readonly NativeOpError[]
}

/** A decoded kernel object from a dump. Field names follow {@link NativeOp}. */
export interface NativeRecord {
  readonly kind: 'table' | 'chain' | 'set' | 'rule' | 'object'
  readonly family: number
  readonly table: string
  readonly name?: string
  readonly chain?: string
  readonly handle: number | bigint
  readonly [field: string]: unknown
}

/**
 * Set records carry their elements either as `elements` (records) or, when
 * every element is only a key and flags, packed as `elementKeys` (keys back to
 * back, `elementKeyLen` bytes each) and `elementFlags` (one byte each).
 */
export interface NativePackedElements {
  readonly elementKeys: Uint8Array
  readonly elementKeyLen: number
  readonly elementFlags: Uint8Array
}

/** A decoded set element from a dump. */
export interface NativeElementRecord {
  readonly key?: Uint8Array
  readonly keyEnd?: Uint8Array
  readonly flags?: number
  readonly verdict?: number
  readonly chain?: string
  readonly data?: Uint8Array
  readonly userdata?: Uint8Array
  readonly timeout?: number
  readonly expiration?: number
  readonly objref?: string
  readonly exprs?: ReadonlyArray<Record<string, unknown>>
}

/** What a dump returns: a consistent snapshot at generation `genId`. */
export interface NativeDump {
  readonly genId: number
  readonly tables: readonly NativeRecord[]
  readonly chains: readonly NativeRecord[]
  readonly sets: readonly NativeRecord[]
  readonly rules: readonly NativeRecord[]
  readonly objects: readonly NativeRecord[]
}

/** What to dump. */
export interface NativeDumpRequest {
  /** NFPROTO number; 0 (default) = every family. */
  readonly family?: number
  /** Only this table (in every requested family). */
  readonly table?: string
  /** Read set elements too (default true). */
  readonly elements?: boolean
  /** Reset rule counters while reading them (kernel >= 6.4). */
  readonly reset?: boolean
}

/**
 * What a commit answers: the full result, or for the common success (applied,
 * no handles echoed) one number, `bytes * 2 ** 21 + messages`, so that nothing
 * is allocated for it.
 */
export type NativeCommitReturn = NativeCommitResult | number

/**
 * One NETLINK_NETFILTER socket. One call at a time: a second call while a
 * promise is pending throws EBUSY.
 */
export interface NativeSocket {
  /**
   * Sends one batch: `batch` is the operations in the wire format of lib/wire.ts
   * (`encodeOps`); `genId` binds it to that generation (the kernel answers
   * ERESTART if the ruleset moved since).
   */
  commitSync(batch: Uint8Array, genId?: number): NativeCommitReturn
  /** {@link NativeSocket.commitSync} on a worker thread; the batch is read before this returns. */
  commit(batch: Uint8Array, genId?: number): Promise<NativeCommitReturn>
  dumpSync(req?: NativeDumpRequest): NativeDump
  dump(req?: NativeDumpRequest): Promise<NativeDump>
  getGenSync(): number
  close(): void
  readonly closed: boolean
  readonly busy: boolean
  /** Netlink port id of the socket; notifications of batches it committed carry it. */
  readonly portId: number
  /**
   * Sockets in this socket's namespace subscribed to nf_tables notifications
   * (`nft monitor`, a Monitor), read from that namespace's /proc/net/netlink;
   * -1 when unknown. Optional for bindings supplied by tests.
   */
  listeners?(): number
  /**
   * Figures of the last commit, updated in place (one array per socket, so
   * reading them costs no call): `[0]` is the microseconds from sending the
   * batch to its final reply, the kernel's share; 0 before any.
   */
  readonly stats: Float64Array
}

/** A change to one object, as the monitor parsed its notification. */
export interface NativeObjectEvent {
  readonly type: 'table' | 'chain' | 'rule' | 'set' | 'element' | 'object' | 'flowtable'
  /** A NEW* notification, or a DEL* (DESTROY*) one. */
  readonly op: 'new' | 'del'
  /** NFPROTO number. */
  readonly family: number
  readonly table: string
  /** Table, chain, set, object and flowtable events: the object's name. */
  readonly name?: string
  /** Rule events: the rule's chain. */
  readonly chain?: string
  /** Element events: the elements' set. */
  readonly set?: string
  /** Kernel handle (not for elements). */
  readonly handle?: number | bigint
  /** Element events: how many elements (consecutive notifications for one set are merged). */
  readonly elements?: number
  /** Object events: NFT_OBJECT_* type. */
  readonly objType?: number
  /** Netlink port id of the socket whose batch made the change. */
  readonly portId: number
}

/** NFT_MSG_NEWGEN: a batch was committed; sent after the batch's object notifications. */
export interface NativeGenEvent {
  readonly type: 'gen'
  readonly op: 'new'
  /** The generation the batch produced (what GETGEN reports from now on). */
  readonly genId: number
  /** The committing task as the kernel saw it: a thread id (= the process id for single-threaded committers). */
  readonly pid: number
  /** The committing task's name (comm). */
  readonly procName: string
  /** Netlink port id of the committing socket. */
  readonly portId: number
}

/** What the monitor reports, in kernel order. */
export type NativeMonitorEvent =
  | NativeObjectEvent
  | NativeGenEvent
  /** The receive queue overflowed (or events piled up unread): notifications were lost. */
  | { readonly type: 'overrun' }
  /** Receiving failed; the monitor thread has stopped. */
  | { readonly type: 'error'; readonly error: Error & { readonly errno: number; readonly code?: string } }

/** Options of a native monitor. */
export interface NativeMonitorOptions {
  /** Socket receive buffer in bytes (forced past rmem_max when privileged). Default: the system default. */
  readonly receiveBuffer?: number
}

/**
 * A socket subscribed to NFNLGRP_NFTABLES, read by a background thread.
 * `onEvents` runs on the JS thread with every event received since its last
 * call (never an empty array). Keeps the process alive until closed or unref'd.
 */
export interface NativeMonitor {
  /** Stops the thread and closes the socket; no call of onEvents follows. Idempotent. */
  close(): void
  /** Keep the process alive while open (the default). */
  ref(): void
  /** Let the process exit while the monitor is open. */
  unref(): void
  readonly closed: boolean
  /** Netlink port id of the monitor's own socket. */
  readonly portId: number
}

/** The addon's exports. */
export interface NativeBinding {
  /** Opens a socket, in the namespace of the given file (/run/netns/x, /proc/PID/ns/net) or the current one. */
  Socket: new (netnsPath?: string) => NativeSocket
  /** Opens a change monitor in the namespace of the given file, or the current one. */
  Monitor: new (
    netnsPath: string | undefined,
    onEvents: (events: NativeMonitorEvent[]) => void,
    opts?: NativeMonitorOptions,
  ) => NativeMonitor
  /** The netlink bytes of an encoded batch (for debugging); sequence numbers start at 1. */
  encode(batch: Uint8Array, genId?: number): Buffer
  /**
   * The operations of an encoded batch as the addon's reader (native/core/wire.cc)
   * decoded them, in {@link NativeOp}'s field names, for tests: kinds and verbs as
   * their codes, expression and object attributes by name, numbers above 2^53 as
   * bigints, a field the reader keeps without a presence flag (table, priority,
   * keyLen, ...) only when not empty or 0. Not in the Fake.
   */
  readBatch?(batch: Uint8Array): Record<string, unknown>[]
  /**
   * The network interfaces of the namespace of the given file (or the current
   * one) as `[index, name]` pairs, read with if_nameindex(3) inside it. Not in
   * every binding (the Fake has none): names then cannot be resolved.
   */
  interfaces?(netnsPath?: string): Array<[number, string]>
}
