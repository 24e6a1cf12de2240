/**
 * Tokens of nft's language: words, strings, punctuation and line ends, each
 * with its line and column; values interpolated into a tagged template are
 * their own token kind, so they can never be re-read as syntax.
 * @module
 */
import { TEXT_MAX } from '../kernel/limits.js'

/** One token. */
export type Token =
  | { readonly kind: 'word'; readonly text: string; readonly line: number; readonly col: number }
  | { readonly kind: 'string'; readonly text: string; readonly line: number; readonly col: number }
  | { readonly kind: 'punct'; readonly text: '{' | '}' | ';' | ',' | '@' | '=' | '.' | ':'; readonly line: number; readonly col: number }
  | { readonly kind: 'eol'; readonly text: '\n'; readonly line: number; readonly col: number }
  | { readonly kind: 'value'; readonly value: unknown; readonly text: string; readonly line: number; readonly col: number }
  | { readonly kind: 'eof'; readonly text: ''; readonly line: number; readonly col: number }

/** Characters of the offending line an error message shows. */
const EXCERPT = 120

/** A syntax error with position, the offending line and a caret under the token. */
export class NftSyntaxError extends SyntaxError {
  /** 1-based line. */
  readonly line: number
  /** 1-based column. */
  readonly col: number
  /** File name, if known. */
  readonly file?: string

  constructor(message: string, source: string, line: number, col: number, width = 1, file?: string) {
    // The offending line, at most EXCERPT characters of it around the column.
    let start = 0
    for (let l = 1; l < line && start >= 0; l++) start = source.indexOf('\n', start) + 1 || -1
    let end = start < 0 ? -1 : source.indexOf('\n', start)
    if (end < 0) end = source.length
    let from = Math.max(start, Math.min(start + col - 1 - 20, end - EXCERPT))
    if (start < 0) from = end
    const text = source.slice(from, Math.min(end, from + EXCERPT))
    const at = Math.max(0, start + col - 1 - from)
    const caret = `${' '.repeat(Math.min(at, EXCERPT))}${'^'.repeat(Math.max(1, Math.min(width, EXCERPT - at)))}`
    super(`${file ?? '<input>'}:${line}:${col}: ${message}\n${text}\n${caret}`)
    this.name = 'NftSyntaxError'
    this.line = line
    this.col = col
    this.file = file
  }
}

const VALUE_HOLE = /\$__nftkit_value_(\d+)__/y
const VARIABLE = /\$[A-Za-z_.][A-Za-z0-9/_.-]*/y
const PUNCT = new Set(['{', '}', ';', ',', '@'])
const WORD_STOP = new Set(['{', '}', ';', ',', '"', '@', '#', '\n', ' ', '\t', '\r', '$'])

/** Splits nft text into tokens. `values` fill the `$__nftkit_value_N__` holes of tagged templates. */
export function tokenize(src: string, file?: string, values: readonly unknown[] = []): Token[] {
  if (typeof src !== 'string') throw new NftSyntaxError(`expected nft text (a string), not ${src === null ? 'null' : typeof src}`, '', 1, 1, 1, file)
  if (src.length > TEXT_MAX) throw new NftSyntaxError(`the text has ${src.length} characters, more than the ${TEXT_MAX} nftkit reads`, '', 1, 1, 1, file)
  const out: Token[] = []
  let i = 0
  let line = 1
  let lineStart = 0
  const col = () => i - lineStart + 1
  while (i < src.length) {
    const c = src[i]
    if (c === '\n') {
      // Blank lines make no tokens: one line end stands for a run of them.
      if (out.length === 0 || out[out.length - 1].kind !== 'eol') out.push({ kind: 'eol', text: '\n', line, col: col() })
      i++
      line++
      lineStart = i
      continue
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++
      continue
    }
    if (c === '\\' && src[i + 1] === '\n') {
      // line continuation
      i += 2
      line++
      lineStart = i
      continue
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++
      continue
    }
    if (c === '"') {
      const startCol = col()
      let j = i + 1
      let text = ''
      // Copies runs between escapes, not one character at a time.
      let from = j
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && src[j + 1] === '"') {
          text += `${src.slice(from, j)}"`
          j += 2
          from = j
          continue
        }
        if (src[j] === '\n') throw new NftSyntaxError('unterminated string', src, line, startCol, 1, file)
        j++
      }
      if (j >= src.length) throw new NftSyntaxError('unterminated string', src, line, startCol, 1, file)
      text += src.slice(from, j)
      out.push({ kind: 'string', text, line, col: startCol })
      i = j + 1
      continue
    }
    if (PUNCT.has(c)) {
      out.push({ kind: 'punct', text: c as '{', line, col: col() })
      i++
      continue
    }
    if (c === '$') {
      VALUE_HOLE.lastIndex = i
      const m = VALUE_HOLE.exec(src)
      if (m) {
        out.push({ kind: 'value', value: values[Number(m[1])], text: `\${${m[1]}}`, line, col: col() })
        i += m[0].length
        continue
      }
      // `$name`: a variable, replaced by its `define`d value (preprocess.ts).
      VARIABLE.lastIndex = i
      const v = VARIABLE.exec(src)
      if (v) {
        out.push({ kind: 'word', text: v[0], line, col: col() })
        i += v[0].length
        continue
      }
      throw new NftSyntaxError("expected a variable name after '$'", src, line, col(), 1, file)
    }
    const start = i
    const startCol = col()
    while (i < src.length && !WORD_STOP.has(src[i])) i++
    const text = src.slice(start, i)
    // Standalone '=', '.' and ':' are punctuation; inside words they belong to
    // addresses (10.0.0.1, 2001:db8::1, 02:00:..).
    if (text === '=' || text === '.' || text === ':') out.push({ kind: 'punct', text, line, col: startCol })
    else out.push({ kind: 'word', text, line, col: startCol })
  }
  out.push({ kind: 'eof', text: '', line, col: col() })
  return out
}
