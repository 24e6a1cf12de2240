/**
 * Putting a cluster's NetworkPolicies into the testbed's node through the
 * library (reader → compiler → reconciler), and reading the table back with
 * the nft binary to show it loaded.
 * @module
 */
import { createClient } from '../../../lib/io/client.js'
import { compileNetworkPolicies } from '../../../lib/netpol/compile.js'
import { readClusterManifests } from '../../../lib/netpol/manifests.js'
import type { ClusterState } from '../../../lib/netpol/types.js'
import { Reconciler } from '../../../lib/reconcile/reconciler.js'
import type { Declaration } from '../../../lib/state/desired.js'
import { desiredTables } from '../../../lib/state/desired.js'
import type { NetpolBed } from './bed.js'
import { type Manifest, NODE } from './cluster.js'

/** The table every case uses. */
export const TABLE = 'nftkit-netpol'

/** Counts of the objects of a declaration (what must be in the kernel after applying it). */
export function declared(d: Declaration): { chains: number; sets: number; rules: number } {
  const n = { chains: 0, sets: 0, rules: 0 }
  for (const op of d.operations) {
    if (op.verb !== 'add' && op.verb !== 'create') continue
    const k = op.object.kind
    if (k === 'chain') n.chains++
    else if (k === 'set' || k === 'map') n.sets++
    else if (k === 'rule') n.rules++
  }
  return n
}

/** Counts of the table's objects as `nft -j list ruleset` shows them (`tables`: how many tables of that name). */
export async function loaded(bed: NetpolBed, table = TABLE): Promise<{ tables: number; chains: number; sets: number; rules: number }> {
  const json = JSON.parse(await bed.nftCmd('-j', 'list', 'ruleset')) as { nftables: Record<string, { family?: string; table?: string; name?: string }>[] }
  const n = { tables: 0, chains: 0, sets: 0, rules: 0 }
  for (const o of json.nftables) {
    const [kind, v] = Object.entries(o)[0]
    const mine = v.family === 'inet' && (kind === 'table' ? v.name === table : v.table === table)
    if (!mine) continue
    if (kind === 'table') n.tables++
    else if (kind === 'chain') n.chains++
    else if (kind === 'set' || kind === 'map') n.sets++
    else if (kind === 'rule') n.rules++
  }
  return n
}

/** Applies manifests to the node through the library: one reconciled batch per call. */
export class Enforcer {
  readonly #reconciler: Reconciler

  constructor(bed: NetpolBed) {
    this.#reconciler = new Reconciler(createClient({ netns: bed.node }))
  }

  /** Reads, compiles and reconciles; returns the library's reading and the declaration. */
  apply(manifests: readonly Manifest[], file = 'cluster.yaml'): { state: ClusterState; declaration: Declaration } {
    const state = readClusterManifests(manifests, file)
    const declaration = compileNetworkPolicies(state, { table: TABLE, node: NODE })
    this.#reconciler.reconcileSync(desiredTables(declaration))
    return { state, declaration }
  }
}
