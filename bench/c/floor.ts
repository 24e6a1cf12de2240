/**
 * The C floor of W7 (bench/c/floor.c), run from the benchmarks that sit
 * beside it (bench/w7.ts, bench/w7-steps.ts): built by build.sh if needed,
 * then run in the current network namespace.
 * @module
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))

/** The floor's timed operations, µs each: `ops` one-element changes with `idleMs` of sleep before each but the first. */
export function cFloorSamples(ops: number, idleMs: number): number[] {
  const built = spawnSync('bash', [`${here}build.sh`], { encoding: 'utf8' })
  if (built.status !== 0) throw new Error(`bench/c/build.sh failed: ${built.stderr.trim()}`)
  const r = spawnSync(built.stdout.trim(), [String(ops), String(idleMs)], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`bench/c/floor failed: ${r.stderr.trim()}`)
  const line = r.stdout.split('\n').find((l) => l.startsWith('samples_us='))
  if (!line) throw new Error('bench/c/floor printed no samples')
  return line.slice('samples_us='.length).split(',').filter(Boolean).map(Number)
}
