/**
 * The monitor: nf_tables change notifications of one network namespace, as
 * typed events, without blocking the event loop (a native thread reads the
 * netlink socket; see native/core/monitor.h).
 *
 * The kernel reports every committed batch as one notification per changed
 * object, then one `gen` event carrying the new generation id and the
 * committing process. A monitor emits each as a `change`, and groups them into
 * one `commit` per batch. When notifications were lost (`overrun`) the only
 * safe reaction is to re-read the ruleset.
 * @module
 */
import { EventEmitter } from 'node:events'
import { type Family, familyName } from '../kernel/constants.js'
import { errnoName, NftError } from '../kernel/errors.js'
import { loadBinding } from './native.js'
import { netnsPath } from './client.js'
import type { NativeBinding, NativeMonitor, NativeMonitorEvent } from '../../types/native.js'

/** Where and how to monitor. */
export interface MonitorOptions {
  /** Network namespace: a name under /run/netns, a namespace file path, or a pid. Default: the current one. */
  readonly netns?: string | number
  /**
   * Socket receive buffer in bytes. Default 16 MiB: room for the
   * notifications of a batch of ~100k set elements while the process is busy.
   */
  readonly receiveBuffer?: number
  /** Do not keep the process alive while the monitor is open (see {@link Monitor.unref}). */
  readonly unref?: boolean
  /** Supply the native binding (tests, bundlers). */
  readonly binding?: NativeBinding
}

/** What every object change has. */
interface ChangeBase {
  /** Created/updated (`new`) or deleted (`del`, also for destroy). */
  readonly op: 'new' | 'del'
  readonly family: Family
  /** The table the object belongs to (for table events: the table itself). */
  readonly table: string
  /** Netlink port id of the socket whose batch made the change (compare with `Client.portId`). */
  readonly portId: number
}

/** A table was added, updated or deleted. */
export interface TableChange extends ChangeBase {
  readonly type: 'table'
  readonly name: string
  readonly handle?: number
}

/** A chain was added, updated or deleted. */
export interface ChainChange extends ChangeBase {
  readonly type: 'chain'
  readonly name: string
  readonly handle?: number
}

/** A rule was added, replaced or deleted. */
export interface RuleChange extends ChangeBase {
  readonly type: 'rule'
  readonly chain: string
  readonly handle?: number
}

/** A set or map (named or anonymous, `__set0`) was added or deleted. */
export interface SetChange extends ChangeBase {
  readonly type: 'set'
  readonly name: string
  readonly handle?: number
}

/**
 * Elements of one set were added or deleted. Consecutive notifications for the
 * same set and operation are merged: `elements` counts them.
 */
export interface ElementChange extends ChangeBase {
  readonly type: 'element'
  readonly set: string
  readonly elements: number
}

/** A named stateful object (counter, quota, limit, ...) was added, reset or deleted. */
export interface ObjectChange extends ChangeBase {
  readonly type: 'object'
  readonly name: string
  /** NFT_OBJECT_* number (1 counter, 2 quota, 5 limit, ...). */
  readonly objType: number
  readonly handle?: number
}

/** A flowtable was added, updated or deleted. */
export interface FlowtableChange extends ChangeBase {
  readonly type: 'flowtable'
  readonly name: string
  readonly handle?: number
}

/** A change to one object. */
export type Change = TableChange | ChainChange | RuleChange | SetChange | ElementChange | ObjectChange | FlowtableChange

/** A batch was committed (NFT_MSG_NEWGEN); follows the batch's changes. */
export interface GenEvent {
  readonly type: 'gen'
  readonly op: 'new'
  /** The generation the batch produced: what `Client.generationSync()` reports from now on. */
  readonly genId: number
  /**
   * The committing task as the kernel saw it. The kernel reports a thread id:
   * equal to `process.pid` for commits made on a process's main thread (nft,
   * `commitSync`, and async commits small enough to run inline: see
   * `ClientOptions.inlineCommitBudgetUs`), a worker thread's id for other
   * async commits. `portId` identifies a client's commits either way.
   */
  readonly pid: number
  /** The committing task's name (its comm, e.g. `nft`, `node`). */
  readonly procName: string
  /** Netlink port id of the committing socket (compare with `Client.portId`). */
  readonly portId: number
}

