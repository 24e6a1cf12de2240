/**
 * nftables' own test suite as a conformance corpus (corpus/README.md): every
 * case is loaded with `nft -f` in one namespace and with nftkit in another,
 * and `nft list ruleset` of both (and `nftkit list`) are compared per case.
 *
 * npm test runs a fixed sample (every 10th tests/py case, every 8th
 * tests/shell dump); NFTKIT_CORPUS=full runs all of it. Each case must do at
 * least as well as corpus/status.tsv records (rewritten by
 * `run-corpus.ts --write-status`), and no case may load differently from nft.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CORPUS_DIR, type CaseResult, loadPyCorpus, loadShellCorpus, type Outcome, runPyCases, runShellCases, summarize } from './corpus-lib.js'

const full = process.env.NFTKIT_CORPUS === 'full'
const py = loadPyCorpus().filter((_, i) => full || i % 10 === 0)
const shell = loadShellCorpus().filter((_, i) => full || i % 8 === 0)

const recorded = new Map<string, Outcome>()
for (const l of readFileSync(join(CORPUS_DIR, 'status.tsv'), 'utf8').split('\n')) {
  if (!l || l.startsWith('#')) continue
  const [corpus, id, outcome] = l.split('\t')
  recorded.set(`${corpus} ${id}`, outcome as Outcome)
}

const RANK: Record<Outcome, number> = { identical: 3, 'list-differs': 2, refused: 1, DIFFERENT: 0 }

function check(corpus: string, results: readonly CaseResult[]): void {
  console.log(`${corpus} (${results.length} cases${full ? '' : ', sample'})\n${summarize(results)}`)
  const worse = results.filter((r) => RANK[r.outcome] < RANK[recorded.get(`${corpus} ${r.id}`) ?? 'refused'])
  expect(worse.map((r) => `${r.id}: ${r.outcome} (recorded: ${recorded.get(`${corpus} ${r.id}`)})\n${r.detail}`)).toEqual([])
  const vague = results.filter((r) => r.outcome === 'refused' && /expected a match or a statement/.test(r.detail ?? ''))
  expect(vague.map((r) => `${r.id}: ${r.detail}`)).toEqual([])
}

describe('nftables tests/py and tests/shell corpus', () => {
  it('has cases', () => {
    expect(py.length).toBeGreaterThan(100)
    expect(shell.length).toBeGreaterThan(20)
  })
  it('tests/py: every case does as well as recorded, none loads differently from nft', () => {
    check('py', runPyCases(py))
  }, 600_000)
  it('tests/shell: every dump does as well as recorded, none loads differently from nft', () => {
    check('shell', runShellCases(shell))
  }, 600_000)
})
