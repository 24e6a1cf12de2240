/**
 * W7 (bench/WORKLOADS-nftkit.md): sporadic one-element updates. One element
 * added or deleted on W2's 1k interval set, with 50 ms of idle time before
 * every operation and no warm loop: the regime of a controller that changes
 * one pod IP every so often.
 *
 * One variant per process, each in its own fresh network namespace:
 *
 *   unshare -n node --import tsx bench/w7.ts --variant c|sync|async|writer|writer-async|sync-warm|sync-cold [--ops 200] [--idle 50] [--n 1000] [--json]
 *   node --import tsx bench/w7.ts --all [--ops 200] [--idle 50] [--rounds 3]   # every variant, one namespace each, one table
 *
 * With --rounds K, --all runs every variant K times, interleaved (round 1: c,
 * sync, async, ...; round 2 the same, ...), each time in a fresh process and
 * namespace, and pools each variant's samples: one process's numbers depend on
 * where the scheduler put it (on this 2-vCPU VM the same C floor measured 218
 * µs in one process and 288 µs in the next), so the table gives the pooled
 * p50/p99 and every round's p50 as a multiple of the same round's C floor.
 *
 * `writer` and `writer-async` make the same changes with the set's element
 * writer (`client.elementWriter(set)`, made once before the first operation,
 * untimed): `addSync`/`deleteSync` and `await add`/`delete`.
 *
 * `sync` and `async` use a client made as a controller makes it,
 * `createClient()`: it warms the code up in the background while the process
 * is idle (the first idle periods of the run). `sync-warm` is `sync` with
 * `createClient({ warmUp: true })` (the warm-up runs before the first
 * operation); `sync-cold` is `sync` with `warmUp: false` (no warm-up at all).
 *
 * The state is built by a separate process (`--setup`, untimed), so the
 * measuring process has run no commit before its first timed one. It opens its
 * connection and lists the table once (untimed: nftkit needs the set's shape,
 * as a controller reads the state at start), then runs the operations. The C
 * floor (bench/c/floor.c, built by bench/c/build.sh) does the same operations
 * with libnftnl. Every variant's end state is listed and checked.
 * @module
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { cFloorSamples } from './c/floor.js'
import { createClient } from './nftkit.js'
import { alternateP50, fmt, percentile, ratio, requireOwnNetns } from './table.js'
import { Runner, SET, TABLE, w1Input, w1Problem, w1Tx, w2Element, w2Tx } from './workloads.js'

/** Rules in the W7 chain (W2's state: W1 at N, R = 100). */
const RULES = 100
const args = process.argv.slice(2)
const opt = (name: string, dflt: string): string => (args.includes(name) ? (args[args.indexOf(name) + 1] ?? dflt) : dflt)
const N = Number(opt('--n', '1000'))
const OPS = Number(opt('--ops', '200'))
const IDLE_MS = Number(opt('--idle', '50'))
const ROUNDS = Number(opt('--rounds', '1'))
for (const [name, v] of [['--n', N], ['--ops', OPS], ['--rounds', ROUNDS]] as const)
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: expected a whole number >= 1, got ${v}`)
if (!Number.isFinite(IDLE_MS) || IDLE_MS < 0) throw new Error(`--idle: expected milliseconds >= 0, got ${IDLE_MS}`)
const VARIANTS = ['c', 'sync', 'async', 'writer', 'writer-async', 'sync-warm', 'sync-cold'] as const
type Variant = (typeof VARIANTS)[number]

/** What one variant's process reports (one JSON line with --json). */
export interface W7Result {
  readonly variant: Variant
  readonly samples: number[]
  readonly verified: boolean
  readonly note: string
  /** With --rounds: each round's p50 over its own C floor's, in round order. */
  readonly roundRatios?: number[]
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Open, bind and close a netlink socket (the kernel finishes deferred destruction), then 50 ms: WORKLOADS.md's settle. */
async function settle(): Promise<void> {
  createClient().close()
  await sleep(50)
}

/** `--setup`: reset and the W1 state at N (R = 100) in this namespace; nothing timed. */
async function setup(): Promise<void> {
  const run = new Runner('sync')
  await run.reset()
  run.client.commitSync(w1Tx(run, w1Input(N, RULES)))
  run.close()
}

/** Runs the setup in a child process of this namespace, so this process has made no commit yet. */
function setupElsewhere(): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--setup', '--n', String(N)], { stdio: 'inherit' })
  if (r.status !== 0) throw new Error(`setup process failed (${r.status ?? r.signal})`)
}

/**
 * The timed operations of one nftkit variant: operation i adds (even i) or
 * deletes (odd i) w2Element(i >> 1), as a transaction (`sync`, `async`) or
 * with the set's element writer (`writer`, `writer-async`).
 */
async function nftkit(api: 'sync' | 'async' | 'writer' | 'writer-async', warmUp: boolean | 'background' = 'background'): Promise<number[]> {
  const client = createClient({ family: 'inet', table: TABLE, warmUp })
  client.listSync({ table: TABLE }) // untimed: the set's shape (a controller reads the state when it starts)
  const writer = client.elementWriter(SET) // untimed, like the listing: made once, when the controller starts
  const els = Array.from({ length: OPS }, (_, i) => w2Element(i >> 1)) // prepared input
  const samples: number[] = []
  try {
    for (let i = 0; i < OPS; i++) {
      if (i > 0) await sleep(IDLE_MS)
      const t = performance.now()
      if (api === 'sync') client.commitSync(w2Tx(client, SET, i, els[i]))
      else if (api === 'async') await client.commit(w2Tx(client, SET, i, els[i]))
      else if (api === 'writer') i % 2 === 0 ? writer.addSync([els[i]]) : writer.deleteSync([els[i]])
      else await (i % 2 === 0 ? writer.add([els[i]]) : writer.delete([els[i]]))
      samples.push((performance.now() - t) * 1000)
    }
  } finally {
    client.close()
  }
  return samples
}

/** One variant, in this (fresh) namespace: setup elsewhere, settle, the timed operations, the end-state check. */
async function one(variant: Variant): Promise<W7Result> {
  const probe = createClient()
  requireOwnNetns(() => probe.listSync({ elements: false }).tables.length > 0)
  probe.close()
  setupElsewhere()
  await settle()
  let samples: number[] = []
  let note = '-'
  try {
    samples = variant === 'c' ? cFloorSamples(OPS, IDLE_MS) : variant === 'sync-warm' ? await nftkit('sync', true) : variant === 'sync-cold' ? await nftkit('sync', false) : await nftkit(variant)
  } catch (e) {
    note = String((e as Error).message).replace(/\s+/g, '_').slice(0, 80)
    process.stderr.write(`${(e as Error).stack}\n`)
  }
  // Checked after the clock: W2's end state (every add deleted again).
  const run = new Runner('sync')
  const problem = await w1Problem(run, N, RULES)
  run.close()
  if (problem) note = note === '-' ? problem.replace(/\s+/g, '_') : note
  return { variant, samples, verified: problem === undefined && samples.length === OPS, note }
}

/** One variant in its own `unshare -n` process. */
function spawnVariant(v: Variant): W7Result {
  const r = spawnSync('unshare', ['-n', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--variant', v, '--json', '--ops', String(OPS), '--idle', String(IDLE_MS), '--n', String(N)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'))
  return line ? (JSON.parse(line) as W7Result) : { variant: v, samples: [], verified: false, note: `exit_${r.status ?? r.signal}` }
}

/** `--all`: each variant in its own process, `ROUNDS` times interleaved, then one markdown table of the pooled samples. */
function all(): void {
  const pooled = VARIANTS.map((variant) => ({ variant, samples: [] as number[], verified: true, note: '-', roundRatios: [] as number[] }))
  for (let round = 1; round <= ROUNDS; round++) {
    let cP50 = Number.NaN
    for (const acc of pooled) {
      process.stderr.write(`w7: ${ROUNDS > 1 ? `round ${round}/${ROUNDS}, ` : ''}${acc.variant}\n`)
      const r = spawnVariant(acc.variant)
      const p50 = percentile(r.samples, 0.5)
      if (acc.variant === 'c') cP50 = p50
      acc.samples.push(...r.samples)
      acc.verified &&= r.verified
      if (!r.verified) acc.note = r.note
      acc.roundRatios.push(p50 / cP50)
    }
  }
  console.log(w7Table(pooled.map(({ roundRatios, ...r }) => (ROUNDS > 1 ? { ...r, roundRatios } : r))))
}

/** The W7 table: one row per variant, p50/p99 and the p50 as a multiple of the C floor's. */
export function w7Table(results: readonly W7Result[]): string {
  const c = results.find((r) => r.variant === 'c')
  const cP50 = c ? percentile(c.samples, 0.5) : Number.NaN
  const label: Record<Variant, string> = {
    c: 'C floor (bench/c/floor.c)',
    sync: 'nftkit commitSync (default client: warm-up in the background)',
    async: 'nftkit await commit (default client)',
    writer: 'nftkit elementWriter addSync/deleteSync (default client)',
    'writer-async': 'nftkit elementWriter await add/delete (default client)',
    'sync-warm': 'nftkit commitSync, createClient({ warmUp: true })',
    'sync-cold': 'nftkit commitSync, createClient({ warmUp: false })',
  }
  const rounds = results.some((r) => r.roundRatios)
  const lines = [
    `| workload | N | variant | ops | p50 | p99 | p50 / C |${rounds ? ' each round: p50 / C |' : ''} add p50 | del p50 | first op | verified |`,
    `|---|---|---|---|---|---|---|${rounds ? '---|' : ''}---|---|---|---|`,
  ]
  for (const r of results) {
    const p50 = percentile(r.samples, 0.5)
    const each = rounds ? ` ${(r.roundRatios ?? []).map((x) => (Number.isFinite(x) ? x.toFixed(2) : '-')).join(' / ')} |` : ''
    lines.push(
      `| W7 (idle ${IDLE_MS} ms) | ${N} | ${label[r.variant]} | ${r.samples.length} | ${fmt(p50)} | ${fmt(percentile(r.samples, 0.99))} | ${r.variant === 'c' ? '1.00x' : ratio(p50, cP50)} |${each} ${fmt(alternateP50(r.samples, 0))} | ${fmt(alternateP50(r.samples, 1))} | ${fmt(r.samples[0] ?? Number.NaN)} | ${r.verified ? 'yes' : `NO (${r.note})`} |`,
    )
  }
  const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version
  lines.push('', `nftkit ${version}, node ${process.version}, kernel ${os.release()}, ${os.cpus().length} cpus; W7 = ${OPS} ops${rounds ? ` per process, ${ROUNDS} rounds (each variant's samples pooled)` : ''}, ${IDLE_MS} ms idle before each, no warm loop`)
  return lines.join('\n')
}

if (args.includes('--setup')) await setup()
else if (args.includes('--all')) all()
else {
  const v = opt('--variant', 'sync') as Variant
  if (!VARIANTS.includes(v)) throw new Error(`--variant: one of ${VARIANTS.join(', ')}`)
  const r = await one(v)
  if (args.includes('--json')) console.log(JSON.stringify(r))
  else console.log(w7Table([r]))
  process.exitCode = r.verified ? 0 : 1
}
