/**
 * YAML and JSON documents read safely: in time and memory proportional to the
 * text (the yaml library's own duplicate-key check is quadratic in the keys of
 * one mapping, 9 s for 40 000 keys, so keys are checked here in one pass), with
 * every refusal a problem that names the document, the field path and the line,
 * and a way to find the line and column of any field path afterwards.
 * @module
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, visit } from 'yaml'
import { NEST_DEPTH_MAX, TEXT_MAX } from '../kernel/limits.js'
import { findDataProblem } from '../model/validate.js'

/** A problem found in a FirewallConfiguration (or another document): where, and why. */
export interface Problem {
  /** Field path, e.g. `spec.table.chains[1].rules.filterRules[0].match[2].ip.value`. */
  readonly path: string
  readonly message: string
}

/** Line and column (both 1-based) of a field in its text. */
export interface TextPosition {
  readonly line: number
  readonly col: number
}

/** A document of a file: the object, where it came from, and where its fields are. */
export interface Document {
  readonly file?: string
  /** 0-based index of the document in its file. */
  readonly index: number
  readonly value: unknown
  /**
   * Where a field path (`spec.table.chains[0].name`, relative to the document)
   * is in the text: the field itself, or the closest enclosing field that
   * exists (a missing field is reported where it should have been).
   */
  readonly locate?: (path: string) => TextPosition | undefined
}

/** One document of a YAML/JSON text as {@link readYaml} reads it: its value, or why it has none. */
export interface YamlDocument {
  /** 0-based index in the text. */
  readonly index: number
  readonly value?: unknown
  /** Syntax errors and refusals; `value` is absent when there are any. */
  readonly problems: Problem[]
  /** See {@link Document.locate}. */
  readonly locate?: (path: string) => TextPosition | undefined
}

/** Duplicate keys reported per document, at most. */
const DUPLICATES_SHOWN = 10

/**
 * The documents of a YAML (or JSON) text, read in time and memory
 * proportional to the text: at most {@link TEXT_MAX} characters; nesting
 * deeper than {@link NEST_DEPTH_MAX} and aliases that expand a document to
 * more values than its text has characters (an alias bomb) are refused as
 * problems with the field path, as are duplicate keys, cycles (`&a [*a]`) and
 * `__proto__` keys; nothing throws.
 */
export function readYaml(text: unknown): YamlDocument[] {
  if (typeof text !== 'string') return [{ index: 0, problems: [{ path: 'document 0', message: 'expected YAML or JSON text (a string)' }] }]
  if (text.length > TEXT_MAX) return [{ index: 0, problems: [{ path: 'document 0', message: `the text has ${text.length} characters, more than the ${TEXT_MAX} nftkit reads` }] }]
  const deep = flowTooDeep(text)
  if (deep) return [{ index: 0, problems: [{ path: `line ${deep.line}`, message: `flow collections ('[', '{') nested more than ${NEST_DEPTH_MAX} deep` }] }]
  const lines = new LineCounter()
  let docs: ReturnType<typeof parseAllDocuments>
  try {
    docs = parseAllDocuments(text, { uniqueKeys: false, lineCounter: lines })
  } catch (e) {
    return [{ index: 0, problems: [{ path: 'document 0', message: yamlFailure(e) }] }]
  }
  const list = Array.isArray(docs) ? docs : []
  const out: YamlDocument[] = []
  // Aliases reuse a value: counting every visit, a document without them has fewer values than characters.
  const values = text.length + 1024
  const where = (offset: number): TextPosition => lines.linePos(offset)
  for (let index = 0; index < list.length; index++) {
    const d = list[index]
    const at = `document ${index}`
    if (d.errors.length) {
      out.push({ index, problems: d.errors.slice(0, 10).map((e) => ({ path: at, message: `${firstLine(e.message)}` })) })
      continue
    }
    const dups = duplicateKeys(d.contents, where)
    if (dups.length) {
      out.push({ index, problems: dups.map((k) => ({ path: `${at}: ${k.path}`, message: `duplicate key '${k.key}' (line ${k.line}; first at line ${k.first})` })) })
      continue
    }
    let value: unknown
    try {
      value = d.toJS({ maxAliasCount: 100 })
    } catch (e) {
      out.push({ index, problems: [{ path: at, message: yamlFailure(e) }] })
      continue
    }
    const p = findDataProblem(value, '', { values })
    if (p) {
      const message = p.reason.endsWith('values in all')
        ? `its aliases expand it to more than ${values} values (the text has ${text.length} characters): refused as an alias bomb`
        : p.reason.replace(/^Expected/, 'expected')
      out.push({ index, problems: [{ path: p.path ? `${at}: ${p.path.replace(/^\./, '')}` : at, message }] })
      continue
    }
    const root = d.contents
    out.push({ index, value, problems: [], locate: (path) => locateIn(root, path, where) })
  }
  return out
}

