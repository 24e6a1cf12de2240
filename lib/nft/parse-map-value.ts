/**
 * Parsing of a statement's value looked up in a map (nft's
 * `meta mark set ip saddr map { 1.1.1.1 : 0x2 }`,
 * `ip daddr set iifname map @m`): the packet key (selectors joined by `.`),
 * `map`, and a named map or `{ key : value, ... }`.
 * @module
 */
import type { Token } from './lexer.js'
import type { SelectorSpec } from '../expr/selectors.js'
import type { MapValue, Selector } from '../model/rule-types.js'

/** The parser's reading primitives the map value parser uses. */
export interface MapValueCursor {
  peek(o?: number): Token
  next(): Token
  is(t: Token, text: string): boolean
  fail(t: Token, msg: string): never
  /** The selector at the cursor and how many tokens it takes, if one starts there. */
  selectorAt(): { spec: SelectorSpec; width: number } | undefined
  /** A key of the selectors' types (one value, or values joined by `.`). */
  tupleValue(specs: SelectorSpec[]): unknown
  /** One value of the selector's type. */
  value(s: SelectorSpec): unknown
  /** A set or map name after `@`. */
  name(): string
  /** Moves the cursor to a token index (to give back what was read). */
  readonly pos: number
  seek(pos: number): void
}

/**
 * `KEY map @m` or `KEY map { k : v, ... }` at the cursor, with values of
 * `data`'s type; undefined (and the cursor unmoved) when no selectors
 * followed by `map` are there.
 */
export function parseMapValue(c: MapValueCursor, data: SelectorSpec): MapValue | undefined {
  const start = c.pos
  const specs: SelectorSpec[] = []
  for (;;) {
    const s = c.selectorAt()
    if (!s) break
    specs.push(s.spec)
    for (let i = 0; i < s.width; i++) c.next()
    if (!c.is(c.peek(), '.')) break
    c.next()
  }
  if (specs.length === 0 || !c.is(c.peek(), 'map')) {
    c.seek(start)
    return undefined
  }
  c.next()
  const key: Selector | Selector[] = specs.length === 1 ? specs[0].name : specs.map((s) => s.name)
  if (c.is(c.peek(), '@')) {
    c.next()
    return { key, map: { set: c.name() } }
  }
  const open = c.next()
  if (!c.is(open, '{')) c.fail(open, "expected '{' or '@map' after 'map'")
  const map: Array<[unknown, unknown]> = []
  const skipEol = () => {
    while (c.peek().kind === 'eol') c.next()
  }
  for (;;) {
    skipEol()
    if (c.is(c.peek(), '}')) {
      c.next()
      break
    }
    // `*`: the catch-all element, the value for keys no other element has.
    const k = c.is(c.peek(), '*') ? c.next().text : c.tupleValue(specs)
    const colon = c.next()
    if (!c.is(colon, ':')) c.fail(colon, `expected ':' and a value of ${data.name} but found '${colon.text}'`)
    const v = c.value(data)
    if (typeof v !== 'string' && typeof v !== 'number') c.fail(colon, `expected one value of ${data.name}`)
    map.push([k, v])
    skipEol()
    const sep = c.next()
    if (c.is(sep, '}')) break
    if (!c.is(sep, ',')) c.fail(sep, `expected ',' or '}' but found '${sep.text}'`)
  }
  return { key, map: map as MapValue['map'] }
}
