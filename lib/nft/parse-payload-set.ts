/**
 * Parsing of payload statements (`ip ttl set 64`, `ip dscp set cs1`,
 * `ether saddr set 00:11:22:33:44:55`) in nft's grammar: a header field,
 * `set` and one value of the field's type.
 * @module
 */
import type { Token } from './lexer.js'
import { nftFeature } from './keywords.js'
import type { SelectorSpec } from '../expr/selectors.js'
import { isPayloadSettable } from '../expr/stmt-payload.js'
import type { MapValue, PayloadSetStmt } from '../model/rule-types.js'

/** The parser's reading primitives the payload statement parser uses. */
export interface PayloadSetCursor {
  peek(o?: number): Token
  next(): Token
  fail(t: Token, msg: string): never
  /** One value of the selector's type, canonicalised as match values are. */
  value(s: SelectorSpec): unknown
  /** Whether a selector starts at the cursor. */
  atSelector(): boolean
  /** `KEY map { ... }` / `KEY map @m` with values of the selector's type, if there. */
  mapValue(s: SelectorSpec): MapValue | undefined
}

/** Whether a word is a value of the selector's type (`tcp` for ip protocol), not the start of an expression. */
function isValue(s: SelectorSpec, w: string): boolean {
  try {
    s.type.parse(/^\d+$/.test(w) ? Number(w) : w, 'value')
    return true
  } catch {
    return false
  }
}

const EXPRESSION_AFTER = new Set(['map', '.', '&', '|', '^', '<<', '>>', 'and', 'or', 'xor', 'lshift', 'rshift', '-'])

/**
 * `FIELD set VALUE` with the cursor at `set` (the field already read).
 * Refuses, naming the feature, fields nft writes that nftkit does not and
 * values computed from the packet.
 */
export function parsePayloadSet(c: PayloadSetCursor, s: SelectorSpec): PayloadSetStmt {
  const at = c.next()
  if (!isPayloadSettable(s)) c.fail(at, `nftkit does not support '${s.name} set' yet`)
  const mv = c.mapValue(s)
  if (mv) return { stmt: 'payload set', key: s.name, value: mv }
  const v = c.peek()
  if (v.kind === 'word' && v.text.startsWith('(')) c.fail(v, `nftkit does not support '${s.name} set' with an expression yet`)
  const n1 = c.peek(1)
  const expression = c.atSelector() || (v.kind === 'word' && nftFeature([v.text, n1.kind === 'word' ? n1.text : '']) !== undefined)
  if (expression && !(v.kind === 'word' && isValue(s, v.text))) c.fail(v, `nftkit does not support '${s.name} set' with an expression yet`)
  const value = c.value(s)
  const n = c.peek()
  if ((n.kind === 'word' || n.kind === 'punct') && EXPRESSION_AFTER.has(n.text)) c.fail(n, `nftkit does not support '${s.name} set' with an expression yet`)
  if (typeof value !== 'string' && typeof value !== 'number') c.fail(v, `expected one value of ${s.name}`)
  return { stmt: 'payload set', key: s.name, value }
}
