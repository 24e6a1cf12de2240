/**
 * What each `nftkit` command does, over the library: files become desired
 * state (`sources/`, `state/`), the reconciler applies it, listings become nft
 * text. Argument parsing is in `args.ts`, the exit codes and output in `main.ts`.
 * @module
 */
import { createHash } from 'node:crypto'
import { watch as fsWatch, readFileSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { stringify as stringifyYaml } from 'yaml'
import { consumerProtection, networkPolicies, providerProtection } from '../policies/generate.js'
import type { Inventory } from '../policies/inventory.js'
import { type Client, createClient } from '../io/client.js'
import { createMonitor, type Monitor } from '../io/monitor.js'
import { applyToModel } from '../state/model.js'
import { desiredTables } from '../state/desired.js'
import { renderRuleset } from '../nft/ruleset.js'
import { tablesOf } from '../state/tables.js'
import type { Operation } from '../model/operations.js'
import { plan } from '../reconcile/plan.js'
import { reconcileSync } from '../reconcile/apply.js'
import { renderOperation, renderRuleBody } from '../expr/render.js'
import { expandPaths, loadFiles, type SourceOptions } from '../sources/files.js'
import { UsageError } from './args.js'

/**
 * A client in `netns` (default: the current namespace) whose warnings go to
 * stderr as `nftkit: warning: ...`. No warm-up unless `long` (`watch`): a
 * one-shot command makes a few calls and exits.
 */
function connect(netns?: string, long = false): Client {
  return createClient({ ...(netns ? { netns } : {}), warmUp: long ? 'background' : false, onWarning: (message) => process.stderr.write(`nftkit: warning: ${message}\n`) })
}

/**
 * `apply`: make each declared table hold exactly what the files say, with the
 * smallest change (unchanged rules keep their handles and counters), in one
 * batch bound to the generation it was planned from. Tables the files do not
 * declare are left alone.
 */
export function apply(files: readonly string[], netns?: string, selector: Readonly<Record<string, string>> = {}, sources: SourceOptions = {}): { operations: number; messages: number } {
  const parsed = loadFiles(files, selector, sources)
  const desired = desiredTables(parsed)
  const client = connect(netns)
  try {
    const r = reconcileSync(client, desired)
    return { operations: r.operations.length, messages: r.messages }
  } finally {
    client.close()
  }
}

/** `plan`: the change `apply` would make, as nft commands; no change is an empty list. */
export function planText(files: readonly string[], netns?: string, selector: Readonly<Record<string, string>> = {}, sources: SourceOptions = {}): string[] {
  const desired = desiredTables(loadFiles(files, selector, sources))
  const client = connect(netns)
  try {
    const listing = client.listSync()
    // A rule deleted by handle is shown with the rule it was, so a person can read the change.
    const named = (op: Operation) => {
      const o = op.object as { kind: string; family?: string; table?: string; handle?: number }
      if (op.verb !== 'delete' || o.kind !== 'rule' || o.handle === undefined) return ''
      const r = listing.rules.find((x) => x.family === o.family && x.table === o.table && x.handle === o.handle)
      return r ? `  # was: ${renderRuleBody(r)}` : ''
    }
    return plan(desired, listing).map((op) => `${op.verb === 'delete' || op.verb === 'flush' ? '-' : '+'} ${renderOperation(op.verb, op.object)}${named(op)}`)
  } finally {
    client.close()
  }
}

/** `render`: nft text of what the files declare. */
export function render(files: readonly string[], selector: Readonly<Record<string, string>> = {}, sources: SourceOptions = {}): string {
  return renderRuleset(applyToModel(loadFiles(files, selector, sources).operations))
}

/** `list`: the current state as nft text. */
export function list(netns?: string, table?: string): string {
  const client = connect(netns)
  try {
    const l = client.listSync(table ? { table } : {})
    return renderRuleset(tablesOf(l))
  } finally {
    client.close()
  }
}

/** `delete`: remove exactly the tables the files declare (their family only), in one batch. */
export function remove(files: readonly string[], netns?: string, selector: Readonly<Record<string, string>> = {}, sources: SourceOptions = {}): number {
  const parsed = loadFiles(files, selector, sources)
  const client = connect(netns)
  try {
    const tx = client.transaction()
    for (const t of parsed.tables) tx.destroy({ kind: 'table', family: t.family, name: t.name })
    if (tx.length) client.commitSync(tx, { handles: false })
    return tx.length
  } finally {
    client.close()
  }
}

/** Per-rule counters of the declared tables (or of tables named like `which`). */
export function status(which: readonly string[], netns?: string, selector: Readonly<Record<string, string>> = {}, sources: SourceOptions = {}) {
  const files = which.filter((w) => /\.(nft|ya?ml|json)$/.test(w))
  const names = which.filter((w) => !files.includes(w))
  const tables = [...loadFiles(files, selector, sources).tables, ...names.map((n) => ({ family: undefined, name: n }))]
  const client = connect(netns)
  try {
    const l = client.listSync()
    const rows: { table: string; chain: string; rule: string; handle: number; packets: number; bytes: number }[] = []
    for (const r of l.rules) {
      if (!tables.some((t) => t.name === r.table && (t.family === undefined || t.family === r.family))) continue
      const c = r.exprs.find((e) => 'stmt' in e && e.stmt === 'counter' && e.name === undefined && !('key' in e)) as { packets?: number; bytes?: number } | undefined
      rows.push({ table: `${r.family} ${r.table}`, chain: r.chain, rule: r.comment ?? `#${r.handle}`, handle: r.handle, packets: c ? (c.packets ?? 0) : -1, bytes: c ? (c.bytes ?? 0) : -1 })
    }
    const missing = tables.filter((t) => !l.tables.some((x) => x.name === t.name && (t.family === undefined || x.family === t.family)))
    return { rows, missing: missing.map((t) => `${t.family ?? '*'} ${t.name}`) }
  } finally {
    client.close()
  }
}

/** Options of {@link watch}. */
export interface WatchOptions {
  /** Network namespace (name under /run/netns or path); default the current one. */
  readonly netns?: string
  /** Only FirewallConfigurations whose labels match (YAML/JSON files). */
  readonly selector?: Readonly<Record<string, string>>
  /** NetworkPolicies: enforce for this node's pods only. */
  readonly node?: string
  /**
   * Quiet time after a change before re-applying, so that changes arriving
   * together (one foreign batch, several quick nft commands, an editor's
   * save) cause one re-apply. Default 10 ms.
   */
  readonly debounceMs?: number
  /** Where progress lines go; default stderr with a timestamp. */
  readonly log?: (line: string) => void
  /** Stops watching. */
  readonly signal?: AbortSignal
}

/**
 * `watch`: apply now, then again whenever a file changes or another process
 * changes a declared table. Changes are learned from the kernel's nf_tables
 * notifications (a {@link Monitor} subscribed before the first apply), so
 * drift is repaired as soon as it is committed; batches nftkit committed
 * itself are recognised by the netlink port id of its socket and ignored, as
 * are batches older than the last state it read. Runs until `signal` aborts;
 * rejects if the monitor fails.
 */
export async function watch(files: readonly string[], opts: WatchOptions = {}): Promise<void> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${new Date().toISOString()} ${l}\n`))
  const client = connect(opts.netns, true)
  let monitor: Monitor
  try {
    monitor = createMonitor(opts.netns ? { netns: opts.netns } : {})
  } catch (e) {
    client.close()
    throw e
  }
  const key = (family: string, name: string) => `${family} ${name}`
  /** Declared tables, as of the last apply. */
  let owned = new Set<string>()
  /** The newest generation our last read or commit reflected. */
  let seen = -1
  const reasons = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  /** What the files held at the last apply: a save that changes nothing is not a change. */
  let lastFiles: string | undefined
  const apply = () => {
    timer = undefined
    const onlyFiles = reasons.size === 1 && reasons.has('files changed')
    const why = [...reasons].join(', ')
    reasons.clear()
    try {
      const now = fingerprint(files)
      if (onlyFiles && now === lastFiles) return
      lastFiles = now
      const desired = desiredTables(loadFiles(files, opts.selector ?? {}, opts.node !== undefined ? { node: opts.node } : {}))
      owned = new Set(desired.map((t) => key(t.table.family, t.table.name)))
      const r = reconcileSync(client, desired)
      seen = Math.max(seen, r.operations.length ? r.genId + 1 : r.genId)
      if (r.operations.length) log(`${why}: applied ${r.operations.length} operations in one batch (${r.messages} messages)`)
      else if (why !== 'ruleset changed') log(`${why}: nothing to do`)
    } catch (e) {
      log(`error: ${(e as Error).message}`)
    }
  }
  const schedule = (why: string) => {
    reasons.add(why)
    timer ??= setTimeout(apply, opts.debounceMs ?? 10)
  }
  monitor.on('commit', (c) => {
    if (c.portId === client.portId || c.genId <= seen) return
    const drift = c.changes.filter((x) => owned.has(key(x.family, x.table)))
    if (drift.length === 0) return
    const what = [...new Set(drift.map((x) => `${x.type} ${x.op === 'del' ? 'deleted' : 'added'}`))].join(', ')
    log(`drift: ${c.procName}[${c.pid}] changed ${[...new Set(drift.map((x) => `${x.family} ${x.table}`))].join(', ')} (${what}; generation ${c.genId})`)
    schedule('ruleset changed')
  })
  monitor.on('overrun', () => schedule('ruleset changed'))
  // Watch directories, not files: an editor's or sed -i's rename-over and a
  // ConfigMap volume's ..data symlink swap replace the file, and a watch on
  // the old file would never fire again. A directory watch sees every one.
  const watchers = watchedDirectories(files).map((d) => fsWatch(d, () => schedule('files changed')))
  try {
    reasons.add('start')
    apply()
    await new Promise<void>((resolve, reject) => {
      monitor.on('error', reject)
      if (opts.signal?.aborted) resolve()
      opts.signal?.addEventListener('abort', () => resolve(), { once: true })
    })
  } finally {
    clearTimeout(timer)
    for (const w of watchers) w.close()
    monitor.close()
    client.close()
  }
}

const POLICY_KINDS = ['provider-protection', 'consumer-protection', 'network-policies'] as const

/** The generated policy objects of an inventory as multi-document YAML. */
export function policiesYaml(inv: Inventory, kinds: readonly string[]): string {
  for (const k of kinds) if (!(POLICY_KINDS as readonly string[]).includes(k)) throw new UsageError(`unknown policy kind ${k} (expected ${POLICY_KINDS.join(', ')})`)
  const want = kinds.length ? kinds : ['provider-protection', 'network-policies']
  const docs: object[] = []
  if (want.includes('provider-protection')) docs.push(...providerProtection(inv))
  if (want.includes('consumer-protection')) docs.push(...consumerProtection(inv))
  if (want.includes('network-policies')) docs.push(...networkPolicies(inv))
  return docs.map((d) => stringifyYaml(d)).join('---\n')
}

/** The status table as text: one row per rule, counters right-aligned. */
export function statusText(s: ReturnType<typeof status>): string {
  const head = ['TABLE', 'CHAIN', 'RULE', 'PACKETS', 'BYTES']
  const body = s.rows.map((r) => [r.table, r.chain, r.rule, r.packets < 0 ? '-' : String(r.packets), r.bytes < 0 ? '-' : String(r.bytes)])
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)))
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd()
  return [line(head), ...body.map(line), ...s.missing.map((m) => `(table ${m} does not exist)`)].join('\n')
}

/** The directories to watch for `paths`: a directory itself, a file's parent. */
function watchedDirectories(paths: readonly string[]): string[] {
  const dirs = paths.map((p) => {
    try {
      return statSync(p).isDirectory() ? p : dirname(p)
    } catch {
      return dirname(p)
    }
  })
  return [...new Set(dirs)]
}

/** A digest of the names and contents of the files `paths` stand for (an unreadable set gives a unique value). */
function fingerprint(paths: readonly string[]): string {
  const h = createHash('sha256')
  try {
    for (const f of expandPaths(paths)) h.update(`${f}\0`).update(readFileSync(f)).update('\0')
  } catch (e) {
    h.update(`error ${(e as Error).message} ${Date.now()}`)
  }
  return h.digest('hex')
}