/** Notifications were lost (the receive queue overflowed): re-read what you care about. */
export interface OverrunEvent {
  readonly type: 'overrun'
}

/** Everything a monitor reports, in kernel order. */
export type MonitorEvent = Change | GenEvent | OverrunEvent

/** One committed batch: its changes and who committed it. */
export interface MonitorCommit {
  readonly genId: number
  readonly pid: number
  readonly procName: string
  readonly portId: number
  /**
   * The batch's changes, in kernel order. Always complete: after an overrun,
   * the next gen event is not reported as a commit (the kernel reports the
   * loss before the notifications it had queued earlier, so the batch that gen
   * closes may have lost changes).
   */
  readonly changes: readonly Change[]
}

/** The events of a {@link Monitor}. */
export interface MonitorEventMap {
  /** Every change, gen and overrun event. */
  change: [event: MonitorEvent]
  /** Once per committed batch, with its changes. */
  commit: [commit: MonitorCommit]
  /** Notifications were lost: re-read. The commit being received is not reported. */
  overrun: []
  /** Receiving failed; the monitor is closed. */
  error: [error: NftError]
  /** The monitor was closed. */
  close: []
}

const DEFAULT_RECEIVE_BUFFER = 16 << 20
/** Events an async iterator holds for a slow consumer before reporting an overrun instead. */
const ITERATOR_BACKLOG = 100_000

function toEvent(e: Exclude<NativeMonitorEvent, { type: 'error' }>): MonitorEvent {
  if (e.type === 'overrun') return { type: 'overrun' }
  if (e.type === 'gen') return { type: 'gen', op: 'new', genId: e.genId, pid: e.pid, procName: e.procName, portId: e.portId }
  const base = { op: e.op, family: familyName(e.family) ?? (String(e.family) as Family), table: e.table }
  const handle = e.handle === undefined ? {} : { handle: Number(e.handle) }
  switch (e.type) {
    case 'rule':
      return { type: 'rule', ...base, chain: e.chain ?? '', ...handle, portId: e.portId }
    case 'element':
      return { type: 'element', ...base, set: e.set ?? '', elements: e.elements ?? 0, portId: e.portId }
    case 'object':
      return { type: 'object', ...base, name: e.name ?? '', objType: e.objType ?? 0, ...handle, portId: e.portId }
    default:
      return { type: e.type, ...base, name: e.name ?? '', ...handle, portId: e.portId }
  }
}

/**
 * A subscription to the nf_tables change notifications of one network
 * namespace. Open until {@link Monitor.close}; while open it keeps the process
 * alive unless {@link Monitor.unref}'d.
 *
 * ```ts
 * const mon = createMonitor({ netns: 'gw' })
 * mon.on('commit', (c) => console.log(`generation ${c.genId} by ${c.procName}[${c.pid}]`, c.changes))
 * mon.on('overrun', () => relist())
 * ```
 *
 * Not reported by the kernel: element changes made by the packet path
 * (dynamic sets, `update @set`), element expiry, and counter values.
 */
export class Monitor extends EventEmitter<MonitorEventMap> {
  /** The namespace file this monitor listens in (undefined: the namespace it was created in). */
  readonly netnsPath?: string
  readonly #native: NativeMonitor
  /** Changes of the batch being received (reported with its gen event). */
  #batch: Change[] = []
  /** An overrun happened since the last gen event: the current batch is incomplete. */
  #lossy = false
  #closed = false

  constructor(opts: MonitorOptions = {}) {
    super()
    this.netnsPath = netnsPath(opts.netns)
    const binding = opts.binding ?? loadBinding()
    const receiveBuffer = opts.receiveBuffer ?? DEFAULT_RECEIVE_BUFFER
    if (!Number.isInteger(receiveBuffer) || receiveBuffer <= 0 || receiveBuffer > 2 ** 30)
      throw new NftError({ errno: 22, code: 'EINVAL', message: `monitor: receiveBuffer must be a positive number of bytes (got ${receiveBuffer})` })
    try {
      // The callback holds `this`: an open monitor is never collected.
      this.#native = new binding.Monitor(this.netnsPath, (events) => this.#dispatch(events), { receiveBuffer })
    } catch (e) {
      const x = e as Error & { errno?: number }
      if (typeof x.errno !== 'number') throw e
      const where = this.netnsPath ? ` in ${this.netnsPath}` : ''
      const code = errnoName(x.errno)
      throw new NftError({ errno: x.errno, code, message: `open monitor${where}: ${x.message} [${code}]` })
    }
    if (opts.unref) this.#native.unref()
  }

