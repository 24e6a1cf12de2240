#!/usr/bin/env node
/**
 * The `nftkit` command:
 *
 *   nftkit apply FILE... [--netns NAME|PATH]   make each declared table hold exactly what the files say (one batch)
 *   nftkit render FILE...                      print the nft text the files declare (no kernel)
 *   nftkit list [--netns NAME|PATH] [TABLE]    print the current state as nft text (our own netlink dump)
 *   nftkit watch FILE... [--netns NAME|PATH]   apply, then re-apply on file changes and on foreign changes
 *                                              to the declared tables (nf_tables notifications)
 *   nftkit policies INVENTORY [KIND...]        print generated provider-protection objects as YAML
 *
 * Exit code 0 on success, 1 on any error (with a message naming file, line and
 * column for syntax errors); on error the kernel is unchanged.
 * @module
 */
import { watch as fsWatch, readFileSync } from 'node:fs'
import { stringify as stringifyYaml } from 'yaml'
import { consumerProtection, networkPolicies, providerProtection } from '../policies/generate.js'
import type { Inventory } from '../policies/inventory.js'
import { InventoryError, readInventory } from '../policies/validate-inventory.js'
import { createClient } from '../io/client.js'
import { createMonitor, type Monitor } from '../io/monitor.js'
import { NftError, NftValidationError } from '../kernel/errors.js'
import { applyToModel } from '../state/model.js'
import { NftSyntaxError, type ParsedFile, parseNft, sourceOf } from '../nft/parser.js'
import { renderRuleset } from '../nft/ruleset.js'
import { tablesOf } from '../state/tables.js'
import { Transaction } from '../batch/transaction.js'
import type { Operation } from '../model/operations.js'
import { plan } from '../reconcile/plan.js'
import { reconcileSync } from '../reconcile/apply.js'
import { renderOperation, renderRuleBody } from '../expr/render.js'
import {
  FAMILY,
  type FirewallConfiguration,
  isFirewallConfiguration,
  matchesSelector,
  readDocuments,
  toOperations,
  validate,
} from '../liqo/firewall-configuration.js'

const USAGE = `usage:
  nftkit apply FILE... [--netns NAME|PATH] [--selector key=value,...]
  nftkit plan FILE... [--netns NAME|PATH] [--selector key=value,...]   (exit 0: no change, 2: changes pending)
  nftkit render FILE... [--selector key=value,...]
  nftkit list [--netns NAME|PATH] [TABLE]
  nftkit status FILE...|TABLE... [--netns NAME|PATH] [--json]
  nftkit watch FILE... [--netns NAME|PATH] [--selector key=value,...]
  nftkit delete FILE... [--netns NAME|PATH] [--selector key=value,...]
  nftkit policies INVENTORY [provider-protection|consumer-protection|network-policies]...
                                             (print the generated objects as YAML; default: provider-protection network-policies)`

interface Args {
  readonly cmd: string
  readonly files: string[]
  readonly netns?: string
  readonly selector: Record<string, string>
  readonly json: boolean
}

