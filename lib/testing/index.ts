/**
 * `nftkit/testing`: a Fake of the kernel for tests that need no root, no
 * network namespace and no native addon.
 *
 * ```ts
 * import { createFakeClient } from 'nftkit/testing'
 * const nft = createFakeClient({ table: 'fw' })
 * await myController.apply(nft)          // anything that takes a Client
 * expect(nft.dump()).toContain('tcp dport 22 accept')
 * ```
 *
 * The Fake is a fake *kernel*: the real Client, Transaction, listing and
 * Monitor run on an in-memory nf_tables that refuses what the kernel refuses,
 * with the same NftError codes and operation indexes (EEXIST, ENOENT, EBUSY,
 * ERESTART, overlapping intervals), applies batches all or nothing, allocates
 * handles as the kernel does and reports changes to monitors. It is checked
 * against the kernel by test/kernel/fake.differential.test.ts.
 *
 * Not modelled: packets (counters stay as created, elements never expire),
 * table ownership, flowtables, and the kernel's jump-loop and chain-type
 * checks of expressions (a `masquerade` in a filter chain passes).
 * @packageDocumentation
 */
import { Client, type ClientOptions } from '../io/client.js'
import { createMonitor, type Monitor, type MonitorOptions } from '../io/monitor.js'
import { FakeKernel } from './kernel.js'

export { FakeKernel } from './kernel.js'

/** Options of {@link createFakeClient}: those of `createClient` except where to connect. */
export interface FakeClientOptions extends Omit<ClientOptions, 'binding' | 'netns'> {
  /**
   * The fake namespace to connect to: give two clients the same one to test
   * concurrent writers (genId, ERESTART). Default: a new, empty one.
   */
  readonly kernel?: FakeKernel
}

/**
 * A {@link Client} connected to a {@link FakeKernel}: the same interface as
 * `createClient()`, plus {@link FakeClient.dump} and {@link FakeClient.monitor}.
 */
export class FakeClient extends Client {
  /** The fake namespace this client commits to. */
  readonly kernel: FakeKernel

  constructor(opts: FakeClientOptions = {}) {
    const { kernel = new FakeKernel(), ...rest } = opts
    super({ ...rest, binding: kernel.binding })
    this.kernel = kernel
  }

  /** The whole ruleset as `nft list ruleset` prints it (no handles): `renderRuleset(listSync())`. */
  dump(): string {
    return this.kernel.dump()
  }

  /**
   * A monitor of the fake namespace: `change` and `commit` events for every
   * client's commits, delivered after the commit returns (on a later turn of
   * the event loop). It never keeps the process alive.
   */
  monitor(opts: Omit<MonitorOptions, 'binding' | 'netns'> = {}): Monitor {
    return createMonitor({ ...opts, binding: this.kernel.binding })
  }
}

/**
 * Opens a client on a fake kernel. Needs no root, no namespace and no native
 * addon. Same as `new FakeClient(opts)`.
 */
export function createFakeClient(opts: FakeClientOptions = {}): FakeClient {
  return new FakeClient(opts)
}

/** A new, empty fake network namespace to share between fake clients and monitors. */
export function createFakeKernel(): FakeKernel {
  return new FakeKernel()
}