/** Reads every YAML (or JSON) document of a text. Syntax errors and refusals become problems on `document N`. */
export function readDocuments(text: string, file?: string): { documents: Document[]; problems: Problem[] } {
  const documents: Document[] = []
  const problems: Problem[] = []
  for (const d of readYaml(text)) {
    problems.push(...d.problems)
    if (d.value !== null && d.value !== undefined) documents.push({ file, index: d.index, value: d.value, locate: d.locate })
  }
  return { documents, problems }
}

/** The segments of a field path: `a.b[2]["c d"]` → `a`, `b`, 2, `c d`. */
export function pathSegments(path: string): Array<string | number> {
  const out: Array<string | number> = []
  const re = /\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y
  re.lastIndex = 0
  while (re.lastIndex < path.length) {
    const m = re.exec(path)
    if (m === null) break
    if (m[1] !== undefined) out.push(m[1])
    else if (m[2] !== undefined) out.push(Number(m[2]))
    else out.push(JSON.parse(m[3]) as string)
  }
  return out
}

/** The position of the deepest node of `path` that exists under `root`. */
function locateIn(root: Node | null, path: string, where: (offset: number) => TextPosition): TextPosition | undefined {
  let node: unknown = root
  let found: Node | undefined = root ?? undefined
  for (const seg of pathSegments(path)) {
    let next: unknown
    if (isMap(node)) next = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg))?.value
    else if (isSeq(node) && typeof seg === 'number') next = node.items[seg]
    if (!next || typeof next !== 'object' || !('range' in next)) break
    node = next
    found = next as Node
  }
  const range = found?.range
  return range ? where(range[0]) : undefined
}

/** Keys that occur twice in one mapping, in one pass over the document (at most {@link DUPLICATES_SHOWN}). */
function duplicateKeys(root: Node | null, where: (offset: number) => TextPosition): Array<{ path: string; key: string; line: number; first: number }> {
  const out: Array<{ path: string; key: string; line: number; first: number }> = []
  if (!root) return out
  visit(root, {
    Map(_key, map, ancestry) {
      const seen = new Map<string, number>()
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue
        const k = String(pair.key.value)
        const offset = pair.key.range?.[0] ?? 0
        const first = seen.get(k)
        if (first === undefined) {
          seen.set(k, offset)
          continue
        }
        out.push({ path: pathOf(ancestry, map), key: k.slice(0, 40), line: where(offset).line, first: where(first).line })
        if (out.length >= DUPLICATES_SHOWN) return visit.BREAK
      }
      return undefined
    },
  })
  return out
}

/** A readable field path of a node from the ancestry `visit` gives (pairs contribute their keys). */
function pathOf(ancestry: readonly unknown[], node: unknown): string {
  let p = ''
  const chain = [...ancestry, node]
  for (let i = 1; i < chain.length; i++) {
    const parent = chain[i - 1]
    const here = chain[i]
    if (isSeq(parent)) p += `[${parent.items.indexOf(here as never)}]`
    else if (here && typeof here === 'object' && 'key' in here && isScalar((here as { key: unknown }).key))
      p += `${p ? '.' : ''}${String(((here as { key: { value: unknown } }).key).value).slice(0, 40)}`
  }
  return p || '(top level)'
}

/**
 * Where `[`/`{` nest deeper than {@link NEST_DEPTH_MAX} outside quotes and
 * comments (one linear scan: the YAML parser recurses per level, and a text
 * of 100k `[` takes it seconds and then the stack).
 */
function flowTooDeep(text: string): { line: number } | undefined {
  let depth = 0
  let line = 1
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 10) line++
    else if (c === 91 || c === 123) {
      if (++depth > NEST_DEPTH_MAX) return { line }
    } else if (c === 93 || c === 125) depth = Math.max(0, depth - 1)
    else if (c === 35 && (i === 0 || text.charCodeAt(i - 1) <= 32)) {
      while (i + 1 < text.length && text.charCodeAt(i + 1) !== 10) i++
    } else if (c === 34 || c === 39) {
      // A quoted scalar: skip to its closing quote ("\"" escapes, '' doubles).
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i)
        if (d === 10) line++
        else if (c === 34 && d === 92) i++
        else if (d === c && !(c === 39 && text.charCodeAt(i + 1) === 39)) break
        else if (d === c) i++
      }
    }
  }
  return undefined
}

function firstLine(s: string): string {
  const n = s.indexOf('\n')
  return (n < 0 ? s : s.slice(0, n)).slice(0, 200)
}

/** The message of an error thrown while reading YAML, never the engine's own words for a deep input. */
function yamlFailure(e: unknown): string {
  if (e instanceof RangeError) return `nested too deep to read (at most ${NEST_DEPTH_MAX} levels)`
  return e instanceof Error ? firstLine(e.message) : 'unreadable YAML'
}
