/**
 * A fake network namespace: the nf_tables state of lib/testing/model.ts
 * behind an implementation of the addon's contract (types/native.d.ts), so
 * the real Client, Transaction, listing and Monitor code runs on top of it.
 * @module
 */
import { decodeListing } from '../io/listing.js'
import { renderRuleset } from '../nft/ruleset.js'
import { decodeOps } from '../batch/wire.js'
import type {
  NativeBinding,
  NativeCommitReturn,
  NativeDump,
  NativeDumpRequest,
  NativeMonitor,
  NativeMonitorEvent,
  NativeObjectEvent,
  NativeSocket,
} from '../../types/native.js'
import { applyBatch, type FakeChange } from './apply.js'
import { nativeDump } from './dump.js'
import { emptyState, type FakeState } from './model.js'

/** The addon's compact answer to an applied batch with no handles echoed: bytes * 2^21 + messages. */
const COUNT_SPLIT = 2 ** 21

/** An Error carrying errno and code, as the addon throws for failed system calls. */
function systemError(errno: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { errno, code })
}

/** Notifications as the native monitor reports them: consecutive element changes of one set merged. */
function monitorEvents(changes: readonly FakeChange[], portId: number): NativeMonitorEvent[] {
  const out: NativeObjectEvent[] = []
  for (const c of changes) {
    const last = out.at(-1)
    if (c.type === 'element' && last?.type === 'element' && last.op === c.op && last.family === c.family && last.table === c.table && last.set === c.set) {
      out[out.length - 1] = { ...last, elements: (last.elements ?? 0) + (c.elements ?? 0) }
      continue
    }
    out.push({ ...c, portId })
  }
  return out
}

/**
 * One fake network namespace. Clients and monitors made with its
 * {@link FakeKernel.binding} share its state, so a second client's commit
 * makes the first one's genId stale, and monitors see every client's commits.
 */
export class FakeKernel {
  #state: FakeState = emptyState()
  readonly #monitors = new Set<{ deliver(events: NativeMonitorEvent[]): void }>()
  #lastPort = 0
  /** The native binding to give `createClient({ binding })` or `createMonitor({ binding })`. */
  readonly binding: NativeBinding

  constructor() {
    this.binding = makeBinding(this)
  }

  /** The current ruleset generation (what `list()` reports as `genId`). */
  get genId(): number {
    return this.#state.genId
  }

  /** The ruleset as `nft list ruleset` prints it (the text `renderRuleset(list())` gives). */
  dump(): string {
    return renderRuleset(decodeListing(this.nativeDump()))
  }

  /** The state as the addon's dump returns it (records of types/native.d.ts). */
  nativeDump(req?: NativeDumpRequest): NativeDump {
    return nativeDump(this.#state, req)
  }

  /** @internal A new netlink port id (the kernel gives each socket its own). */
  allocPort(): number {
    this.#lastPort++
    return (process.pid * 1000 + this.#lastPort) >>> 0
  }

  /** @internal Applies one encoded batch from the socket with `portId`, and notifies the monitors. */
  commit(batch: Uint8Array, genId: number | undefined, portId: number): NativeCommitReturn {
    const ops = decodeOps(batch)
    const res = applyBatch(this.#state, ops, genId)
    this.#state = res.state
    const messages = ops.length + 2
    if (res.errors.length > 0) return { ok: false, messages, bytes: batch.length, errors: res.errors }
    if (res.changes.length > 0) {
      const events = monitorEvents(res.changes, portId)
      events.push({ type: 'gen', op: 'new', genId: this.#state.genId, pid: process.pid, procName: 'node', portId })
      for (const m of this.#monitors) m.deliver(events)
    }
    if (res.handles.length === 0) return batch.length * COUNT_SPLIT + messages
    return { ok: true, messages, bytes: batch.length, handles: res.handles }
  }

  /** @internal Monitors open on this namespace (what a socket's `listeners()` reports). */
  get listeners(): number {
    return this.#monitors.size
  }

  /** @internal */
  subscribe(m: { deliver(events: NativeMonitorEvent[]): void }): () => void {
    this.#monitors.add(m)
    return () => this.#monitors.delete(m)
  }
}

/** The addon's contract over a fake namespace. */
function makeBinding(kernel: FakeKernel): NativeBinding {
  class Socket implements NativeSocket {
    #closed = false
    #busy = false
    readonly portId = kernel.allocPort()
    readonly stats = new Float64Array(1)

    get closed(): boolean {
      return this.#closed
    }

    get busy(): boolean {
      return this.#busy
    }

    listeners(): number {
      return this.#closed ? -1 : kernel.listeners
    }

    #check(): void {
      if (this.#closed) throw systemError(9, 'EBADF', 'socket is closed')
      if (this.#busy) throw systemError(16, 'EBUSY', 'socket busy')
    }

    /** Runs `work` on a later turn of the event loop, as the addon's worker thread would. */
    #later<T>(work: () => T): Promise<T> {
      this.#check()
      this.#busy = true
      return new Promise((resolve, reject) =>
        setImmediate(() => {
          this.#busy = false
          try {
            resolve(work())
          } catch (e) {
            reject(e)
          }
        }),
      )
    }

    commitSync(batch: Uint8Array, genId?: number): NativeCommitReturn {
      this.#check()
      return kernel.commit(batch, genId, this.portId)
    }

    commit(batch: Uint8Array, genId?: number): Promise<NativeCommitReturn> {
      // The addon reads the batch before it returns (the caller reuses the buffer).
      const copy = Uint8Array.from(batch)
      return this.#later(() => kernel.commit(copy, genId, this.portId))
    }

    dumpSync(req?: NativeDumpRequest): NativeDump {
      this.#check()
      return kernel.nativeDump(req)
    }

    dump(req?: NativeDumpRequest): Promise<NativeDump> {
      return this.#later(() => kernel.nativeDump(req))
    }

    getGenSync(): number {
      this.#check()
      return kernel.genId
    }

    close(): void {
      this.#closed = true
    }
  }

  class Monitor implements NativeMonitor {
    #closed = false
    readonly portId = kernel.allocPort()
    readonly #unsubscribe: () => void

    constructor(_netnsPath: string | undefined, onEvents: (events: NativeMonitorEvent[]) => void) {
      // Notifications arrive after the commit returns, as from the monitor thread.
      this.#unsubscribe = kernel.subscribe({
        deliver: (events) => setImmediate(() => !this.#closed && onEvents(events.map((e) => ({ ...e })))),
      })
    }

    get closed(): boolean {
      return this.#closed
    }

    close(): void {
      this.#closed = true
      this.#unsubscribe()
    }

    // Nothing keeps the process alive in the Fake: ref/unref have nothing to do.
    ref(): void {}
    unref(): void {}
  }

  return {
    Socket,
    Monitor,
    encode(): Buffer {
      throw new Error('nftkit/testing: the Fake builds no netlink messages (encode() needs the native addon)')
    },
  }
}
