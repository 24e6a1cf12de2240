/**
 * `npm run bench`: nftkit alone, one table. W0-W4 of
 * ../shared/peers/WORKLOADS.md and W5-W6 of bench/WORKLOADS-nftkit.md, each
 * case after a reset, every end state checked. Must run inside a fresh network
 * namespace (`unshare -n`, as the npm script does).
 *
 * Options: `--quick` (smoke run, about 30 s), `--cases W0,W5,NP,...` (a subset; NP: NetworkPolicies, bench/netpol.ts).
 * The table goes to stdout, progress to stderr; exit code 1 if a case failed
 * its checks.
 * @module
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { createClient } from './nftkit.js'
import { alternateP50, fmt, type Limits, percentile, requireOwnNetns, type Row, table } from './table.js'
import { w5, type W5Variant } from './w5.js'
import { w6 } from './w6.js'
import { netpol } from './netpol.js'
import { runCase } from './workloads.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const casesArg = args[args.indexOf('--cases') + 1]
const wanted = new Set(args.includes('--cases') && casesArg ? casesArg.split(',') : ['W0', 'W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'NP'])
const progress = (s: string) => process.stderr.write(`bench: ${s}\n`)
const L = (ops: number, budgetS: number): Limits => ({ ops, budgetMs: budgetS * 1000 })

/** The W0-W4 cases with WORKLOADS.md's run sizes (full, quick; undefined: not run). */
const SHARED: ReadonlyArray<{ w: string; n: number; full: Limits; quick?: Limits }> = [
  { w: 'W0', n: 0, full: L(2000, 5), quick: L(200, 1) },
  { w: 'W1', n: 1000, full: L(5, 10), quick: L(2, 2) },
  { w: 'W1', n: 10000, full: L(5, 10), quick: L(1, 2) },
  { w: 'W1', n: 100000, full: L(3, 10) },
  { w: 'W2', n: 1000, full: L(500, 20), quick: L(40, 2) },
  { w: 'W2', n: 100000, full: L(500, 25) },
  { w: 'W3', n: 1000, full: L(500, 20), quick: L(40, 2) },
  { w: 'W4', n: 10000, full: L(50, 10), quick: L(3, 2) },
]

const VARIANT: Record<string, string> = { W0: 'commitSync (empty batch)', W1: 'commitSync (cold apply)', W2: 'elementWriter addSync/deleteSync, 1 elem', W3: 'commitSync (del + add rule)', W4: 'listSync' }

async function shared(): Promise<Row[]> {
  const rows: Row[] = []
  for (const c of SHARED) {
    const limits = quick ? c.quick : c.full
    if (!wanted.has(c.w) || !limits) continue
    progress(`${c.w} N=${c.n}`)
    const res = await runCase(c.w, c.n, 100, limits, 'sync')
    const notes = res.note !== '-' ? [res.note] : []
    if (c.w === 'W1') notes.push('p50/p99 = median/max of the repetitions')
    if (c.w === 'W2') notes.push(`add p50 ${fmt(alternateP50(res.samples, 0))}, del p50 ${fmt(alternateP50(res.samples, 1))}`)
    const n = c.w === 'W0' ? '-' : c.w === 'W3' ? `${c.n} rules` : String(c.n)
    const set = c.w === 'W1' || c.w === 'W2' || c.w === 'W4' ? 'interval' : '-'
    rows.push({ workload: c.w, n, set, variant: VARIANT[c.w], samples: res.samples, messages: res.messages, verified: res.verified, notes })
  }
  return rows
}

/**
 * The sync/async guard: W2 at N = 1000 through `commitSync` and through
 * `await commit` of a transaction (the paths #14 asked to compare; the table's
 * own W2 row uses the element writer), alternated (sync, async, sync, async, …; each a case of its
 * own: reset, setup, warm-up, settle), then both p50 series side by side. The
 * two paths do the same work per operation (an async commit of one element to
 * a fast set runs inline), so sync should never be slower; it is flagged when
 * the median of its p50s exceeds async's by more than the noise: the larger
 * of the spread (max - min) of either series' p50s and 5 % of async's median.
 */
