/**
 * The fuzzers' harness: a seeded case budget (a few thousand by default,
 * `NFTKIT_FUZZ=50000` for more) and one check per case: it succeeds or fails
 * with an expected, located error within a time bound (a bound on hangs, not
 * a performance target).
 */
import { rng } from './rng.js'

/** Cases per fuzzer: `NFTKIT_FUZZ`, or `dflt`. */
export function fuzzCases(dflt: number): number {
  const n = Number(process.env.NFTKIT_FUZZ)
  return Number.isInteger(n) && n > 0 ? n : dflt
}

/** Seed of the fuzzers (`NFTKIT_FUZZ_SEED` to replay another run). */
export const FUZZ_SEED = Number(process.env.NFTKIT_FUZZ_SEED) || 0x5eed

/**
 * Slowest case allowed: a hang guard, not a timing target (the defects it
 * catches ran for 10 s to minutes; a case takes milliseconds). Generous so a
 * machine loaded by other work does not fail it.
 */
export const CASE_MS = 5000

/** A seeded generator with helpers. */
export function fuzzRng(seed: number) {
  const next = rng(seed)
  const int = (n: number) => next() % n
  return { int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)], chance: (p: number) => next() / 0x100000000 < p }
}

/**
 * Runs one case: `run()` must return, or throw an error `accepted` says is
 * typed and located; either within {@link CASE_MS}. Throws a description of
 * the case otherwise.
 */
export function checkCase(label: string, run: () => unknown, accepted: (e: unknown) => string | undefined, boundMs = CASE_MS): void {
  const t0 = performance.now()
  let failure: string | undefined
  try {
    run()
  } catch (e) {
    failure = accepted(e)
  }
  const ms = performance.now() - t0
  if (failure) throw new Error(`${label}: ${failure}`)
  if (ms > boundMs) throw new Error(`${label}: took ${ms.toFixed(0)} ms (bound ${boundMs} ms)`)
}

/** Longest error message allowed (values are quoted by prefix only). */
export const MESSAGE_MAX = 2000