  /** True once closed (by {@link Monitor.close} or a receive error). */
  get closed(): boolean {
    return this.#closed
  }

  /** Netlink port id of the monitor's own socket (not of any committer). */
  get portId(): number {
    return this.#native.portId
  }

  /** Keeps the process alive while the monitor is open (the default). */
  ref(): this {
    if (!this.#closed) this.#native.ref()
    return this
  }

  /** Lets the process exit while the monitor is open. */
  unref(): this {
    if (!this.#closed) this.#native.unref()
    return this
  }

  /**
   * Stops receiving: the native thread is joined and the socket closed before
   * this returns; no event is emitted afterwards except `close`. Idempotent.
   */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#native.close()
    this.#batch = []
    this.emit('close')
  }

  /**
   * The events as an async iterator, ending when the monitor closes (or when
   * the loop is left: that does not close the monitor). A consumer that falls
   * behind by more than 100k events gets one `overrun` in their place.
   */
  events(opts: { signal?: AbortSignal } = {}): AsyncIterableIterator<MonitorEvent> {
    const queue: MonitorEvent[] = []
    let wake: (() => void) | undefined
    let failure: NftError | undefined
    let done = this.#closed
    const notify = () => {
      wake?.()
      wake = undefined
    }
    const onChange = (e: MonitorEvent) => {
      if (queue.length >= ITERATOR_BACKLOG) queue.splice(0, queue.length, { type: 'overrun' })
      queue.push(e)
      notify()
    }
    const onError = (e: NftError) => {
      failure = e
      notify()
    }
    const finish = () => {
      done = true
      this.off('change', onChange)
      this.off('error', onError)
      this.off('close', finish)
      opts.signal?.removeEventListener('abort', finish)
      notify()
    }
    this.on('change', onChange)
    this.on('error', onError)
    this.on('close', finish)
    opts.signal?.addEventListener('abort', finish)
    if (opts.signal?.aborted) finish()
    const it: AsyncIterableIterator<MonitorEvent> = {
      next: async () => {
        for (;;) {
          if (queue.length) return { value: queue.shift() as MonitorEvent, done: false }
          if (failure) {
            const f = failure
            failure = undefined
            finish()
            throw f
          }
          if (done) return { value: undefined, done: true }
          await new Promise<void>((r) => {
            wake = r
          })
        }
      },
      return: async () => {
        finish()
        queue.length = 0
        return { value: undefined, done: true }
      },
      [Symbol.asyncIterator]: () => it,
    }
    return it
  }

  /** `for await (const e of monitor)`: same as {@link Monitor.events}. */
  [Symbol.asyncIterator](): AsyncIterableIterator<MonitorEvent> {
    return this.events()
  }

  #dispatch(events: NativeMonitorEvent[]): void {
    for (const raw of events) {
      if (this.#closed) return
      if (raw.type === 'error') {
        const x = raw.error
        const code = errnoName(x.errno)
        const err = new NftError({ errno: x.errno, code, message: `${x.message} [${code}]` })
        this.#closed = true
        this.#native.close()
        this.emit('error', err)
        this.emit('close')
        return
      }
      const e = toEvent(raw)
      if (e.type === 'overrun') {
        // The batch being received lost some of its changes: drop it.
        this.#batch = []
        this.#lossy = true
        this.emit('change', e)
        this.emit('overrun')
        continue
      }
      if (e.type === 'gen') {
        const changes = this.#batch
        const lossy = this.#lossy
        this.#batch = []
        this.#lossy = false
        this.emit('change', e)
        if (!lossy) this.emit('commit', { genId: e.genId, pid: e.pid, procName: e.procName, portId: e.portId, changes })
        continue
      }
      this.#batch.push(e)
      this.emit('change', e)
    }
  }
}

/** Opens a monitor. Same as `new Monitor(opts)`. */
export function createMonitor(opts: MonitorOptions = {}): Monitor {
  return new Monitor(opts)
}
