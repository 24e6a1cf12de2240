/**
 * The client: one long-lived netlink connection in a network namespace, with
 * commit (one atomic batch) and list (a consistent snapshot), async and sync.
 * @module
 */
import { type InterfaceNames, interfaceNames } from '../model/interfaces.js'
import { existsSync, statSync } from 'node:fs'
// The timers module's own function: a test that installs fake timers on the
// global object does not take over the background warm-up's slices.
import { setTimeout as realSetTimeout } from 'node:timers'
import { type Family, FAMILY_NUMBER } from '../kernel/constants.js'
import { errnoName, explain, messageName, NftError, invalid, readOptions } from '../kernel/errors.js'
import { decodeListing, type Listing, setShapeOf } from './listing.js'
import { missingObject } from './missing.js'
import { loadBinding } from './native.js'
import type { NftObject } from '../model/objects.js'
import { CHECKED_OPTIONS, Transaction, type TransactionOptions } from '../batch/transaction.js'
import type { PreparedBatch } from '../batch/prepared.js'
import type { KnownSet, Operation } from '../model/operations.js'
import { checkFamily, checkName } from '../model/validate.js'
import { isAnonymousSetName, setKey, setKeyPrefix } from '../model/names.js'
import { encodeOps } from '../batch/wire.js'
import { DATATYPES } from '../kernel/datatypes.js'
import type { Element, SetShape } from '../model/element-types.js'
import { type ElementCommitResult, type ElementVerb, ElementWriter } from './element-writer.js'
import type { NativeBinding, NativeCommitResult, NativeCommitReturn, NativeDump, NativeOp, NativeSocket } from '../../types/native.js'

/** The addon's compact success answer is bytes * COUNT_SPLIT + messages (see NativeCommitReturn). */
const COUNT_SPLIT = 2 ** 21

/** Where to connect. */
export interface ClientOptions {
  /**
   * Network namespace: a name under /run/netns (`'gw'`), a path to a namespace
   * file (`'/proc/123/ns/net'`), or a pid. Default: the current namespace.
   */
  readonly netns?: string | number
  /** Default family for objects that do not name one. Default `inet`. */
  readonly family?: Family
  /** Default table for objects that do not name one. */
  readonly table?: string
  /** Supply the native binding (tests, bundlers). */
  readonly binding?: NativeBinding
  /**
   * `commit()` runs a batch on the calling thread, instead of a worker, when it
   * only changes a few elements (at most 64) and rules (at most 16) of sets and
   * chains whose last such change took the kernel at most this many
   * microseconds; 0 always uses the worker. Handing a batch to a worker and
   * its result back costs about 35 µs of wake-ups, more than the kernel needs
   * for a small change to most sets, so this is the same trade libuv makes
   * when it tries a socket write before queueing it. A set or chain whose
   * changes turn slow (a large interval set) goes back to the worker after one
   * measured commit. Default 500: after the process was idle, the hand-off
   * wakes a sleeping pool thread and the event loop again, which cost 0.5-3 ms
   * per commit in bench W7 (sporadic updates), far more than blocking for a
   * small change.
   */
  readonly inlineCommitBudgetUs?: number
  /**
   * Receives warnings about a batch (code `NFTKIT_LISTENER_MEMORY`: a large
   * batch while something listens to nf_tables notifications, see
   * {@link LISTENER_WARN_ELEMENTS}). Default: `process.emitWarning`.
   */
  readonly onWarning?: (message: string, code: string) => void
  /**
   * Running the code of small commits before the first real ones
   * ({@link Client.warmUp}), so that a controller's first changes and the
   * changes it makes now and then do not run cold code:
   * - `'background'` (the default, unless `binding` is given): once per
   *   process, in slices of 1-3 ms (10-15 ms for the first ones, on cold
   *   code) on the event loop while it is
   *   idle (an unref'd timer: it keeps no process alive), by the first client
   *   made; it stops if that client is closed (the next client made takes it
   *   up) and waits while the client has async calls in flight. A process that
   *   only blocks (sync calls, never idle) never runs it.
   * - `true` or a number of rounds: now, before the constructor returns
   *   (150-200 ms for the default 1500 rounds).
   * - `false` (the default with a supplied `binding`): never. The CLI's
   *   one-shot commands use this.
   *
   * Bench W7 (one change every 50 ms, bench/README.md, three rounds pooled):
   * p50 363 µs with the background warm-up against 446 µs with none, beside
   * a 236 µs C floor.
   */
  readonly warmUp?: boolean | number | 'background'
}

/**
 * Live examples of the short-lived objects a commit makes (a transaction of
 * each kind the warm-up runs, its prepared batch and operations, the element
 * writers), kept from the warm-up. Optimised code checks the hidden classes of
 * such objects and holds those classes weakly, and the objects only live for
 * one commit: a full garbage collection between two commits (a controller's
 * idle time) freed the classes and deoptimised the whole commit path, which
 * then ran on slower code for thousands of commits (bench: an empty commit
 * took 7.4 µs for the first 3000 after a gc() against 6.2 µs). Held by the
 * client that ran the warm-up, per slot, until it is closed.
 */
let liveExamples: { owner: Client; slots: Map<string, unknown> } | undefined

