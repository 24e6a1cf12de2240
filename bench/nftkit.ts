/**
 * The library the benchmarks measure: lib/ bundled by esbuild as tsup builds
 * dist/ (what `npm install nftkit` gives), rebuilt at every start into
 * build/bench/nftkit.mjs so it always matches the sources. Running lib/
 * through tsx instead measures tsx: its keepNames wrapper renames every
 * closure as it is created and its module bindings are getters, which cost
 * 2 µs of CPU per one-element commit (5.7-6.4 against 7.6-8.4 µs user time
 * per W2 operation, measured 2026-12-03).
 * @module
 */
import { buildSync } from 'esbuild'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as Nftkit from '../lib/index.js'

const root = join(import.meta.dirname, '..')
const outfile = join(root, 'build', 'bench', 'nftkit.mjs')
buildSync({
  entryPoints: [join(root, 'lib', 'index.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile,
  logLevel: 'error',
})
const lib = (await import(pathToFileURL(outfile).href)) as typeof Nftkit

export type {
  ClusterState,
  Client,
  CommitOptions,
  CommitResult,
  Element,
  FirewallConfiguration,
  ReconcileResult,
  RuleExpr,
  TableContents,
  Transaction,
} from '../lib/index.js'
export const {
  applyToModel,
  compileNetworkPolicies,
  createClient,
  desiredTables,
  firewallConfigurationOperations,
  loadBinding,
  reconcileSync,
  validateFirewallConfiguration,
} = lib
export const Reconciler = lib.Reconciler
export type Reconciler = Nftkit.Reconciler
