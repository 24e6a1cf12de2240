/**
 * `snat`/`dnat [ip|ip6] [prefix] to KEY map { k : target, ... }` and
 * `... map @m`: NAT whose target a map gives (see lib/expr/stmt-natmap.ts).
 * @module
 */
import type { Token } from './lexer.js'
import { SELECTORS, type SelectorSpec } from '../expr/selectors.js'
import { NAT_FLAG_ORDER } from '../expr/stmt-nat.js'
import type { DupStmt, FwdStmt, NatFlag, NatMapStmt, NatMapValue, Selector } from '../model/rule-types.js'
import type { Cursor } from './parse-stateful.js'

/** The reading primitives parseNatMap needs. */
export interface NatMapCursor extends Pick<Cursor, 'peek' | 'next' | 'accept' | 'is' | 'wordOrString' | 'fail'> {
  expect(text: string, what?: string): Token
  selectorAt(): { spec: SelectorSpec; width: number } | undefined
  skip(n: number): void
  /** One value of the selector (ranges kept with keepRange). */
  selectorValue(s: SelectorSpec, keepRange?: boolean): unknown
  /** A key of a concatenation of selectors (or one selector). */
  tupleValue(specs: SelectorSpec[]): unknown
  /** Fails naming the nft feature at the current token. */
  unsupported(): never
}

/** Reads the map form, the cursor just after `to`. */
export function parseNatMap(c: NatMapCursor, stmt: 'snat' | 'dnat', family: 'ip' | 'ip6' | undefined, prefix: boolean): NatMapStmt {
  const specs: SelectorSpec[] = []
  for (;;) {
    const s = c.selectorAt()
    if (!s) c.unsupported()
    specs.push(s.spec)
    c.skip(s.width)
    if (!c.accept('.')) break
  }
  const key: Selector | Selector[] = specs.length === 1 ? specs[0].name : specs.map((s) => s.name)
  if (!c.is(c.peek(), 'map')) {
    // numgen or a hash as the address itself.
    if (specs.length !== 1 || (specs[0].load.kind !== 'numgen' && specs[0].load.kind !== 'hash') || prefix)
      c.fail(c.peek(), `nftkit does not support '${stmt} to' an expression yet (only a map lookup: '${stmt} to KEY map { ... }')`)
    return { stmt, key, ...(family ? { family } : {}), ...natFlags(c) }
  }
  c.next()
  // Without a family the address says it (nft takes it from the table).
  const addrSpec = (t: Token): SelectorSpec => SELECTORS[(family ?? (t.text.includes(':') || (t.kind === 'value' && String(t.value).includes(':')) ? 'ip6' : 'ip')) === 'ip' ? 'ip daddr' : 'ip6 daddr']
  const port = SELECTORS['th dport']
  let map: NatMapStmt['map']
  if (c.accept('@')) map = { set: c.wordOrString('a map name') }
  else {
    c.expect('{', "'{' or '@map'")
    const out: Array<[unknown, NatMapValue]> = []
    const skipEol = () => {
      while (c.peek().kind === 'eol') c.next()
    }
    for (;;) {
      skipEol()
      if (c.accept('}')) break
      const k = c.is(c.peek(), '*') ? c.next().text : c.tupleValue(specs)
      c.expect(':', "':' and a NAT target")
      // Addresses keep their written form (`1.1.2.69/32` is an interval, as for nft).
      const at = c.peek()
      const a = at.kind === 'word' ? c.next().text : String(c.selectorValue(addrSpec(at), true))
      if (c.accept('.')) {
        let p = c.selectorValue(port, true)
        // `8888 - 8999`: a range written with spaces.
        if (c.is(c.peek(), '-')) {
          c.next()
          p = `${p}-${c.selectorValue(port, true)}`
        }
        out.push([k, [a, typeof p === 'number' ? p : String(p)]])
      } else out.push([k, a])
      skipEol()
      if (c.accept('}')) break
      c.expect(',', "',' or '}'")
    }
    map = out as unknown as NatMapStmt['map']
  }
  return { stmt, key, map, ...(family ? { family } : {}), ...(prefix ? { prefix: true } : {}), ...natFlags(c) }
}

function natFlags(c: NatMapCursor): { flags?: NatFlag[] } {
  const flags: NatFlag[] = []
  while (NAT_FLAG_ORDER.includes(c.peek().text as NatFlag) && c.peek().kind === 'word') {
    flags.push(c.next().text as NatFlag)
    if (!c.accept(',')) break
  }
  return flags.length ? { flags: NAT_FLAG_ORDER.filter((f) => flags.includes(f)) } : {}
}

/** `dup to ADDR [device IF]`, `dup to IF`, `fwd to IF`, `fwd ip|ip6 to ADDR device IF`; the cursor after the keyword. */
export function parseDupFwd(c: NatMapCursor, stmt: 'dup' | 'fwd'): DupStmt | FwdStmt {
  let family: 'ip' | 'ip6' | undefined
  if (stmt === 'fwd' && (c.is(c.peek(), 'ip') || c.is(c.peek(), 'ip6'))) family = c.next().text as 'ip' | 'ip6'
  c.expect('to')
  const sel = c.selectorAt()
  if (sel) c.fail(c.peek(), `nftkit does not support '${stmt} to' an expression or a map yet`)
  const t = c.next()
  if (t.kind === 'string' && family === undefined) {
    return stmt === 'dup' ? { stmt: 'dup', device: t.text } : { stmt: 'fwd', device: t.text }
  }
  if (t.kind !== 'word') c.fail(t, `expected an address or a quoted device name but found '${t.text}'`)
  const dev = (): string | number => {
    const d = c.next()
    if (d.kind === 'word' && /^\d+$/.test(d.text)) return Number(d.text)
    if (d.kind !== 'string' && d.kind !== 'word') c.fail(d, `expected a device name but found '${d.text}'`)
    return d.text
  }
  if (stmt === 'dup') return { stmt: 'dup', to: t.text, ...(c.accept('device') ? { device: dev() } : {}) }
  c.expect('device', "'device' and the device to forward through")
  return { stmt: 'fwd', ...(family ? { family } : {}), to: t.text, device: dev() }
}
