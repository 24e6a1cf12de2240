/**
 * Parsing of set statements: `add @s { ip saddr timeout 10s }`,
 * `update @s { ip saddr limit rate 10/second counter }`, `delete @s { ... }`,
 * `update @m { ip saddr : tcp sport }`.
 * @module
 */
import type { SelectorSpec } from '../expr/selectors.js'
import { typeofUdata } from '../expr/typeof.js'
import { isShiftedBitfield } from '../expr/subbyte.js'
import { DATATYPES, type KeyTypeName } from '../kernel/datatypes.js'
import type { MeterStmt, RuleExpr, SetStmt, SetStmtPart, Statement } from '../model/rule-types.js'
import type { Operation } from '../model/operations.js'
import type { Token } from './lexer.js'
import type { Cursor } from './parse-stateful.js'

/** The parser's reading primitives a set statement needs. */
export interface SetStmtCursor extends Pick<Cursor, 'peek' | 'next' | 'accept' | 'is' | 'wordOrString' | 'fail'> {
  expect(text: string, what?: string): Token
  time(what: string): number
  /** The selector starting at the current token, and how many tokens it spans. */
  selectorAt(): { spec: SelectorSpec; width: number } | undefined
  skip(n: number): void
  /** One statement (the per-element statements). */
  statement(): Statement
  /** Fails naming the nft feature at the current token. */
  unsupported(): never
}

/** Whether a set statement starts here (`add @`, `update @`, `delete @`). */
export function atSetStmt(c: SetStmtCursor): boolean {
  const t = c.peek()
  return t.kind === 'word' && ['add', 'update', 'delete'].includes(t.text) && c.is(c.peek(1), '@')
}

function part(c: SetStmtCursor): SetStmtPart {
  const sel = c.selectorAt()
  if (sel) {
    c.skip(sel.width)
    return sel.spec.name
  }
  const t = c.next()
  if (t.kind === 'value' && (typeof t.value === 'string' || typeof t.value === 'number')) return { value: t.value }
  if (t.kind !== 'word' && t.kind !== 'string') c.fail(t, `expected a selector or a value but found '${t.text}'`)
  return { value: /^\d+$/.test(t.text) ? Number(t.text) : t.text }
}

function partList(c: SetStmtCursor): SetStmtPart | SetStmtPart[] {
  const out = [part(c)]
  while (c.accept('.')) out.push(part(c))
  return out.length === 1 ? out[0] : out
}

/** `add|update|delete @set { KEY [timeout T] [statements] [: VALUE] }` (at `add`). */
export function parseSetStmt(c: SetStmtCursor): SetStmt {
  const op = c.next().text as SetStmt['op']
  c.expect('@')
  const set = c.wordOrString('a set name')
  c.expect('{')
  const key = partList(c)
  const { timeout, stmts } = keyTail(c, true)
  const data = c.accept(':') ? partList(c) : undefined
  c.expect('}', "'}' to close the set statement")
  return {
    stmt: 'set',
    op,
    set,
    key,
    ...(timeout !== undefined ? { timeout } : {}),
    ...(data !== undefined ? { data } : {}),
    ...(stmts.length ? { stmts } : {}),
  }
}

/**
 * What follows the key in a set statement or a meter, up to `}` (and, in a set
 * statement, up to `:` and its value): `timeout T` and statements; a set
 * statement also takes the `expires T` listings print (read, not kept).
 */
function keyTail(c: SetStmtCursor, setStmt: boolean): { timeout: number | undefined; stmts: Statement[] } {
  let timeout: number | undefined
  const stmts: Statement[] = []
  for (;;) {
    const t = c.peek()
    if (c.is(t, 'timeout')) {
      c.skip(1)
      timeout = c.time('a timeout')
    } else if (setStmt && c.is(t, 'expires')) {
      c.skip(1)
      c.time('an expiry') // printed by listings; not an input
    } else if (c.is(t, '}') || (setStmt && c.is(t, ':'))) break
    else stmts.push(c.statement())
  }
  return { timeout, stmts }
}

/** Whether a meter starts here (`meter NAME`). */
export function atMeter(c: SetStmtCursor): boolean {
  const t = c.peek(1)
  return c.is(c.peek(), 'meter') && (t.kind === 'word' || t.kind === 'string')
}

