/**
 * The apply loop: list, plan, commit bound to the listing's generation, and
 * again if another writer moved it. Each loop is written once, as a generator
 * that yields what it needs from the kernel ({@link Step}); {@link runSync}
 * and {@link run} drive it with the client's sync or async calls.
 * @module
 */
import type { Client } from '../io/client.js'
import type { Listing } from '../io/listing.js'
import type { PreparedBatch } from '../batch/prepared.js'
import { isGenerationMismatch } from '../kernel/errors.js'
import type { Operation } from '../model/operations.js'
import { type Desired, plan } from './plan.js'
import { Retry, type RetryOptions, sleepSync } from './retry.js'

/** What one reconcile did. */
export interface ReconcileResult {
  /** The operations committed (empty when nothing had to change). */
  readonly operations: readonly Operation[]
  /** Netlink messages sent (0 when nothing changed). */
  readonly messages: number
  /** Generation the plan was made from. */
  readonly genId: number
  /** How many times the plan was redone because another writer moved the generation. */
  readonly retries: number
}

/**
 * What a loop asks its driver for: a listing of the kernel (`batch`
 * undefined), or the commit of `batch` bound to generation `genId` (without
 * handles). Any object with these two fields will do (a delta plan is one).
 */
export interface Step {
  readonly batch: PreparedBatch | undefined
  readonly genId: number
  /** When set: no kernel call, pause this many milliseconds (between re-plans after a conflict). */
  readonly delayMs?: number
}

/** The answer to a step: the listing, or the committed batch's message count. A refusal is thrown into the loop. */
export type Answer = Listing | number

/** A reconcile loop: yields steps, receives their answers, returns its result. */
export type Loop<T> = Generator<Step, T, Answer>

/** The step that asks for a listing. */
export const READ: Step = { batch: undefined, genId: -1 }

/** The step that pauses `ms` milliseconds. */
export const pauseStep = (ms: number): Step => ({ batch: undefined, genId: -1, delayMs: ms })

/**
 * After a refused commit on attempt `attempt`: the pause before re-planning
 * if it was a generation conflict and the policy allows another attempt;
 * otherwise throws (the kernel's error, or ERESTART saying how often another
 * writer got in).
 */
export function afterConflict(e: unknown, retry: Retry, attempt: number): number {
  if (!isGenerationMismatch(e)) throw e
  const ms = retry.pause(attempt)
  if (ms === undefined) throw retry.giveUp(e, attempt + 1)
  return ms
}

/** Drives a loop with the client's synchronous calls. */
export function runSync<T>(client: Client, loop: Loop<T>): T {
  let r = loop.next()
  for (;;) {
    if (r.done) return r.value
    const step = r.value
    let answer: Answer
    try {
      if (step.delayMs !== undefined) {
        sleepSync(step.delayMs)
        answer = 0
      } else answer = step.batch === undefined ? client.listSync() : client.commitSync(step.batch, { genId: step.genId, handles: false }).messages
    } catch (e) {
      r = loop.throw(e)
      continue
    }
    r = loop.next(answer)
  }
}

/** Drives a loop with the client's asynchronous calls. */
export async function run<T>(client: Client, loop: Loop<T>): Promise<T> {
  let r = loop.next()
  for (;;) {
    if (r.done) return r.value
    const step = r.value
    let answer: Answer
    try {
      if (step.delayMs !== undefined) {
        await new Promise((r) => setTimeout(r, step.delayMs))
        answer = 0
      } else answer = step.batch === undefined ? await client.list() : (await client.commit(step.batch, { genId: step.genId, handles: false })).messages
    } catch (e) {
      r = loop.throw(e)
      continue
    }
    r = loop.next(answer)
  }
}

/** The loop of {@link reconcileSync} and {@link reconcile}. */
function* reconcileLoop(client: Client, desired: readonly Desired[], opts: RetryOptions): Loop<ReconcileResult> {
  const retry = new Retry(opts)
  for (let attempt = 0; ; attempt++) {
    const observed = (yield READ) as Listing
    const ops = plan(desired, observed)
    if (ops.length === 0) return { operations: [], messages: 0, genId: observed.genId, retries: attempt }
    const tx = client.transaction()
    for (const op of ops) tx.apply(op)
    let messages: number
    try {
      messages = (yield { batch: tx.prepare(), genId: observed.genId }) as number
    } catch (e) {
      yield pauseStep(afterConflict(e, retry, attempt))
      continue
    }
    return { operations: ops, messages, genId: observed.genId, retries: attempt }
  }
}

/**
 * Makes the kernel hold the desired tables: list, plan, commit bound to the
 * listing's generation; if another writer moved the generation, list, plan and
 * commit again, pausing a little longer each time, until `opts.deadlineMs`
 * (default 10 s) or `opts.retries` re-plans.
 * @throws NftError (a kernel refusal: nothing was applied), or ERESTART once the deadline passed.
 */
export function reconcileSync(client: Client, desired: readonly Desired[], opts: RetryOptions = {}): ReconcileResult {
  return runSync(client, reconcileLoop(client, desired, opts))
}

/** Async {@link reconcileSync} (pauses without blocking the event loop). */
export function reconcile(client: Client, desired: readonly Desired[], opts: RetryOptions = {}): Promise<ReconcileResult> {
  return run(client, reconcileLoop(client, desired, opts))
}
