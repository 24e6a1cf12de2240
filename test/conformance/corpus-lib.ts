/**
 * The nftables test-suite corpus (test/conformance/corpus/): its data format,
 * how a case becomes an nft file, and the runner that loads cases with `nft -f`
 * in one namespace and with nftkit in another and compares what the kernel holds.
 *
 * Used by build-corpus.ts (writes the corpus), run-corpus.ts (prints the
 * summary) and corpus.test.ts (npm test).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { apply, list } from '../../lib/cli/main.js'
import { parseNft } from '../../lib/nft/parser.js'
import { Transaction } from '../../lib/batch/transaction.js'
import { loadBinding } from '../../lib/io/native.js'
import { interfaceNames } from '../../lib/model/interfaces.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

export const CORPUS_DIR = join(import.meta.dirname, 'corpus')

/** Families of tests/py the corpus takes cases from. */
export const PY_FAMILIES = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'] as const
export type PyFamily = (typeof PY_FAMILIES)[number]

/** One `RULE;ok` line of a tests/py `.t` file, for one of the tables the file declares. */
export interface PyCase {
  /** `dir/file.t:LINE/family` */
  readonly id: string
  readonly family: PyFamily
  /** Chain name and its declaration (`type filter hook input priority 0`). */
  readonly chain: string
  readonly chainSpec: string
  /** Set/map/object declarations the rule refers to, as nft commands with `TABLE` for the table. */
  readonly decls: readonly string[]
  readonly rule: string
  /** What the `.t` file says nft lists (the third field), when it differs from the rule. */
  readonly expected?: string
}

/** One tests/shell ruleset dump. */
export interface ShellCase {
  /** path below tests/shell/testcases */
  readonly id: string
  readonly text: string
}

/** The first line of every corpus data file. */
export interface CorpusHeader {
  readonly source: string
  readonly mirror: string
  readonly commit: string
  readonly path: string
  readonly license: string
  readonly filter: string
}

export function readJsonl<T>(file: string): { header: CorpusHeader; rows: T[] } {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean)
  return { header: JSON.parse(lines[0]) as CorpusHeader, rows: lines.slice(1).map((l) => JSON.parse(l) as T) }
}

export function writeJsonl(file: string, header: CorpusHeader, rows: readonly unknown[]): void {
  writeFileSync(file, `${[header, ...rows].map((r) => JSON.stringify(r)).join('\n')}\n`)
}

export function loadPyCorpus(): PyCase[] {
  return PY_FAMILIES.flatMap((f) => readJsonl<PyCase>(join(CORPUS_DIR, `py.${f}.jsonl`)).rows)
}

export function loadShellCorpus(): ShellCase[] {
  return readJsonl<ShellCase>(join(CORPUS_DIR, 'shell.jsonl')).rows
}

/** The nft file of one case, in its own table `table`. */
export function caseText(c: PyCase, table: string): string {
  const t = `${c.family} ${table}`
  return [
    `add table ${t}`,
    `add chain ${t} ${c.chain} { ${c.chainSpec}; }`,
    ...c.decls.map((d) => liveLonger(d.replaceAll('TABLE', t))),
    `add rule ${t} ${c.chain} ${c.rule}`,
    '',
  ].join('\n')
}

/**
 * Element timeouts in seconds or minutes become 1h: the two namespaces are
 * loaded seconds (under load, a whole corpus run: minutes) apart, so a
 * `timeout 5s` element would be gone from one listing.
 */
function liveLonger(cmd: string): string {
  if (!cmd.startsWith('add element')) return cmd
  return cmd.replace(/ timeout (\d+)(s|m)\b/g, () => ' timeout 1h')
}