function parseArgs(argv: string[]): Args {
  const [cmd, ...rest] = argv
  const files: string[] = []
  let netns: string | undefined
  let selector: Record<string, string> = {}
  let json = false
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]
    if (a === '--json') json = true
    else if (a === '--selector') selector = parseSelector(rest[++i] ?? '')
    else if (a.startsWith('--selector=')) selector = parseSelector(a.slice(11))
    else if (a === '--netns') {
      netns = rest[++i]
      if (!netns) throw new UsageError('--netns needs a namespace name or path')
    } else if (a.startsWith('--netns=')) netns = a.slice(8)
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`)
    else files.push(a)
  }
  return { cmd: cmd ?? '', files, netns, selector, json }
}

class UsageError extends Error {}

/**
 * Parses every file: `.nft` as nft text, `.yaml`/`.yml`/`.json` as Liqo
 * FirewallConfigurations (those matching `selector`, every problem reported
 * with file, document and field path).
 */
export function loadFiles(files: readonly string[], selector: Readonly<Record<string, string>> = {}): ParsedFile {
  const operations: Operation[] = []
  const tables: { family: ParsedFile['tables'][number]['family']; name: string }[] = []
  const declare = (t: { family: ParsedFile['tables'][number]['family']; name: string }) => {
    if (!tables.some((x) => x.family === t.family && x.name === t.name)) tables.push(t)
  }
  for (const f of files) {
    const text = readFileSync(f, 'utf8')
    if (f.endsWith('.nft')) {
      const p = parseNft(text, { file: f })
      operations.push(...p.operations)
      for (const t of p.tables) declare(t)
      continue
    }
    if (!/\.(ya?ml|json)$/.test(f)) throw new UsageError(`${f}: expected a .nft, .yaml, .yml or .json file`)
    const { documents, problems } = readDocuments(text, f)
    const lines = problems.map((p) => `${f}: ${p.path}: ${p.message}`)
    for (const d of documents) {
      if (!isFirewallConfiguration(d.value)) {
        // Other Kubernetes kinds (e.g. the NetworkPolicies `nftkit policies` writes beside them) are not ours.
        if (!isOtherKubernetesKind(d.value)) lines.push(`${f}: document ${d.index}: expected kind FirewallConfiguration`)
        continue
      }
      if (!matchesSelector(d.value, selector)) continue
      const name = (d.value as FirewallConfiguration).metadata?.name
      const where = `${f}: document ${d.index}${name ? ` (${name})` : ''}`
      const found = validate(d.value)
      if (found.length) {
        lines.push(...found.map((p) => `${where}: ${p.path}: ${p.message}`))
        continue
      }
      const fwc = d.value as FirewallConfiguration
      operations.push(...toOperations(fwc))
      declare({ family: FAMILY[fwc.spec.table.family], name: fwc.spec.table.name })
    }
    if (lines.length) throw new InputError(lines.join('\n'))
  }
  return { operations, tables }
}

/** Bad input files (all problems in one message). */
class InputError extends Error {}

function parseSelector(s: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of s.split(',').filter(Boolean)) {
    const i = part.indexOf('=')
    if (i <= 0) throw new UsageError(`--selector expects key=value[,key=value...], got ${JSON.stringify(s)}`)
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim()
  }
  return out
}

/**
 * `apply`: make each declared table hold exactly what the files say, with the
 * smallest change (unchanged rules keep their handles and counters), in one
 * batch bound to the generation it was planned from. Tables the files do not
 * declare are left alone.
 */
export function apply(files: readonly string[], netns?: string, selector: Readonly<Record<string, string>> = {}): { operations: number; messages: number } {
  const parsed = loadFiles(files, selector)
  const desired = declaredTables(parsed)
  const client = createClient(netns ? { netns } : {})
  try {
    const r = reconcileSync(client, desired)
    return { operations: r.operations.length, messages: r.messages }
  } finally {
    client.close()
  }
}

/** The declared state of the files' tables, checked like a transaction would (errors name file and line). */
function declaredTables(parsed: ParsedFile) {
  const check = new Transaction()
  for (const op of parsed.operations) {
    try {
      check.apply(op)
    } catch (e) {
      const at = sourceOf(op)
      if (e instanceof NftValidationError && at) throw new Error(`${at.file ?? '<input>'}:${at.line}:${at.col}: ${e.message}`)
      throw e
    }
  }
  const model = applyToModel(parsed.operations)
  for (const t of model)
    for (const r of t.rules)
      if (!t.chains.some((c) => c.name === r.chain)) throw new Error(`rule in chain ${t.table.family}/${t.table.name}/${r.chain}: the chain is not declared`)
  return model.filter((t) => parsed.tables.some((d) => d.family === t.table.family && d.name === t.table.name))
}

/** `plan`: the change `apply` would make, as nft commands; no change is an empty list. */
export function planText(files: readonly string[], netns?: string, selector: Readonly<Record<string, string>> = {}): string[] {
  const desired = declaredTables(loadFiles(files, selector))
  const client = createClient(netns ? { netns } : {})
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
export function render(files: readonly string[], selector: Readonly<Record<string, string>> = {}): string {
  return renderRuleset(applyToModel(loadFiles(files, selector).operations))
}

/** `list`: the current state as nft text. */
export function list(netns?: string, table?: string): string {
  const client = createClient(netns ? { netns } : {})
  try {
    const l = client.listSync(table ? { table } : {})
    return renderRuleset(tablesOf(l))
  } finally {
    client.close()
  }
}

/** `delete`: remove exactly the tables the files declare (their family only), in one batch. */
export function remove(files: readonly string[], netns?: string, selector: Readonly<Record<string, string>> = {}): number {
  const parsed = loadFiles(files, selector)
  const client = createClient(netns ? { netns } : {})
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
export function status(which: readonly string[], netns?: string, selector: Readonly<Record<string, string>> = {}) {
  const files = which.filter((w) => /\.(nft|ya?ml|json)$/.test(w))
  const names = which.filter((w) => !files.includes(w))
  const tables = [...loadFiles(files, selector).tables, ...names.map((n) => ({ family: undefined, name: n }))]
  const client = createClient(netns ? { netns } : {})
  try {
    const l = client.listSync()
    const rows: { table: string; chain: string; rule: string; handle: number; packets: number; bytes: number }[] = []
    for (const r of l.rules) {
      if (!tables.some((t) => t.name === r.table && (t.family === undefined || t.family === r.family))) continue
      const c = r.exprs.find((e) => 'stmt' in e && e.stmt === 'counter' && e.name === undefined) as { packets?: number; bytes?: number } | undefined
      rows.push({ table: `${r.family} ${r.table}`, chain: r.chain, rule: r.comment ?? `#${r.handle}`, handle: r.handle, packets: c ? (c.packets ?? 0) : -1, bytes: c ? (c.bytes ?? 0) : -1 })
    }
    const missing = tables.filter((t) => !l.tables.some((x) => x.name === t.name && (t.family === undefined || x.family === t.family)))
    return { rows, missing: missing.map((t) => `${t.family ?? '*'} ${t.name}`) }
  } finally {
    client.close()
  }
}

