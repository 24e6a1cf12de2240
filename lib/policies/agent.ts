/**
 * The agent side of provider protection: one {@link GatewayAgent} per
 * consumer gateway keeps that gateway's generated table in the kernel. The
 * first apply reconciles the whole table; after that, pods coming and going
 * become element deltas of the offloaded-pod set (one batch, O(delta)),
 * never a reload.
 * @module
 */
import type { Client } from '../io/client.js'
import { FAMILY, toOperations, validate } from '../liqo/firewall-configuration.js'
import { desiredTables } from '../state/desired.js'
import type { ReconcileResult } from '../reconcile/apply.js'
import { Reconciler } from '../reconcile/reconciler.js'
import { NftValidationError } from '../kernel/errors.js'
import { OFFLOADED_SET, PROVIDER_TABLE, type ProviderProtectionOptions, providerProtection } from './generate.js'
import type { Inventory } from './inventory.js'
import { validateInventory } from './validate-inventory.js'
import type { FirewallConfiguration } from '../liqo/firewall-configuration.js'

/** What the agent sends for an inventory: the whole table, or only the set's element delta. */
export interface AgentResult extends ReconcileResult {
  readonly mode: 'reconcile' | 'delta'
}

/**
 * Keeps one consumer's provider-protection table in one gateway's network
 * namespace (the client's). Not safe for concurrent use: call one method at a
 * time.
 */
export class GatewayAgent {
  readonly #reconciler: Reconciler
  #shape?: string
  #pods = new Set<string>()

  /**
   * @param client a connection to the gateway's network namespace
   * @param consumer the consumer whose tunnel this gateway terminates
   */
  constructor(
    client: Client,
    readonly consumer: string,
    readonly options: ProviderProtectionOptions = {},
  ) {
    this.#reconciler = new Reconciler(client)
  }

  /** The FirewallConfiguration this agent enforces for an inventory. */
  configuration(inv: Inventory): FirewallConfiguration {
    const problems = validateInventory(inv)
    if (problems.length) throw new NftValidationError(`inventory.${problems[0].path}`, problems[0].message, undefined)
    const mine = inv.consumers.find((c) => c.name === this.consumer)
    if (!mine) throw new NftValidationError('inventory.consumers', `no consumer named '${this.consumer}'`, inv.consumers.map((c) => c.name))
    // Only this gateway's table: the other consumers' pods are not its business.
    const [fwc] = providerProtection({ ...inv, consumers: [mine] }, this.options)
    const bad = validate(fwc)
    if (bad.length) throw new NftValidationError(bad[0].path, bad[0].message, undefined) // a generator bug: never apply it
    return fwc
  }

  /**
   * Makes the gateway enforce the inventory. When only this consumer's
   * offloaded pods changed since the last call, sends just their element
   * delta; otherwise reconciles the whole table (first call, a changed
   * gateway setting, or after an error).
   * @throws NftValidationError for a bad inventory; NftError when the kernel refuses (nothing applied).
   */
  sync(inv: Inventory): AgentResult {
    const fwc = this.configuration(inv)
    const sets = fwc.spec.table.sets ?? []
    const pods = (sets.find((s) => s.name === OFFLOADED_SET)?.elements ?? []).map((e) => String(e.key))
    const shape = JSON.stringify({ ...fwc.spec.table, sets: sets.map((s) => (s.name === OFFLOADED_SET ? { ...s, elements: [] } : s)) })
    try {
      if (shape === this.#shape) {
        const next = new Set(pods)
        const add = pods.filter((p) => !this.#pods.has(p))
        const remove = [...this.#pods].filter((p) => !next.has(p))
        const r = this.#reconciler.updateSetSync({ family: 'ip', table: PROVIDER_TABLE, set: OFFLOADED_SET }, { add, remove })
        this.#pods = next
        // Someone else wrote in between (the delta was re-planned on a fresh
        // read): their change may have touched rules too, so repair the table.
        if (r.retries > 0) return this.#full(fwc, shape, pods)
        return { ...r, mode: 'delta' }
      }
      return this.#full(fwc, shape, pods)
    } catch (e) {
      this.#shape = undefined
      throw e
    }
  }

  /**
   * Makes the kernel hold exactly the table of `inv`, whatever the in-memory
   * state says (e.g. after a monitor reported that someone else changed it).
   */
  repair(inv: Inventory): AgentResult {
    this.#reconciler.invalidate()
    this.#shape = undefined
    return this.sync(inv)
  }

  #full(fwc: FirewallConfiguration, shape: string, pods: string[]): AgentResult {
    // The same checks as the CLI's: a generator bug is refused before anything is sent.
    const table = { family: FAMILY[fwc.spec.table.family], name: fwc.spec.table.name }
    const r = this.#reconciler.reconcileSync(desiredTables({ operations: toOperations(fwc), tables: [table] }))
    this.#shape = shape
    this.#pods = new Set(pods)
    return { ...r, mode: 'reconcile' }
  }

  /** Opens this consumer's access to one more offloaded pod (one batch, one element). */
  podAdded(ip: string): AgentResult {
    return this.#delta({ add: [ip] })
  }

  /** Closes this consumer's access to a pod that went away (one batch, one element). */
  podRemoved(ip: string): AgentResult {
    return this.#delta({ remove: [ip] })
  }

  #delta(d: { add?: string[]; remove?: string[] }): AgentResult {
    if (this.#shape === undefined) throw new NftValidationError('agent', 'call sync(inventory) first: the table is not applied yet', undefined)
    const r = this.#reconciler.updateSetSync({ family: 'ip', table: PROVIDER_TABLE, set: OFFLOADED_SET }, d)
    for (const ip of d.add ?? []) this.#pods.add(ip)
    for (const ip of d.remove ?? []) this.#pods.delete(ip)
    return { ...r, mode: 'delta' }
  }
}
