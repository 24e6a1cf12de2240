/**
 * Runs the whole corpus and prints the per-family summary (needs root):
 *
 *   npx tsx test/conformance/run-corpus.ts [--write-status] [--details FILE]
 *     [--only RULE-REGEX | --file ID-REGEX | --shell ID-REGEX] [--markdown FILE]
 *
 * --markdown writes the tables and the refusals in docs/nft-language.md's form.
 *
 * --write-status records every case's outcome in corpus/status.tsv (what
 * corpus.test.ts holds the code to); --details writes every refusal and
 * difference to FILE.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CORPUS_DIR, type CaseResult, loadPyCorpus, loadShellCorpus, runPyCases, runShellCases, summarize } from './corpus-lib.js'

// --only REGEX: only the py cases whose rule matches, and no shell dumps (quick checks while adding a feature).
const oi = process.argv.indexOf('--only')
const only = oi >= 0 ? new RegExp(process.argv[oi + 1]) : undefined
// --file REGEX: only the py cases whose id (`any/meta.t:12/ip`) matches, and no shell dumps.
const fi = process.argv.indexOf('--file')
const file = fi >= 0 ? new RegExp(process.argv[fi + 1]) : undefined
// --shell REGEX: only the shell dumps whose id matches, and no py cases.
const si = process.argv.indexOf('--shell')
const shellOnly = si >= 0 ? new RegExp(process.argv[si + 1]) : undefined
let t0 = Date.now()
const pyCases = shellOnly ? [] : loadPyCorpus().filter((c) => (!only || only.test(c.rule)) && (!file || file.test(c.id)))
const py = runPyCases(pyCases)
console.log(`py: ${Date.now() - t0} ms`)
t0 = Date.now()
const shell = only || file ? [] : runShellCases(loadShellCorpus().filter((c) => !shellOnly || shellOnly.test(c.id)))
console.log(`shell: ${Date.now() - t0} ms`)
console.log(`tests/py (${py.length} cases)\n${summarize(py)}\n`)
console.log(`tests/shell (${shell.length} dumps)\n${summarize(shell)}\n`)

const refusals = new Map<string, number>()
for (const r of [...py, ...shell])
  if (r.outcome === 'refused') {
    const k = (r.detail ?? '').replace(/^.*?:\d+:\d+: /, '')
    refusals.set(k, (refusals.get(k) ?? 0) + 1)
  }
console.log('most frequent refusals:')
for (const [k, n] of [...refusals].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${String(n).padStart(5)}  ${k}`)

const i = process.argv.indexOf('--details')
if (i >= 0) {
  const line = (r: CaseResult) => `## ${r.outcome} ${r.id}\n${r.detail ?? ''}\n`
  writeFileSync(process.argv[i + 1], [...py, ...shell].filter((r) => r.outcome !== 'identical').map(line).join('\n'))
}
if (process.argv.includes('--write-status')) {
  const rows = [...py.map((r) => ['py', r] as const), ...shell.map((r) => ['shell', r] as const)].map(([k, r]) => `${k}\t${r.id}\t${r.outcome}`)
  writeFileSync(join(CORPUS_DIR, 'status.tsv'), `# corpus\tcase\toutcome (written by run-corpus.ts --write-status)\n${rows.join('\n')}\n`)
}

const mi = process.argv.indexOf('--markdown')
if (mi >= 0) writeFileSync(process.argv[mi + 1], markdown())

/** The per-family tables and the refusals, as docs/nft-language.md shows them. */
function markdown(): string {
  const table = (rs: readonly CaseResult[]) => {
    const [head, ...rows] = summarize(rs).split('\n').map((l) => l.split('\t'))
    return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
  }
  const features = new Map<string, number>()
  const forms = new Map<string, number>()
  for (const r of [...py, ...shell]) {
    if (r.outcome !== 'refused') continue
    const msg = (r.detail ?? '').replace(/^.*?:\d+:\d+: /, '').split('\n')[0]
    const m = /^nftkit does not support (.*) yet$/.exec(msg)
    const into = m ? features : forms
    const k = m ? m[1].replace(/^'(.*)'$/, '`$1`') : msg
    into.set(k, (into.get(k) ?? 0) + 1)
  }
  const byCount = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  return [
    `tests/py, ${py.length} cases:`,
    '',
    table(py),
    '',
    `tests/shell, ${shell.length} dumps:`,
    '',
    table(shell),
    '',
    'Refused as not supported yet, by number of cases (the first refusal of each case):',
    '',
    byCount(features).map(([k, n]) => `${k} (${n})`).join(', '),
    '',
    'Refused for their values or forms rather than a missing feature:',
    '',
    ...byCount(forms).map(([k, n]) => `- ${k} (${n})`),
    '',
  ].join('\n')
}
