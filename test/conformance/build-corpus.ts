/**
 * Builds test/conformance/corpus/ from a git copy of the nftables repository
 * (https://git.netfilter.org/nftables, mirrored on GitHub): the `RULE;ok`
 * lines of tests/py for the ip, ip6, inet, arp, bridge and netdev tables
 * (the `any` directory's files declare tables of those families too), each
 * with the chain and the sets/maps/objects its file declares, and the ruleset
 * dumps of tests/shell. Only what the local `nft` accepts is kept (each case
 * loaded into a throwaway namespace). Needs root.
 *
 *   npx tsx test/conformance/build-corpus.ts --git /path/to/nftables.git [--commit REV]
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { makeNetns, type Netns } from '../helpers/netns.js'
import {
  CORPUS_DIR,
  type CorpusHeader,
  caseText,
  PY_FAMILIES,
  type PyCase,
  type PyFamily,
  type ShellCase,
  writeJsonl,
} from './corpus-lib.js'

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(`--${name}`)
  if (i >= 0 && process.argv[i + 1]) return process.argv[i + 1]
  if (dflt === undefined) throw new Error(`missing --${name}`)
  return dflt
}

const gitDir = arg('git')
const commit = execFileSync('git', ['-C', gitDir, 'rev-parse', arg('commit', 'HEAD')], { encoding: 'utf8' }).trim()
const mirror = arg('mirror', 'https://github.com/imryao/nftables (a mirror of git://git.netfilter.org/nftables)')
const src = mkdtempSync(join(tmpdir(), 'nftables-src-'))
execFileSync('sh', ['-c', `git -C '${gitDir}' archive ${commit} tests/py tests/shell | tar -x -C '${src}'`])
const nftVersion = execFileSync('nft', ['--version'], { encoding: 'utf8' }).trim()

// ------------------------------------------------------------------ tests/py

interface Decl {
  readonly name: string
  readonly cmd: string
}

/** `!name type T [. T] [: D] [timeout X] [flags F]` as an `add set/map` command (as nft-test.py builds it). */
function setDecl(line: string): Decl {
  const tokens = line.split(' ')
  const name = tokens[0]
  const typeof_ = tokens[1] === 'typeof'
  let type = `${tokens[1]} ${tokens[2]}`
  let data = ''
  let i = 3
  if (typeof_ && tokens[i] === 'id') type += ` ${tokens[i++]}`
  while (tokens[i] === '.') {
    type += ` . ${tokens[i + 1]}`
    i += 2
  }
  while (tokens[i] === ':') {
    data = tokens[i + 1]
    i += 2
  }
  while (tokens[i] === '.') {
    data += ` . ${tokens[i + 1]}`
    i += 2
  }
  if (typeof_ && tokens[i] === 'mark') data += ` ${tokens[i++]}`
  let timeout = ''
  let flags = ''
  if (tokens.length === i + 2 && tokens[i] === 'timeout') {
    timeout = ` timeout ${tokens[i + 1]};`
    i += 2
  }
  if (tokens.length === i + 2 && tokens[i] === 'flags') flags = ` flags ${tokens[i + 1]};`
  const cmd = data ? `add map TABLE ${name} { ${type} : ${data};${timeout}${flags} }` : `add set TABLE ${name} { ${type};${timeout}${flags} }`
  return { name, cmd }
}

/** `%name type counter|quota ..|limit ..|ct helper {..}` as an `add` command. */
function objDecl(line: string): Decl {
  const brace = line.lastIndexOf('}')
  const body = brace < 0 ? line.split(';')[0] : line.slice(0, brace + 1)
  const tokens = body.split(' ')
  const name = tokens[0]
  let type = tokens[2]
  let rest = tokens.slice(3)
  if (type === 'ct' && ['helper', 'timeout', 'expectation'].includes(rest[0])) {
    type = `ct ${rest[0]}`
    rest = rest.slice(1)
  }
  return { name, cmd: `add ${type} TABLE ${name} ${rest.join(' ')}`.trimEnd() }
}

function result(line: string): string {
  const brace = line.lastIndexOf('}')
  const tail = brace < 0 ? line : line.slice(brace + 1)
  return tail.split(';')[1]?.trim() ?? ''
}

