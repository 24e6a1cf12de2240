/**
 * Reading exthdr selectors, whose names run to four words
 * (`tcp option maxseg size`, `sctp chunk init num-inbound-streams`); the
 * shorter ones (`frag id`, `exthdr hbh`) the parser's selector lookup finds.
 * @module
 */
import { normalizeSelector, SELECTORS, type SelectorSpec } from '../expr/selectors.js'
import { TCP_OPTION_KIND, tcpOptionKind } from '../expr/exthdr.js'
import type { TcpOptionName } from '../model/exthdr-types.js'
import type { Statement } from '../model/rule-types.js'
import type { Token } from './lexer.js'

/** The longest exthdr selector of three or four words at the current token (`peek(0)`), if any. */
export function exthdrSelectorAt(peek: (o: number) => Token): { spec: SelectorSpec; width: number } | undefined {
  const first = peek(0)
  if (first.kind !== 'word' || (first.text !== 'tcp' && first.text !== 'sctp' && !(first.text === 'ip' && peek(1).text === 'option'))) return undefined
  if (first.text === 'tcp' && peek(1).text === 'option' && peek(2).kind === 'punct' && peek(2).text === '@') {
    // nft's raw form `tcp option @KIND,OFFSET,LENGTH` (bits): tokens @ K , O , L.
    const t = [3, 4, 5, 6, 7].map((o) => peek(o))
    if (t[1].text !== ',' || t[3].text !== ',' || ![t[0], t[2], t[4]].every((x) => x.kind === 'word' && /^\d+$/.test(x.text))) return undefined
    const name = normalizeSelector(`tcp option @${t[0].text},${t[2].text},${t[4].text}`)
    return name ? { spec: SELECTORS[name], width: 8 } : undefined
  }
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

/** The option of `reset tcp option OPTION` (a name nft knows or a kind 0-255), after `reset tcp option`. */
export function resetTcpOption(t: Token, fail: (t: Token, msg: string) => never): Statement {
  const text = t.kind === 'word' ? t.text : ''
  const option = /^\d{1,3}$/.test(text) ? Number(text) : text
  try {
    tcpOptionKind(option, 'option')
  } catch {
    return fail(t, `expected a TCP option (${Object.keys(TCP_OPTION_KIND).join(', ')}) or a kind number 0-255`)
  }
  // nft lists a named kind by its name.
  const name = typeof option === 'number' ? Object.keys(TCP_OPTION_KIND).find((k) => TCP_OPTION_KIND[k] === option) : undefined
  return { stmt: 'reset tcp option', option: (name ?? option) as TcpOptionName | number }
}
