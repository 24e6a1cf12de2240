/**
 * Reading exthdr selectors, whose names run to four words
 * (`tcp option maxseg size`, `sctp chunk init num-inbound-streams`); the
 * shorter ones (`frag id`, `exthdr hbh`) the parser's selector lookup finds.
 * @module
 */
import { normalizeSelector, SELECTORS, type SelectorSpec } from '../expr/selectors.js'
import type { Token } from './lexer.js'

/** The longest exthdr selector of three or four words at the current token (`peek(0)`), if any. */
export function exthdrSelectorAt(peek: (o: number) => Token): { spec: SelectorSpec; width: number } | undefined {
  const first = peek(0)
  if (first.kind !== 'word' || (first.text !== 'tcp' && first.text !== 'sctp')) return undefined
  for (const width of [4, 3]) {
    const words: string[] = []
    for (let o = 0; o < width; o++) {
      const t = peek(o)
      if (t.kind !== 'word') break
      words.push(t.text)
    }
    if (words.length !== width) continue
    const name = normalizeSelector(words.join(' '))
    if (name && SELECTORS[name].load.kind === 'exthdr') return { spec: SELECTORS[name], width }
  }
  return undefined
}