/** Whether `rule` names the declared object `name` (`@name`, `counter name "name"`, a map by name ...). */
function mentions(rule: string, name: string): boolean {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(^|[\\s@"])${esc}($|[\\s"},;])`).test(rule)
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? walk(p) : [p]
  })
}

function pyCases(): PyCase[] {
  const root = join(src, 'tests/py')
  const files = walk(root)
    .filter((f) => f.endsWith('.t'))
    .sort()
  const out: PyCase[] = []
  for (const file of files) {
    const rel = relative(root, file)
    const chains = new Map<string, string>()
    const tables: { family: string; chains: string[] }[] = []
    const decls: Decl[] = []
    const elements: { set: string; cmd: string }[] = []
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((raw, n) => {
        const line = raw.trimEnd()
        if (!line.trim() || line.startsWith('#') || line.startsWith('-')) return
        const body = line.slice(1)
        switch (line[0]) {
          case ':': {
            const [name, spec] = body.split(';')
            chains.set(name, spec)
            return
          }
          case '*': {
            const [family, , cs] = body.split(';')
            tables.push({ family, chains: cs.split(',') })
            return
          }
          case '!':
            if (result(line) === 'ok') decls.push(setDecl(body.split(';')[0]))
            return
          case '%':
            if (result(line) === 'ok') decls.push(objDecl(body))
            return
          case '?': {
            if (result(line) !== 'ok') return
            const e = body.split(';')[0]
            const sp = e.indexOf(' ')
            elements.push({ set: e.slice(0, sp), cmd: `add element TABLE ${e.slice(0, sp)} { ${e.slice(sp + 1).trim()} }` })
            return
          }
        }
        const parts = line.split(';')
        if (parts.length < 2 || parts.length > 3 || parts[1].trim() !== 'ok') return
        const rule = parts[0].trim()
        const expected = parts[2]?.trim()
        for (const t of tables) {
          if (!(PY_FAMILIES as readonly string[]).includes(t.family)) continue
          const chain = t.chains[0]
          const spec = chains.get(chain)
          if (spec === undefined) continue
          const used = decls.filter((d) => mentions(rule, d.name))
          const els = elements.filter((e) => used.some((d) => d.name === e.set)).map((e) => e.cmd)
          out.push({
            id: `${rel}:${n + 1}/${t.family}`,
            family: t.family as PyFamily,
            chain,
            chainSpec: spec,
            decls: [...used.map((d) => d.cmd), ...els],
            rule,
            ...(expected ? { expected } : {}),
          })
        }
      })
  }
  return out
}

function nftAccepts(ns: Netns, text: string): boolean {
  try {
    ns.nft('flush', 'ruleset')
    ns.nftFile(text)
    return true
  } catch {
    return false
  }
}

// ------------------------------------------------------------------ main

const ns = makeNetns('build')
try {
  const all = pyCases()
  const byFile = new Map<string, PyCase[]>()
  for (const c of all) {
    const f = c.id.split(':')[0]
    byFile.set(f, [...(byFile.get(f) ?? []), c])
  }
  const kept: PyCase[] = []
  let refused = 0
  for (const [, cs] of byFile) {
    if (nftAccepts(ns, cs.map((c, i) => caseText(c, `k${i}`)).join('\n'))) {
      kept.push(...cs)
      continue
    }
    for (const c of cs)
      if (nftAccepts(ns, caseText(c, 'k0'))) kept.push(c)
      else refused++
  }
  const header = (path: string, filter: string): CorpusHeader => ({
    source: 'nftables, https://git.netfilter.org/nftables',
    mirror,
    commit,
    path,
    license: 'GPL-2.0-only (nftables); test data used as a conformance corpus, see test/conformance/corpus/README.md',
    filter: `${filter}; kept what ${nftVersion} accepts (nft -f in a fresh network namespace, Linux ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()})`,
  })
  for (const f of PY_FAMILIES) {
    const rows = kept.filter((c) => c.family === f)
    writeJsonl(join(CORPUS_DIR, `py.${f}.jsonl`), header('tests/py/*/*.t', `the RULE;ok lines for ${f} tables`), rows)
  }
  console.log(`tests/py: ${all.length} cases, ${kept.length} accepted by nft, ${refused} refused`)

  const shellRoot = join(src, 'tests/shell/testcases')
  const dumps = walk(shellRoot)
    .filter((f) => /\/dumps\/[^/]+\.nft$/.test(f))
    .sort()
  const shell: ShellCase[] = []
  for (const d of dumps) {
    const text = readFileSync(d, 'utf8')
    // An empty dump (a test whose ruleset ends empty) declares nothing to compare.
    if (!text.trim()) continue
    if (nftAccepts(ns, text)) shell.push({ id: relative(shellRoot, d), text })
  }
  writeJsonl(join(CORPUS_DIR, 'shell.jsonl'), header('tests/shell/testcases/**/dumps/*.nft', 'the ruleset dumps that declare something (empty dumps left out)'), shell)
  console.log(`tests/shell: ${dumps.length} dumps, ${shell.length} accepted by nft`)
} finally {
  ns.remove()
}
