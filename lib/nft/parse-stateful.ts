/**
 * Parsing of the stateful statements `limit`, `quota` and `log` (after their
 * keyword), in nft's grammar.
 * @module
 */
import type { Token } from './lexer.js'
import type { LimitRefStmt, LimitStmt, LogFlag, LogStmt, QuotaRefStmt, QuotaStmt } from '../model/rule-types.js'
import { LOG_FLAG, unitBytes } from '../expr/stmt-stateful.js'
import type { Family } from '../kernel/constants.js'
import type { Limit, Quota } from '../model/objects.js'

/** The parser's reading primitives the statement parsers use. */
export interface Cursor {
  peek(o?: number): Token
  next(): Token
  accept(text: string): boolean
  is(t: Token, text: string): boolean
  number(what: string): number
  wordOrString(what: string): string
  string(what: string): string
  skipSeparators(): void
  fail(t: Token, msg: string): never
}

const PER = ['second', 'minute', 'hour', 'day', 'week'] as const
type Per = (typeof PER)[number]

/** Reads `N UNIT` of bytes (`10 mbytes`, `512 bytes`); returns bytes. */
function byteAmount(c: Cursor, what: string): number {
  const at = c.peek()
  const n = c.number(what)
  const u = c.next()
  const bytes = u.kind === 'word' ? unitBytes(n, u.text) : undefined
  if (bytes === undefined) c.fail(u, `expected a byte unit (bytes, kbytes, mbytes) after ${n} but found '${u.text}'`)
  if (!Number.isSafeInteger(bytes)) c.fail(at, `expected ${what} under 2^53 bytes`)
  return bytes
}

/** `limit rate [over] N/UNIT [burst N packets]`, `limit rate [over] N BYTES/UNIT [burst N BYTES]` or `limit name X`, after `limit`. */
export function parseLimit(c: Cursor): LimitStmt | LimitRefStmt {
  if (c.accept('name')) return { stmt: 'limit', name: c.wordOrString('a limit name') }
  if (!c.accept('rate')) c.fail(c.peek(), "expected 'rate' or 'name' after limit")
  const over = c.accept('over')
  if (!over) c.accept('until')
  const at = c.peek()
  // The rate is spelled `10/second`, `10 /second`, `10 / second`, `10 kbytes/second` or `10 kbytes / second`.
  let text = ''
  for (let i = 0; i < 4; i++) {
    const t = c.peek()
    if (t.kind !== 'word' || (i > 0 && /^\d/.test(t.text))) break
    text += t.text
    c.next()
    if (/\/[a-z]+$/.test(text)) break
  }
  const m = /^(\d+)(bytes|kbytes|mbytes)?\/([a-z]+)$/.exec(text)
  if (!m) return c.fail(at, `expected a rate like 10/second or 10 kbytes/second but found '${text || at.text}'`)
  if (!(PER as readonly string[]).includes(m[3])) c.fail(at, `expected a rate per second, minute, hour, day or week but found '${m[3]}'`)
  const per = m[3] as Per
  const bytes = m[2] !== undefined
  const rate = bytes ? (unitBytes(Number(m[1]), m[2]) as number) : Number(m[1])
  let burst: number | undefined
  if (c.accept('burst')) {
    if (bytes) burst = byteAmount(c, 'a burst')
    else {
      burst = c.number('a burst')
      const u = c.peek()
      if (!c.accept('packets')) c.fail(u, `expected 'packets' after the burst of a packet rate but found '${u.text}'`)
    }
  }
  const defaultBurst = bytes ? 0 : 5
  return {
    stmt: 'limit',
    rate,
    per,
    ...(bytes ? { bytes: true } : {}),
    ...(burst !== undefined && burst !== defaultBurst ? { burst } : {}),
    ...(over ? { over: true } : {}),
  }
}

