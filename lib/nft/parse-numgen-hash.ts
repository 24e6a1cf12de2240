/**
 * Parsing of number generators and hashes as statement values, in nft's
 * grammar: `numgen inc|random mod N [offset O]`,
 * `jhash KEY mod N [seed S] [offset O]`, `symhash mod N [offset O]`.
 * @module
 */
import type { Token } from './lexer.js'
import type { SelectorSpec } from '../expr/selectors.js'
import type { HashExpr, NumgenExpr, Selector } from '../model/rule-types.js'

/** The parser's reading primitives this parser uses. */
export interface NumgenHashCursor {
  peek(o?: number): Token
  next(): Token
  is(t: Token, text: string): boolean
  fail(t: Token, msg: string): never
  number(what: string): number
  selectorAt(): { spec: SelectorSpec; width: number } | undefined
}

/** Whether a number generator or hash starts at the cursor. */
export function atNumgenHash(c: NumgenHashCursor): boolean {
  const t = c.peek()
  return t.kind === 'word' && (t.text === 'numgen' || t.text === 'jhash' || t.text === 'symhash')
}

/** A number generator or hash at the cursor (see {@link atNumgenHash}). */
export function parseNumgenHash(c: NumgenHashCursor): NumgenExpr | HashExpr {
  const at = c.next()
  const tail = (allowSeed: boolean) => {
    if (!c.is(c.next(), 'mod')) c.fail(c.peek(), `expected 'mod N' after ${at.text}`)
    const mod = c.number('a modulus')
    const out: { mod: number; seed?: number; offset?: number } = { mod }
    if (allowSeed && c.is(c.peek(), 'seed')) {
      c.next()
      out.seed = c.number('a seed')
    }
    if (c.is(c.peek(), 'offset')) {
      c.next()
      out.offset = c.number('an offset')
    }
    return out
  }
  if (at.text === 'numgen') {
    const kind = c.next()
    if (kind.kind !== 'word' || (kind.text !== 'inc' && kind.text !== 'random')) c.fail(kind, `expected 'inc' or 'random' after numgen but found '${kind.text}'`)
    const { mod, offset } = tail(false)
    return { numgen: kind.text as 'inc' | 'random', mod, ...(offset !== undefined ? { offset } : {}) }
  }
  if (at.text === 'symhash') return { hash: 'symhash', ...tail(false) }
  const key: Selector[] = []
  for (;;) {
    const s = c.selectorAt()
    if (!s) return c.fail(c.peek(), `nftkit does not support this jhash key yet (only header fields, meta and ct keys)`)
    key.push(s.spec.name)
    for (let i = 0; i < s.width; i++) c.next()
    if (!c.is(c.peek(), '.')) break
    c.next()
  }
  return { hash: 'jhash', key: key.length === 1 ? key[0] : key, ...tail(true) }
}
