/**
 * The parser's part for bitwise expressions on a selector: `meta mark and 0x03
 * == 0x01`, `tcp flags & (fin | syn | rst | ack) != syn`, `ip saddr & 0xff ==
 * 1`, with nft's (C's) precedence (`&` before `^` before `|`) and its folding
 * of constant sub-expressions (`x | 0xf0 & 0x3` is `x | 0`).
 * @module
 */
import { bitsOperand, typedOperand } from '../expr/bitwise.js'
import type { SelectorSpec } from '../expr/selectors.js'
import type { BitwiseStep, MarkExpr, MarkStep, Match, VmapStmt } from '../model/rule-types.js'
import { RELATIONAL_WORDS } from './keywords.js'
import type { Token } from './lexer.js'

/** What parse-bits needs of the parser: its token cursor and error reporting. */
export interface BitsCursor {
  peek(o?: number): Token
  next(): Token
  fail(t: Token, msg: string): never
}

const OPS: Readonly<Record<string, '&' | '|' | '^'>> = { '&': '&', and: '&', '|': '|', or: '|', '^': '^', xor: '^' }
const SHIFTS = new Set(['<<', '>>', 'lshift', 'rshift'])

/** Whether a bitwise expression starts at `t` (right after a selector). */
export function isBitsStart(t: Token): boolean {
  return t.kind === 'word' && (Object.hasOwn(OPS, t.text) || SHIFTS.has(t.text) || /^[&|^]./.test(t.text))
}

type Node = { sel: true } | { n: bigint } | { op: '&' | '|' | '^'; l: Node; r: Node }

/**
 * Reads `SEL OP C [OP C ...] [==|!=] VALUE` after the selector and returns the
 * match, with the steps folded as nft folds them.
 */
export function parseBitsMatch(c: BitsCursor, s: SelectorSpec): Match
export function parseBitsMatch(c: BitsCursor, s: SelectorSpec, vmap: () => VmapStmt['map']): Match | VmapStmt
export function parseBitsMatch(c: BitsCursor, s: SelectorSpec, vmap?: () => VmapStmt['map']): Match | VmapStmt {
  const at = c.peek()
  // Sub-tokens of the expression: operators, parentheses and atoms.
  const sub: Array<{ text: string; tok: Token }> = [{ text: '$sel', tok: at }]
  let wantOperand = false
  let depth = 0
  for (;;) {
    const t = c.peek()
    if (t.kind !== 'word') break
    if (!wantOperand && depth === 0 && !isBitsStart(t)) break
    if (SHIFTS.has(t.text)) c.fail(t, `nftkit does not support shifts ('${s.name} ${t.text} ...') in a match yet`)
    c.next()
    for (const p of t.text.match(/\(|\)|&|\||\^|[^()&|^]+/g) ?? []) {
      const x = p === 'and' || p === 'or' || p === 'xor' ? OPS[p] : p
      sub.push({ text: x, tok: t })
      if (x === '(') depth++
      else if (x === ')') depth--
    }
    const last = sub[sub.length - 1].text
    wantOperand = depth > 0 || last === '&' || last === '|' || last === '^' || last === '('
  }
  let i = 0
  const prec: Record<string, number> = { '&': 3, '^': 2, '|': 1 }
  const primary = (): Node => {
    const p = sub[i++]
    if (!p) return c.fail(c.peek(), `expected a value in the bitwise expression on ${s.name}`)
    if (p.text === '$sel') return { sel: true }
    if (p.text === '(') {
      const e = expr(1)
      if (sub[i]?.text !== ')') c.fail(p.tok, "expected ')' in the bitwise expression")
      i++
      return e
    }
    try {
      return { n: bitsOperand(s, p.text.trim(), 'value') }
    } catch (e) {
      return c.fail(p.tok, (e as { reason?: string }).reason ?? String(e))
    }
  }
  const expr = (min: number): Node => {
    let l = primary()
    for (;;) {
      const o = sub[i]?.text
      if (o === undefined || !(o in prec) || prec[o] < min) return l
      i++
      const r = expr(prec[o] + 1)
      const op = o as '&' | '|' | '^'
      if ('n' in l && 'n' in r) l = { n: op === '&' ? l.n & r.n : op === '|' ? l.n | r.n : l.n ^ r.n }
      else l = { op, l, r }
    }
  }
  const tree = expr(1)
  if (i !== sub.length) c.fail(sub[i].tok, `unexpected '${sub[i].text}' in the bitwise expression on ${s.name}`)
  const steps: BitwiseStep[] = []
  const flatten = (n: Node): void => {
    if ('sel' in n) return
    if ('n' in n || !('n' in n.r)) c.fail(at, `nftkit does not support this bitwise expression on ${s.name} yet (only ${s.name} OP CONSTANT ...)`)
    flatten(n.l)
    steps.push([n.op, typedOperand(s, n.r.n)])
  }
  flatten(tree)
  let op: '!=' | '<' | '>' | '<=' | '>=' | undefined
  const opTok = c.peek()
  // `tcp flags & (ack | urg) vmap { ack : jump a, ... }`: a verdict map looked up with the masked field.
  if (vmap && opTok.kind === 'word' && opTok.text === 'vmap' && c.peek(1).kind === 'punct' && c.peek(1).text === '{') {
    c.next()
    return { stmt: 'vmap', key: s.name, bits: steps, map: vmap() }
  }
  if (opTok.kind === 'word' && (opTok.text === 'vmap' || opTok.text === 'map'))
    c.fail(opTok, `nftkit does not support '${opTok.text}' after a bitwise expression ('${s.name} & ... ${opTok.text}') yet`)
  if (opTok.kind === 'word' && (opTok.text === '==' || opTok.text === 'eq')) c.next()
  else if (opTok.kind === 'word' && (opTok.text === '!=' || opTok.text === 'ne')) {
    c.next()
    op = '!='
  } else if (opTok.kind === 'word' && Object.hasOwn(RELATIONAL_WORDS, opTok.text)) {
    // Order compares of masked network-order fields (the compiler refuses host-order ones).
    if (s.flags) c.fail(opTok, `nftkit does not support the comparison '${s.name} & ... ${opTok.text}' yet`)
    c.next()
    op = RELATIONAL_WORDS[opTok.text]
  }
  const value = bitsValue(c, s)
  return { match: s.name, bits: steps, ...(op ? { op } : {}), value }
}

