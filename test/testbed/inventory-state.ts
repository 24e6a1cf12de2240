/**
 * A mutable copy of an {@link Inventory} that follows the testbed's pods as
 * they are added and removed, so policies can be regenerated from it.
 * @module
 */
import type { ConsumerInventory, Inventory, NamespaceInventory, PodInventory } from '../../lib/policies/inventory.js'
import type { PodPlacement } from './plan.js'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type Ns = { name: string; pods: PodInventory[] }

/** The live inventory of a testbed. */
export class InventoryState {
  private readonly provider: Mutable<Inventory['provider']> & { namespaces: Ns[] }
  private readonly consumers: (Mutable<ConsumerInventory> & { offloaded: Ns[]; local: Ns[] })[]

  /** Copies `inv` (the caller's object is never changed). */
  constructor(inv: Inventory) {
    const copyNs = (list: readonly NamespaceInventory[]): Ns[] => list.map((n) => ({ name: n.name, pods: n.pods.map((p) => ({ ...p })) }))
    this.provider = { ...inv.provider, namespaces: copyNs(inv.provider.namespaces) }
    this.consumers = inv.consumers.map((c) => ({
      ...c,
      gateway: { ...c.gateway, ...(c.gateway.controlPlane ? { controlPlane: [...c.gateway.controlPlane] } : {}) },
      offloaded: copyNs(c.offloaded),
      local: copyNs(c.local),
    }))
  }

  /** The consumer called `name`; throws if there is none. */
  consumer(name: string): ConsumerInventory {
    const c = this.consumers.find((x) => x.name === name)
    if (!c) throw new Error(`no consumer ${JSON.stringify(name)} (have ${this.consumers.map((x) => x.name).join(', ')})`)
    return c
  }

  /** Adds a pod to its namespace, creating the namespace entry when new. */
  add(placement: PodPlacement, pod: PodInventory): void {
    const list = this.namespaces(placement)
    let ns = list.find((n) => n.name === placement.namespace)
    if (!ns) {
      ns = { name: placement.namespace, pods: [] }
      list.push(ns)
    }
    ns.pods.push({ name: pod.name, ip: pod.ip })
  }

  /** Removes a pod wherever it is (empty namespaces stay). */
  remove(name: string): void {
    const all = [this.provider.namespaces, ...this.consumers.flatMap((c) => [c.offloaded, c.local])]
    for (const list of all) for (const ns of list) ns.pods = ns.pods.filter((p) => p.name !== name)
  }

  /** A deep copy of the current inventory. */
  snapshot(): Inventory {
    return new InventoryState(this.asInventory()).asInventory()
  }

  private asInventory(): Inventory {
    return { provider: this.provider, consumers: this.consumers }
  }

  private namespaces(placement: PodPlacement): Ns[] {
    if (placement.kind === 'provider') return this.provider.namespaces
    this.consumer(placement.consumer)
    const c = this.consumers.find((x) => x.name === placement.consumer)!
    return placement.kind === 'offloaded' ? c.offloaded : c.local
  }
}
