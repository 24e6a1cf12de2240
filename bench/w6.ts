/**
 * W6 (bench/WORKLOADS-nftkit.md): W2's one-element add/delete at N = 100 000
 * on a hash set of single addresses against the interval set of WORKLOADS.md,
 * each through `commitSync` and through `Reconciler.updateSetSync`.
 * @module
 */
import { Reconciler } from './nftkit.js'
import { alternateP50, fmt, type Limits, percentile, ratio, type Row, timed } from './table.js'
import { elem, ip, Runner, SET, settleHashSet, TABLE, w1Input, w1Problem, w1Tx, w2Element, w2Tx } from './workloads.js'

/** Set types of W6. */
export type W6Set = 'hash' | 'interval'
/** API paths of W6. */
export type W6Via = 'commitSync' | 'updateSetSync'

/** Element i of the W6 hash set: the single address 10.0.0.0 + 256·i + 1 (the W1 element of i % 3 = 0, for every i). */
export const hashElem = (i: number): string => ip((((10 << 24) >>> 0) + 256 * i + 1) >>> 0)

/** Rules in the W6 chain (as W1 and W2). */
export const W6_RULES = 100

/** Runs one W6 case: reset, the W1 state (hash or interval set) untimed, the W2 operations within `limits`, checks. */
export async function w6Case(n: number, set: W6Set, via: W6Via, limits: Limits): Promise<Row> {
  const run = new Runner('sync')
  const client = run.client
  const elementOf = set === 'hash' ? hashElem : elem
  const messages: number[] = []
  const notes: string[] = []
  let samples: number[] = []
  let problem: string | undefined
  try {
    await run.reset()
    client.commitSync(w1Tx(run, w1Input(n, W6_RULES, elementOf), set === 'hash'))
    if (set === 'hash') {
      const ms = await settleHashSet(client, TABLE, SET, n)
      if (ms > 0) notes.push(`hash-table resize: waited ${fmt(ms * 1000)} for a whole listing`)
    }
    // The addresses are prepared input, made off the clock.
    const els = Array.from({ length: limits.ops }, (_, i) => w2Element(i >> 1))
    if (via === 'commitSync') {
      samples = await timed(limits, (i) => messages.push(client.commitSync(w2Tx(client, SET, i, els[i])).messages), { pairs: true })
    } else {
      const rec = new Reconciler(client)
      const ref = { table: TABLE, set: SET }
      const t = performance.now()
      rec.updateSetSync(ref, {}) // untimed warm-up: one kernel read, the set's index
      notes.push(`warm-up (read + index) ${fmt((performance.now() - t) * 1000)} untimed`)
      const reads = rec.reads
      samples = await timed(limits, (i) => messages.push(rec.updateSetSync(ref, i % 2 === 0 ? { add: [els[i]] } : { remove: [els[i]] }).messages), {
        pairs: true,
      })
      if (rec.reads !== reads) notes.push(`${rec.reads - reads} kernel read(s) during timed ops`)
    }
    notes.unshift(`add p50 ${fmt(alternateP50(samples, 0))}, del p50 ${fmt(alternateP50(samples, 1))}`)
    const bad = messages.find((m) => m !== 3)
    if (bad !== undefined) problem = `a batch of ${bad} messages (expected 3)`
    else problem = await w1Problem(run, n, W6_RULES, elementOf)
  } catch (e) {
    problem = String((e as Error).message)
    process.stderr.write(`${(e as Error).stack}\n`)
  } finally {
    run.close()
  }
  if (problem) notes.unshift(problem)
  return { workload: 'W6', n: String(n), set, variant: via, samples, messages, verified: !problem, notes }
}

/** The four W6 cases at N; interval rows note their p50 ratio to the hash row of the same API path. */
export async function w6(n: number, limits: Limits, progress: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = []
  for (const via of ['commitSync', 'updateSetSync'] as const)
    for (const set of ['hash', 'interval'] as const) {
      progress(`W6 N=${n} ${set} ${via}`)
      rows.push(await w6Case(n, set, via, limits))
    }
  for (const r of rows)
    if (r.set === 'interval') {
      const hash = rows.find((h) => h.set === 'hash' && h.variant === r.variant)
      if (hash) r.notes.push(`interval/hash ${ratio(percentile(r.samples, 0.5), percentile(hash.samples, 0.5))}`)
    }
  return rows
}
