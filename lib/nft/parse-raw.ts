/**
 * Reading raw payload expressions, nft's `@BASE,OFFSET,LENGTH` (tokens
 * `@ nh , 16 , 16`), as selectors of the table (see expr/raw-payload.ts).
 * @module
 */
import { normalizeSelector, SELECTORS, type SelectorSpec } from '../expr/selectors.js'
import { RAW_MAX_BITS } from '../expr/raw-payload.js'
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
