/**
 * The Fake against the kernel: every scenario of test/helpers/fake-scenarios.ts
 * runs once on a client of the Fake and once on a client of a fresh network
 * namespace. Both must give the same outcome for every commit (applied or
 * refused, errno name, failing operation index, the other refusals, echoed
 * handles), the same ruleset text (renderRuleset(list()), counter values
 * masked), the same handles for every object, and the same generation moves.
 */
import { describe, expect, it } from 'vitest'
import { type Client, createClient, type Listing, NftError, renderRuleset } from '../../lib/index.js'
import { createFakeClient } from '../../lib/testing/index.js'
import { type Memo, SCENARIOS, type Scenario } from '../helpers/fake-scenarios.js'
import { makeNetns } from '../helpers/netns.js'

/** What one commit did, in comparable form. */
type Outcome = { ok: true; handles: ReadonlyArray<number | undefined> } | { ok: false; code: string; index?: number; others: Array<[string, number | undefined]> }

interface Run {
  outcomes: Outcome[]
  text: string
  handles: string[]
  genMoves: number[]
}

function run(nft: Client, s: Scenario): Run {
  const memo: Memo = {}
  const outcomes: Outcome[] = []
  const gens = [nft.listSync().genId]
  for (const step of s.steps) {
    const r = step(nft, memo)
    const { tx, genId } = 'tx' in r ? r : { tx: r, genId: undefined }
    try {
      const res = nft.commitSync(tx, genId !== undefined ? { genId } : {})
      outcomes.push({ ok: true, handles: res.handles })
    } catch (e) {
      if (!(e instanceof NftError)) throw e
      outcomes.push({ ok: false, code: e.code, index: e.index, others: e.others.map((o) => [o.code, o.index]) })
    }
    gens.push(nft.listSync().genId)
  }
  const l = nft.listSync()
  return { outcomes, text: masked(l), handles: handlesOf(l), genMoves: gens.slice(1).map((g, i) => g - gens[i]) }
}

function masked(l: Listing): string {
  return renderRuleset(l).replace(/packets \d+ bytes \d+/g, 'packets N bytes N')
}

function handlesOf(l: Listing): string[] {
  return [
    ...l.tables.map((t) => `table ${t.family} ${t.name} ${t.handle}`),
    ...l.chains.map((c) => `chain ${c.table} ${c.name} ${c.handle}`),
    ...l.sets.map((s) => `set ${s.table} ${s.name} ${s.handle}`),
    ...l.counters.map((c) => `counter ${c.table} ${c.name} ${c.handle}`),
    ...l.rules.map((r) => `rule ${r.table} ${r.chain} ${r.handle}`),
  ]
}

describe('the Fake behaves as the kernel', () => {
  it('has at least 40 scenarios', () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(40)
  })

  for (const s of SCENARIOS) {
    it(s.name, () => {
      const ns = makeNetns('fake')
      let theirs: Run
      try {
        const kernel = createClient({ netns: ns.name, table: 't', family: s.family })
        theirs = run(kernel, s)
        kernel.close()
      } finally {
        ns.remove()
      }
      const fake = createFakeClient({ table: 't', family: s.family })
      const mine = run(fake, s)
      expect(mine.outcomes, 'outcomes').toEqual(theirs.outcomes)
      expect(mine.text, 'ruleset').toBe(theirs.text)
      expect(mine.handles, 'handles').toEqual(theirs.handles)
      expect(mine.genMoves, 'generation moves').toEqual(theirs.genMoves)
    })
  }
})
