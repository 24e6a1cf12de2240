/**
 * Desired state from files: `.nft` as nft text, `.yaml`/`.yml`/`.json` as Liqo
 * FirewallConfigurations (those matching a label selector), every problem
 * reported with file, document and field path. What the CLI applies, renders,
 * plans and watches.
 * @module
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Operation } from '../model/operations.js'
import { type ParsedFile, parseNft } from '../nft/parser.js'
import {
  type Document,
  FAMILY,
  type FirewallConfiguration,
  isFirewallConfiguration,
  matchesSelector,
  readDocuments,
  toOperations,
  validate,
} from '../liqo/firewall-configuration.js'
import { NftValidationError } from '../kernel/errors.js'
import { MAX_SOURCE_BYTES } from '../kernel/limits.js'
import { DEFAULT_INCLUDE_PATH, nftIncludeReader } from './nft-include.js'
import { compileNetworkPolicies } from '../netpol/compile.js'
import { isClusterKind, readClusterObjects } from '../netpol/manifests.js'
import { compileNodePolicies, type PrivilegedEndpoint } from '../netpol/node-policy-compile.js'
import { isClusterNetworkPolicy, readClusterNetworkPolicy } from '../netpol/node-policy-read.js'

/** Options of {@link loadFiles} for Kubernetes cluster manifests. */
export interface SourceOptions {
  /** Enforce NetworkPolicies for the pods of this node only (`spec.nodeName`); default every pod. */
  readonly node?: string
  /** Table of the compiled NetworkPolicies (default `nftkit-netpol`). */
  readonly table?: string
  /** Node policies: the interfaces they apply to (default every interface but `lo`). */
  readonly interfaces?: readonly string[]
  /** Node policies: control-plane endpoints no policy may cut off. */
  readonly privileged?: readonly PrivilegedEndpoint[]
  /** Directories `include "name"` in nft files searches (nft's `-I`; default `/etc`, as nft). */
  readonly includePath?: readonly string[]
}

/** The file names nftkit reads: nft text, or YAML/JSON documents. */
export const SOURCE_FILE = /\.(nft|ya?ml|json)$/

/**
 * The files to read: each path as given, and for a directory every `.nft`,
 * `.yaml`, `.yml` and `.json` file in it (not recursive; hidden entries such
 * as a ConfigMap volume's `..data` are skipped, the files it links are not),
 * in name order.
 * @throws InputError for a directory that holds no such file.
 */
export function expandPaths(paths: readonly string[]): string[] {
  const out: string[] = []
  for (const p of paths) {
    if (!statSync(p).isDirectory()) {
      out.push(p)
      continue
    }
    const found = readdirSync(p)
      .filter((n) => !n.startsWith('.') && SOURCE_FILE.test(n))
      .sort()
      .map((n) => join(p, n))
      .filter((f) => statSync(f).isFile())
    if (found.length === 0) throw new InputError(`${p}: no .nft, .yaml, .yml or .json file in this directory`)
    out.push(...found)
  }
  return out
}

export { MAX_SOURCE_BYTES }

function readSource(f: string): string {
  const st = statSync(f)
  if (!st.isFile()) throw new InputError(`${f}: not a regular file`)
  if (st.size > MAX_SOURCE_BYTES) throw new InputError(`${f}: ${st.size} bytes is more than the ${MAX_SOURCE_BYTES / 1024 / 1024} MiB nftkit reads from one file`)
  return readFileSync(f, 'utf8')
}

/**
 * Parses every file (directories expanded by {@link expandPaths}): `.nft` as
 * nft text, `.yaml`/`.yml`/`.json` as Liqo FirewallConfigurations (those
 * matching `selector`; a `v1 List` counts as its items) and Kubernetes
 * cluster manifests (Namespaces, Pods, Nodes, NetworkPolicies of all files
 * read as one cluster and compiled into one `inet` table when there is a Pod
 * or a NetworkPolicy; see docs/network-policy.md), every problem reported
 * with file, document and field path.
 * @throws InputError for bad documents, an empty file, a file with nothing
 *   nftkit applies, a selector that matches nothing, or a table declared by
 *   two documents.
 */
