/**
 * The contents of tables: what the reconciler takes as desired state, what
 * the in-memory model builds from operations and what a listing is grouped
 * into for rendering.
 * @module
 */
import type { Family } from '../kernel/constants.js'
import type { Limit, Quota, Synproxy } from '../model/objects.js'
import type { ListedChain, ListedCounter, ListedCtObject, ListedRule, ListedSet, ListedTable, Listing } from '../io/listing.js'

/** The contents of one table: desired state, or a listing grouped by table. */
export interface TableContents {
  readonly table: Omit<ListedTable, 'handle'> & { handle?: number }
  readonly counters: ReadonlyArray<Omit<ListedCounter, 'handle' | 'packets' | 'bytes'> & { packets?: number; bytes?: number }>
  /** Named quotas, limits and synproxies (omitted: none). */
  readonly objects?: ReadonlyArray<(Quota | Limit | Synproxy) & { readonly family: Family; readonly table: string; readonly handle?: number }>
  readonly sets: ReadonlyArray<Omit<ListedSet, 'handle'>>
  /** ct helper and ct expectation objects (none when omitted). */
  readonly ctObjects?: ReadonlyArray<Omit<ListedCtObject, 'handle'>>
  readonly chains: ReadonlyArray<Omit<ListedChain, 'handle'>>
  /**
   * The named objects (counters, quotas, limits, synproxies, ct objects) as `KIND NAME`,
   * in declaration order (desired state) or kernel order (a listing): nft
   * creates and lists them in that order, across kinds. Omitted: by kind.
   */
  readonly objectOrder?: readonly string[]
  readonly rules: ReadonlyArray<Omit<ListedRule, 'handle'> | (Omit<ListedRule, 'handle' | 'family' | 'table'> & { family?: Family; table?: string })>
}

/** Groups a listing by table, keeping kernel order within each kind. */
export function tablesOf(l: Listing): TableContents[] {
  return l.tables.map((t) => {
    const mine = <T extends { family?: Family; table?: string }>(xs: readonly T[]) => xs.filter((x) => x.family === t.family && x.table === t.name)
    const counters = mine(l.counters)
    const objects = mine(l.objects ?? [])
    const ctObjects = mine(l.ctObjects ?? [])
    // Handles grow with creation: the kernel's order across kinds.
    const objectOrder = [...counters, ...objects, ...ctObjects].sort((a, b) => a.handle - b.handle).map(objectKey)
    return { table: t, counters, objects, ctObjects, objectOrder, sets: mine(l.sets), chains: mine(l.chains), rules: mine(l.rules) }
  })
}

/** A named object's key in {@link TableContents.objectOrder}. */
export function objectKey(o: { readonly kind: string; readonly name: string }): string {
  return `${o.kind} ${o.name}`
}

/** Sorts items by their object's place in `order` (stable; unknown ones last). */
export function inObjectOrder<T>(items: readonly T[], order: readonly string[] | undefined, key: (x: T) => string): T[] {
  if (!order) return [...items]
  const at = new Map(order.map((k, i) => [k, i]))
  return items.map((x, i) => ({ x, i, n: at.get(key(x)) ?? order.length })).sort((a, b) => a.n - b.n || a.i - b.i).map((e) => e.x)
}