/** `nft list ruleset` text normalised: no handles, no expiry countdowns, no line wrapping, single spaces, no blank lines. */
export function normalize(text: string): string {
  return text
    .replace(/,\s*\n\s*/g, ', ')
    .split('\n')
    .map((l) =>
      l
        .replace(/\s*# handle \d+/, '')
        .replace(/ expires [0-9dhms]+/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter(Boolean)
    .join('\n')
}

/** Splits a normalised listing into table blocks keyed by `family name`. */
export function tableBlocks(text: string): Map<string, string> {
  const out = new Map<string, string>()
  let key: string | undefined
  let lines: string[] = []
  let depth = 0
  for (const l of text.split('\n')) {
    const m = /^table (\S+) (\S+) \{$/.exec(l)
    if (m && key === undefined) {
      key = `${m[1]} ${m[2]}`
      lines = [l]
      depth = 1
      continue
    }
    if (key !== undefined) {
      lines.push(l)
      // The table ends at its own closing brace, not at the first one of a set, map or chain inside it.
      depth += braceBalance(l)
      if (depth === 0) {
        out.set(key, lines.join('\n'))
        key = undefined
      }
    }
  }
  return out
}

/** Opening minus closing braces of a listing line, outside quoted strings. */
export function braceBalance(line: string): number {
  let n = 0
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === '"' && line[i - 1] !== '\\') quoted = !quoted
    else if (!quoted && c === '{') n++
    else if (!quoted && c === '}') n--
  }
  return n
}

export type Outcome = 'identical' | 'list-differs' | 'refused' | 'DIFFERENT'

export interface CaseResult {
  readonly id: string
  readonly family: string
  readonly outcome: Outcome
  /** The refusal (first line of nftkit's error), or the differing listings. */
  readonly detail?: string
}

const tmp = mkdtempSync(join(tmpdir(), 'nftkit-corpus-'))
let fileNo = 0
function tmpFile(text: string): string {
  const f = join(tmp, `c${fileNo++}.nft`)
  writeFileSync(f, text)
  return f
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e)
  return msg.split('\n')[0].slice(0, 300)
}

/**
 * What nftkit refuses without the kernel: parsing, and compiling the parsed
 * operations into one batch, for namespace `ns` (whose interfaces `meta iif
 * "lo"` names, as a client's transaction there would resolve them).
 */
function offline(text: string, file: string, ns: Netns): void {
  const tx = new Transaction({ interfaces: interfaceNames(() => loadBinding().interfaces?.(`/run/netns/${ns.name}`) ?? []) })
  for (const op of parseNft(text, { file }).operations) tx.apply(op)
  tx.prepare()
}

/** `nft` in the namespace (nsenter: `ip netns exec` also remounts /sys, several times slower). */
function nftIn(ns: Netns, ...args: string[]): string {
  return execFileSync('nsenter', [`--net=/run/netns/${ns.name}`, 'nft', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 })
}

function nftLoad(ns: Netns, text: string): void {
  nftIn(ns, '-f', tmpFile(text))
}

/**
 * Applies `texts` (one table each) with nftkit in `ns`: all in one apply, or,
 * if that fails, by halves, down to single cases. Returns the error per index
 * for the cases that failed alone.
 */
function kitApplyAll(ns: Netns, texts: readonly string[], idx: readonly number[], errors: Map<number, string>): void {
  if (idx.length === 0) return
  try {
    apply([tmpFile(idx.map((i) => texts[i]).join('\n'))], ns.name)
  } catch (e) {
    if (idx.length === 1) {
      errors.set(idx[0], firstLine(e))
      return
    }
    const h = idx.length >> 1
    kitApplyAll(ns, texts, idx.slice(0, h), errors)
    kitApplyAll(ns, texts, idx.slice(h), errors)
  }
}

/**
 * Runs py cases: nft loads every case in one file (each case its own table)
 * into namespace A, nftkit applies every case it parses into namespace B;
 * each case's table is compared in `nft list ruleset` of both, and with
 * `nftkit list` of B.
 */
export function runPyCases(cases: readonly PyCase[]): CaseResult[] {
  const out: CaseResult[] = []
  for (let i = 0; i < cases.length; i += CHUNK) out.push(...runPyChunk(cases.slice(i, i + CHUNK)))
  return out
}

/** Cases per load: the kernel takes at most 1024 base chains per hook (E2BIG), and inet chains count for ip and ip6. */
const CHUNK = 800

function runPyChunk(cases: readonly PyCase[]): CaseResult[] {
  const names = cases.map((_, i) => `k${i}`)
  const texts = cases.map((c, i) => caseText(c, names[i]))
  const a = makeNetns('cpa')
  const b = makeNetns('cpb')
  try {
    // nft: the corpus holds only cases nft accepts, so one file loads them all.
    nftLoad(a, texts.join('\n'))
    const errors = new Map<number, string>()
    const parsed: number[] = []
    texts.forEach((t, i) => {
      try {
        offline(t, cases[i].id, b)
        parsed.push(i)
      } catch (e) {
        errors.set(i, firstLine(e))
      }
    })
    kitApplyAll(b, texts, parsed, errors)
    const theirs = tableBlocks(normalize(nftIn(a, 'list', 'ruleset')))
    const ours = tableBlocks(normalize(nftIn(b, 'list', 'ruleset')))
    const listed = tableBlocks(normalize(list(b.name)))
    return cases.map((c, i) => {
      const key = `${c.family} ${names[i]}`
      const err = errors.get(i)
      if (err !== undefined) return { id: c.id, family: c.family, outcome: 'refused', detail: err }
      const want = theirs.get(key)
      const got = ours.get(key)
      if (got !== want) return { id: c.id, family: c.family, outcome: 'DIFFERENT', detail: `nft:\n${want}\nnftkit:\n${got}` }
      const l = listed.get(key)
      if (l !== want) return { id: c.id, family: c.family, outcome: 'list-differs', detail: `nft:\n${want}\nnftkit list:\n${l}` }
      return { id: c.id, family: c.family, outcome: 'identical' }
    })
  } finally {
    a.remove()
    b.remove()
  }
}

/** Runs shell dumps one by one (tables of different dumps share names): flush, load, list, in two namespaces. */
export function runShellCases(cases: readonly ShellCase[]): CaseResult[] {
  const a = makeNetns('csa')
  const b = makeNetns('csb')
  const family = (c: ShellCase) => c.id.split('/')[0]
  try {
    return cases.map((c) => {
      const file = tmpFile(c.text)
      nftIn(a, 'flush', 'ruleset')
      nftIn(b, 'flush', 'ruleset')
      nftIn(a, '-f', file)
      try {
        offline(c.text, c.id, b)
        apply([file], b.name)
      } catch (e) {
        return { id: c.id, family: family(c), outcome: 'refused', detail: firstLine(e) }
      }
      const want = normalize(nftIn(a, 'list', 'ruleset'))
      const got = normalize(nftIn(b, 'list', 'ruleset'))
      if (got !== want) return { id: c.id, family: family(c), outcome: 'DIFFERENT', detail: `nft:\n${want}\nnftkit:\n${got}` }
      const l = normalize(list(b.name))
      if (l !== want) return { id: c.id, family: family(c), outcome: 'list-differs', detail: `nft:\n${want}\nnftkit list:\n${l}` }
      return { id: c.id, family: family(c), outcome: 'identical' }
    })
  } finally {
    a.remove()
    b.remove()
  }
}

/** Per-family counts: cases, identical (apply and list), identical via apply only, refused, DIFFERENT. */
export function summarize(results: readonly CaseResult[]): string {
  const fams = [...new Set(results.map((r) => r.family))].sort()
  const row = (name: string, rs: readonly CaseResult[]) => {
    const n = (o: Outcome) => rs.filter((r) => r.outcome === o).length
    const viaApply = n('identical') + n('list-differs')
    const pct = (x: number) => `${((100 * x) / Math.max(1, rs.length)).toFixed(1)}%`
    return [name, rs.length, `${viaApply} (${pct(viaApply)})`, `${n('identical')} (${pct(n('identical'))})`, n('refused'), n('DIFFERENT')].join('\t')
  }
  return [
    ['family', 'cases', 'identical via apply', 'identical via apply+list', 'refused', 'DIFFERENT'].join('\t'),
    ...fams.map((f) => row(f, results.filter((r) => r.family === f))),
    row('all', results),
  ].join('\n')
}
