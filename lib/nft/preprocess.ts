/**
 * What nft does to a file before it reads the rules: `include` splices other
 * files in, `define` / `redefine` / `undefine` name values and `$name`
 * replaces a name by its value. Both work on tokens, so positions in error
 * messages stay those of the text the user wrote (an included file's tokens
 * keep their own file name and text).
 * @module
 */
import { NftSyntaxError, type Token, tokenize } from './lexer.js'

/** One file an `include` names (after wildcard expansion). */
export interface IncludedFile {
  /** The name error messages show. */
  readonly file: string
  readonly text: string
}

/**
 * Reads the files an `include "name"` statement names, as nft does: `name` may
 * hold shell wildcards (`*`, `?`, `[...]`), a wildcard that matches nothing
 * includes nothing, a plain name that does not exist is an error (throw an
 * Error with the reason; the parser adds the position). `from` is the
 * including file's name, if known.
 */
export type IncludeReader = (name: string, from: string | undefined) => readonly IncludedFile[]

/** Where a token came from when it is not the parsed text itself (included files). */
export interface TokenOrigin {
  readonly src: string
  readonly file?: string
}

/** Tokens of included files remember their origin, for error messages. */
const origins = new WeakMap<Token, TokenOrigin>()

/** The text and file name a token was read from, if it came from an included file. */
export function tokenOrigin(t: Token): TokenOrigin | undefined {
  return origins.get(t)
}

/** Nesting depth of includes nft allows (its limit is 16 as well). */
const MAX_INCLUDE_DEPTH = 16
/** Tokens one file may grow to through `$name` expansion (a guard against exponential defines). */
const MAX_EXPANDED_TOKENS = 1 << 24

/** nft's variable names (its scanner's `string`: a letter, `_` or `.`, then letters, digits, `/`, `-`, `_`, `.`). */
const NAME = /^[A-Za-z_.][A-Za-z0-9/_.-]*$/

interface Ctx {
  readonly include?: IncludeReader
  readonly vars: Map<string, Token[]>
  readonly out: Token[]
}

/**
 * Expands `include`, `define`, `redefine`, `undefine` and `$name` in a token
 * list (the result has none of them). `include` needs a reader; without one it
 * is refused with a message saying so.
 * @throws NftSyntaxError
 */
export function preprocess(toks: readonly Token[], src: string, file: string | undefined, include?: IncludeReader): Token[] {
  // The common case, nothing to do: no `$`, no define or include keyword.
  if (!toks.some((t) => t.kind === 'word' && (t.text[0] === '$' || t.text === 'define' || t.text === 'redefine' || t.text === 'undefine' || t.text === 'include'))) return [...toks]
  const ctx: Ctx = { include, vars: new Map(), out: [] }
  run(ctx, toks, { src, file }, 0)
  ctx.out.push(toks[toks.length - 1]) // eof
  return ctx.out
}

function fail(t: Token, origin: TokenOrigin, msg: string): never {
  const o = origins.get(t) ?? origin
  throw new NftSyntaxError(msg, o.src, t.line, t.col, Math.max(1, t.text.length), o.file)
}

/** True at the start of a statement: first token, or after a line end, `;`, `{` or `}`. */
function atStatementStart(toks: readonly Token[], i: number): boolean {
  if (i === 0) return true
  const p = toks[i - 1]
  return p.kind === 'eol' || (p.kind === 'punct' && (p.text === ';' || p.text === '{' || p.text === '}'))
}

function run(ctx: Ctx, toks: readonly Token[], origin: TokenOrigin, depth: number): void {
  const end = toks.length - (toks[toks.length - 1]?.kind === 'eof' ? 1 : 0)
  for (let i = 0; i < end; i++) {
    const t = toks[i]
    if (t.kind === 'word' && atStatementStart(toks, i)) {
      if (t.text === 'define' || t.text === 'redefine') {
        i = define(ctx, toks, i, end, origin, t.text === 'redefine')
        continue
      }
      if (t.text === 'undefine') {
        const n = toks[i + 1]
        if (n?.kind !== 'word' || !NAME.test(n.text)) fail(n ?? t, origin, 'expected a variable name after undefine')
        if (!ctx.vars.delete(n.text)) fail(n, origin, `undefine of '${n.text}', which is not defined`)
        i = skipEnd(toks, i + 2, end, origin)
        continue
      }
      if (t.text === 'include') {
        i = includeFiles(ctx, toks, i, end, origin, depth)
        continue
      }
    }
    if (t.kind === 'word' && t.text[0] === '$') {
      ctx.out.push(...lookup(ctx, t, origin))
      if (ctx.out.length > MAX_EXPANDED_TOKENS) fail(t, origin, `variables expand to more than ${MAX_EXPANDED_TOKENS} tokens`)
      continue
    }
    ctx.out.push(t)
  }
}