export function loadFiles(paths: readonly string[], selector: Readonly<Record<string, string>> = {}, options: SourceOptions = {}): ParsedFile {
  const operations: Operation[] = []
  const tables: { family: ParsedFile['tables'][number]['family']; name: string }[] = []
  const owner = new Map<string, string>()
  const lines: string[] = []
  let fwcs = 0
  let matched = 0
  const cluster: Array<{ value: unknown; at: string }> = []
  const declare = (t: { family: ParsedFile['tables'][number]['family']; name: string }, where: string) => {
    const key = `${t.family} ${t.name}`
    const first = owner.get(key)
    if (first !== undefined && first !== where) lines.push(`table ${key} is declared by two documents: ${first} and ${where}`)
    if (first === undefined) {
      owner.set(key, where)
      tables.push(t)
    }
  }
  for (const f of expandPaths(paths)) {
    if (!SOURCE_FILE.test(f)) throw new InputError(`${f}: expected a .nft, .yaml, .yml or .json file`)
    const text = readSource(f)
    if (text.trim() === '') {
      lines.push(`${f}: empty file`)
      continue
    }
    if (f.endsWith('.nft')) {
      const p = parseNft(text, { file: f, include: nftIncludeReader(options.includePath ?? DEFAULT_INCLUDE_PATH) })
      if (p.operations.length === 0) lines.push(`${f}: no nft commands or tables (only comments)`)
      operations.push(...p.operations)
      for (const t of p.tables) declare(t, f)
      continue
    }
    const { documents, problems } = readDocuments(text, f)
    lines.push(...problems.map((p) => `${f}: ${p.path}: ${p.message}`))
    const others: string[] = []
    let mine = 0
    for (const d of listItems(documents)) {
      if (isClusterKind(d.value)) {
        mine++
        cluster.push({ value: d.value, at: `${f}: ${d.path}` })
        continue
      }
      if (!isFirewallConfiguration(d.value)) {
        // Other Kubernetes kinds (e.g. the NetworkPolicies `nftkit policies` writes beside them) are not ours.
        if (isOtherKubernetesKind(d.value)) others.push(String((d.value as { kind: string }).kind))
        else lines.push(`${f}: ${d.at}: expected kind FirewallConfiguration`)
        continue
      }
      mine++
      fwcs++
      if (!matchesSelector(d.value, selector)) continue
      matched++
      const name = (d.value as FirewallConfiguration).metadata?.name
      const where = `${f}: ${d.at}${name ? ` (${name})` : ''}`
      const found = validate(d.value)
      if (found.length) {
        // file:line:col of the field (or of the closest one there), then the document and the path.
        lines.push(...found.map((p) => `${lineCol(f, d.locate?.(p.path))}${where.slice(f.length)}: ${p.path}: ${p.message}`))
        continue
      }
      const fwc = d.value as FirewallConfiguration
      operations.push(...toOperations(fwc))
      declare({ family: FAMILY[fwc.spec.table.family], name: fwc.spec.table.name }, where)
    }
    if (mine === 0 && problems.length === 0 && !lines.some((l) => l.startsWith(`${f}: document`)))
      lines.push(documents.length === 0 ? `${f}: no YAML or JSON documents` : `${f}: no FirewallConfiguration or cluster manifest (found ${countKinds(others)})`)
  }
  if (cluster.length) {
    try {
      const state = readClusterObjects(cluster)
      if (state.pods.length || state.policies.length) {
        const d = compileNetworkPolicies(state, { node: options.node, table: options.table })
        operations.push(...d.operations)
        for (const t of d.tables) declare(t, `NetworkPolicies of ${paths.join(', ')}`)
      }
      const nodePolicies = cluster.filter((c) => isClusterNetworkPolicy(c.value))
      if (nodePolicies.length) {
        if (options.node === undefined)
          lines.push(`${nodePolicies[0].at}: ClusterNetworkPolicies apply to Nodes: give --node NAME (the Node whose table to build)`)
        else {
          const policies = nodePolicies.map((c) => readClusterNetworkPolicy(c.value, c.at))
          const d = compileNodePolicies(state, policies, { node: options.node, interfaces: options.interfaces, privileged: { endpoints: options.privileged } })
          operations.push(...d.operations)
          for (const t of d.tables) declare(t, `ClusterNetworkPolicies of ${paths.join(', ')}`)
        }
      }
    } catch (e) {
      if (!(e instanceof NftValidationError)) throw e
      lines.push(e.message)
    }
  }
  if (lines.length === 0 && Object.keys(selector).length > 0 && matched === 0)
    lines.push(`--selector ${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')} matches none of the ${fwcs} FirewallConfiguration(s) in ${paths.join(', ')}`)
  if (lines.length) throw new InputError(lines.join('\n'))
  return { operations, tables }
}

/**
 * The documents, with each `v1 List` (what `kubectl get -o yaml` prints)
 * replaced by its items; `at` for messages, `path` as a field path, `locate`
 * for the line and column of a field path relative to the item.
 */
function listItems(documents: readonly Document[]): Array<{ value: unknown; at: string; path: string; locate?: Document['locate'] }> {
  const out: Array<{ value: unknown; at: string; path: string; locate?: Document['locate'] }> = []
  for (const d of documents) {
    const v = d.value as { apiVersion?: unknown; kind?: unknown; items?: unknown }
    const locate = d.locate
    if (v?.apiVersion === 'v1' && v.kind === 'List' && Array.isArray(v.items))
      for (const [i, item] of (v.items as unknown[]).entries())
        out.push({
          value: item,
          at: `document ${d.index} item ${i}`,
          path: `documents[${d.index}].items[${i}]`,
          locate: locate && ((p: string) => locate(`items[${i}]${p && !p.startsWith('[') ? '.' : ''}${p}`)),
        })
    else out.push({ value: d.value, at: `document ${d.index}`, path: `documents[${d.index}]`, locate })
  }
  return out
}

/** `file:line:col` when the position is known, else `file`. */
function lineCol(file: string, at: { line: number; col: number } | undefined): string {
  return at ? `${file}:${at.line}:${at.col}` : file
}

function countKinds(kinds: readonly string[]): string {
  const n = new Map<string, number>()
  for (const k of kinds) n.set(k, (n.get(k) ?? 0) + 1)
  return [...n].map(([k, c]) => (c > 1 ? `${c} ${k}` : k)).join(', ')
}

/** Bad input files (all problems in one message). */
export class InputError extends Error {}

/** A manifest of another API group (apiVersion and kind set, not networking.liqo.io): skipped, not an error. */
function isOtherKubernetesKind(v: unknown): boolean {
  const o = v as { apiVersion?: unknown; kind?: unknown } | null
  return typeof o?.apiVersion === 'string' && typeof o.kind === 'string' && o.kind !== '' && !o.apiVersion.startsWith('networking.liqo.io/')
}

