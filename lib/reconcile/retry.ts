/**
 * Re-planning after another writer got in first. A batch bound to a
 * generation is refused with ERESTART when the ruleset moved since it was
 * planned; the loops then read, plan and commit again, with a short growing
 * pause (full jitter, so concurrent writers spread out) until a deadline.
 * They fail only when the deadline passes, saying how often another writer
 * got in.
 * @module
 */
import type { NftError } from '../kernel/errors.js'

/** How long a reconcile keeps re-planning when other writers change the ruleset first. */
export interface RetryOptions {
  /**
   * The most re-plans after a generation conflict. Default: no count limit,
   * only the deadline. `0` fails at the first conflict.
   */
  readonly retries?: number
  /** Give up once this many milliseconds have passed since the first attempt. Default 10 000. */
  readonly deadlineMs?: number
}

/** Default of {@link RetryOptions.deadlineMs}. */
export const DEFAULT_DEADLINE_MS = 10_000

/** The longest pause between two attempts, in milliseconds. */
const MAX_PAUSE_MS = 100

/** The retry state of one reconcile. */
export class Retry {
  readonly #start = performance.now()
  readonly #retries: number
  readonly #deadline: number

  constructor(opts: RetryOptions = {}) {
    this.#retries = opts.retries ?? Number.POSITIVE_INFINITY
    this.#deadline = opts.deadlineMs ?? DEFAULT_DEADLINE_MS
  }

  /**
   * After the generation conflict of attempt `attempt` (0-based): the pause in
   * milliseconds before the next attempt, or undefined to give up. The first
   * re-plan is immediate; later pauses grow (1, 2, 4, ... up to 100 ms) and
   * are drawn uniformly below that bound.
   */
  pause(attempt: number): number | undefined {
    if (attempt >= this.#retries) return undefined
    const elapsed = performance.now() - this.#start
    if (elapsed >= this.#deadline) return undefined
    if (attempt === 0) return 0
    const bound = Math.min(MAX_PAUSE_MS, 2 ** (attempt - 1), this.#deadline - elapsed)
    return Math.random() * bound
  }

  /** The error to throw when giving up: the kernel's ERESTART, saying how often another writer got in and for how long. */
  giveUp(e: NftError, attempts: number): NftError {
    const s = ((performance.now() - this.#start) / 1000).toFixed(1)
    e.message = `${e.message} (another writer changed the ruleset first ${attempts} time${attempts === 1 ? '' : 's'} in ${s} s; gave up)`
    return e
  }
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4))

/** Blocks the calling thread for `ms` milliseconds (the sync loops' pause; nothing else runs meanwhile). */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(SLEEPER, 0, 0, ms)
}
