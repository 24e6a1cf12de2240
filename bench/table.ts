/**
 * What every benchmark of this folder shares: the clock, the timed loop with
 * its op and time limits, nearest-rank percentiles and the one markdown table
 * `npm run bench` prints.
 * @module
 */
import { readlinkSync } from 'node:fs'

/** Monotonic wall time in microseconds. */
export const now = (): number => Number(process.hrtime.bigint()) / 1000

/** Limits of one case: at most `ops` timed operations, and no new one once `budgetMs` has passed. */
export interface Limits {
  readonly ops: number
  readonly budgetMs: number
}

/**
 * Runs `op(i)` for i = 0, 1, … while {@link Limits} allow (always at least
 * once), timing each call on its own; `untimed(i)`, if given, runs before each
 * call, off the clock (input preparation). With `pairs`, stops only after an
 * odd i (W2: an add is always followed by its delete).
 * @returns The samples in microseconds, in the order they ran.
 */
export async function timed(
  limits: Limits,
  op: (i: number) => unknown,
  opts: { untimed?: (i: number) => unknown; pairs?: boolean } = {},
): Promise<number[]> {
  const samples: number[] = []
  const start = now()
  for (let i = 0; ; i++) {
    const within = i < limits.ops && now() - start < limits.budgetMs * 1000
    if (i > 0 && !within && (!opts.pairs || i % 2 === 0)) break
    if (opts.untimed) await opts.untimed(i)
    const t = now()
    const r = op(i)
    if (r instanceof Promise) await r
    samples.push(now() - t)
  }
  return samples
}

/** Nearest-rank percentile (WORKLOADS.md): `s[ceil(q·n) − 1]` of the sorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN
  const s = [...samples].sort((a, b) => a - b)
  return s[Math.max(0, Math.ceil(q * s.length) - 1)]
}

/** A duration in microseconds as the peers' table writes it: µs below 1 ms, ms below 1 s, else s. */
export function fmt(us: number): string {
  if (!Number.isFinite(us)) return '-'
  if (us < 1000) return `${us.toFixed(1)} µs`
  if (us < 1e6) return `${(us / 1000).toFixed(2)} ms`
  return `${(us / 1e6).toFixed(2)} s`
}

/** The messages per batch of a case: one number when all batches agree, else `min-max`; `-` when none. */
export function fmtMessages(counts: readonly number[]): string {
  if (counts.length === 0) return '-'
  const lo = Math.min(...counts)
  const hi = Math.max(...counts)
  return lo === hi ? String(lo) : `${lo}-${hi}`
}

/** One row of the table: a case of a workload, its samples and how it was checked. */
export interface Row {
  /** W0 … W6. */
  readonly workload: string
  /** N (elements), the number of rules for W3, `-` for W0. */
  readonly n: string
  /** `hash`, `interval` or `-`. */
  readonly set: string
  /** The API path measured. */
  readonly variant: string
  /** Wall time of each timed operation, µs. */
  readonly samples: readonly number[]
  /** Netlink messages of each timed batch (BEGIN and END included). */
  readonly messages: readonly number[]
  /** Whether the end state was checked and found right. */
  readonly verified: boolean
  /** Free text: medians of sub-operations, ratios, why a check failed. */
  readonly notes: string[]
}

/** The markdown table of `rows`: workload, N, set, variant, ops, p50, p99, messages per batch, notes. */
export function table(rows: readonly Row[]): string {
  const head = ['workload', 'N', 'set', 'variant', 'ops', 'p50', 'p99', 'msgs/batch', 'notes']
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const r of rows) {
    const notes = [...(r.verified ? [] : ['**NOT VERIFIED**']), ...r.notes].join('; ')
    const cells = [r.workload, r.n, r.set, r.variant, String(r.samples.length), fmt(percentile(r.samples, 0.5)), fmt(percentile(r.samples, 0.99)), fmtMessages(r.messages), notes]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}

/** The p50 of every other sample, starting at `first` (W2: 0 = adds, 1 = deletes). */
export function alternateP50(samples: readonly number[], first: 0 | 1): number {
  return percentile(
    samples.filter((_, i) => i % 2 === first),
    0.5,
  )
}

/** `a / b` as `1.23x`, or `-` when either is missing. */
export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-'
}

/**
 * Refuses to run (exit 2) outside a fresh network namespace: the benchmarks
 * flush the ruleset. The namespace must differ from init's and hold no table.
 */
export function requireOwnNetns(hasTables: () => boolean): void {
  const ns = (p: string) => {
    try {
      return readlinkSync(p)
    } catch {
      return undefined
    }
  }
  const mine = ns('/proc/self/ns/net')
  if (mine === undefined || mine === ns('/proc/1/ns/net') || hasTables()) {
    process.stderr.write('refusing to run: this flushes the ruleset; run inside a fresh network namespace (unshare -n), as npm run bench does\n')
    process.exit(2)
  }
}
