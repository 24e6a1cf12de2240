/**
 * Reading raw payload expressions, nft's `@BASE,OFFSET,LENGTH` (tokens
 * `@ nh , 16 , 16`), as selectors of the table (see expr/raw-payload.ts).
 * @module
 */
import { normalizeSelector, SELECTORS, type SelectorSpec } from '../expr/selectors.js'
import { RAW_MAX_BITS } from '../expr/raw-payload.js'
import type { BitwiseStep, RawPayloadSetStmt } from '../model/rule-types.js'
import type { Token } from './lexer.js'

/**
 * The raw payload selector at the current token (`peek(0)` is `@`), if any;
 * `fail` refuses one nft reads but nftkit does not write.
 */
export function rawSelectorAt(
  peek: (o: number) => Token,
  fail: (t: Token, msg: string) => never,
): { spec: SelectorSpec; width: number } | undefined {
  const at = peek(0)
  if (at.kind !== 'punct' || at.text !== '@') return undefined
  const t = [1, 2, 3, 4, 5].map((o) => peek(o))
  if (t[0].kind !== 'word' || !['ll', 'nh', 'th', 'ih'].includes(t[0].text)) return undefined
  if (t[1].text !== ',' || t[3].text !== ',' || ![t[2], t[4]].every((x) => x.kind === 'word' && /^\d+$/.test(x.text))) return undefined
  const text = `@${t[0].text},${Number(t[2].text)},${Number(t[4].text)}`
  const len = Number(t[4].text)
  if (len === 0 || len > RAW_MAX_BITS) fail(at, `nftkit does not support 'raw payload expressions of ${len} bits' yet (${text}; 1-${RAW_MAX_BITS} bits)`)
  const name = normalizeSelector(text)
  return name ? { spec: SELECTORS[name], width: 6 } : undefined
}

/** What parsePayloadSet needs from the parser. */
export interface PayloadSetCursor {
  peek(o?: number): Token
  next(): Token
  fail(t: Token, msg: string): never
}

const STEP_WORDS: Readonly<Record<string, '&' | '|' | '^'>> = { '&': '&', '|': '|', '^': '^', and: '&', or: '|', xor: '^' }

/** An unsigned integer token: a number, or a `0x...` string past 2^53. */
function intToken(c: PayloadSetCursor, what: string): number | string {
  const t = c.next()
  if (t.kind !== 'word' || !/^(0x[0-9a-fA-F]+|\d+)$/.test(t.text)) return c.fail(t, `expected ${what} (a number)`)
  const v = BigInt(t.text)
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : `0x${v.toString(16)}`
}

/**
 * `@BASE,OFFSET,LENGTH set VALUE` after the selector (`set` is the current
 * token): a number, or the field itself masked (`@ih,48,16 & 0xffc1 | 0x1`,
 * as nft lists a write of part of a byte).
 */
export function parsePayloadSet(c: PayloadSetCursor, field: SelectorSpec): RawPayloadSetStmt {
  c.next() // set
  const name = field.name as RawPayloadSetStmt['field']
  const at = c.peek()
  if (at.kind === 'punct' && at.text === '@') {
    const from = rawSelectorAt((o) => c.peek(o), c.fail)
    if (!from || from.spec.name !== field.name) return c.fail(at, `nftkit does not support '${field.name} set' with an expression other than ${field.name} itself yet`)
    for (let i = 0; i < from.width; i++) c.next()
    const bits: BitwiseStep[] = []
    for (;;) {
      const t = c.peek()
      const op = t.kind === 'word' || t.kind === 'punct' ? STEP_WORDS[t.text] : undefined
      if (!op) break
      c.next()
      bits.push([op, intToken(c, `a mask for ${field.name}`)])
    }
    if (bits.length === 0) return c.fail(c.peek(), `expected '&', '|' or '^' after ${field.name}`)
    return { stmt: 'raw payload set', field: name, value: { from: name, bits } }
  }
  return { stmt: 'raw payload set', field: name, value: intToken(c, `a value for ${field.name}`) }
}
