/**
 * Parsing of the conntrack statements (`ct event set`, `ct zone set`,
 * `ct label set`, `ct helper|timeout|expectation set "name"`, `ct count`)
 * in nft's grammar.
 * @module
 */
import type { Token } from './lexer.js'
import { CT_EVENT, ctEventNames, parseMs } from '../kernel/ct-types.js'
import type { Family } from '../kernel/constants.js'
import type { CtExpectation, CtHelper } from '../model/objects.js'
import type { CtEventSetStmt, MapValue, Statement } from '../model/rule-types.js'
import type { Cursor } from './parse-stateful.js'

/** The parser's reading primitives these statement parsers use. */
export interface CtCursor extends Pick<Cursor, 'peek' | 'next' | 'accept' | 'is' | 'number' | 'wordOrString' | 'fail'> {
  /** `KEY map { ... }` / `KEY map @m` with values of the zone's type, if there. */
  mapValue?(): MapValue | undefined
  /** `KEY map { k : "name", ... }` / `KEY map @m` with object names as values, if there. */
  objectMap?(): MapValue | undefined
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
    const mv = c.mapValue?.()
    if (mv) return { stmt: 'ct zone set', value: mv, ...(dir ? { dir } : {}) }
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
      if (t.kind !== 'string' && !(t.kind === 'value' && typeof t.value === 'string')) {
        c.next()
        c.next()
        c.next()
        // `ct helper set tcp dport map { 21 : "ftp" }`: an anonymous object map.
        const om = c.objectMap?.()
        if (om && !Array.isArray(om.map)) c.fail(t, `nftkit does not support named object maps ('ct ${key} set ... map @m') yet`)
        if (!om) c.fail(t, `nftkit does not support 'ct ${key} set' with an expression yet (only a quoted object name or a map)`)
        return { stmt: `ct ${key} set`, key: om.key, map: om.map as Array<[string | number, string]> }
      }
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

/**
 * The body of a `ct helper NAME { ... }` or `ct expectation NAME { ... }`
 * declaration, from its `{` to its `}`.
 */
export function parseCtObject(c: CtCursor, kind: 'ct helper' | 'ct expectation', family: Family, table: string, name: string): CtHelper | CtExpectation {
  const o: Record<string, unknown> = { kind, family, table, name }
  const open = c.next()
  if (!c.is(open, '{')) c.fail(open, `expected '{' after ${kind} ${name}`)
  const skip = () => {
    while (c.peek().kind === 'eol' || c.is(c.peek(), ';')) c.next()
  }
  const word = (what: string) => {
    const t = c.next()
    if (t.kind !== 'word') c.fail(t, `expected ${what} but found '${t.text}'`)
    return t.text
  }
  for (;;) {
    skip()
    const t = c.next()
    if (c.is(t, '}')) break
    if (t.kind !== 'word') c.fail(t, `expected a ${kind} property but found '${t.text}'`)
    switch (t.text) {
      case 'comment':
        o.comment = stringValue(c, 'a comment')
        break
      case 'l3proto': {
        const l3 = word('ip, ip6 or inet')
        if (!['ip', 'ip6', ...(kind === 'ct helper' ? ['inet'] : [])].includes(l3)) c.fail(t, `expected l3proto ip or ip6${kind === 'ct helper' ? ' or inet' : ''} but found '${l3}'`)
        o.l3proto = l3
        break
      }
      case 'type':
        if (kind !== 'ct helper') c.fail(t, `expected a ${kind} property but found 'type'`)
        o.type = stringValue(c, 'a helper name')
        if (!c.accept('protocol')) c.fail(c.peek(), "expected 'protocol tcp' or 'protocol udp' after the helper name")
        o.protocol = word('tcp or udp')
        break
      case 'protocol':
        if (kind !== 'ct expectation') c.fail(t, "expected 'type \"NAME\" protocol tcp|udp'")
        o.protocol = word('a protocol')
        break
      case 'dport':
      case 'size':
        if (kind !== 'ct expectation') c.fail(t, `expected a ${kind} property but found '${t.text}'`)
        o[t.text] = c.number(t.text === 'dport' ? 'a port' : 'a size')
        break
      case 'timeout': {
        if (kind !== 'ct expectation') c.fail(t, `expected a ${kind} property but found 'timeout'`)
        const v = c.next()
        const ms = v.kind === 'word' ? parseMs(v.text) : undefined
        if (ms === undefined) c.fail(v, `expected a timeout like 30s, 1m, 100ms but found '${v.text}'`)
        o.timeout = Number(ms)
        break
      }
      default:
        c.fail(t, `expected a ${kind} property but found '${t.text}'`)
    }
  }
  if (kind === 'ct helper' && o.type === undefined) c.fail(open, 'expected \'type "NAME" protocol tcp|udp\' in the ct helper declaration')
  if (kind === 'ct expectation')
    for (const k of ['protocol', 'dport', 'timeout', 'size'])
      if (o[k] === undefined) c.fail(open, `expected '${k}' in the ct expectation declaration`)
  return o as unknown as CtHelper | CtExpectation
}

function stringValue(c: CtCursor, what: string): string {
  const t = c.next()
  if (t.kind === 'string') return t.text
  if (t.kind === 'value' && typeof t.value === 'string') return t.value
  return c.fail(t, `expected ${what} (a quoted string) but found '${t.text}'`)
}
