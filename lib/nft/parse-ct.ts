/**
 * Parsing of the conntrack statements (`ct event set`, `ct zone set`,
 * `ct label set`, `ct helper|timeout|expectation set "name"`, `ct count`)
 * in nft's grammar.
 * @module
 */
import type { Token } from './lexer.js'
import { CT_EVENT, ctEventNames } from '../kernel/ct-types.js'
import type { CtEventSetStmt, Statement } from '../model/rule-types.js'

/** The parser's reading primitives these statement parsers use. */
export interface CtCursor {
  peek(o?: number): Token
  next(): Token
  accept(text: string): boolean
  is(t: Token, text: string): boolean
  number(what: string): number
  wordOrString(what: string): string
  fail(t: Token, msg: string): never
}

const isNumber = (t: Token) => t.kind === 'word' && /^(0x[0-9a-fA-F]+|\d+)$/.test(t.text)

/** Fails on `set` followed by an expression rather than a plain value. */
function plainValue(c: CtCursor, what: string): void {
  const n = c.peek(1)
  if (n.kind === 'word' && ['map', 'and', 'or', 'xor', '&', '|', '^', '<<', '>>', '.'].includes(n.text))
    c.fail(c.peek(), `nftkit does not support '${what}' with an expression yet`)
  if (n.kind === 'punct' && n.text === '.') c.fail(c.peek(), `nftkit does not support '${what}' with an expression yet`)
}

/**
 * A conntrack statement at the cursor (which is at `ct`), or undefined when
 * the words there are not one (a ct match, read as a selector).
 */
export function parseCtStatement(c: CtCursor): Statement | undefined {
  const w = (o: number) => {
    const t = c.peek(o)
    return t.kind === 'word' ? t.text : undefined
  }
  const dir = w(1) === 'original' || w(1) === 'reply' ? (w(1) as 'original' | 'reply') : undefined
  const k = dir ? 2 : 1
  if (w(k) === 'zone' && w(k + 1) === 'set') {
    for (let i = 0; i <= k + 1; i++) c.next()
    if (!isNumber(c.peek())) c.fail(c.peek(), "nftkit does not support 'ct zone set' with an expression yet (only a number)")
    plainValue(c, 'ct zone set')
    const v = c.number('a zone')
    return { stmt: 'ct zone set', value: v, ...(dir ? { dir } : {}) }
  }
  if (dir) return undefined
  const key = w(1)
  if (key === 'count') {
    c.next()
    c.next()
    const over = c.accept('over')
    return { stmt: 'ct count', count: c.number('a connection count'), ...(over ? { over: true } : {}) }
  }
  if (w(2) !== 'set') return undefined
  switch (key) {
    case 'event': {
      c.next()
      c.next()
      c.next()
      return { stmt: 'ct event set', value: eventNames(c) }
    }
    case 'label': {
      c.next()
      c.next()
      c.next()
      if (!isNumber(c.peek())) c.fail(c.peek(), "expected a conntrack label bit number 0-127 (nftkit does not read names from connlabel.conf)")
      plainValue(c, 'ct label set')
      return { stmt: 'ct label set', value: c.number('a label bit') }
    }
    case 'helper':
    case 'timeout':
    case 'expectation': {
      const t = c.peek(3)
      if (t.kind !== 'string' && !(t.kind === 'value' && typeof t.value === 'string'))
        c.fail(t, `nftkit does not support 'ct ${key} set' with an expression or a map yet (only a quoted object name)`)
      c.next()
      c.next()
      c.next()
      return { stmt: `ct ${key} set`, name: c.wordOrString(`a ct ${key} name`) }
    }
    default:
      return undefined
  }
}

/** `new,related`, `new | related`, `0x0`, `1`: event names in nft's order. */
function eventNames(c: CtCursor): CtEventSetStmt['value'] {
  const at = c.peek()
  let text = ''
  for (;;) {
    const t = c.next()
    if (t.kind !== 'word') c.fail(t, `expected a conntrack event (${Object.keys(CT_EVENT).join(', ')}) but found '${t.text}'`)
    text += t.text
    const n = c.peek()
    if (text.endsWith('|') || (n.kind === 'word' && n.text.startsWith('|'))) continue
    if (c.accept(',')) {
      text += ','
      continue
    }
    break
  }
  let mask = 0
  for (const part of text.split(/[|,]/).map((x) => x.trim())) {
    if (/^(0x[0-9a-fA-F]+|\d+)$/.test(part)) mask |= Number(part)
    else if (Object.hasOwn(CT_EVENT, part)) mask |= CT_EVENT[part]
    else c.fail(at, `expected a conntrack event (${Object.keys(CT_EVENT).join(', ')}) but found '${part}'`)
  }
  const names = ctEventNames(mask)
  if (!names) c.fail(at, `expected conntrack event bits nft names (${Object.keys(CT_EVENT).join(', ')})`)
  return names as CtEventSetStmt['value']
}