function lookup(ctx: Ctx, t: Token, origin: TokenOrigin): Token[] {
  const name = t.text.slice(1)
  if (!NAME.test(name)) fail(t, origin, `'${t.text}' is not a variable name`)
  const v = ctx.vars.get(name)
  if (v === undefined) fail(t, origin, `unknown variable '${t.text}' (define it first: define ${name} = ...)`)
  return v
}

/** `define NAME = VALUE`: VALUE runs to the end of the line (or `;`) outside braces. */
function define(ctx: Ctx, toks: readonly Token[], i: number, end: number, origin: TokenOrigin, redefine: boolean): number {
  const kw = toks[i]
  const n = toks[i + 1]
  if (n?.kind !== 'word' || !NAME.test(n.text)) fail(n ?? kw, origin, `expected a variable name after ${kw.text}`)
  const eq = toks[i + 2]
  if (eq?.kind !== 'punct' || eq.text !== '=') fail(eq ?? n, origin, `expected '=' after ${kw.text} ${n.text}`)
  if (!redefine && ctx.vars.has(n.text)) fail(n, origin, `'${n.text}' is already defined (use redefine to change it)`)
  const value: Token[] = []
  let j = i + 3
  let braces = 0
  for (; j < end; j++) {
    const t = toks[j]
    if (braces === 0 && (t.kind === 'eol' || (t.kind === 'punct' && (t.text === ';' || t.text === '}')))) break
    if (t.kind === 'punct' && t.text === '{') braces++
    if (t.kind === 'punct' && t.text === '}') braces--
    // Line ends inside a braced value are layout, not statement ends.
    if (t.kind === 'eol') continue
    // Values are expanded when defined, as nft does: `define b = $a` copies a's value.
    if (t.kind === 'word' && t.text[0] === '$') value.push(...lookup(ctx, t, origin))
    else value.push(t)
  }
  if (value.length === 0) fail(eq, origin, `expected a value after ${kw.text} ${n.text} =`)
  ctx.vars.set(n.text, value)
  return j < end && toks[j].kind === 'punct' && toks[j].text === '}' ? j - 1 : j
}

/** Skips to the statement end after a complete statement; anything else there is an error. */
function skipEnd(toks: readonly Token[], j: number, end: number, origin: TokenOrigin): number {
  const t = toks[j]
  if (j >= end || t.kind === 'eol' || (t.kind === 'punct' && t.text === ';')) return j
  if (t.kind === 'punct' && t.text === '}') return j - 1
  fail(t, origin, `expected the end of the statement but found '${t.text}'`)
}

function includeFiles(ctx: Ctx, toks: readonly Token[], i: number, end: number, origin: TokenOrigin, depth: number): number {
  const kw = toks[i]
  const n = toks[i + 1]
  if (n?.kind !== 'string') fail(n ?? kw, origin, 'expected a file name in double quotes after include')
  const after = skipEnd(toks, i + 2, end, origin)
  if (!ctx.include) fail(kw, origin, 'include needs files to read: use nftkit apply or loadSources, or pass ParseOptions.include')
  if (depth >= MAX_INCLUDE_DEPTH) fail(kw, origin, `includes nested more than ${MAX_INCLUDE_DEPTH} deep (an include loop?)`)
  let files: readonly IncludedFile[]
  try {
    files = ctx.include(n.text, origin.file)
  } catch (e) {
    fail(n, origin, `cannot include "${n.text}": ${e instanceof Error ? e.message : String(e)}`)
  }
  for (const f of files) {
    const inner = tokenize(f.text, f.file)
    const o: TokenOrigin = { src: f.text, file: f.file }
    for (const t of inner) origins.set(t, o)
    // The included text is a sequence of statements of its own: end it like a line.
    run(ctx, inner, o, depth + 1)
    const last = ctx.out[ctx.out.length - 1]
    if (last !== undefined && last.kind !== 'eol') ctx.out.push({ kind: 'eol', text: '\n', line: kw.line, col: kw.col })
  }
  return after
}
