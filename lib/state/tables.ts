/**
 * The contents of tables: what the reconciler takes as desired state, what
 * the in-memory model builds from operations and what a listing is grouped
 * into for rendering.
 * @module
 */
import type { Family } from '../kernel/constants.js'
import type { Limit, Quota } from '../model/objects.js'
import type { ListedChain, ListedCounter, ListedCtObject, ListedRule, ListedSet, ListedTable, Listing } from '../io/listing.js'

/** The contents of one table: desired state, or a listing grouped by table. */
export interface TableContents {
  readonly table: Omit<ListedTable, 'handle'> & { handle?: number }
  readonly counters: ReadonlyArray<Omit<ListedCounter, 'handle' | 'packets' | 'bytes'> & { packets?: number; bytes?: number }>
  /** Named quotas and limits (omitted: none). */
  readonly objects?: ReadonlyArray<(Quota | Limit) & { readonly family: Family; readonly table: string; readonly handle?: number }>
  readonly sets: ReadonlyArray<Omit<ListedSet, 'handle'>>
  /** ct helper and ct expectation objects (none when omitted). */
  readonly ctObjects?: ReadonlyArray<Omit<ListedCtObject, 'handle'>>
  readonly chains: ReadonlyArray<Omit<ListedChain, 'handle'>>
  readonly rules: ReadonlyArray<Omit<ListedRule, 'handle'> | (Omit<ListedRule, 'handle' | 'family' | 'table'> & { family?: Family; table?: string })>
}

/** Groups a listing by table, keeping kernel order within each kind. */
export function tablesOf(l: Listing): TableContents[] {
  return l.tables.map((t) => {
    const mine = <T extends { family?: Family; table?: string }>(xs: readonly T[]) => xs.filter((x) => x.family === t.family && x.table === t.name)
    return { table: t, counters: mine(l.counters), objects: mine(l.objects ?? []), ctObjects: mine(l.ctObjects ?? []), sets: mine(l.sets), chains: mine(l.chains), rules: mine(l.rules) }
  })
}
