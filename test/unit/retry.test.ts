/**
 * Re-planning after another writer got in first (lib/reconcile/retry.ts),
 * on the Fake: two clients share one fake namespace, and the other writer
 * commits between our listing and our commit.
 */
import { describe, expect, it } from 'vitest'
import { reconcile, reconcileSync } from '../../lib/reconcile/apply.js'
import { Retry } from '../../lib/reconcile/retry.js'
import { applyToModel } from '../../lib/state/model.js'
import { parseNft } from '../../lib/nft/parser.js'
import { createFakeClient, createFakeKernel, type FakeClient } from '../../lib/testing/index.js'
import { isGenerationMismatch } from '../../lib/kernel/errors.js'

const desired = (port: number) => applyToModel(parseNft(`table inet mine {\n  chain c {\n    tcp dport ${port} accept comment "r"\n  }\n}\n`).operations)

/** A client whose every commit is preceded by `times` commits of another writer to another table. */
function contended(times: number): { client: FakeClient; other: FakeClient } {
  const kernel = createFakeKernel()
  const client = createFakeClient({ kernel, family: 'inet' })
  const other = createFakeClient({ kernel, family: 'inet' })
  other.commitSync(other.transaction().add({ kind: 'table', name: 'theirs' }))
  let left = times
  let n = 0
  const commitSync = client.commitSync.bind(client)
  const commit = client.commit.bind(client)
  const foreign = () => {
    if (left-- > 0) other.commitSync(other.transaction().add({ kind: 'counter', table: 'theirs', name: `c${n++}` }))
  }
  client.commitSync = ((b, o) => {
    foreign()
    return commitSync(b, o)
  }) as typeof client.commitSync
  client.commit = ((b, o) => {
    foreign()
    return commit(b, o)
  }) as typeof client.commit
  return { client, other }
}

describe('retry after a generation conflict', () => {
  it('re-plans until it gets in: 5 conflicts, then applied (sync and async)', async () => {
    const a = contended(5)
    expect(reconcileSync(a.client, desired(22)).retries).toBe(5)
    expect(a.client.dump()).toContain('tcp dport 22 accept comment "r"')
    const b = contended(5)
    expect((await reconcile(b.client, desired(23))).retries).toBe(5)
    expect(b.client.dump()).toContain('tcp dport 23 accept comment "r"')
  })

  it('gives up only when the deadline passes, saying how often another writer got in', () => {
    const { client } = contended(Number.POSITIVE_INFINITY)
    const t0 = performance.now()
    let err: unknown
    try {
      reconcileSync(client, desired(22), { deadlineMs: 150 })
    } catch (e) {
      err = e
    }
    const ms = performance.now() - t0
    expect(isGenerationMismatch(err)).toBe(true)
    expect((err as Error).message).toMatch(/another writer changed the ruleset first \d+ times in 0\.\d s; gave up/)
    expect(ms).toBeGreaterThanOrEqual(150)
    expect(client.dump()).not.toContain('table inet mine')
  })

  it('retries: 0 fails at the first conflict; retries: 2 after the third', () => {
    expect(() => reconcileSync(contended(1).client, desired(22), { retries: 0 })).toThrow(/first 1 time in/)
    expect(() => reconcileSync(contended(9).client, desired(22), { retries: 2 })).toThrow(/first 3 times in/)
  })

  it('pauses: the first re-plan at once, later ones below a bound that doubles up to 100 ms', () => {
    const r = new Retry({ deadlineMs: 60_000 })
    expect(r.pause(0)).toBe(0)
    for (let attempt = 1; attempt < 20; attempt++) {
      const p = r.pause(attempt) as number
      expect(p).toBeGreaterThanOrEqual(0)
      expect(p).toBeLessThanOrEqual(Math.min(100, 2 ** (attempt - 1)))
    }
    expect(new Retry({ retries: 3 }).pause(3)).toBeUndefined()
  })
})