function statusText(s: ReturnType<typeof status>): string {
  const head = ['TABLE', 'CHAIN', 'RULE', 'PACKETS', 'BYTES']
  const body = s.rows.map((r) => [r.table, r.chain, r.rule, r.packets < 0 ? '-' : String(r.packets), r.bytes < 0 ? '-' : String(r.bytes)])
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)))
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd()
  return [line(head), ...body.map(line), ...s.missing.map((m) => `(table ${m} does not exist)`)].join('\n')
}

/** Options of {@link watch}. */
export interface WatchOptions {
  /** Network namespace (name under /run/netns or path); default the current one. */
  readonly netns?: string
  /** Only FirewallConfigurations whose labels match (YAML/JSON files). */
  readonly selector?: Readonly<Record<string, string>>
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
  const client = createClient(opts.netns ? { netns: opts.netns } : {})
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
  const apply = () => {
    timer = undefined
    const why = [...reasons].join(', ')
    reasons.clear()
    try {
      const desired = declaredTables(loadFiles(files, opts.selector ?? {}))
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
  const watchers = files.map((f) => fsWatch(f, () => schedule('files changed')))
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

/** A manifest of another API group (apiVersion and kind set, not networking.liqo.io): skipped, not an error. */
function isOtherKubernetesKind(v: unknown): boolean {
  const o = v as { apiVersion?: unknown; kind?: unknown } | null
  return typeof o?.apiVersion === 'string' && typeof o.kind === 'string' && o.kind !== '' && !o.apiVersion.startsWith('networking.liqo.io/')
}

/** Runs the CLI; returns the exit code. */
export function main(argv: string[], out = process.stdout, err = process.stderr): number {
  try {
    const a = parseArgs(argv)
    switch (a.cmd) {
      case 'apply': {
        if (a.files.length === 0) throw new UsageError('apply needs at least one file')
        const r = apply(a.files, a.netns, a.selector)
        err.write(`applied ${r.operations} operations in one batch (${r.messages} netlink messages)\n`)
        return 0
      }
      case 'plan': {
        if (a.files.length === 0) throw new UsageError('plan needs at least one file')
        const lines = planText(a.files, a.netns, a.selector)
        if (lines.length) out.write(`${lines.join('\n')}\n`)
        return lines.length ? 2 : 0
      }
      case 'render':
        if (a.files.length === 0) throw new UsageError('render needs at least one file')
        out.write(render(a.files, a.selector))
        return 0
      case 'list':
        if (a.files.length > 1) throw new UsageError('list takes at most one table name')
        out.write(list(a.netns, a.files[0]))
        return 0
      case 'delete': {
        if (a.files.length === 0) throw new UsageError('delete needs at least one file')
        const n = remove(a.files, a.netns, a.selector)
        err.write(`deleted ${n} table(s) in one batch\n`)
        return 0
      }
      case 'status': {
        if (a.files.length === 0) throw new UsageError('status needs files or table names')
        const st = status(a.files, a.netns, a.selector)
        out.write(a.json ? `${JSON.stringify(st, null, 2)}\n` : `${statusText(st)}\n`)
        return 0
      }
      case 'policies': {
        const [file, ...kinds] = a.files
        if (!file) throw new UsageError('policies needs an inventory file (YAML or JSON)')
        out.write(policiesYaml(readInventory(readFileSync(file, 'utf8'), file), kinds))
        return 0
      }
      case '-h':
      case '--help':
      case 'help':
        out.write(`${USAGE}\n`)
        return 0
      default:
        throw new UsageError(a.cmd ? `unknown command ${a.cmd}` : 'missing command')
    }
  } catch (e) {
    if (e instanceof UsageError) err.write(`nftkit: ${e.message}\n${USAGE}\n`)
    else if (e instanceof NftSyntaxError || e instanceof NftValidationError || e instanceof NftError || e instanceof InputError || e instanceof InventoryError)
      err.write(`nftkit: ${e.message}\n`)
    else err.write(`nftkit: ${(e as Error).message ?? String(e)}\n`)
    return 1
  }
}

const invoked = process.argv[1] ?? ''
if (/cli(\/main)?\.(ts|js|cjs|mjs)$/.test(invoked) || invoked.endsWith('/nftkit')) {
  const argv = process.argv.slice(2)
  if (argv[0] === 'watch') {
    const a = parseArgs(argv)
    const ac = new AbortController()
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => ac.abort())
    watch(a.files, { netns: a.netns, selector: a.selector, signal: ac.signal }).catch((e) => {
      process.stderr.write(`nftkit: ${(e as Error).message}\n`)
      process.exitCode = 1
    })
  } else process.exitCode = main(argv)
}