/** Rounds of {@link Client.warmUp} by default, and of the background warm-up. */
const WARM_UP_ROUNDS = 1500
/** Rounds per background slice (1-3 ms once the code is warm; the first slices, on cold code, 10-15 ms). */
const WARM_UP_SLICE = 20
/**
 * The process's warm-up: V8 optimises code per process (per worker thread),
 * so one is enough for every client. `warming`: a client runs it in the
 * background; `warm`: done (or given up after an error).
 */
let processWarmUp: 'cold' | 'warming' | 'warm' = 'cold'

/**
 * A batch with at least this many elements is checked for nf_tables
 * listeners in the client's namespace first. While anything listens (`nft
 * monitor`, `nftkit watch`, a Monitor), the kernel builds one notification per
 * element and holds them all until the commit ends: about 4-7 KiB per
 * element, so 10 000 elements take 40-70 MB of kernel memory for the length of
 * the commit and 100 000 about 0.3-0.7 GB (measured: docs/architecture.md,
 * "Large batches while something listens"). The batch
 * is still sent whole (splitting it would give up atomicity); the client warns.
 */
export const LISTENER_WARN_ELEMENTS = 10_000

/** Options of a commit. */
export interface CommitOptions {
  /**
   * Generation id the transaction was planned from (from `list()`): the kernel
   * refuses the batch with ERESTART if the ruleset changed since.
   */
  readonly genId?: number
  /** Ask the kernel for the handles of created objects (default true). */
  readonly handles?: boolean
}

/** What a successful commit returns. */
export interface CommitResult {
  /** Handle of the object created by each operation (undefined where none). */
  readonly handles: ReadonlyArray<number | undefined>
  /** Netlink messages in the batch, BEGIN and END included. */
  readonly messages: number
  /** Size of the batch in bytes. */
  readonly bytes: number
}

/** What to list. */
export interface ListOptions {
  /** Only this family. */
  readonly family?: Family
  /** Only tables with this name. */
  readonly table?: string
  /** Read set elements (default true). */
  readonly elements?: boolean
}

const ECHO_KINDS = new Set(['table', 'chain', 'rule', 'set', 'object'])

/** Operations whose kernel time the client learns per set or chain, for inline commits: elements, and rules of named chains. */
function costed(o: NativeOp): boolean {
  return o.kind === 'element' || (o.kind === 'rule' && o.chain !== undefined && o.chainId === undefined)
}

/** Where the client keeps that time: per set for elements, per chain for rules (`rule ` first: a chain and a set may share a name). */
function costKey(kind: string, family: number, table: string | undefined, name: string | undefined): string {
  return kind === 'rule' ? `rule ${setKey(family, table, name)}` : setKey(family, table, name)
}

/** Operations whose created object's handle is asked for (not anonymous sets, not bound chains or their rules). */
function wantsEcho(o: NativeOp): boolean {
  return ECHO_KINDS.has(o.kind) && (o.verb === 'add' || o.verb === 'create' || o.verb === 'insert' || o.verb === 'replace') && !isAnonymousSetName(String(o.name ?? '')) && o.chainId === undefined
}

/** Turns a netns option into a namespace file path. */
export function netnsPath(netns: string | number | undefined): string | undefined {
  if (netns === undefined) return undefined
  if (typeof netns === 'number') {
    if (!Number.isInteger(netns) || netns <= 0) invalid('options.netns', 'Expected a pid (positive integer)', netns)
    const path = `/proc/${netns}/ns/net`
    if (!existsSync(`/proc/${netns}`)) invalid('options.netns', `Expected the pid of a running process (${path} does not exist)`, netns)
    checkNamespaceFile(path, netns)
    return path
  }
  if (typeof netns !== 'string' || netns.length === 0) invalid('options.netns', 'Expected a namespace name, path or pid', netns)
  const path = netns.includes('/') ? netns : `/run/netns/${netns}`
  checkNamespaceFile(path, netns)
  return path
}