/** `quota [over|until] N BYTES [used N BYTES]` or `quota name X`, after `quota`. */
export function parseQuota(c: Cursor): QuotaStmt | QuotaRefStmt {
  if (c.accept('name')) return { stmt: 'quota', name: c.wordOrString('a quota name') }
  const over = c.accept('over')
  if (!over) c.accept('until')
  const bytes = byteAmount(c, 'a quota')
  const used = c.accept('used') ? byteAmount(c, 'the bytes used') : 0
  return { stmt: 'quota', bytes, ...(over ? { over: true } : {}), ...(used ? { used } : {}) }
}

/** `log` options in any order, after `log`. */
export function parseLog(c: Cursor): LogStmt {
  const st: { -readonly [K in keyof LogStmt]: LogStmt[K] } = { stmt: 'log' }
  const flags = new Set<LogFlag>()
  let all = false
  for (;;) {
    const t = c.peek()
    if (c.accept('prefix')) st.prefix = c.wordOrString('a log prefix')
    else if (c.accept('group')) st.group = c.number('a log group')
    else if (c.accept('snaplen')) st.snaplen = c.number('a snaplen')
    else if (c.accept('queue-threshold')) st.queueThreshold = c.number('a queue threshold')
    else if (c.accept('level')) {
      const lv = c.next()
      const levels = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit']
      if (lv.kind !== 'word' || !levels.includes(lv.text)) c.fail(lv, `expected a log level (${levels.join(', ')}) but found '${lv.text}'`)
      if (lv.text !== 'warn') st.level = lv.text as LogStmt['level']
    } else if (c.accept('flags')) {
      const f = c.next()
      if (c.is(f, 'all')) all = true
      else if (c.is(f, 'tcp')) {
        do {
          const o = c.next()
          if (!c.is(o, 'sequence') && !c.is(o, 'options')) c.fail(o, `expected sequence or options after 'flags tcp' but found '${o.text}'`)
          flags.add(`tcp ${o.text}` as LogFlag)
        } while (c.accept(','))
      } else if (c.is(f, 'ip')) {
        const o = c.next()
        if (!c.is(o, 'options')) c.fail(o, `expected options after 'flags ip' but found '${o.text}'`)
        flags.add('ip options')
      } else if (c.is(f, 'skuid') || c.is(f, 'ether')) flags.add(f.text as LogFlag)
      else c.fail(f, `expected a log flag (all, tcp sequence, tcp options, ip options, skuid, ether) but found '${f.text}'`)
    } else break
    if (t === c.peek()) break
  }
  const every = (Object.keys(LOG_FLAG) as LogFlag[]).every((f) => flags.has(f))
  if (all || every) st.flags = 'all'
  else if (flags.size) st.flags = (Object.keys(LOG_FLAG) as LogFlag[]).filter((f) => flags.has(f))
  return st
}

/**
 * A named quota or limit after its name: `25 mbytes`, `rate 400/minute`, or a
 * block `{ over 1 kbytes; comment "x"; }`.
 */
export function parseStatefulObject(c: Cursor, kind: 'quota' | 'limit', family: Family, table: string, name: string): Quota | Limit {
  const o: Record<string, unknown> = { kind, family, table, name }
  let seen = false
  const body = () => {
    const at = c.peek()
    const st = kind === 'quota' ? parseQuota(c) : parseLimit(c)
    if (st.name !== undefined) c.fail(at, `expected the ${kind}'s settings, not a reference to another ${kind}`)
    const { stmt: _stmt, ...fields } = st
    Object.assign(o, fields)
    seen = true
  }
  if (!c.accept('{')) {
    body()
    return o as unknown as Quota | Limit
  }
  for (;;) {
    c.skipSeparators()
    const t = c.peek()
    if (c.accept('}')) {
      if (!seen) c.fail(t, kind === 'quota' ? 'expected the quota (like 25 mbytes) before the end of the block' : 'expected the rate (like rate 10/second) before the end of the block')
      break
    }
    if (c.accept('comment')) o.comment = c.string('a comment')
    else body()
  }
  return o as unknown as Quota | Limit
}