/** One value (`0x1`, `syn | ack`, `10.0.0.1`) or an anonymous set of them. */
function bitsValue(c: BitsCursor, s: SelectorSpec): Match['value'] {
  const one = (): string | number | readonly string[] => {
    const t = c.next()
    if (t.kind === 'value') return t.value as string | number
    if (t.kind !== 'word') return c.fail(t, `expected a value for ${s.name}`)
    let text = t.text
    // Flag values may be written `syn | ack` over several words.
    while (s.flags && c.peek().kind === 'word' && (text.endsWith('|') || c.peek().text.startsWith('|'))) text += c.next().text
    try {
      return typedOperand(s, bitsOperand(s, text, 'value'))
    } catch (e) {
      return c.fail(t, (e as { reason?: string }).reason ?? String(e))
    }
  }
  const join = (v: string | number | readonly string[]) => (Array.isArray(v) ? v.join(' | ') : (v as string | number))
  const t = c.peek()
  if (t.kind === 'punct' && t.text === '@') c.fail(t, `nftkit does not support a named set after a bitwise expression on ${s.name} yet`)
  if (t.kind === 'punct' && t.text === '{') {
    c.next()
    const out: Array<string | number> = []
    for (;;) {
      while (c.peek().kind === 'eol') c.next()
      const x = c.peek()
      if (x.kind === 'punct' && x.text === '}') {
        c.next()
        break
      }
      out.push(join(one()))
      while (c.peek().kind === 'eol') c.next()
      const y = c.next()
      if (y.kind === 'punct' && y.text === '}') break
      if (!(y.kind === 'punct' && y.text === ',')) c.fail(y, "expected ',' or '}'")
    }
    return s.flags ? { elements: out } : out
  }
  return join(one())
}

type MarkNode = { from: 'meta mark' | 'ct mark' } | { n: bigint } | { op: MarkStep[0]; l: MarkNode; r: MarkNode }

/**
 * The value of `meta mark set` / `ct mark set`: a number, or an expression of
 * numbers and one mark (`meta mark`, `mark`, `ct mark`) with `&`, `|`, `^`,
 * `<<`, `>>` (and, or, xor, lshift, rshift) and parentheses, with C's
 * precedence. Constant parts fold as in nft (`0xffffffc8 xor 0x16` is
 * `0xffffffde`).
 */