/** A namespace file that cannot be opened: missing, or not readable by this process (say which). */
function checkNamespaceFile(path: string, netns: string | number): void {
  try {
    statSync(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EACCES' || code === 'EPERM')
      invalid('options.netns', `Expected a network namespace this process may join (${path}: permission denied; joining another namespace needs CAP_SYS_ADMIN, changing its firewall CAP_NET_ADMIN in it)`, netns)
    invalid('options.netns', `Expected an existing network namespace (${path} does not exist)`, netns)
  }
}

function label(op: Operation): string {
  const o = op.object as Record<string, unknown> & { kind: string }
  const fam = (o.family as string | undefined) ?? 'inet'
  switch (o.kind) {
    case 'ruleset':
      return 'ruleset'
    case 'table':
      return `table ${fam}/${o.name}`
    case 'chain':
      return `chain ${fam}/${o.table}/${o.name}`
    case 'rule':
      return `rule in chain ${fam}/${o.table}/${o.chain}${o.handle !== undefined ? ` (handle ${o.handle})` : ''}`
    case 'element':
      return `elements of set ${fam}/${o.table}/${o.set}`
    default:
      return `${o.kind} ${fam}/${o.table}/${o.name}`
  }
}

/** Builds the error of a failed batch: the first failure, with the rest in `others`. */
function commitError(res: NativeCommitResult, ops: readonly Operation[], owner: readonly number[] | undefined): NftError {
  const errors = (res.errors ?? []).map((e) => {
    const i = e.index < 0 ? undefined : owner ? owner[e.index] : e.index < ops.length ? e.index : undefined
    const op = i !== undefined ? ops[i] : undefined
    const code = errnoName(e.errno)
    const what = op ? `${op.verb} ${label(op)}` : e.index === -1 && code === 'ERESTART' ? 'commit' : 'batch'
    const reason = explain(code, op?.verb ?? '', op?.object.kind ?? '')
    const ext = e.extMessage ? ` (kernel: ${e.extMessage})` : ''
    return new NftError({
      errno: e.errno,
      code,
      message: `${what}: ${reason} [${code}]${ext}`,
      op: messageName(e.msgType),
      index: i,
      object: op?.object as NftObject | undefined,
      verb: op?.verb,
      extMessage: e.extMessage,
    })
  })
  if (errors.length === 0)
    errors.push(new NftError({ errno: 5, code: 'EIO', message: 'commit: the kernel did not acknowledge the batch [EIO]' }))
  const [first, ...others] = errors
  const err = new NftError({ ...first, message: first.message + (others.length ? ` (+${others.length} more)` : ''), errno: first.errno, code: first.code, others })
  return err
}

/** What a refused system call needed: the same words for list and commit, CAP_SYS_ADMIN for joining a namespace. */
function permissionText(what: string): string {
  if (what.startsWith('open netlink socket in ')) return 'joining another network namespace needs CAP_SYS_ADMIN (and CAP_NET_ADMIN in it to change its firewall)'
  return explain('EPERM', '', '')
}

/** Wraps an error thrown by the addon (system call failure, busy socket). */
function systemError(e: unknown, what: string): unknown {
  if (e instanceof Error && typeof (e as { errno?: unknown }).errno === 'number') {
    const x = e as Error & { errno: number }
    const code = errnoName(x.errno)
    const msg =
      code === 'EBUSY'
        ? `${what}: connection busy: another commit or list is in flight (await it first)`
        : code === 'EPERM' || code === 'EACCES'
          ? `${what}: ${permissionText(what)} [${code}]`
          : `${what}: ${x.message} [${code}]`
    return new NftError({ errno: x.errno, code, message: msg })
  }
  return e
}

/**
 * A connection to nftables in one network namespace.
 *
 * Async calls on one client are queued and run one at a time; a `*Sync` call
 * while an async one is in flight throws EBUSY.
 */
export class Client {
  /** Default family. */
  readonly family: Family
  /** Default table. */
  readonly table?: string
  /** The namespace file this client is bound to (undefined: the namespace it was created in). */
  readonly netnsPath?: string
  readonly #sock: NativeSocket
  readonly #sets = new Map<string, KnownSet>()
  /** The last set looked up (a controller updates the same set over and over); cleared when #sets changes. */
  #lastSet: { f: string; t: string; n: string; v: KnownSet | undefined } | undefined
  readonly #resolveSet = (f: string, t: string, n: string): KnownSet | undefined => {
    const m = this.#lastSet
    if (m !== undefined && m.n === n && m.t === t && m.f === f) return m.v
    const v = this.#sets.get(setKey(f, t, n))
    this.#lastSet = { f, t, n, v }
    return v
  }
  readonly #onWarning: (message: string, code: string) => void
  #queue: Promise<unknown> = Promise.resolve()
  /** Async calls queued or running: sync calls must not overtake them. */
  #pending = 0

  constructor(options: ClientOptions = {}) {
    const opts = readOptions(options, ['family', 'table', 'netns', 'inlineCommitBudgetUs', 'binding', 'onWarning', 'warmUp'], 'options') as ClientOptions
    this.family = opts.family === undefined ? 'inet' : checkFamily(opts.family, 'options.family')
    if (opts.table !== undefined) this.table = checkName(opts.table, 'options.table', 'table')
    this.netnsPath = netnsPath(opts.netns)
    const budget = opts.inlineCommitBudgetUs ?? 500
    if (typeof budget !== 'number' || !(budget >= 0)) invalid('options.inlineCommitBudgetUs', 'Expected a number of microseconds >= 0', budget)
    this.#inlineBudgetUs = budget
    if (opts.onWarning !== undefined && typeof opts.onWarning !== 'function') invalid('options.onWarning', 'Expected a function', opts.onWarning)
    this.#onWarning = opts.onWarning ?? ((message, code) => process.emitWarning(message, { code }))
    this.#txDefaults = { family: this.family, table: this.table, sets: this.#resolveSet, [CHECKED_OPTIONS]: true } as TransactionOptions
    const binding = opts.binding ?? loadBinding()
    try {
      this.#sock = new binding.Socket(this.netnsPath)
    } catch (e) {
      throw systemError(e, `open netlink socket${this.netnsPath ? ` in ${this.netnsPath}` : ''}`)
    }
    // A binding supplied by a test or bundler may not keep figures.
    this.#stats = this.#sock.stats ?? new Float64Array(1)
    this.#encode = binding.encode
    this.#readInterfaces = binding.interfaces
    const warm = opts.warmUp ?? (opts.binding === undefined ? 'background' : false)
    if (warm === 'background') {
      if (processWarmUp === 'cold') this.#warmUpInBackground()
    } else if (warm !== false) {
      if (warm !== true && (typeof warm !== 'number' || !Number.isInteger(warm) || warm < 0))
        invalid('options.warmUp', "Expected 'background', true, false or a number of rounds (integer >= 0)", warm)
      this.warmUp(warm === true ? undefined : warm)
    }
  }

  /** Starts the process's warm-up in background slices on this client (see {@link ClientOptions.warmUp}). */
  #warmUpInBackground(): void {
    processWarmUp = 'warming'
    let done = 0
    const later = (ms: number) => realSetTimeout(slice, ms).unref()
    const slice = () => {
      if (processWarmUp !== 'warming') return // a synchronous warmUp() did it meanwhile
      if (this.#sock.closed) {
        processWarmUp = 'cold' // the next client made takes it up
        return
      }
      if (this.#pending > 0) return later(5)
      try {
        const n = Math.min(WARM_UP_SLICE, WARM_UP_ROUNDS - done)
        this.#warmUpRounds(done, n)
        done += n
      } catch {
        // Nothing to report: the warm-up changes nothing the caller sees. Give
        // up rather than fail again on every slice.
        processWarmUp = 'warm'
        return
      }
      if (done < WARM_UP_ROUNDS) later(1)
      else processWarmUp = 'warm'
    }
    later(1)
  }

  /** The addon's batch encoder (builds the netlink bytes without sending them), used by warmUp. */
  #encode: NativeBinding['encode'] | undefined
  /** The addon's interface lister (absent in bindings that do not have one). */
  #readInterfaces: NativeBinding['interfaces'] | undefined

  /**
   * Runs the code of small commits, so that the first real ones do not run
   * cold: one-element adds and deletes on an IPv4 interval set and an IPv4
   * hash set (each made with `transaction()` and again with an
   * {@link Client.elementWriter}), an empty batch, a rule deleted and one
   * added, and now and then a flush and declarations of a table, chain and
   * set, committed through commitSync's own code, the addon building the
   * netlink messages but nothing reaching the kernel, except the empty batch
   * (which changes nothing, not even the generation). One example of each is
   * kept while this client is open (see `liveExamples` in client.ts: a full
   * garbage collection would otherwise deoptimise the commit path). V8 optimises what runs often, and re-optimises code that meets a case it
   * has not seen, so the first changes of a controller would otherwise run
   * in the interpreter and the first few thousand commits on code still being
   * optimised (bench: an empty commit took 7.5 µs for its first 2000 and 5.4
   * µs from about the 6000th without it). About 150-200 ms for the default
   * rounds. Sets it pretends to know are forgotten afterwards; this client's
   * state is unchanged. Clients do this by default in the background
   * ({@link ClientOptions.warmUp}); calling it (default rounds or more) ends
   * that.
   * @param rounds How many times each shape runs (default 1500).
   */
  warmUp(rounds = WARM_UP_ROUNDS): void {
    this.#checkIdle('warmUp')
    this.#warmUpRounds(0, rounds)
    if (rounds >= WARM_UP_ROUNDS) processWarmUp = 'warm'
  }

  /**
   * One dry flush and one dry batch of declarations, for {@link Client.warmUp}.
   * Their bookkeeping (a flush forgets set shapes, a declared set is
   * remembered) is undone: the client knows the sets it knew before.
   */
  #warmUpDeclarations(family: Family, table: string, examples: Map<string, unknown>): void {
    const saved = [...this.#sets]
    try {
      const flush = this.transaction().flush({ kind: 'ruleset', family })
      this.#commitSync(flush, {}, true)
      const tx = this.transaction()
      tx.add({ kind: 'table', name: table })
      tx.add({ kind: 'chain', table, name: 'warmup', type: 'filter', hook: 'input', priority: 0, policy: 'accept' })
      tx.add({ kind: 'set', table, name: 'declared', type: 'ipv4_addr', flags: ['interval'] })
      this.#commitSync(tx, {}, true)
      examples.set('declarations', [flush, flush.prepare(), tx, tx.prepare()])
    } finally {
      this.#sets.clear()
      for (const [k, v] of saved) this.#sets.set(k, v)
      this.#lastSet = undefined
    }
  }

  /** Rounds `from` … `from + count - 1` of {@link Client.warmUp}. */
  #warmUpRounds(from: number, count: number): void {
    const family = this.family
    const table = '__nftkit_warmup'
    const interval = { name: 'interval', key: [DATATYPES.ipv4_addr], interval: true } satisfies SetShape
    const hash = { name: 'hash', key: [DATATYPES.ipv4_addr], interval: false } satisfies SetShape
    const keys = [setKey(family, table, 'interval'), setKey(family, table, 'hash')]
    this.#sets.set(keys[0], { shape: interval })
    this.#sets.set(keys[1], { shape: hash })
    this.#lastSet = undefined
    const noHandles = { handles: false }
    if (liveExamples?.owner !== this) liveExamples = { owner: this, slots: new Map() }
    const examples = liveExamples.slots
    // Made once per client: each slice runs the same two (their batch templates are written on first use).
    let writers = examples.get('writers') as ElementWriter[] | undefined
    if (writers === undefined) {
      writers = [this.#elementWriter('interval', { table }, true), this.#elementWriter('hash', { table }, true)]
      examples.set('writers', writers)
    }
    const last = from + count - 1
    /** Keeps a transaction as the example of its kind, with its batch (see liveExamples), if `now`. */
    const keep = (slot: string, tx: Transaction, now: boolean): Transaction => {
      if (now) examples.set(slot, [tx, tx.prepare()])
      return tx
    }
    try {
      for (let i = from; i < from + count; i++) {
        // Built like a caller's input (joined at run time, not an internalised literal).
        const addr = ['198', '51', String((i >> 8) & 255), String(i & 255)].join('.')
        // The caller's path itself: transaction() and commitSync's code, with
        // the addon building the messages and nothing sent.
        for (const set of ['interval', 'hash']) {
          const tx = this.transaction()
          if (i % 2 === 0) tx.add({ kind: 'element', table, set, elements: [addr] })
          else tx.delete({ kind: 'element', table, set, elements: [addr] })
          this.#commitSync(keep(set, tx, i === last), {}, true)
        }
        // The element writer's path, the same changes.
        for (const w of writers) {
          if (i % 2 === 0) w.addSync([addr])
          else w.deleteSync([addr])
        }
        // An empty batch, sent for real: the kernel changes nothing (not even
        // the generation), and the send path (commitSync, the addon's send
        // and receive) runs as often as the rest, so V8 optimises it too.
        // With one in four sent, commitSync was still unoptimised after the
        // warm-up and the first few thousand real commits ran on baseline code.
        this.commitSync(keep('empty', this.transaction(), i === last))
        // Now and then the other kinds a controller commits: a flush and
        // declarations (a table, a chain, a set). Without them the first such
        // real commit (a reset's flush) changed the maps the optimised commit
        // path had seen only one of, and the path ran deoptimised, then
        // re-optimised, for thousands of commits (bench W0 after a flush:
        // 7.5 against 6.2 µs).
        if (i % 50 === 2) this.#warmUpDeclarations(family, table, examples)
        if (i % 4 === 0) {
          const tx = this.transaction()
          tx.delete({ kind: 'rule', table, chain: 'warmup', handle: 1 + i })
          tx.add({ kind: 'rule', table, chain: 'warmup', exprs: [{ match: 'ip saddr', value: addr }, { match: 'tcp dport', value: 443 }, { stmt: 'counter' }, { stmt: 'accept' }] })
          this.#commitSync(keep('rule', tx, i + 4 > last), noHandles, true)
        }
      }
    } finally {
      for (const k of keys) this.#sets.delete(k)
      // What the dry commits taught the inline decision (keyed by family number, see #costKey).
      const n = FAMILY_NUMBER[family]
      for (const k of [costKey('element', n, table, 'interval'), costKey('element', n, table, 'hash'), costKey('rule', n, table, 'warmup')]) this.#kernelUs.delete(k)
      this.#lastSet = undefined
      this.#lastCost = undefined
    }
  }

  /** The options of a transaction with this client's defaults (checked when the client was made). */
  readonly #txDefaults: TransactionOptions

  /** A new transaction with this client's defaults and knowledge of existing sets. */
  transaction(opts?: TransactionOptions): Transaction {
    // The common call, no options: the defaults were checked once already.
    // Interfaces are read when a rule first names one, so each transaction sees them as they are.
    if (opts === undefined) {
      // A literal of one shape (no spread of an object with a symbol key: V8's slow path).
      const d = this.#txDefaults
      return new Transaction({ family: d.family, table: d.table, sets: d.sets, interfaces: this.#interfaceNames(), [CHECKED_OPTIONS]: true } as TransactionOptions)
    }
    return new Transaction({
      family: opts.family ?? this.family,
      table: opts.table ?? this.table,
      sets: opts.sets ?? this.#resolveSet,
      interfaces: opts.interfaces ?? this.#interfaceNames(),
    })
  }

  /**
   * A writer of one set's elements: `addSync`/`deleteSync` (and async `add`/
   * `delete`) of a few elements, each one atomic batch, the same as
   * committing a transaction with that one element operation. For up to 15
   * IPv4 addresses, prefixes or ranges of an IPv4 set it writes the batch
   * without a transaction (see {@link ElementWriter}): the path for a
   * controller that changes one pod IP now and then.
   * @param set The set (or map: the general path takes its elements) name.
   * @param opts Its family and table (default: the client's).
   * @throws NftValidationError for a bad name, family or table (`elementWriter.set`, `options.table`, ...).
   */
  elementWriter(set: string, opts: { readonly family?: Family; readonly table?: string } = {}): ElementWriter {
    return this.#elementWriter(set, opts, false)
  }

  /** {@link Client.elementWriter}; `dry`: its batches are built by the addon but not sent (warmUp). */
  #elementWriter(set: string, opts: { readonly family?: Family; readonly table?: string }, dry: boolean): ElementWriter {
    const o = readOptions(opts, ['family', 'table'], 'options') as { family?: Family; table?: string }
    const family = o.family === undefined ? this.family : checkFamily(o.family, 'options.family')
    const t = o.table ?? this.table
    if (t === undefined) invalid('options.table', 'Expected a table name (or a default table on the client)', t)
    const table = checkName(t, 'options.table', 'table')
    const name = checkName(set, 'elementWriter.set', 'set')
    const key = costKey('element', FAMILY_NUMBER[family], table, name)
    /** The general path: a transaction with the one element operation (all checks, all errors). */
    const general = (verb: ElementVerb, elements: readonly Element[]): PreparedBatch => {
      const tx = this.transaction({ family, table })
      tx[verb]({ kind: 'element', family, table, set: name, elements: elements as Element[] })
      return tx.prepare()
    }
    return new ElementWriter(family, table, name, {
      known: () => this.#resolveSet(family, table, name),
      commitSync: (verb, elements, wire) => {
        this.#checkIdle('commit')
        const w = wire(verb, elements)
        if (w === undefined) return this.#commitSync(general(verb, elements), {}, dry)
        return this.#wrote(dry ? this.#dryEncode(w, 3) : this.#sendWire(w), key, general, verb, elements)
      },
      commit: (verb, elements, wire) => {
        if (this.#pending === 0 && this.#inlineBudgetUs > 0 && this.#fastToCommit(key)) {
          try {
            const w = wire(verb, elements)
            if (w !== undefined) return Promise.resolve(this.#wrote(this.#sendWire(w), key, general, verb, elements))
          } catch (e) {
            return Promise.reject(e)
          }
        }
        let p: PreparedBatch
        try {
          p = general(verb, elements)
        } catch (e) {
          return Promise.reject(e)
        }
        return this.commit(p)
      },
    })
  }

  /** Commits an element writer's batch on this thread. */
  #sendWire(wire: Uint8Array): NativeCommitReturn {
    try {
      return this.#sock.commitSync(wire)
    } catch (e) {
      throw systemError(e, 'commit')
    }
  }

  /**
   * The result of an element writer's batch. Applied: the kernel's time is
   * learned for the set, as #learn does. Refused: the general path's batch
   * (made now, the same operation) gives the error its operation and names.
   */
  #wrote(
    ret: NativeCommitReturn,
    key: string,
    general: (verb: ElementVerb, elements: readonly Element[]) => PreparedBatch,
    verb: ElementVerb,
    elements: readonly Element[],
  ): ElementCommitResult {
    if (typeof ret !== 'number') return this.#done(ret, general(verb, elements))
    if (this.#inlineBudgetUs > 0) this.#learnCost(key)
    return { handles: [undefined], messages: ret % COUNT_SPLIT, bytes: Math.floor(ret / COUNT_SPLIT) }
  }

  /**
   * Applies a transaction, or a batch prepared from one (`tx.prepare()`) or
   * by the reconciler, as one netlink batch: all of it or nothing. With
   * `genId`, only if the ruleset is still at that generation.
   * @throws NftError with the failing operation's index and object (the kernel is unchanged).
   */
  commit(batch: Transaction | PreparedBatch, opts: CommitOptions = {}): Promise<CommitResult> {
    let prepared: PreparedBatch | undefined
    if (this.#pending === 0 && this.#inlineBudgetUs > 0) {
      try {
        prepared = this.#prepare(batch)
        if (this.#cheap(prepared.ops)) return Promise.resolve(this.#done(this.#sendSync(prepared, opts), prepared))
      } catch (e) {
        return Promise.reject(e)
      }
    }
    // On the worker, after the calls queued before it (the batch is prepared
    // when it is about to go). No stack is captured up front (it cost 5-10 µs
    // per async commit); like Node's own promise APIs, a rejection carries the
    // operation, not the caller.
    return this.#enqueue(async () => {
      const p = prepared ?? this.#prepare(batch)
      let res: NativeCommitReturn
      try {
        res = await this.#sock.commit(encodeOps(p.ops, opts.handles === false ? undefined : wantsEcho), opts.genId)
      } catch (e) {
        throw systemError(e, 'commit')
      }
      return this.#done(res, p)
    })
  }

  /** Synchronous {@link Client.commit}: blocks the event loop for the kernel round trip. */
  commitSync(batch: Transaction | PreparedBatch, opts: CommitOptions = {}): CommitResult {
    return this.#commitSync(batch, opts, false)
  }

  /** commitSync's path; `dry`: everything but the kernel (warmUp runs this very code hot). */
  #commitSync(batch: Transaction | PreparedBatch, opts: CommitOptions, dry: boolean): CommitResult {
    this.#checkIdle('commit')
    const p = this.#prepare(batch)
    // No stack captured up front (it costs microseconds per commit): an error
    // made on failure carries this caller's stack anyway.
    return this.#done(dry ? this.#dryCommit(p, opts) : this.#sendSync(p, opts), p)
  }

  /** What #sendSync answers for an applied batch, without the kernel: the messages built by the addon, nothing sent. */
  #dryCommit(p: PreparedBatch, opts: CommitOptions): number {
    this.#cheap(p.ops)
    return this.#dryEncode(encodeOps(p.ops, opts.handles === false ? undefined : wantsEcho), p.ops.length + 2)
  }

  /** The addon builds the messages of `wire` (`messages` of them), nothing is sent: the compact answer of an applied batch. */
  #dryEncode(wire: Uint8Array, messages: number): number {
    if (this.#encode) {
      try {
        if (this.#encode(wire).length === 0) messages = 0
      } catch {
        // A binding that builds no messages (the Fake): the TypeScript part is warm all the same.
        this.#encode = undefined
      }
    }
    return wire.length * COUNT_SPLIT + messages
  }

  /** Encodes and commits a batch on this thread. */
  #sendSync(p: PreparedBatch, opts: CommitOptions): NativeCommitReturn {
    try {
      return this.#sock.commitSync(encodeOps(p.ops, opts.handles === false ? undefined : wantsEcho), opts.genId)
    } catch (e) {
      throw systemError(e, 'commit')
    }
  }

  /** The result of a committed batch (or the NftError of its refusal), and what its kernel time teaches. */
  #done(res: NativeCommitReturn, p: PreparedBatch): CommitResult {
    const result = this.#finish(res, p)
    this.#learn(p.ops)
    return result
  }

  /** Kernel time of the last batch of elements and rules, per set and per chain (see #costKey). */
  readonly #kernelUs = new Map<string, number>()
  readonly #inlineBudgetUs: number
  /** The socket's figures of its last commit (kernel µs at 0), read without a call into the addon. */
  readonly #stats: Float64Array

  /** After a successful commit: how long the kernel took, for batches that only change elements and rules. */
  #learn(ops: readonly NativeOp[]): void {
    if (ops.length === 0 || this.#inlineBudgetUs <= 0) return
    for (let i = 0; i < ops.length; i++) if (!costed(ops[i])) return
    for (let i = 0; i < ops.length; i++) this.#learnCost(this.#costKey(ops[i]))
  }

  /** Keeps the kernel time of the last commit for a set or chain ({@link costKey}); the map is bounded. */
  #learnCost(key: string): void {
    if (this.#kernelUs.size > 4096) this.#kernelUs.clear()
    this.#kernelUs.set(key, this.#stats[0])
  }

  /** True if the last change of that set or chain took the kernel at most the inline budget. */
  #fastToCommit(key: string): boolean {
    const us = this.#kernelUs.get(key)
    return us !== undefined && us <= this.#inlineBudgetUs
  }

  #lastCost: { k: string; f: number; t: string | undefined; s: string | undefined; key: string } | undefined
  /** {@link costKey} of an element op's set or a rule op's chain. The last one is reused: the same string, hashed once. */
  #costKey(o: NativeOp): string {
    const name = o.kind === 'rule' ? o.chain : o.set
    const m = this.#lastCost
    if (m !== undefined && m.s === name && m.k === o.kind && m.t === o.table && m.f === o.family) return m.key
    const key = costKey(o.kind, o.family, o.table, name)
    this.#lastCost = { k: o.kind, f: o.family, t: o.table, s: name, key }
    return key
  }

  /**
   * True for a batch worth committing inline: empty, or at most 64 elements
   * and 16 rules of sets and chains whose last such batch the kernel took at
   * most the budget for.
   */
  #cheap(ops: readonly NativeOp[]): boolean {
    let elements = 0
    let rules = 0
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i]
      if (!costed(o)) return false
      if (o.kind === 'rule') {
        if (++rules > 16) return false
      } else {
        elements += (o.packedKeys && o.keyLen ? o.packedKeys.length / o.keyLen : 0) + (o.elements?.length ?? 0)
        if (elements > 64) return false
      }
      if (!this.#fastToCommit(this.#costKey(o))) return false
    }
    return true
  }

  /** Reads tables, chains, sets (with elements), rules and counters as one consistent snapshot. */
  list(opts: ListOptions = {}): Promise<Listing> {
    const run = async () => {
      let d: NativeDump
      try {
        d = await this.#sock.dump(this.#dumpRequest(opts))
      } catch (e) {
        throw systemError(e, 'list')
      }
      return this.#remember(d)
    }
    return this.#enqueue(run)
  }

  /** Synchronous {@link Client.list}. */
  listSync(opts: ListOptions = {}): Listing {
    this.#checkIdle('list')
    try {
      return this.#remember(this.#sock.dumpSync(this.#dumpRequest(opts)))
    } catch (e) {
      throw systemError(e, 'list')
    }
  }

  /** The current ruleset generation id. */
  generationSync(): number {
    this.#checkIdle('generation')
    try {
      return this.#sock.getGenSync()
    } catch (e) {
      throw systemError(e, 'generation')
    }
  }

  /**
   * Closes the socket. Idempotent; later calls throw EBADF.
   * @throws NftError EBUSY while an async call is queued or in flight.
   */
  close(): void {
    this.#checkIdle('close')
    if (liveExamples?.owner === this) liveExamples = undefined
    try {
      if (!this.#sock.closed) this.#sock.close()
    } catch (e) {
      throw systemError(e, 'close')
    }
  }

  /**
   * Microseconds the kernel took for this client's last committed batch, from
   * sending it to its final reply (0 before any). The rest of a commit's time
   * is nftkit's and the caller's.
   */
  get lastKernelUs(): number {
    return this.#stats[0]
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#sock.closed
  }

  /**
   * Netlink port id of this client's socket. Monitor events caused by batches
   * this client committed carry it as `portId` (see `createMonitor`).
   */
  get portId(): number {
    return this.#sock.portId
  }

  /** Runs async calls one at a time, in call order. */
  #enqueue<T>(run: () => Promise<T>): Promise<T> {
    const done = () => {
      this.#pending--
    }
    // Idle connection: start at once instead of chaining on the settled queue
    // (saves microtask hops on every call of a sequential caller).
    const p = this.#pending++ === 0 ? run() : this.#queue.then(run, run)
    p.then(done, done)
    this.#queue = p.catch(() => undefined)
    return p
  }

  /** Sync calls may not overtake queued async ones (they would reorder the caller's changes). */
  #checkIdle(what: string): void {
    if (this.#pending > 0)
      throw new NftError({
        errno: 16,
        code: 'EBUSY',
        message: `${what}: connection busy: ${this.#pending} async call(s) queued or in flight on this client (await them first)`,
      })
  }

  #dumpRequest(opts: ListOptions) {
    return {
      family: opts.family ? FAMILY_NUMBER[checkFamily(opts.family, 'options.family')] : 0,
      ...(opts.table !== undefined ? { table: checkName(opts.table, 'options.table', 'table') } : {}),
      ...(opts.elements === false ? { elements: false } : {}),
    }
  }

  #remember(d: NativeDump): Listing {
    this.#lastSet = undefined
    for (const r of d.sets) {
      const shape = setShapeOf(r)
      if (shape) this.#sets.set(setKey(familyOf(r.family), r.table, r.name), { shape })
    }
    return decodeListing(d, this.#interfaceNames())
  }

  /** The interfaces of this client's namespace, read when first asked (none without an `interfaces` binding, as in the Fake). */
  #interfaceNames(): InterfaceNames {
    const read = this.#readInterfaces
    return interfaceNames(() => read?.(this.netnsPath) ?? [])
  }

  /**
   * An ENOENT names the missing object (the kernel does not say which): the
   * operation's table is read after the refusal, on this idle socket.
   * Best effort: if that read fails, the error stays as it was.
   */
  #named(err: NftError, ops: readonly Operation[]): NftError {
    if (err.code !== 'ENOENT' || err.index === undefined) return err
    const o = ops[err.index]?.object as { kind?: string; family?: Family; table?: string; name?: string } | undefined
    const table = o?.kind === 'table' ? o.name : o?.table
    if (!o?.family || table === undefined) return err
    try {
      const dump = this.#sock.dumpSync({ family: FAMILY_NUMBER[o.family], table, elements: false })
      const what = missingObject(ops, err.index, decodeListing(dump))
      if (what) err.message = err.message.replace(/: [^:]*? \[ENOENT\]/, `: ${what} [ENOENT]`)
    } catch {
      // keep the kernel's answer as it was
    }
    return err
  }

  /** The batch of a commit call: a transaction's, or one prepared already. */
  #prepare(batch: Transaction | PreparedBatch): PreparedBatch {
    let p: PreparedBatch
    if (batch instanceof Transaction) p = batch.prepare()
    else if (typeof batch !== 'object' || batch === null || !Array.isArray(batch.ops) || !Array.isArray(batch.operations))
      invalid('commit(tx)', 'Expected a Transaction or a prepared batch', batch)
    else p = batch
    this.#warnIfListened(p.ops)
    return p
  }

  /** Warns before a large batch while something listens to nf_tables notifications (see {@link LISTENER_WARN_ELEMENTS}). */
  #warnIfListened(ops: readonly NativeOp[]): void {
    let n = 0
    for (const op of ops) n += op.packedKeys !== undefined ? op.packedKeys.length / (op.keyLen || 1) : (op.elements?.length ?? 0)
    if (n < LISTENER_WARN_ELEMENTS) return
    const listeners = this.#sock.listeners?.() ?? -1
    if (listeners <= 0) return
    const mb = Math.round((n * 8) / 1024)
    this.#onWarning(
      `a batch of ${n} elements while ${listeners} socket(s) listen to nf_tables notifications in this namespace: ` +
        `the kernel holds a notification per element (about 8 KiB each, ~${mb} MB here) until the commit ends; ` +
        'stop the listener (nft monitor, nftkit watch) or apply in smaller batches if memory is short',
      'NFTKIT_LISTENER_MEMORY',
    )
  }

  #finish(ret: NativeCommitReturn, p: PreparedBatch): CommitResult {
    const handles: (number | undefined)[] = []
    for (let i = p.operations.length; i > 0; i--) handles.push(undefined)
    let res: { messages: number; bytes: number }
    if (typeof ret === 'number') {
      // Applied, nothing echoed: the addon answers bytes * 2^21 + messages.
      res = { messages: ret % COUNT_SPLIT, bytes: Math.floor(ret / COUNT_SPLIT) }
    } else {
      if (!ret.ok) throw this.#named(commitError(ret, p.operations, p.owner), p.operations)
      if (ret.handles) for (const [i, h] of ret.handles) handles[p.owner ? p.owner[i] : i] = Number(h)
      res = ret
    }
    // Keep set shapes so later transactions can add elements without a listing.
    if (!p.touchesSets) return { handles, messages: res.messages, bytes: res.bytes }
    this.#lastSet = undefined
    for (const op of p.operations) {
      const o = op.object as { kind: string; family?: Family; table?: string; name?: string }
      if ((o.kind === 'set' || o.kind === 'map') && (op.verb === 'delete' || op.verb === 'destroy'))
        this.#sets.delete(setKey(o.family ?? '', o.table, o.name))
      if (o.kind === 'ruleset')
        for (const k of this.#sets.keys()) if (!o.family || k.startsWith(setKeyPrefix(o.family))) this.#sets.delete(k)
      if (o.kind === 'table' && (op.verb === 'delete' || op.verb === 'destroy'))
        for (const k of this.#sets.keys()) if (k.startsWith(setKeyPrefix(o.family ?? '', o.name ?? ''))) this.#sets.delete(k)
    }
    if (p.declaredSets) for (const [key, shape] of p.declaredSets) this.#sets.set(key, { shape })
    return { handles, messages: res.messages, bytes: res.bytes }
  }
}

function familyOf(n: number): string {
  return Object.entries(FAMILY_NUMBER).find(([, v]) => v === n)?.[0] ?? String(n)
}

/** Opens a client. Same as `new Client(opts)`. */
export function createClient(opts: ClientOptions = {}): Client {
  return new Client(opts)
}
