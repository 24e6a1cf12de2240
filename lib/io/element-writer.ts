/**
 * The element writer: a client's short path for the change a controller
 * makes most, a few elements of one set added or deleted (a pod IP coming or
 * going). Each call is one atomic batch, as `client.commit(tx)` of a
 * transaction with that one element operation would be, with the same
 * results and errors; for up to 15 plain IPv4 keys (addresses, prefixes,
 * ranges) of an IPv4 set it skips the transaction and the operation objects
 * and fills the keys into a batch written once per set.
 * @module
 */
import { type Family, FAMILY_NUMBER } from '../kernel/constants.js'
import { FEW_FLAGS, FEW_KEYS, packFewIPv4 } from '../elements/elements-fast.js'
import { PackedElementsWire } from '../batch/wire.js'
import type { Element } from '../model/element-types.js'
import type { KnownSet } from '../model/operations.js'

/** What an element writer's calls do to the set's elements. */
export type ElementVerb = 'add' | 'delete'

/** The result of a commit (the same as `Client.commitSync`'s). */
export interface ElementCommitResult {
  /** One entry per operation: an element change creates no object, so `[undefined]`. */
  readonly handles: ReadonlyArray<number | undefined>
  /** Netlink messages in the batch, BEGIN and END included. */
  readonly messages: number
  /** Size of the batch in bytes. */
  readonly bytes: number
}

/**
 * A change written as a batch, or undefined when the client's general path
 * (a transaction with the same element operation) must take it.
 * @internal
 */
export type WireOf = (verb: ElementVerb, elements: readonly Element[]) => Uint8Array | undefined

/**
 * How a writer's calls reach its client (the client's private commit path).
 * @internal
 */
export interface WriterHooks {
  /** The set's shape as the client knows it now (from a listing or a committed declaration). */
  readonly known: () => KnownSet | undefined
  readonly commitSync: (verb: ElementVerb, elements: readonly Element[], wire: WireOf) => ElementCommitResult
  readonly commit: (verb: ElementVerb, elements: readonly Element[], wire: WireOf) => Promise<ElementCommitResult>
}

/** Most keys one fast batch carries: 15 intervals of two ends. */
const MAX_KEYS = 30

/**
 * Adds and deletes elements of one set, one atomic batch per call. Made by
 * `client.elementWriter(set)`; the set's key type must be known to the client
 * (listed with `client.list()`, or declared by a batch it committed), as for
 * a transaction's element operations.
 *
 * `addSync(['10.0.0.7'])` is `client.commitSync(client.transaction().add({
 * kind: 'element', set, elements: ['10.0.0.7'] }))` with the same checks,
 * errors and result; for up to 15 IPv4 addresses, prefixes or ranges of a
 * set of `ipv4_addr` keys it writes the batch directly (bench W7: the
 * sporadic one-element update). The async calls queue behind the client's
 * other async calls and, like `client.commit`, run on the calling thread when
 * the set's last change took the kernel little time.
 *
 * @example
 * ```ts
 * const client = createClient({ table: 'gw' })
 * client.listSync({ table: 'gw' })
 * const pods = client.elementWriter('pods')
 * pods.addSync(['10.244.1.7'])
 * await pods.delete(['10.244.1.7'])
 * ```
 */
export class ElementWriter {
  /** The set's family. */
  readonly family: Family
  /** The set's table. */
  readonly table: string
  /** The set's name. */
  readonly set: string
  readonly #hooks: WriterHooks
  /** The shape the template was made for; a new shape (the set declared again) makes a new one. */
  #known: KnownSet | undefined
  #template: PackedElementsWire | undefined

  /** @internal Use `client.elementWriter(set)`. */
  constructor(family: Family, table: string, set: string, hooks: WriterHooks) {
    this.family = family
    this.table = table
    this.set = set
    this.#hooks = hooks
  }

  /**
   * Adds `elements` (as a transaction's `add` of them: existing ones are kept).
   * @throws NftValidationError naming the element (`add(0).elements[i]`), NftError if the kernel refuses (nothing applied).
   */
  addSync(elements: readonly Element[]): ElementCommitResult {
    return this.#hooks.commitSync('add', elements, this.#wire)
  }

  /**
   * Deletes `elements` (the kernel refuses with ENOENT if one is missing, and nothing is deleted).
   * @throws NftValidationError naming the element (`delete(0).elements[i]`), NftError if the kernel refuses.
   */
  deleteSync(elements: readonly Element[]): ElementCommitResult {
    return this.#hooks.commitSync('delete', elements, this.#wire)
  }

  /** Async {@link ElementWriter.addSync}: rejects with the same errors. */
  add(elements: readonly Element[]): Promise<ElementCommitResult> {
    return this.#hooks.commit('add', elements, this.#wire)
  }

  /** Async {@link ElementWriter.deleteSync}: rejects with the same errors. */
  delete(elements: readonly Element[]): Promise<ElementCommitResult> {
    return this.#hooks.commit('delete', elements, this.#wire)
  }

  /** The batch of a change, written from the set's template; undefined for anything the general path must check or encode. */
  readonly #wire: WireOf = (verb, elements) => {
    const known = this.#hooks.known()
    if (known === undefined || known.id !== undefined) return undefined
    if (known !== this.#known) {
      this.#known = known
      const s = known.shape
      const ipv4 = s.key.length === 1 && s.key[0].name === 'ipv4_addr' && s.data === undefined && s.object === undefined
      this.#template = ipv4
        ? new PackedElementsWire({ verb, kind: 'element', family: FAMILY_NUMBER[this.family], table: this.table, set: this.set, keyLen: 4 }, MAX_KEYS)
        : undefined
    }
    const t = this.#template
    if (t === undefined || !Array.isArray(elements)) return undefined
    let n: number
    try {
      n = packFewIPv4(known.shape, elements)
    } catch {
      return undefined // a list whose reads throw (a Proxy): the general path reports it with its path
    }
    return n < 0 ? undefined : t.write(verb, FEW_KEYS, FEW_FLAGS, n)
  }
}
