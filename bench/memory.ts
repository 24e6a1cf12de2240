/**
 * `npm run bench:memory`: one million single-element commits in one process on
 * one set (the W5 `pods` set, N = 1000; W2's add, delete, add, … of
 * 198.18.0.0 + 2p), reporting RSS and heap after a forced GC at the start,
 * every 100 000 operations and at the end. Flat RSS is the goal.
 *
 * Options: `--ops 1000000`, `--every 100000`, `--n 1000`,
 * `--via commitSync|updateSetSync` (the plain client, or the reconciler's
 * delta API). Needs `node --expose-gc` and a fresh network namespace.
 * @module
 */
import { createClient, Reconciler } from './nftkit.js'
import { fmt, percentile, requireOwnNetns } from './table.js'
import { PODS, podsAfter, verifyW5, w5Desired } from './w5.js'
import { Runner, settleHashSet, TABLE, w2Element, w2Tx } from './workloads.js'

const args = process.argv.slice(2)
const opt = (name: string, dflt: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt)
const total = Number(opt('ops', '1000000'))
const every = Number(opt('every', '100000'))
const n = Number(opt('n', '1000'))
const via = opt('via', 'commitSync')
const gc = (globalThis as { gc?: () => void }).gc

const MiB = (b: number) => (b / 1048576).toFixed(1)

async function main(): Promise<void> {
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:memory does)')
  if (via !== 'commitSync' && via !== 'updateSetSync') throw new Error(`--via: expected commitSync or updateSetSync, got ${via}`)
  if (total % 2 !== 0 || every % 2 !== 0) throw new Error('--ops and --every must be even (add/delete pairs)')
  const probe = createClient()
  requireOwnNetns(() => probe.listSync({ elements: false }).tables.length > 0)
  probe.close()

  const run = new Runner('sync')
  const client = run.client
  await run.reset()
  const rec = new Reconciler(client)
  rec.reconcileSync(w5Desired(podsAfter(n, 0)))
  await settleHashSet(client, TABLE, PODS, n)
  rec.updateSetSync({ table: TABLE, set: PODS }, {})
  const op =
    via === 'commitSync'
      ? (i: number) => {
          return client.commitSync(w2Tx(client, PODS, i, w2Element(i >> 1))).messages
        }
      : (i: number) => {
          const el = w2Element(i >> 1)
          return rec.updateSetSync({ table: TABLE, set: PODS }, i % 2 === 0 ? { add: [el] } : { remove: [el] }).messages
        }

  const lines = ['| ops | elapsed | rss MiB | heapUsed MiB | heapTotal MiB | external MiB | arrayBuffers MiB | p50 of the last block | p99 of the last block |', '|---|---|---|---|---|---|---|---|---|']
  const rss: number[] = []
  const t0 = performance.now()
  let block: number[] = []
  const sample = (done: number) => {
    const elapsed = `${((performance.now() - t0) / 1000).toFixed(1)} s`
    const p50 = fmt(percentile(block, 0.5))
    const p99 = fmt(percentile(block, 0.99))
    block = [] // dropped before measuring
    gc()
    gc()
    const m = process.memoryUsage()
    rss.push(m.rss)
    const cells = [done, elapsed, MiB(m.rss), MiB(m.heapUsed), MiB(m.heapTotal), MiB(m.external), MiB(m.arrayBuffers), p50, p99]
    lines.push(`| ${cells.join(' | ')} |`)
    process.stderr.write(`memory: ${lines[lines.length - 1]}\n`)
  }
  sample(0)
  let wrong = 0
  for (let i = 0; i < total; i++) {
    const t = performance.now()
    const messages = op(i)
    block.push((performance.now() - t) * 1000)
    if (messages !== 3) wrong++
    if ((i + 1) % every === 0 || i + 1 === total) sample(i + 1)
  }
  const problem = verifyW5(client, podsAfter(n, 0)) ?? (wrong ? `${wrong} batches not of 3 messages` : undefined)
  run.close()

  console.log(lines.join('\n'))
  console.log()
  const after1 = rss[1] ?? rss[0]
  console.log(
    `${total} commits via ${via} on a hash set of ${n}; RSS start ${MiB(rss[0])} MiB, after the first block ${MiB(after1)} MiB, end ${MiB(rss[rss.length - 1])} MiB ` +
      `(end - first block: ${MiB(rss[rss.length - 1] - after1)} MiB); wall ${((performance.now() - t0) / 1000).toFixed(0)} s; node ${process.version}`,
  )
  console.log(problem ? `NOT VERIFIED: ${problem}` : 'end state verified (the set holds the N pods, every batch 3 messages)')
  if (problem) process.exitCode = 1
}

await main()