/** `meter NAME [size N] { KEY [timeout T] [statements] }` (at `meter`). */
export function parseMeter(c: SetStmtCursor & { number(what: string): number }): MeterStmt {
  c.next()
  const name = c.wordOrString('a meter name')
  const size = c.accept('size') ? c.number('a meter size') : undefined
  c.expect('{')
  const key = typeofSelectors(c).map((s) => s.name)
  const { timeout, stmts } = keyTail(c, false)
  c.expect('}', "'}' to close the meter")
  return {
    stmt: 'meter',
    name,
    ...(size !== undefined ? { size } : {}),
    key: key.length === 1 ? key[0] : key,
    ...(timeout !== undefined ? { timeout } : {}),
    ...(stmts.length ? { stmts } : {}),
  }
}

/** The selectors of a `typeof` declaration: `ip saddr . tcp dport`. */
function typeofSelectors(c: SetStmtCursor): SelectorSpec[] {
  const out: SelectorSpec[] = []
  do {
    const s = c.selectorAt()
    if (!s) c.unsupported()
    c.skip(s.width)
    out.push(s.spec)
  } while (c.accept('.'))
  return out
}

/**
 * `typeof KEY` of a set, `typeof KEY : VALUE|verdict` of a map (after `typeof`):
 * the selectors, whose types must be set key types nftkit knows.
 */
export function parseTypeof(c: SetStmtCursor, kind: 'set' | 'map', keyTypes: readonly string[]): { key: SelectorSpec[]; data?: SelectorSpec[] | 'verdict' } {
  const at = c.peek()
  const check = (specs: SelectorSpec[]) => {
    for (const s of specs) {
      // nft shifts such fields into the key (`typeof ip version`, `typeof ip dscp`); nftkit's elements of them would be shifted.
      if (isShiftedBitfield(s)) c.fail(at, `nftkit does not support 'typeof ${s.name}' yet`)
      // nft's integer keys take the selector's size and byte order (`typeof vlan id`, `typeof ct bytes`).
      if (s.type.name === 'integer' && typeofUdata([s.name])) continue
      const known = keyTypes.includes(s.type.name) ? DATATYPES[s.type.name as KeyTypeName] : undefined
      if (known?.id !== s.type.id) c.fail(at, `nftkit does not support 'typeof ${s.name}' yet${known ? '' : ` (its type ${s.type.name} is not a set key type nftkit knows)`}`)
      if (s.type.size !== known.size) c.fail(at, `nftkit does not support 'typeof ${s.name}' yet (its type ${s.type.name} of ${s.type.size} bytes)`)
      // nftkit writes nft's typeof userdata for payload, meta and ct selectors only.
      if (!typeofUdata([s.name])) c.fail(at, `nftkit does not support 'typeof ${s.name}' yet`)
    }
    return specs
  }
  const key = check(typeofSelectors(c))
  if (kind === 'set') return { key }
  c.expect(':', "':' and the map's value")
  if (c.accept('verdict')) return { key, data: 'verdict' }
  return { key, data: check(typeofSelectors(c)) }
}


/**
 * Gives the sets (not maps) that set statements of the same file add to, update or delete
 * from the dynamic flag, as nft does when it evaluates those statements.
 */
export function markDynamicSets(ops: readonly Operation[]): void {
  const used = new Set<string>()
  for (const { object: o } of ops)
    if (o.kind === 'rule') for (const e of (o as { exprs?: readonly RuleExpr[] }).exprs ?? []) if ('stmt' in e && e.stmt === 'set') used.add(`${o.family} ${o.table} ${e.set}`)
  if (used.size === 0) return
  for (const { verb, object: o } of ops) {
    // Maps keep their flags (nft's map statements do not add it).
    if (o.kind !== 'set' || (verb !== 'add' && verb !== 'create') || !used.has(`${o.family} ${o.table} ${o.name}`)) continue
    const flags = ((o as { flags?: readonly string[] }).flags ?? []) as string[]
    if (!flags.includes('dynamic')) (o as { flags?: readonly string[] }).flags = [...flags, 'dynamic']
  }
}