async function syncAsyncGuard(): Promise<{ rows: Row[]; verdict: string; flagged: boolean }> {
  const rounds = quick ? 2 : 3
  const limits = quick ? L(200, 2) : L(500, 20)
  const p50s: Record<'sync' | 'async', number[]> = { sync: [], async: [] }
  const rows: Row[] = []
  for (let k = 0; k < rounds; k++) {
    for (const api of ['sync', 'async'] as const) {
      progress(`W2 N=1000 guard round ${k + 1}/${rounds}, ${api}`)
      const res = await runCase('W2', 1000, 100, limits, api, 'transaction')
      p50s[api].push(percentile(res.samples, 0.5))
      rows.push({
        workload: 'W2',
        n: '1000',
        set: 'interval',
        variant: `${api === 'sync' ? 'commitSync' : 'await commit'} of a transaction, 1 elem add/del (guard ${k + 1})`,
        samples: res.samples,
        messages: res.messages,
        verified: res.verified,
        notes: [`add p50 ${fmt(alternateP50(res.samples, 0))}, del p50 ${fmt(alternateP50(res.samples, 1))}`],
      })
    }
  }
  const med = (a: number[]) => percentile(a, 0.5)
  const spread = (a: number[]) => Math.max(...a) - Math.min(...a)
  const noise = Math.max(spread(p50s.sync), spread(p50s.async), 0.05 * med(p50s.async))
  const diff = med(p50s.sync) - med(p50s.async)
  const flagged = diff > noise
  const list = (a: number[]) => a.map((x) => fmt(x)).join(' / ')
  const verdict =
    `W2 sync/async guard (N = 1000, ${rounds} alternations of ${limits.ops} ops): commitSync p50 ${list(p50s.sync)}; await commit p50 ${list(p50s.async)}; ` +
    `sync - async = ${diff >= 0 ? '+' : ''}${diff.toFixed(1)} µs, noise ${noise.toFixed(1)} µs: ${flagged ? '**FLAG: sync slower than async beyond the noise**' : 'ok'}`
  return { rows, verdict, flagged }
}

/** W5 limits: the fast delta paths get many ops, the O(N) paths stop on the time budget. */
const w5Limits =
  (n: number) =>
  (_v: W5Variant): Limits =>
    quick ? L(n >= 100000 ? 10 : 40, 1) : L(500, 10)

async function main(): Promise<void> {
  const probe = createClient()
  requireOwnNetns(() => probe.listSync({ elements: false }).tables.length > 0)
  probe.close()
  const t0 = Date.now()
  const rows = await shared()
  const guard = wanted.has('W2') ? await syncAsyncGuard() : undefined
  if (guard) rows.push(...guard.rows)
  if (wanted.has('W5')) for (const n of [1000, 100000]) rows.push(...(await w5(n, w5Limits(n), progress)))
  if (wanted.has('W6')) rows.push(...(await w6(100000, quick ? L(40, 1) : L(500, 20), progress)))
  if (wanted.has('NP')) rows.push(...(await netpol(quick ? 1000 : 10000, quick ? 100 : 1000, quick ? L(20, 2) : L(200, 20), progress)))
  const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version
  const cpu = os.cpus()
  console.log(table(rows))
  console.log()
  if (guard) console.log(`${guard.verdict}\n`)
  console.log(
    `nftkit ${version}, node ${process.version}, kernel ${os.release()}, ${cpu.length} cpus (${cpu[0]?.model ?? '?'}), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ` +
      `mode ${quick ? 'quick' : 'full'}; wall time ${Math.round((Date.now() - t0) / 1000)} s; ` +
      `p50/p99 nearest rank (fewer than 100 ops: p99 = max)`,
  )
  const failed = rows.filter((r) => !r.verified)
  if (failed.length) {
    console.log(`NOT VERIFIED: ${failed.map((r) => `${r.workload} N=${r.n} ${r.set} ${r.variant}`).join('; ')}`)
    process.exitCode = 1
  } else console.log(`all ${rows.length} cases verified (end state listed and compared; messages per batch asserted for W5/W6)`)
}

await main()