export function parseMarkValue(c: BitsCursor, kind: 'ct' | 'meta'): number | MarkExpr {
  const at = c.peek()
  const sub: Array<{ text: string; tok: Token }> = []
  const ops = new Set(['&', '|', '^', '<<', '>>'])
  const WORD_OPS: Record<string, string> = { and: '&', or: '|', xor: '^', lshift: '<<', rshift: '>>' }
  let wantOperand = true
  let depth = 0
  for (;;) {
    const t = c.peek()
    if (t.kind === 'value' && wantOperand && typeof t.value === 'number') {
      c.next()
      sub.push({ text: String(t.value), tok: t })
      wantOperand = false
      continue
    }
    if (t.kind !== 'word') break
    const starts = /^[&|^()]|^<<|^>>/.test(t.text) || Object.hasOwn(WORD_OPS, t.text)
    if (!wantOperand && !starts && !(depth > 0 && t.text.startsWith(')'))) break
    c.next()
    for (const p of t.text.match(/\(|\)|&|\||\^|<<|>>|[^()&|^<>]+/g) ?? []) {
      const x = WORD_OPS[p] ?? p
      if ((x === 'mark' || x === 'mark)') && sub.length > 0 && (sub[sub.length - 1].text === 'meta' || sub[sub.length - 1].text === 'ct')) {
        sub[sub.length - 1] = { text: `${sub[sub.length - 1].text} mark`, tok: t }
        continue
      }
      sub.push({ text: x, tok: t })
      if (x === '(') depth++
      else if (x === ')') depth--
    }
    const last = sub[sub.length - 1].text
    wantOperand = depth > 0 || ops.has(last) || last === '(' || last === 'meta' || last === 'ct'
    // `meta` / `ct` need their `mark`: read it as part of the operand.
    if ((last === 'meta' || last === 'ct') && c.peek().kind === 'word' && c.peek().text.startsWith('mark')) continue
  }
  if (sub.length === 0) c.fail(at, `expected a mark or an expression after '${kind} mark set'`)
  const end = c.peek()
  if (end.kind === 'word' && end.text === 'map') c.fail(end, `nftkit does not support '${kind} mark set' with a map yet`)
  if (end.kind === 'punct' && end.text === '.') c.fail(end, `nftkit does not support '${kind} mark set' with a concatenation yet`)
  const prec: Record<string, number> = { '<<': 4, '>>': 4, '&': 3, '^': 2, '|': 1 }
  let i = 0
  const primary = (): MarkNode => {
    const p = sub[i++]
    if (!p) return c.fail(c.peek(), `expected a value in the expression after '${kind} mark set'`)
    if (p.text === '(') {
      const e = expr(1)
      if (sub[i]?.text !== ')') c.fail(p.tok, "expected ')'")
      i++
      return e
    }
    if (p.text === 'mark' || p.text === 'meta mark') return { from: 'meta mark' }
    if (p.text === 'ct mark') return { from: 'ct mark' }
    if (/^(0x[0-9a-fA-F]+|\d+)$/.test(p.text.trim())) {
      const n = BigInt(p.text.trim())
      if (n > 0xffffffffn) c.fail(p.tok, 'expected a mark 0-4294967295')
      return { n }
    }
    return c.fail(p.tok, `nftkit does not support '${kind} mark set' with '${p.text}' yet (only numbers, meta mark and ct mark with & | ^ << >>)`)
  }
  const expr = (min: number): MarkNode => {
    let l = primary()
    for (;;) {
      const o = sub[i]?.text
      if (o === undefined || !(o in prec) || prec[o] < min) return l
      i++
      const r = expr(prec[o] + 1)
      const op = o as MarkStep[0]
      if ('n' in l && 'n' in r) {
        const a = l.n
        const b = r.n
        const v = op === '&' ? a & b : op === '|' ? a | b : op === '^' ? a ^ b : op === '<<' ? (a << b) & 0xffffffffn : a >> b
        l = { n: v }
      } else l = { op, l, r }
    }
  }
  const tree = expr(1)
  if (i !== sub.length) c.fail(sub[i].tok, `unexpected '${sub[i].text}' after '${kind} mark set'`)
  if ('n' in tree) return Number(tree.n)
  const bits: MarkStep[] = []
  const flatten = (n: MarkNode): 'meta mark' | 'ct mark' => {
    if ('from' in n) return n.from
    if ('n' in n || !('n' in n.r)) return c.fail(at, `nftkit does not support this expression after '${kind} mark set' yet (only MARK OP NUMBER ...)`)
    const from = flatten(n.l)
    bits.push([n.op, Number(n.r.n)] as MarkStep)
    return from
  }
  const from = flatten(tree)
  return { from, ...(bits.length ? { bits } : {}) }
}
