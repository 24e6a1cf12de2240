/**
 * A parser for nft's language (what `nft -f` reads): table blocks with chains,
 * sets, maps, counters and rules, and top-level commands. It produces nftkit
 * operations (verb + typed object), so text reaches the kernel through the
 * same validated path as typed objects.
 * @module
 */
import { FAMILIES, type Family } from '../kernel/constants.js'
import { type Datatype, DATATYPES, isWrittenRange, type KeyTypeName } from '../kernel/datatypes.js'
import { type ConcatData, concatData, isConcatData } from '../kernel/concat-data.js'
import { type Element, type ElementSpec, isAnonymousSetElement } from '../model/element-types.js'
import { jsValue, rangeValue } from '../expr/decode.js'
import { normalizeSelector, SELECTORS, type SelectorSpec } from '../expr/selectors.js'
import { NAT_FLAG_ORDER } from '../expr/stmt-nat.js'
import { type NatMapCursor, parseDupFwd, parseNatMap } from './parse-natmap.js'
import type { BoundRule, Match, MatchOp, MetaSetKey, NatFlag, ObjectMapStmt, RuleExpr, Selector, SetRef as MatchSetRef, Statement, Verdict } from '../model/rule-types.js'
import type { Chain, Counter, Limit, NamedMap, NamedSet, Quota, Rule, SetFlag, SetStatefulStmt, TableFlag } from '../model/objects.js'
import { isLoneCounter } from '../expr/set-stateful.js'
import { type Operation, recordSource, type Verb } from '../model/operations.js'
import { setKey } from '../model/names.js'
import { NftSyntaxError, type Token, tokenize } from './lexer.js'
import { type BitsCursor, isBitsStart, parseBitsMatch, parseMarkValue } from './parse-bits.js'
import { NFT_OBJECTS, NFT_SET_OPTIONS, NFT_TYPES, nftFeature, RELATIONAL_WORDS } from './keywords.js'
import { type IncludeReader, preprocess, tokenOrigin } from './preprocess.js'
import { type Cursor, parseLimit, parseLog, parseQuota, parseStatefulObject } from './parse-stateful.js'
import { parseSynproxyObject } from './parse-synproxy.js'
import { parsePayloadSet as parseRawPayloadSet, rawSelectorAt } from './parse-raw.js'
import { exthdrSelectorAt, resetTcpOption } from './parse-exthdr.js'
import { type CtCursor, parseCtObject, parseCtStatement } from './parse-ct.js'
import { parsePayloadSet, type PayloadSetCursor } from './parse-payload-set.js'
import { type MapValueCursor, parseMapValue } from './parse-map-value.js'
import { atNumgenHash, type NumgenHashCursor, parseNumgenHash } from './parse-numgen-hash.js'
import { atMeter, atSetStmt, markDynamicSets, parseMeter, parseSetStmt, parseTypeof, type SetStmtCursor } from './parse-set.js'

export { NftSyntaxError } from './lexer.js'
export type { IncludedFile, IncludeReader } from './preprocess.js'


/** What a parsed file declares, in order. */
export interface ParsedFile {
  readonly operations: readonly Operation[]
  /** Tables declared with a `table` block or `add table`, in order of appearance. */
  readonly tables: ReadonlyArray<{ readonly family: Family; readonly name: string }>
}

/** Options of the parser. */
export interface ParseOptions {
  /** Name used in error messages. */
  readonly file?: string
  /** Values for `$__nftkit_value_N__` holes (tagged templates). */
  readonly values?: readonly unknown[]
  /** Reads the files `include` statements name; without it `include` is refused. */
  readonly include?: IncludeReader
}

/** Stateful statements nft allows in set elements that nftkit does not read there yet (counter is read). */
const ELEMENT_STATEMENTS: readonly string[] = ['limit', 'quota', 'last']

const TIME_UNITS: Record<string, number> = { d: 86400000, h: 3600000, m: 60000, s: 1000, ms: 1 }

/** Parses nft time notation (`1h30m`, `500ms`, `10s`) into milliseconds. */
export function parseTime(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s) * 1000
  const re = /(\d+)(ms|d|h|m|s)/gy
  let total = 0
  let m: RegExpExecArray | null
  let pos = 0
  // biome-ignore lint/suspicious/noAssignInExpressions: regex scan
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * TIME_UNITS[m[2]]
    pos = re.lastIndex
  }
  return pos === s.length && pos > 0 ? total : undefined
}

class Parser {
  private pos = 0
  /** The MASK of a flag match written `VALUE / MASK`. */
  private flagMask: string[] | undefined
  private readonly tables: { family: Family; name: string }[] = []
  private readonly ops: Operation[] = []
  /** Key/data types of sets declared so far, to give elements their canonical values. */
  private readonly setTypes = new Map<string, { key: Datatype[]; data?: Datatype | 'verdict' }>()

  /** The reading primitives, for the statement parsers in other files. */
  private readonly cursor: Cursor = {
    peek: (o) => this.peek(o),
    next: () => this.next(),
    accept: (t) => this.accept(t),
    is: (t, x) => this.is(t, x),
    number: (w) => this.number(w),
    wordOrString: (w) => this.wordOrString(w),
    string: (w) => this.string(w),
    skipSeparators: () => this.skipSeparators(),
    fail: (t, m) => this.fail(t, m),
  }

  /** The reading primitives, for set statements (parse-set.ts). */
  private readonly setCursor: SetStmtCursor = {
    ...this.cursor,
    expect: (t, w) => this.expect(t, w),
    time: (w) => this.time(w),
    selectorAt: () => this.selectorAt(),
    skip: (n) => {
      this.pos += n
    },
    // Per-element statements: `ct count` too (a ct statement, read where rules read them).
    statement: () => (this.is(this.peek(), 'ct') && this.is(this.peek(1), 'count') ? (parseCtStatement(this.ctCursor()) as Statement) : this.statement()),
    unsupported: () => this.unsupported(),
  }

  /** The reading primitives, for NAT maps (parse-natmap.ts). */
  private readonly natMapCursor: NatMapCursor = {
    ...this.setCursor,
    selectorValue: (s, keepRange) => this.selectorValue(s, keepRange),
    tupleValue: (specs) => this.tupleValue(specs),
  }

  constructor(
    private readonly toks: Token[],
    private readonly src: string,
    private readonly file?: string,
  ) {}

  // ----------------------------------------------------------- token helpers

  private peek(o = 0): Token {
    return this.toks[Math.min(this.pos + o, this.toks.length - 1)]
  }
  private next(): Token {
    const t = this.peek()
    if (t.kind !== 'eof') this.pos++
    return t
  }
  fail(t: Token, msg: string): never {
    const o = tokenOrigin(t)
    throw new NftSyntaxError(msg, o ? o.src : this.src, t.line, t.col, Math.max(1, t.text.length), o ? o.file : this.file)
  }
  private is(t: Token, text: string): boolean {
    return (t.kind === 'word' || t.kind === 'punct') && t.text === text
  }
  private accept(text: string): boolean {
    if (this.is(this.peek(), text)) {
      this.pos++
      return true
    }
    return false
  }
  private expect(text: string, what = `'${text}'`): Token {
    const t = this.next()
    if (!this.is(t, text)) this.fail(t, `expected ${what} but found ${describeToken(t)}`)
    return t
  }
  private word(what: string): string {
    const t = this.next()
    if (t.kind !== 'word') this.fail(t, `expected ${what} but found ${describeToken(t)}`)
    return t.text
  }
  private wordOrString(what: string): string {
    const t = this.next()
    if (t.kind === 'value' && typeof t.value === 'string') return t.value
    if (t.kind !== 'word' && t.kind !== 'string') this.fail(t, `expected ${what} but found ${describeToken(t)}`)
    return t.text
  }
  private string(what: string): string {
    const t = this.next()
    if (t.kind === 'value' && typeof t.value === 'string') return t.value
    if (t.kind !== 'string') this.fail(t, `expected ${what} (a quoted string) but found ${describeToken(t)}`)
    return t.text
  }
  private atEnd(): boolean {
    const t = this.peek()
    return t.kind === 'eol' || t.kind === 'eof' || this.is(t, ';') || this.is(t, '}')
  }
  private skipSeparators(): void {
    while (this.peek().kind === 'eol' || this.is(this.peek(), ';')) this.pos++
  }
  private endStatement(): void {
    const t = this.peek()
    if (t.kind === 'eol' || this.is(t, ';')) {
      this.pos++
      return
    }
    if (t.kind === 'eof' || this.is(t, '}')) return
    this.fail(t, `expected the end of the statement but found ${describeToken(t)}`)
  }
  private family(): Family {
    const t = this.peek()
    if (t.kind === 'word' && (FAMILIES as readonly string[]).includes(t.text)) {
      this.pos++
      return t.text as Family
    }
    return 'ip'
  }
  private number(what: string): number {
    const t = this.next()
    if (t.kind === 'value' && typeof t.value === 'number') return t.value
    if (t.kind !== 'word' || !/^(0x[0-9a-fA-F]+|\d+)$/.test(t.text)) this.fail(t, `expected ${what} (a number) but found ${describeToken(t)}`)
    return Number(t.text)
  }
  private time(what: string): number {
    const t = this.next()
    const ms = t.kind === 'word' ? parseTime(t.text) : undefined
    if (ms === undefined) this.fail(t, `expected ${what} (a time like 30s, 10m, 1h) but found ${describeToken(t)}`)
    return ms
  }

  // ----------------------------------------------------------- file level

  parseFile(): ParsedFile {
    for (;;) {
      this.skipSeparators()
      const t = this.peek()
      if (t.kind === 'eof') break
      if (t.kind !== 'word') this.fail(t, `expected a command or a table block but found ${describeToken(t)}`)
      if (t.text === 'table') {
        this.pos++
        const from = this.ops.length
        this.tableBlock('add')
        this.mark(from, t)
        continue
      }
      const verbs: Verb[] = ['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush']
      if (!verbs.includes(t.text as Verb)) this.fail(t, `expected a table block or a command (add, create, insert, replace, delete, destroy, flush) but found ${describeToken(t)}`)
      this.pos++
      const from = this.ops.length
      this.command(t.text as Verb, t)
      this.mark(from, t)
      this.endStatement()
    }
    markDynamicSets(this.ops)
    return { operations: this.ops, tables: this.tables }
  }

  /** Records the source position of operations added since `from`. */
  private mark(from: number, at: Token): void {
    for (let i = from; i < this.ops.length; i++) recordSource(this.ops[i], { file: this.file, line: at.line, col: at.col })
  }

  private declareTable(family: Family, name: string): void {
    if (!this.tables.some((x) => x.family === family && x.name === name)) this.tables.push({ family, name })
  }

  private tableBlock(verb: 'add' | 'create'): void {
    const family = this.family()
    const name = this.wordOrString('a table name')
    this.declareTable(family, name)
    const table: { kind: 'table'; family: Family; name: string; flags?: TableFlag[]; comment?: string } = { kind: 'table', family, name }
    const tableOp: Operation = { verb, object: table }
    this.ops.push(tableOp)
    if (!this.accept('{')) return
    const chains: Operation[] = []
    const others: Operation[] = []
    const rules: Operation[] = []
    for (;;) {
      this.skipSeparators()
      const t = this.next()
      if (this.is(t, '}')) break
      if (t.kind === 'eof') this.fail(t, `expected '}' to close table ${name} but found the end of the input`)
      if (t.kind !== 'word') this.fail(t, `expected chain, set, map, counter, flags or comment but found ${describeToken(t)}`)
      switch (t.text) {
        case 'flags':
          table.flags = this.list('a table flag') as TableFlag[]
          break
        case 'comment':
          table.comment = this.string('a comment')
          break
        case 'chain': {
          const cname = this.wordOrString('a chain name')
          const { chain, body } = this.chainBlock(family, name, cname)
          const op: Operation = { verb: 'add', object: chain }
          recordSource(op, { file: this.file, line: t.line, col: t.col })
          chains.push(op)
          rules.push(...body)
          break
        }
        case 'set':
        case 'map': {
          const op: Operation = { verb: 'add', object: this.setBlock(t.text, family, name, this.wordOrString(`a ${t.text} name`)) }
          recordSource(op, { file: this.file, line: t.line, col: t.col })
          others.push(op)
          break
        }
        case 'counter': {
          const op: Operation = { verb: 'add', object: this.counterDecl(family, name, this.wordOrString('a counter name')) }
          recordSource(op, { file: this.file, line: t.line, col: t.col })
          others.push(op)
          break
        }
        case 'quota':
        case 'limit': {
          const op: Operation = { verb: 'add', object: parseStatefulObject(this.cursor, t.text, family, name, this.wordOrString(`a ${t.text} name`)) }
          recordSource(op, { file: this.file, line: t.line, col: t.col })
          others.push(op)
          break
        }
        case 'synproxy': {
          const op: Operation = { verb: 'add', object: parseSynproxyObject(this.cursor, family, name, this.wordOrString('a synproxy name')) }
          recordSource(op, { file: this.file, line: t.line, col: t.col })
          others.push(op)
          break
        }
        case 'ct':
          if (this.is(this.peek(), 'helper') || this.is(this.peek(), 'expectation')) {
            const kind = `ct ${this.next().text}` as 'ct helper' | 'ct expectation'
            const op: Operation = { verb: 'add', object: parseCtObject(this.ctCursor(), kind, family, name, this.wordOrString(`a ${kind} name`)) }
            recordSource(op, { file: this.file, line: t.line, col: t.col })
            others.push(op)
            break
          }
          this.fail(t, `nftkit does not support 'ct ${this.peek().text}' objects yet`)
          break
        default:
          if (t.kind === 'word' && NFT_OBJECTS.includes(t.text)) this.fail(t, `nftkit does not support '${t.text === 'ct' ? `ct ${this.peek().text}` : t.text}' objects yet`)
          this.fail(t, `expected chain, set, map, counter, flags or comment but found ${describeToken(t)}`)
      }
      this.endStatement()
    }
    // Chains first (maps may jump to them), then sets, maps and counters, then
    // rules, which may refer to any of them.
    this.ops.push(...chains, ...others, ...rules)
  }

  private list(what: string): string[] {
    const out = [this.word(what)]
    while (this.accept(',')) out.push(this.word(what))
    return out
  }

  private chainBlock(family: Family, table: string, name: string): { chain: Chain; body: Operation[] } {
    const chain: Record<string, unknown> = { kind: 'chain', family, table, name }
    const body: Operation[] = []
    this.expect('{')
    while (!this.atBlockEnd(`chain ${name}`)) {
      const t = this.peek()
      if (this.is(t, 'type')) {
        this.pos++
        this.chainSpec(chain)
        continue
      }
      if (this.is(t, 'policy') && this.peek(1).kind === 'word' && ['accept', 'drop'].includes(this.peek(1).text)) {
        this.pos++
        chain.policy = this.word('a policy')
        this.endStatement()
        continue
      }
      if (this.is(t, 'comment') && this.peek(1).kind === 'string' && this.isStatementEnd(this.peek(2))) {
        this.pos++
        chain.comment = this.string('a comment')
        this.endStatement()
        continue
      }
      const op: Operation = { verb: 'add', object: { kind: 'rule', family, table, chain: name, ...this.ruleBody() } }
      recordSource(op, { file: this.file, line: t.line, col: t.col })
      body.push(op)
      this.endStatement()
    }
    return { chain: chain as unknown as Chain, body }
  }

  private isStatementEnd(t: Token): boolean {
    return t.kind === 'eol' || t.kind === 'eof' || this.is(t, ';') || this.is(t, '}')
  }

  /** `type T hook H [device D | devices = { ... }] priority P [; policy X]` after `type`. */
  private chainSpec(chain: Record<string, unknown>): void {
    chain.type = this.word('a chain type')
    this.expect('hook')
    chain.hook = this.word('a hook')
    if (this.accept('device')) chain.devices = [this.wordOrString('a device name')]
    else if (this.accept('devices')) {
      this.expect('=')
      this.expect('{')
      const devs = [this.wordOrString('a device name')]
      while (this.accept(',')) devs.push(this.wordOrString('a device name'))
      this.expect('}')
      chain.devices = devs
    }
    this.expect('priority')
    const parts: string[] = []
    while (!this.atEnd() && !this.is(this.peek(), 'policy')) {
      const t = this.next()
      if (t.kind !== 'word') this.fail(t, `expected a priority but found ${describeToken(t)}`)
      parts.push(t.text)
    }
    const text = parts.join(' ').replace(/^([a-z]+)\s*([+-])\s*(\d+)$/, '$1 $2 $3').trim()
    if (parts.length === 0) this.fail(this.peek(), 'expected a priority')
    chain.priority = /^-?\d+$/.test(text) ? Number(text) : text
    this.accept(';')
    if (this.is(this.peek(), 'policy')) {
      this.pos++
      chain.policy = this.word('a policy')
      this.accept(';')
    }
  }

  private counterDecl(family: Family, table: string, name: string): Counter {
    const c: { kind: 'counter'; family: Family; table: string; name: string; packets?: number; bytes?: number; comment?: string } = {
      kind: 'counter',
      family,
      table,
      name,
    }
    if (!this.accept('{')) return c
    for (;;) {
      this.skipSeparators()
      const t = this.next()
      if (this.is(t, '}')) break
      if (this.is(t, 'packets')) {
        c.packets = this.number('a packet count')
        if (this.accept('bytes')) c.bytes = this.number('a byte count')
      } else if (this.is(t, 'bytes')) c.bytes = this.number('a byte count')
      else if (this.is(t, 'comment')) c.comment = this.string('a comment')
      else this.fail(t, `expected packets, bytes or comment but found ${describeToken(t)}`)
    }
    return c
  }

  private setBlock(kind: 'set' | 'map', family: Family, table: string, name: string): NamedSet | NamedMap {
    const s: Record<string, unknown> = { kind, family, table, name }
    this.expect('{')
    let keyTypes: Datatype[] = []
    let data: Datatype | 'verdict' | undefined
    let pendingElements: Token | undefined
    const stmts: SetStatefulStmt[] = []
    for (;;) {
      this.skipSeparators()
      const t = this.next()
      if (this.is(t, '}')) break
      if (t.kind !== 'word') this.fail(t, `expected a ${kind} property but found ${describeToken(t)}`)
      switch (t.text) {
        case 'type': {
          const names = [this.word('a key type')]
          while (this.accept('.')) names.push(this.word('a key type'))
          keyTypes = names.map((n, i) => {
            if (!Object.hasOwn(DATATYPES, n)) this.fail(this.toks[this.pos - 1 - (names.length - 1 - i) * 2], NFT_TYPES.includes(n) ? `nftkit does not support the set key type '${n}' yet` : `expected a key type (${Object.keys(DATATYPES).join(', ')}) but found '${n}'`)
            return DATATYPES[n as KeyTypeName]
          })
          s.type = names.length === 1 ? names[0] : names
          if (kind === 'map') {
            this.expect(':', "':' and the map's value type")
            // `: interval ipv4_addr . inet_service`: values are ranges or prefixes.
            const mapInterval = this.is(this.peek(), 'interval') && this.peek(1).kind === 'word'
            if (mapInterval) this.pos++
            const d = this.word('a map value type')
            if (d === 'counter' || d === 'quota' || d === 'limit' || d === 'synproxy') {
              // An object map: elements name objects (strings), no data type.
              s.map = d
              this.setTypes.set(setKey(family, table, name), { key: keyTypes })
              break
            }
            if (d !== 'verdict' && !Object.hasOwn(DATATYPES, d)) this.fail(this.toks[this.pos - 1], NFT_TYPES.includes(d) ? `nftkit does not support maps to '${d}' yet` : d === 'counter' || d === 'quota' || d === 'limit' ? `nftkit does not support object maps (: ${d}) yet` : `expected verdict or a value type but found '${d}'`)
            const dataNames = [d]
            while (d !== 'verdict' && this.accept('.')) {
              const at = this.peek()
              const x = this.word('a map value type')
              if (!Object.hasOwn(DATATYPES, x)) this.fail(at, NFT_TYPES.includes(x) ? `nftkit does not support maps to '${x}' yet` : `expected a value type but found '${x}'`)
              dataNames.push(x)
            }
            if (mapInterval && d === 'verdict') this.fail(this.toks[this.pos - 1], 'expected a value type after interval')
            if (dataNames.length > 1 || mapInterval) {
              // A map to a concatenation (`: ipv4_addr . inet_service`) or to ranges (`: interval ...`).
              data = this.concatData(dataNames.map((x) => DATATYPES[x as KeyTypeName]), mapInterval, t)
              s.map = dataNames.length === 1 ? d : dataNames
              if (mapInterval) s.mapInterval = true
            } else {
              data = d === 'verdict' ? 'verdict' : DATATYPES[d as KeyTypeName]
              s.map = d
            }
          }
          this.setTypes.set(setKey(family, table, name), { key: keyTypes, data })
          break
        }
        case 'typeof': {
          const ty = parseTypeof(this.setCursor, kind, Object.keys(DATATYPES))
          keyTypes = ty.key.map((x) => x.type)
          s.type = ty.key.length === 1 ? ty.key[0].type.name : ty.key.map((x) => x.type.name)
          s.typeof = ty.key.length === 1 ? ty.key[0].name : ty.key.map((x) => x.name)
          if (ty.data === 'verdict') {
            data = 'verdict'
            s.map = 'verdict'
          } else if (ty.data && ty.data.length > 1) {
            // A map to a concatenation: `typeof ip saddr : ip daddr . tcp dport`.
            data = this.concatData(
              ty.data.map((x) => x.type),
              false,
              t,
            )
            s.map = ty.data.map((x) => x.type.name)
            s.mapTypeof = ty.data.map((x) => x.name)
          } else if (ty.data) {
            data = ty.data[0].type
            s.map = data.name
            s.mapTypeof = ty.data[0].name
          }
          this.setTypes.set(setKey(family, table, name), { key: keyTypes, data })
          break
        }
        case 'auto-merge':
          s.autoMerge = true
          break
        case 'flags':
          s.flags = this.list('a set flag') as SetFlag[]
          break
        case 'timeout':
          s.timeout = this.time('a timeout')
          break
        case 'gc-interval':
          s.gcInterval = this.time('a garbage collection interval')
          break
        case 'size':
          s.size = this.number('a size')
          break
        case 'policy':
          s.policy = this.word('a set policy (performance or memory)')
          break
        case 'counter':
        case 'limit':
        case 'quota':
        case 'ct': {
          // Stateful statements every element gets: `limit rate 1/second counter` (one line or several).
          this.pos--
          do stmts.push(this.setStatefulStmt())
          while (['counter', 'limit', 'quota', 'ct'].some((w) => this.is(this.peek(), w)))
          break
        }
        case 'comment':
          s.comment = this.string('a comment')
          break
        case 'elements':
          pendingElements = t
          this.expect('=')
          s.elements = this.elementList(keyTypes, data, stmts)
          break
        default:
          if (t.kind === 'word' && NFT_SET_OPTIONS.includes(t.text)) this.fail(t, `nftkit does not support the set option '${t.text}' yet`)
          this.fail(t, `expected type, flags, timeout, gc-interval, size, policy, counter, comment or elements but found ${describeToken(t)}`)
      }
      this.endStatement()
    }
    if (isLoneCounter(stmts)) s.counter = true
    else if (stmts.length) s.stmts = stmts
    if (pendingElements && keyTypes.length === 0) this.fail(pendingElements, 'expected the type before the elements')
    if (!s.type) this.fail(this.toks[this.pos - 1], `expected a type in the ${kind} declaration`)
    return s as unknown as NamedSet
  }

  /**
   * One stateful statement of a set declaration (counter, limit, quota, ct
   * count; no object names), or with `values` of an element (a counter keeps
   * its values).
   */
  private setStatefulStmt(values = false): SetStatefulStmt {
    const at = this.peek()
    if (this.is(at, 'ct') && !this.is(this.peek(1), 'count')) this.fail(at, "nftkit does not support the set option 'ct' yet (only ct count)")
    const st = this.is(at, 'ct') ? (parseCtStatement(this.ctCursor()) as Statement) : this.statement()
    if (!['counter', 'limit', 'quota', 'ct count'].includes(st.stmt) || (st as { name?: string }).name !== undefined)
      this.fail(at, 'expected a stateful statement (counter, limit, quota, ct count) without an object name')
    // A counter's values are the kernel's; the declaration's counter starts from zero.
    if (st.stmt === 'counter' && !values) return { stmt: 'counter' }
    return st as SetStatefulStmt
  }

  /** `{ e, e, ... }` of a named set or map (types known or not). */
  /** The data type of a map to a concatenation or to ranges (lib/kernel/concat-data.ts). */
  private concatData(fields: Datatype[], interval: boolean, at: Token): ConcatData {
    try {
      return concatData(fields, interval, 'map')
    } catch (e) {
      return this.fail(at, (e as { reason?: string }).reason ?? String(e))
    }
  }

  private elementList(key: Datatype[], data: Datatype | 'verdict' | undefined, setStmts: readonly SetStatefulStmt[] = []): Element[] {
    this.expect('{')
    const out: Element[] = []
    for (;;) {
      while (this.peek().kind === 'eol') this.pos++
      if (this.accept('}')) break
      out.push(this.element(key, data, setStmts))
      while (this.peek().kind === 'eol') this.pos++
      if (this.accept('}')) break
      this.expect(',', "',' or '}'")
    }
    return out
  }

  private element(key: Datatype[], data: Datatype | 'verdict' | undefined, setStmts: readonly SetStatefulStmt[] = []): Element {
    // The element's own stateful statements, in order (nft writes them right after the key).
    const stmts: SetStatefulStmt[] = []
    const first = this.peek()
    // `*`: the catch-all element.
    const parts: unknown[] = [this.is(this.peek(), '*') ? this.next().text : this.keyValue(key[0])]
    let i = 1
    while (this.accept('.')) parts.push(this.keyValue(key[i++]))
    const spec: { key: unknown; timeout?: number; comment?: string; counter?: boolean | { packets: number; bytes: number }; stmts?: SetStatefulStmt[]; value?: unknown } = {
      key: parts.length === 1 ? parts[0] : parts,
    }
    let hasOptions = false
    for (;;) {
      const t = this.peek()
      if (this.is(t, 'timeout')) {
        this.pos++
        spec.timeout = this.time('a timeout')
      } else if (this.is(t, 'expires')) {
        this.pos++
        this.time('an expiry') // read back by nft listings; not an input
        continue
      } else if (this.is(t, 'comment')) {
        this.pos++
        spec.comment = this.string('a comment')
      } else if (['counter', 'limit', 'quota'].some((w) => this.is(t, w)) || (this.is(t, 'ct') && this.is(this.peek(1), 'count'))) {
        // `limit rate 1/second counter packets 0 bytes 0`: as nft, one statement is sent as the
        // element's NFTA_SET_ELEM_EXPR, two as NFTA_SET_ELEM_EXPRESSIONS.
        stmts.push(this.setStatefulStmt(true))
        if (stmts.length > 2) this.fail(t, 'expected at most two statements in an element (the kernel keeps at most two)')
      } else if (this.peek().kind === 'word' && ELEMENT_STATEMENTS.includes(this.peek().text)) {
        this.fail(this.peek(), `nftkit does not support '${this.peek().text}' statements in set elements yet`)
      } else break
      hasOptions = true
    }
    if (stmts.length) {
      // In a set that declares statements the element's must be of the same kinds, in order (nft's check; the kernel refuses others).
      if (setStmts.length && stmts.length !== setStmts.length)
        this.fail(first, `number of statements mismatch, set expects ${setStmts.length} but element has ${stmts.length}`)
      const other = setStmts.findIndex((st, i) => st.stmt !== stmts[i].stmt)
      if (setStmts.length && other >= 0) this.fail(first, `statement mismatch, element expects ${stmts[other].stmt}, but set has type ${setStmts[other].stmt}`)
      // A counter alone is the element's `counter` (nftkit's canonical form).
      const c = stmts[0]
      if (stmts.length === 1 && c.stmt === 'counter') spec.counter = c.packets !== undefined || c.bytes !== undefined ? { packets: c.packets ?? 0, bytes: c.bytes ?? 0 } : true
      else spec.stmts = stmts
    }
    if (this.accept(':')) {
      if (data === 'verdict' || (data === undefined && this.isVerdictWord(this.peek()))) spec.value = this.verdict()
      else if (isConcatData(data)) {
        // One value per field of a map to a concatenation (`2.2.2.2 . 30`), ranges kept for interval data.
        const vals = [this.keyValue(data.fields[0])]
        for (let j = 1; j < data.fields.length; j++) {
          this.expect('.', `'.' and the next value (${data.name})`)
          vals.push(this.keyValue(data.fields[j]))
        }
        spec.value = vals.length === 1 ? vals[0] : vals
      } else spec.value = this.keyValue(data)
      hasOptions = true
    }
    return hasOptions ? (spec as ElementSpec) : (spec.key as Element)
  }

  private isVerdictWord(t: Token): boolean {
    return t.kind === 'word' && ['accept', 'drop', 'continue', 'return', 'jump', 'goto'].includes(t.text)
  }

  private verdict(): Verdict {
    const w = this.word('a verdict')
    if (w === 'jump' || w === 'goto') {
      const chain = this.wordOrString('a chain name')
      return w === 'jump' ? { jump: chain } : { goto: chain }
    }
    if (w === 'accept' || w === 'drop' || w === 'continue' || w === 'return') return w
    return this.fail(this.toks[this.pos - 1], `expected a verdict (accept, drop, continue, return, jump, goto) but found '${w}'`)
  }

  /** One value of a known (or unknown) type, in nftkit's canonical JS form. */
  private keyValue(t: Datatype | undefined): unknown {
    const tok = this.next()
    if (tok.kind === 'value') return tok.value
    if (tok.kind !== 'word' && tok.kind !== 'string') this.fail(tok, `expected a value but found ${describeToken(tok)}`)
    // Interface names stay names (resolved to indexes when the set is added); indexes stay numbers.
    if (t?.name === 'iface_index') return /^\d+$/.test(tok.text) ? Number(tok.text) : tok.text
    // A combination of flags: `syn | ack`.
    if (t?.name === 'tcp_flag' && this.is(this.peek(), '|')) {
      const words = [tok.text]
      while (this.accept('|')) words.push(this.word('a TCP flag'))
      return this.canonical(t, { ...tok, text: words.join(' | ') })
    }
    return this.canonical(t, tok)
  }

  private canonical(t: Datatype | undefined, tok: Token, keepRange = false): unknown {
    const text = tok.text
    if (!t) return /^\d+$/.test(text) ? Number(text) : text
    try {
      // A range in a rule match stays a range (nft keeps it); in sets it is normalised.
      if (keepRange && isWrittenRange(t, text)) {
        const iv = t.parse(text, 'value')
        return rangeValue(t, iv.lo, iv.hi)
      }
      // Decimals past 2^53 stay text (exact for 128-bit raw payloads).
      return jsValue(t, t.parse(t.name === 'ifname' ? text : /^\d+$/.test(text) && t.name !== 'ipv4_addr' && Number.isSafeInteger(Number(text)) ? Number(text) : text, 'value'))
    } catch (e) {
      this.fail(tok, (e as { reason?: string }).reason ?? String(e))
    }
  }

  // ----------------------------------------------------------- commands

  private command(verb: Verb, at: Token): void {
    const what = this.word('an object (table, chain, rule, set, map, element, counter, ruleset)')
    switch (what) {
      case 'ruleset': {
        if (verb !== 'flush') this.fail(at, `'${verb} ruleset' is not supported; expected flush ruleset`)
        const t = this.peek()
        const family = t.kind === 'word' && (FAMILIES as readonly string[]).includes(t.text) ? this.family() : undefined
        this.ops.push({ verb, object: { kind: 'ruleset', ...(family ? { family } : {}) } })
        return
      }
      case 'table': {
        if (verb === 'add' || verb === 'create') {
          this.tableBlock(verb)
          return
        }
        const family = this.family()
        const name = this.wordOrString('a table name')
        this.ops.push({ verb, object: { kind: 'table', family, name } })
        return
      }
      case 'chain': {
        const family = this.family()
        const table = this.wordOrString('a table name')
        const name = this.wordOrString('a chain name')
        const chain: Record<string, unknown> = { kind: 'chain', family, table, name }
        if ((verb === 'add' || verb === 'create') && this.accept('{')) {
          for (;;) {
            this.skipSeparators()
            if (this.accept('}')) break
            const t = this.next()
            if (this.is(t, 'type')) this.chainSpec(chain)
            else if (this.is(t, 'policy')) chain.policy = this.word('a policy')
            else if (this.is(t, 'comment')) chain.comment = this.string('a comment')
            else this.fail(t, `expected type, policy or comment but found ${describeToken(t)}`)
          }
        }
        this.ops.push({ verb, object: chain as unknown as Chain })
        return
      }
      case 'rule': {
        const family = this.family()
        const table = this.wordOrString('a table name')
        const chain = this.wordOrString('a chain name')
        const r: Record<string, unknown> = { kind: 'rule', family, table, chain }
        if (this.accept('handle')) r.handle = this.number('a rule handle')
        else if (this.accept('position')) r.position = this.number('a rule handle')
        else if (this.is(this.peek(), 'index')) this.fail(this.peek(), "'index' positions are not supported; use position HANDLE")
        if (verb === 'delete' || verb === 'destroy') {
          if (r.handle === undefined) this.fail(this.peek(), 'expected handle N: rules are deleted by handle')
          this.ops.push({ verb, object: r as unknown as Rule })
          return
        }
        if (verb === 'replace' && r.handle === undefined) this.fail(this.peek(), 'expected handle N: replace needs the handle of the rule it replaces')
        if (verb !== 'replace' && r.handle !== undefined) {
          r.position = r.handle
          delete r.handle
        }
        Object.assign(r, this.ruleBody())
        this.ops.push({ verb, object: r as unknown as Rule })
        return
      }
      case 'set':
      case 'map': {
        const family = this.family()
        const table = this.wordOrString('a table name')
        const name = this.wordOrString(`a ${what} name`)
        if (verb === 'add' || verb === 'create') {
          this.ops.push({ verb, object: this.setBlock(what, family, table, name) })
          return
        }
        this.ops.push({ verb, object: { kind: what, family, table, name } })
        return
      }
      case 'element': {
        const family = this.family()
        const table = this.wordOrString('a table name')
        const set = this.wordOrString('a set name')
        const types = this.setTypes.get(setKey(family, table, set))
        const elements = this.elementList(types?.key ?? [], types?.data)
        this.ops.push({ verb, object: { kind: 'element', family, table, set, elements } })
        return
      }
      case 'counter': {
        const family = this.family()
        const table = this.wordOrString('a table name')
        const name = this.wordOrString('a counter name')
        if (verb === 'add' || verb === 'create') this.ops.push({ verb, object: this.counterDecl(family, table, name) })
        else this.ops.push({ verb, object: { kind: 'counter', family, table, name } })
        return
      }
      case 'quota':
      case 'limit': {
        const family = this.family()
        const table = this.wordOrString('a table name')
        const name = this.wordOrString(`a ${what} name`)
        if (verb === 'add' || verb === 'create') this.ops.push({ verb, object: parseStatefulObject(this.cursor, what, family, table, name) })
        else this.ops.push({ verb, object: { kind: what, family, table, name } as Quota | Limit })
        return
      }
      case 'synproxy': {
        const family = this.family()
        const table = this.wordOrString('a table name')
        const name = this.wordOrString('a synproxy name')
        if (verb === 'add' || verb === 'create') this.ops.push({ verb, object: parseSynproxyObject(this.cursor, family, table, name) })
        else this.ops.push({ verb, object: { kind: 'synproxy', family, table, name } })
        return
      }
      case 'ct': {
        if (!this.is(this.peek(), 'helper') && !this.is(this.peek(), 'expectation')) this.fail(this.peek(), `nftkit does not support 'ct ${this.peek().text}' objects yet`)
        const kind = `ct ${this.next().text}` as 'ct helper' | 'ct expectation'
        const family = this.family()
        const table = this.wordOrString('a table name')
        const name = this.wordOrString(`a ${kind} name`)
        if (verb === 'add' || verb === 'create') this.ops.push({ verb, object: parseCtObject(this.ctCursor(), kind, family, table, name) })
        else this.ops.push({ verb, object: { kind, family, table, name } as never })
        return
      }
      default:
        if (NFT_OBJECTS.includes(what)) this.fail(this.toks[this.pos - 1], `nftkit does not support '${what === 'ct' ? `ct ${this.peek().text}` : what}' objects yet`)
        this.fail(this.toks[this.pos - 1], `expected table, chain, rule, set, map, element, counter or ruleset but found '${what}'`)
    }
  }

  // ----------------------------------------------------------- rules

  /** A rule body up to the end of the statement: expressions and an optional comment. */
  ruleBody(): { exprs: RuleExpr[]; comment?: string } {
    const exprs: RuleExpr[] = []
    let comment: string | undefined
    while (!this.atEnd()) {
      const t = this.peek()
      if (this.is(t, 'comment')) {
        this.pos++
        comment = this.string('a comment')
        continue
      }
      exprs.push(this.ruleExpr())
    }
    if (exprs.length === 0 && comment === undefined) this.fail(this.peek(), 'expected a rule')
    return comment === undefined ? { exprs } : { exprs, comment }
  }

  /** Inside `{ ... }`: skips separators; true (the `}` read) at the closing brace, an error at the end of the input. */
  private atBlockEnd(what: string): boolean {
    this.skipSeparators()
    const t = this.peek()
    if (this.is(t, '}')) {
      this.pos++
      return true
    }
    if (t.kind === 'eof') this.fail(t, `expected '}' to close ${what} but found the end of the input`)
    return false
  }

  /** The rules of a chain binding, `{ RULE; RULE ... }` after `jump`/`goto` (one or more, nested bindings too). */
  private boundRules(w: string): BoundRule[] {
    const open = this.next()
    const rules: BoundRule[] = []
    while (!this.atBlockEnd(`the chain of '${w} {'`)) {
      rules.push(this.ruleBody())
      this.endStatement()
    }
    if (rules.length === 0) this.fail(open, `expected at least one rule in '${w} { ... }'`)
    return rules
  }

  /** The reading primitives, for the conntrack statement parser (parse-ct.ts). */
  private ctCursor(): CtCursor {
    return {
      ...this.cursor,
      mapValue: () => parseMapValue(this.mapValueCursor(), SELECTORS['ct zone']),
      objectMap: () => parseMapValue({ ...this.mapValueCursor(), value: () => this.wordOrString('an object name') }, SELECTORS['ct helper']),
    }
  }

  private selectorAt(): { spec: SelectorSpec; width: number } | undefined {
    const ex = exthdrSelectorAt((o) => this.peek(o)) ?? rawSelectorAt((o) => this.peek(o), (t, m) => this.fail(t, m))
    if (ex) return ex
    const a = this.peek()
    const b = this.peek(1)
    if (a.kind !== 'word') return undefined
    if (a.text === 'numgen' || a.text === 'jhash' || a.text === 'symhash') return this.numgenAt()
    if (a.text === 'rt' && b.kind === 'word' && b.text === 'nexthop')
      this.fail(b, "nftkit does not support 'rt nexthop' without its family yet: write 'rt ip nexthop' or 'rt ip6 nexthop' (as nft lists it)")
    // `ipsec in|out [spnum N] reqid|spi|ip saddr|...`: the longest name that is a row.
    if (a.text === 'ipsec') {
      const words = [1, 2, 3, 4, 5].map((o) => this.peek(o)).map((t) => (t.kind === 'word' ? t.text : undefined))
      for (let n = 5; n >= 2; n--) {
        if (words.slice(0, n).some((w) => w === undefined)) continue
        const name = normalizeSelector(`ipsec ${words.slice(0, n).join(' ')}`)
        if (name) return { spec: SELECTORS[name], width: 1 + n }
      }
      return this.fail(a, "expected 'ipsec in|out [spnum 0-5] reqid|spi|ip saddr|ip daddr|ip6 saddr|ip6 daddr'")
    }
    // Conntrack keys of one direction: `ct original zone`, `ct reply ip saddr`.
    if (a.text === 'ct' && b.kind === 'word' && (b.text === 'original' || b.text === 'reply')) {
      const words = [2, 3, 4].map((o) => this.peek(o)).filter((t) => t.kind === 'word').map((t) => t.text)
      for (const n of [2, 1]) {
        if (words.length < n) continue
        const name = normalizeSelector(`ct ${b.text} ${words.slice(0, n).join(' ')}`)
        if (name && this.toks.slice(this.pos + 2, this.pos + 2 + n).every((t) => t.kind === 'word')) return { spec: SELECTORS[name], width: 2 + n }
      }
    }
    const c = this.peek(2)
    if (b.kind === 'word' && c.kind === 'word') {
      // `arp saddr ip`, `arp daddr ether`
      const three = normalizeSelector(`${a.text} ${b.text} ${c.text}`)
      if (three) return { spec: SELECTORS[three], width: 3 }
    }
    if (b.kind === 'word') {
      const two = normalizeSelector(`${a.text} ${b.text}`)
      if (two) return { spec: SELECTORS[two], width: 2 }
    }
    const one = normalizeSelector(a.text)
    return one ? { spec: SELECTORS[one], width: 1 } : undefined
  }

  /** `numgen inc mod 2 [offset 1]`, `jhash SEL mod 2 [seed 0x1] [offset 1]`, `symhash mod 2 [offset 1]`. */
  private numgenAt(): { spec: SelectorSpec; width: number } | undefined {
    const words: string[] = [this.peek().text]
    let w = 1
    if (this.peek().text === 'numgen') words.push(this.peek(w++).text)
    else if (this.peek().text === 'jhash') {
      const at = this.pos
      this.pos += 1
      const src = this.selectorAt()
      this.pos = at
      if (!src) return undefined
      for (let i = 0; i < src.width; i++) words.push(this.peek(w++).text)
    }
    for (const k of ['mod', 'seed', 'offset']) {
      if (!this.is(this.peek(w), k)) continue
      words.push(k, this.peek(w + 1).text)
      w += 2
    }
    const name = normalizeSelector(words.join(' '))
    return name ? { spec: SELECTORS[name], width: w } : undefined
  }

  /**
   * Fails naming the nft feature that starts at the current token (nft knows
   * it, nftkit does not yet), or saying the word is no match or statement.
   */
  private unsupported(): never {
    const t = this.peek()
    const words = [0, 1, 2].map((o) => {
      const x = this.peek(o)
      return x.kind === 'word' || x.kind === 'punct' ? x.text : undefined
    })
    const f = nftFeature(words.filter((w): w is string => w !== undefined))
    if (f) this.fail(t, `nftkit does not support '${f.name}' yet`)
    return this.fail(t, `${describeToken(t)} is neither a match nor a statement nft or nftkit knows`)
  }

  /** After a selector: operators and forms nftkit does not support yet. */
  private bitsCursor(): BitsCursor {
    return { peek: (o) => this.peek(o), next: () => this.next(), fail: (t, m) => this.fail(t, m) }
  }

  /** The reading primitives, for the numgen and hash parser (parse-numgen-hash.ts). */
  private numgenHashCursor(): NumgenHashCursor {
    return {
      peek: (o) => this.peek(o),
      next: () => this.next(),
      is: (t, x) => this.is(t, x),
      fail: (t, m) => this.fail(t, m),
      number: (w) => this.number(w),
      selectorAt: () => this.selectorAt(),
    }
  }

  /** The reading primitives, for the map value parser (parse-map-value.ts). */
  private mapValueCursor(): MapValueCursor {
    const self = this
    return {
      peek: (o) => this.peek(o),
      next: () => this.next(),
      is: (t, x) => this.is(t, x),
      fail: (t, m) => this.fail(t, m),
      selectorAt: () => this.selectorAt(),
      tupleValue: (specs) => this.tupleValue(specs),
      value: (s) => this.selectorValue(s),
      name: () => this.wordOrString('a map name'),
      get pos() {
        return self.pos
      },
      seek: (p) => {
        this.pos = p
      },
    }
  }

  private payloadSetCursor(): PayloadSetCursor {
    return {
      mapValue: (s) => parseMapValue(this.mapValueCursor(), s),
      peek: (o) => this.peek(o),
      next: () => this.next(),
      fail: (t, m) => this.fail(t, m),
      value: (s) => this.selectorValue(s),
      atSelector: () => this.selectorAt() !== undefined,
    }
  }

  private unsupportedAfter(name: string): void {
    const t = this.peek()
    if (t.kind !== 'word' && t.kind !== 'punct') return
    if (t.text === 'set') this.fail(t, `nftkit does not support '${name} set' yet`)
    if (['|', '^', '<<', '>>', 'and', 'or', 'xor', 'lshift', 'rshift'].includes(t.text))
      this.fail(t, `nftkit does not support bitwise expressions ('${name} ${t.text} ...') yet`)
  }

  private ruleExpr(): RuleExpr {
    const t = this.peek()
    if (t.kind === 'punct' && t.text === '@') {
      const raw = rawSelectorAt((o) => this.peek(o), (x, m) => this.fail(x, m))
      if (raw && this.is(this.peek(raw.width), 'set')) {
        this.pos += raw.width
        return parseRawPayloadSet({ peek: (o = 0) => this.peek(o), next: () => this.next(), fail: (x, m) => this.fail(x, m) }, raw.spec)
      }
      if (raw) return this.match(raw)
    }
    if (t.kind !== 'word') return this.unsupported()
    // Statements that start like selectors.
    if ((t.text === 'ct' || t.text === 'meta') && this.is(this.peek(1), 'mark') && this.is(this.peek(2), 'set')) return this.markSet(t.text)
    if (t.text === 'mark' && this.is(this.peek(1), 'set')) return this.markSet('meta', 2)
    if (t.text === 'tcp' && this.is(this.peek(1), 'option') && this.is(this.peek(2), 'maxseg') && this.is(this.peek(3), 'size') && this.is(this.peek(4), 'set'))
      return this.mssClamp()
    if (t.text === 'meta' && this.peek(1).kind === 'word' && Object.hasOwn(META_SET_KEYS, this.peek(1).text) && this.is(this.peek(2), 'set')) return this.metaSet()
    if (t.text === 'fib') {
      const f = this.fibSelector()
      const v = this.peek(f.width)
      if (v.kind === 'word' && (v.text === 'exists' || v.text === 'missing')) {
        if (f.spec.load.kind !== 'fib' || f.spec.load.result !== 1) this.fail(t, `nftkit does not support '${f.spec.name} ${v.text}' yet (only with oif)`)
        this.pos += f.width + 1
        return { match: f.spec.name, value: v.text }
      }
      return this.match(f)
    }
    if (t.text === 'osf') return this.match(this.osfSelector())
    if (t.text === 'ct') {
      const st = parseCtStatement(this.ctCursor())
      if (st) return st
    }
    if (atSetStmt(this.setCursor)) return parseSetStmt(this.setCursor)
    if (atMeter(this.setCursor)) return parseMeter({ ...this.setCursor, number: (what) => this.number(what) })
    const sel = this.selectorAt()
    if (sel) return this.match(sel)
    return this.statement()
  }

  /** At `name KEY map`, after counter, quota or limit. */
  private atObjectMap(): boolean {
    if (!this.is(this.peek(), 'name')) return false
    this.pos++
    const sel = this.selectorAt()
    this.pos--
    return sel !== undefined
  }

  /** `name KEY map { k : "obj", ... }` or `name KEY map @m` after counter, quota, limit or synproxy. */
  private objectMap(kind: 'counter' | 'quota' | 'limit' | 'synproxy'): Statement {
    this.expect('name')
    const specs: SelectorSpec[] = []
    for (;;) {
      const s = this.selectorAt()
      if (!s) this.unsupported()
      specs.push(s.spec)
      this.pos += s.width
      if (!this.accept('.')) break
    }
    this.expect('map')
    const key: Selector | Selector[] = specs.length === 1 ? specs[0].name : specs.map((s) => s.name)
    if (this.accept('@')) return { stmt: kind, key, map: { set: this.wordOrString('a map name') } }
    this.expect('{', "'{'")
    const map: Array<[unknown, string]> = []
    for (;;) {
      while (this.peek().kind === 'eol') this.pos++
      if (this.accept('}')) break
      // `*`: the catch-all element.
      const key = this.is(this.peek(), '*') && this.peek().kind === 'word' ? this.next().text : this.tupleValue(specs)
      this.expect(':', `':' and a ${kind} name`)
      map.push([key, this.wordOrString(`a ${kind} name`)])
      while (this.peek().kind === 'eol') this.pos++
      if (this.accept('}')) break
      this.expect(',', "',' or '}'")
    }
    return { stmt: kind, key, map: map as ObjectMapStmt['map'] }
  }

  /** `osf [ttl loose|skip] name|version`: one selector. */
  private osfSelector(): { spec: SelectorSpec; width: number } {
    const ttl = this.is(this.peek(1), 'ttl') ? ` ttl ${this.peek(2).text}` : ''
    const key = this.peek(ttl ? 3 : 1)
    const name = normalizeSelector(`osf${ttl} ${key.text}`)
    if (!name) this.fail(this.peek(), `expected osf [ttl loose|skip] name|version but found 'osf${ttl} ${key.text}'`)
    return { spec: SELECTORS[name], width: ttl ? 4 : 2 }
  }

  /** `fib saddr . iif type`: the whole fib expression is one selector. */
  private fibSelector(): { spec: SelectorSpec; width: number } {
    const at = this.peek()
    const words: string[] = []
    let i = 1
    for (;;) {
      const w = this.peek(i)
      if (w.kind !== 'word') break
      words.push(w.text)
      i++
      if (!this.is(this.peek(i), '.')) break
      i++
    }
    const res = this.peek(i)
    const name = normalizeSelector(`fib ${words.join(' . ')} ${res.kind === 'word' ? res.text : ''}`)
    if (!name) this.fail(at, `nftkit does not support '${['fib', ...words, res.text].join(' ')}' yet`)
    return { spec: SELECTORS[name], width: i + 1 }
  }

  private markSet(kind: 'ct' | 'meta', width = 3): Statement {
    this.pos += width
    const nh = this.numgenHashCursor()
    if (atNumgenHash(nh)) {
      const value = parseNumgenHash(nh)
      if (this.is(this.peek(), 'map')) this.fail(this.peek(), `nftkit does not support '${kind} mark set' with a map keyed by ${value && 'numgen' in value ? 'numgen' : 'a hash'} yet`)
      return kind === 'ct' ? { stmt: 'ct mark set', value } : { stmt: 'meta mark set', value }
    }
    const mv = parseMapValue(this.mapValueCursor(), SELECTORS['meta mark'])
    if (mv) return kind === 'ct' ? { stmt: 'ct mark set', value: mv } : { stmt: 'meta mark set', value: mv }
    const n = this.peek()
    const after = this.peek(1)
    if ((n.kind === 'word' && /^\(?(mark|meta|ct|0x[0-9a-fA-F]+|\d+)$/.test(n.text)) || n.kind === 'value') {
      if (after.text === 'map' || after.text === '.' || (/^\(?(ct|meta)$/.test(n.text) && !after.text.startsWith('mark')))
        this.fail(n, `nftkit does not support '${kind} mark set' with ${after.text === 'map' ? 'a map' : 'this expression'} yet`)
      const v = parseMarkValue(this.bitsCursor(), kind)
      if (kind === 'meta' && typeof v === 'object' && v.from === 'ct mark' && !v.bits) return { stmt: 'meta mark set', value: 'ct mark' }
      return kind === 'ct' ? { stmt: 'ct mark set', value: v } : { stmt: 'meta mark set', value: v }
    }
    return this.fail(n, `nftkit does not support '${kind} mark set' with an expression yet (only a number, a mark or an expression of them)`)
  }

  /** `meta priority set 1:10`, `meta nftrace set 1`, `meta pkttype set host`. */
  private metaSet(): Statement {
    const key = this.peek(1).text as MetaSetKey
    this.pos += 3
    const spec = SELECTORS[META_SET_KEYS[key]]
    // `meta priority set ct bytes map @m`: a value looked up in a map.
    const mv = key === 'nftrace' ? undefined : parseMapValue(this.mapValueCursor(), spec)
    if (mv) return { stmt: 'meta set', key, value: mv }
    const n = this.peek()
    const after = this.peek(1)
    if (n.kind === 'word' && (nftFeature([n.text, after.kind === 'word' ? after.text : '']) || (after.kind === 'word' && ['and', 'or', 'xor', '&', '|', '^', '.', 'map'].includes(after.text))))
      this.fail(n, `nftkit does not support 'meta ${key} set' with an expression yet (only a value)`)
    if (key === 'nftrace') {
      const v = this.number('0 or 1')
      if (v !== 0 && v !== 1) this.fail(this.toks[this.pos - 1], 'expected 0 or 1 for meta nftrace')
      return { stmt: 'meta set', key, value: v }
    }
    return { stmt: 'meta set', key, value: this.selectorValue(spec) as string | number }
  }

  private mssClamp(): Statement {
    const at = this.peek()
    this.pos += 2
    const opt = this.peek().kind === 'word' ? this.peek().text : ''
    if (!this.accept('maxseg') || !this.accept('size') || !this.accept('set'))
      this.fail(at, `nftkit does not support 'tcp option ${opt}' ${opt === 'maxseg' ? 'matches ' : ''}yet (only 'tcp option maxseg size set VALUE')`)
    if (this.accept('rt')) {
      this.expect('mtu')
      return { stmt: 'tcp mss set', value: 'rt mtu' }
    }
    return { stmt: 'tcp mss set', value: this.number('an MSS value') }
  }

  private match(first: { spec: SelectorSpec; width: number }): RuleExpr {
    const specs = [first.spec]
    this.pos += first.width
    while (this.is(this.peek(), '.')) {
      this.pos++
      const s = this.selectorAt()
      if (!s) this.unsupported()
      specs.push(s.spec)
      this.pos += s.width
    }
    const key: Selector | Selector[] = specs.length === 1 ? specs[0].name : specs.map((s) => s.name)
    if (specs.length === 1 && isBitsStart(this.peek()))
      return parseBitsMatch(this.bitsCursor(), specs[0], () => this.vmapValue(specs) as Extract<Statement, { stmt: 'vmap' }>['map'])
    if (specs.length === 1 && this.is(this.peek(), 'set')) return parsePayloadSet(this.payloadSetCursor(), specs[0])
    if (specs.length === 1) this.unsupportedAfter(specs[0].name)
    if (this.accept('vmap')) return { stmt: 'vmap', key, map: this.vmapValue(specs) as Extract<Statement, { stmt: 'vmap' }>['map'] }
    if (this.is(this.peek(), '&'))
      this.fail(this.peek(), `nftkit does not support masked comparisons ('${specs.map((s) => s.name).join(' . ')} & MASK == VALUE') yet`)
    const opTok = this.peek()
    let op: MatchOp | undefined
    if (this.accept('==') || this.accept('eq')) op = '=='
    else if (this.accept('!=') || this.accept('ne')) op = '!='
    else if (this.accept('!')) op = '!'
    else if (opTok.kind === 'word' && Object.hasOwn(RELATIONAL_WORDS, opTok.text)) {
      this.pos++
      op = RELATIONAL_WORDS[opTok.text]
    }
    const flags = specs.length === 1 && specs[0].flags !== undefined
    if (op === '!' && !flags) this.fail(opTok, 'negation (!) can only be used with tcp flags, ct state and ct status values')
    const rel = op === '<' || op === '>' || op === '<=' || op === '>='
    if (rel && (specs.length > 1 || specs[0].flags || specs[0].wildcard || specs[0].ifindex || this.is(this.peek(), '{') || this.is(this.peek(), '@')))
      this.fail(opTok, `'${opTok.text}' compares one integer, address, time or class id with one value`)
    this.flagMask = undefined
    const value = this.matchValue(specs, op)
    // `tcp flags syn / syn,ack` is `tcp flags & (syn | ack) == syn`.
    const mask = this.flagMask as string[] | undefined
    if (mask) {
      if (op === '!') this.fail(opTok, "expected '==' or '!=' before VALUE / MASK")
      return { match: key, bits: [['&', mask.length === 1 ? mask[0] : mask]], ...(op === '!=' ? { op } : {}), value: Array.isArray(value) ? value.join(' | ') : value }
    }
    if (rel) return { match: key, op, value }
    const isSet = typeof value === 'object' && !Array.isArray(value)
    if (op === '!' && isSet) this.fail(opTok, 'negation (!) can only be used with flag values, not with a set (use !=)')
    // `==` is the default, except that for flags it is an exact compare (no op: a bit test).
    if (op === '!=' || op === '!' || (op === '==' && flags && !isSet)) return { match: key, op, value }
    return { match: key, value }
  }

  /**
   * Flag names of a flag selector: `syn`, `syn,ack`, `syn|ack`, `syn | ack`
   * all list the bits of one mask.
   */
  private flagNames(s: SelectorSpec): string[] {
    const at = this.peek()
    let text = ''
    for (;;) {
      text += this.word(`a ${s.name} flag`)
      const next = this.peek()
      if (text.endsWith('|') || (next.kind === 'word' && next.text.startsWith('|'))) continue
      if (this.accept(',')) {
        text += ','
        continue
      }
      break
    }
    const names = text.split(/[|,]/).flatMap((n) => flagNumberNames(s, n.trim()))
    for (const n of names)
      if (!Object.hasOwn(s.flags ?? {}, n)) this.fail(at, `expected one of ${s.flagOrder?.join(', ')} but found '${n}'`)
    if (this.accept('/')) this.flagMask = this.flagNames(s)
    return names
  }

  private vmapValue(specs: SelectorSpec[]): MatchSetRef | Array<[unknown, Verdict]> {
    if (this.accept('@')) return { set: this.wordOrString('a map name') }
    this.expect('{', "'{' or '@map'")
    const out: Array<[unknown, Verdict]> = []
    for (;;) {
      while (this.peek().kind === 'eol') this.pos++
      if (this.accept('}')) break
      this.splitKeyVerdict()
      // `*`: the catch-all element (matches what no other key does).
      const key = this.peek().text === '*' && this.peek().kind === 'word' ? this.next().text : this.tupleValue(specs)
      this.expect(':', "':' and a verdict")
      out.push([key, this.verdict()])
      while (this.peek().kind === 'eol') this.pos++
      if (this.accept('}')) break
      this.expect(',', "',' or '}'")
    }
    return out
  }

  /**
   * `25:accept` (no blanks) is one word to the lexer, as `2001:db8::1` is: a
   * word that ends in `:VERDICT` is split into the key, ':' and the verdict.
   */
  private splitKeyVerdict(): void {
    const t = this.peek()
    if (t.kind !== 'word') return
    const at = { line: t.line, col: t.col }
    // `::dddd: drop`: a key with the ':' glued to it (not an address's `::`).
    const glued = /^(.*[^:]|.*::):$/.exec(t.text)
    if (glued && /^(accept|drop|continue|return|jump|goto)$/.test(this.peek(1).text)) {
      this.toks.splice(this.pos, 1, { kind: 'word', text: glued[1], ...at }, { kind: 'punct', text: ':', ...at })
      return
    }
    const m = /^(.+):(accept|drop|continue|return|jump|goto)$/.exec(t.text)
    if (!m) return
    this.toks.splice(
      this.pos,
      1,
      { kind: 'word', text: m[1], ...at },
      { kind: 'punct', text: ':', ...at },
      { kind: 'word', text: m[2], ...at },
    )
  }

  /** A flag set element: `syn` or `syn | ack` (listed as nft lists it, `syn | ack`). */
  private flagElement(s: SelectorSpec): string {
    const names = [this.flagName(s)]
    while (this.is(this.peek(), '|')) {
      this.pos++
      names.push(this.flagName(s))
    }
    return names.join(' | ')
  }

  private flagName(s: SelectorSpec): string {
    const t = this.next()
    if (t.kind !== 'word' || !Object.hasOwn(s.flags ?? {}, t.text)) this.fail(t, `expected one of ${s.flagOrder?.join(', ')} but found ${describeToken(t)}`)
    return t.text
  }

  /** The elements of `{ ... }` (the '{' read), nested sets flattened as nft does. */
  private setElements(specs: SelectorSpec[], depth = 0): unknown[] {
    if (depth > MAX_SET_NESTING) this.fail(this.toks[this.pos - 1], `expected at most ${MAX_SET_NESTING} nested sets`)
    const out: unknown[] = []
    const flagSet = specs.length === 1 && specs[0].flags !== undefined
    for (;;) {
      while (this.peek().kind === 'eol') this.pos++
      if (this.accept('}')) break
      if (this.accept('{')) out.push(...this.setElements(specs, depth + 1))
      else out.push(this.anonElementStmts(flagSet && this.peek(1).text === '|' ? this.flagElement(specs[0]) : this.tupleValue(specs), flagSet))
      while (this.peek().kind === 'eol') this.pos++
      if (this.accept('}')) break
      const st = this.peek()
      if (st.kind === 'word' && (st.text === 'counter' || st.text === 'timeout' || st.text === 'expires' || st.text === 'comment' || ELEMENT_STATEMENTS.includes(st.text)))
        this.fail(st, `nftkit does not support '${st.text}' in anonymous set elements yet`)
      this.expect(',', "',' or '}'")
    }
    return out
  }

  /**
   * An anonymous set's element with its stateful statements after the key
   * (`0x0000000a counter packets 0 bytes 0`): `{ key, counter }` or
   * `{ key, stmts }`; the bare key without any.
   */
  private anonElementStmts(key: unknown, flagSet: boolean): unknown {
    const stmts: SetStatefulStmt[] = []
    for (;;) {
      const t = this.peek()
      if (!(['counter', 'limit', 'quota'].some((w) => this.is(t, w)) || (this.is(t, 'ct') && this.is(this.peek(1), 'count')))) break
      if (flagSet) this.fail(t, `nftkit does not support '${t.text}' in the elements of a flag set yet`)
      stmts.push(this.setStatefulStmt(true))
      if (stmts.length > 2) this.fail(t, 'expected at most two statements in an element (the kernel keeps at most two)')
    }
    if (!stmts.length) return key
    const c = stmts[0]
    if (stmts.length === 1 && c.stmt === 'counter') return { key, counter: c.packets !== undefined || c.bytes !== undefined ? { packets: c.packets ?? 0, bytes: c.bytes ?? 0 } : true }
    return { key, stmts }
  }

  private tupleValue(specs: SelectorSpec[]): unknown {
    const parts: unknown[] = [this.selectorValue(specs[0])]
    for (let i = 1; i < specs.length; i++) {
      this.expect('.', "'.' and the next value of the concatenation")
      parts.push(this.selectorValue(specs[i]))
    }
    return specs.length === 1 ? parts[0] : parts
  }

  private selectorValue(s: SelectorSpec, keepRange = false): unknown {
    const tok = this.next()
    if (tok.kind === 'value') return this.interpolated(s, tok.value, tok)
    if (tok.kind !== 'word' && tok.kind !== 'string') this.fail(tok, `expected a value for ${s.name} but found ${describeToken(tok)}`)
    if (s.wildcard && tok.text.endsWith('*')) return tok.text
    // Interface names stay names: the compiler resolves them in the target namespace.
    if (s.ifindex) return tok.kind === 'word' && /^\d+$/.test(tok.text) ? Number(tok.text) : tok.text
    // `"00:00"-"02:02"`: a range of quoted values (hours) is three tokens.
    if (tok.kind === 'string' && this.is(this.peek(), '-') && this.peek(1).kind === 'string') {
      const hi = this.peek(1)
      this.pos += 2
      return this.canonical(s.type, { ...tok, text: `${tok.text}-${hi.text}` }, keepRange)
    }
    return this.canonical(s.type, tok, keepRange)
  }

  /** An interpolated value for a selector: checked and canonicalised like written text. */
  private interpolated(s: SelectorSpec, v: unknown, at: Token): unknown {
    if (s.wildcard && typeof v === 'string' && v.endsWith('*')) return v
    if (s.ifindex && (typeof v === 'string' || typeof v === 'number')) return v
    if (s.flags) {
      const names = Array.isArray(v) ? v : [v]
      for (const n of names) if (typeof n !== 'string' || !(n in s.flags)) this.fail(at, `expected one of ${s.flagOrder?.join(', ')} for ${s.name}`)
      return v
    }
    try {
      return jsValue(s.type, s.type.parse(v, 'value'))
    } catch (e) {
      return this.fail(at, `${(e as { reason?: string }).reason ?? String(e)} for ${s.name}`)
    }
  }

  private matchValue(specs: SelectorSpec[], op: MatchOp | undefined): Match['value'] {
    const t = this.peek()
    if (t.kind === 'value') {
      this.pos++
      const v = t.value
      if (typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as MatchSetRef).set === 'string') return v as MatchSetRef
      if (specs.length > 1) {
        if (!Array.isArray(v)) this.fail(t, 'expected a list of tuples or { set } for a concatenation')
        return v.map((tuple) => {
          if (!Array.isArray(tuple) || tuple.length !== specs.length) this.fail(t, `expected tuples of ${specs.length} values`)
          return tuple.map((x, i) => this.interpolated(specs[i], x, t))
        }) as Match['value']
      }
      if (Array.isArray(v) && !specs[0].flags) return v.map((x) => this.interpolated(specs[0], x, t)) as Match['value']
      return this.interpolated(specs[0], v, t) as Match['value']
    }
    if (this.accept('@')) return { set: this.wordOrString('a set name') }
    if (this.is(t, '{')) {
      this.pos++
      const out = this.setElements(specs)
      // nft 1.0.6 folds a one-element set of a single selector into a plain comparison and drops
      // the element's statements (nft 1.0.8 keeps the set): nftkit reads the text as that nft loads it.
      if (out.length === 1 && specs.length === 1 && isAnonymousSetElement(out[0])) out[0] = out[0].key
      // For flag selectors `{ a, b }` is a set lookup, unlike the bit test `a,b`.
      if (specs.length === 1 && specs[0].flags) return { elements: out as string[] }
      return out as Match['value']
    }
    const s = specs[0]
    if (specs.length > 1) this.fail(t, 'expected a named set (@name) or an anonymous set { ... } for a concatenation')
    if (s.flags) {
      const names = this.flagNames(s)
      if (names.length === 1) return names[0]
      // The exact compares `== a,b` / `!= a|b` take the combined value, which nft
      // lists as `a | b`; the bit tests (`a,b`, `a|b`, `! a,b`) a list, listed `a,b`.
      return op === '==' || op === '!=' ? names.join(' | ') : names
    }
    return this.selectorValue(s, true) as Match['value']
  }

  /** NAT flags after a NAT statement: `random`, `persistent`, `fully-random`, comma-separated. */
  private natFlags(): { flags?: NatFlag[] } {
    const flags: NatFlag[] = []
    while (['random', 'persistent', 'fully-random'].includes(this.peek().text) && this.peek().kind === 'word') {
      flags.push(this.next().text as NatFlag)
      if (!this.accept(',')) break
    }
    return flags.length ? { flags: NAT_FLAG_ORDER.filter((f) => flags.includes(f)) } : {}
  }

  private statement(): Statement {
    const t = this.next()
    const w = t.text
    switch (w) {
      case 'accept':
      case 'drop':
      case 'continue':
      case 'return':
        return { stmt: w }
      case 'jump':
      case 'goto':
        if (this.is(this.peek(), '{')) return { stmt: w, rules: this.boundRules(w) }
        return { stmt: w, chain: this.wordOrString('a chain name') }
      case 'counter': {
        if (this.atObjectMap()) return this.objectMap('counter')
        if (this.accept('name')) return { stmt: 'counter', name: this.wordOrString('a counter name') }
        // `packets N bytes M`, in either order.
        let packets = 0
        let bytes = 0
        for (let i = 0; i < 2; i++) {
          if (this.accept('packets')) packets = this.number('a packet count')
          else if (this.accept('bytes')) bytes = this.number('a byte count')
        }
        return packets || bytes ? { stmt: 'counter', packets, bytes } : { stmt: 'counter' }
      }
      case 'notrack':
        return { stmt: 'notrack' }
      case 'reject': {
        if (!this.accept('with')) return { stmt: 'reject' }
        const kind = this.word('icmp, icmpv6, icmpx or tcp reset')
        if (kind === 'tcp') {
          this.expect('reset')
          return { stmt: 'reject', with: 'tcp reset' }
        }
        if (kind !== 'icmp' && kind !== 'icmpv6' && kind !== 'icmpx') this.fail(this.toks[this.pos - 1], `expected icmp, icmpv6, icmpx or tcp reset but found '${kind}'`)
        this.accept('type')
        const code = this.word('a reject code')
        const v: string | number = /^\d+$/.test(code) ? Number(code) : code
        if (kind === 'icmp') return { stmt: 'reject', with: { icmp: v } }
        if (kind === 'icmpv6') return { stmt: 'reject', with: { icmpv6: v } }
        return { stmt: 'reject', with: { icmpx: v } }
      }
      case 'log':
        return parseLog(this.cursor)
      case 'limit':
        return this.atObjectMap() ? this.objectMap('limit') : parseLimit(this.cursor)
      case 'quota':
        return this.atObjectMap() ? this.objectMap('quota') : parseQuota(this.cursor)
      case 'snat':
      case 'dnat': {
        let family: 'ip' | 'ip6' | undefined
        if (this.is(this.peek(), 'ip') || this.is(this.peek(), 'ip6')) family = this.next().text as 'ip'
        const prefix = this.accept('prefix')
        this.expect('to')
        const natKey = this.selectorAt()
        if (natKey && (this.is(this.peek(natKey.width), 'map') || this.is(this.peek(natKey.width), '.') || natKey.spec.load.kind === 'numgen' || natKey.spec.load.kind === 'hash'))
          return parseNatMap(this.natMapCursor, w, family, prefix)
        const e = this.peek(1)
        if (this.peek().kind === 'word' && (nftFeature([this.peek().text, e.kind === 'word' ? e.text : '']) || (e.kind === 'punct' && e.text === '.')))
          this.fail(this.peek(), `nftkit does not support '${w} to' an expression yet (only an address or a map lookup)`)
        const to = this.word('a NAT target')
        const fam = family ?? (to.startsWith(':') ? undefined : to.startsWith('[') || (to.match(/:/g) ?? []).length > 1 ? 'ip6' : 'ip')
        return { stmt: w, to, ...(prefix ? { prefix: true } : {}), ...(fam ? { family: fam } : {}), ...this.natFlags() }
      }
      case 'masquerade':
      case 'redirect': {
        if (!this.accept('to')) return { stmt: w, ...this.natFlags() }
        const p = this.word(':PORT')
        if (!p.startsWith(':')) this.fail(this.toks[this.pos - 1], `expected :PORT but found '${p}'`)
        const port = p.slice(1)
        return { stmt: w, port: /^\d+$/.test(port) ? Number(port) : port, ...this.natFlags() }
      }
      case 'tproxy': {
        let family: 'ip' | 'ip6' | undefined
        if (this.is(this.peek(), 'ip') || this.is(this.peek(), 'ip6')) family = this.next().text as 'ip'
        this.expect('to')
        const t = this.peek()
        if (t.kind === 'word' && this.is(this.peek(1), 'map')) this.fail(t, "nftkit does not support 'tproxy to' a map yet")
        const to = this.word('a tproxy target (ADDR, ADDR:PORT, [IPV6]:PORT or :PORT)')
        if (this.is(this.peek(), 'mod') || this.is(this.peek(), 'map')) this.fail(t, "nftkit does not support 'tproxy to' an expression or a map yet")
        return { stmt: 'tproxy', to, ...(family ? { family } : {}) }
      }
      case 'dup':
      case 'fwd':
        return parseDupFwd(this.natMapCursor, w)
      case 'synproxy': {
        if (this.is(this.peek(), 'name')) {
          if (this.atObjectMap()) return this.objectMap('synproxy')
          this.pos++
          return { stmt: 'synproxy', name: this.wordOrString('a synproxy name') }
        }
        const st: { stmt: 'synproxy'; mss?: number; wscale?: number; timestamp?: boolean; sackPerm?: boolean } = { stmt: 'synproxy' }
        for (;;) {
          if (this.accept('mss')) st.mss = this.number('an MSS')
          else if (this.accept('wscale')) st.wscale = this.number('a window scale')
          else if (this.accept('timestamp')) st.timestamp = true
          else if (this.accept('sack-perm')) st.sackPerm = true
          else break
        }
        return st
      }
      case 'reset':
        if (this.is(this.peek(), 'tcp') && this.is(this.peek(1), 'option')) {
          this.pos += 2
          return resetTcpOption(this.next(), (at, msg) => this.fail(at, msg))
        }
        this.pos--
        return this.unsupported()
      default:
        this.pos--
        return this.unsupported()
    }
  }
}

/** How deep anonymous sets may nest (`{ { a, b }, c }`); deeper is refused, not recursed into. */
const MAX_SET_NESTING = 16

/** Meta keys `meta KEY set VALUE` writes, and the selector whose type the value has. */
const META_SET_KEYS: Readonly<Record<MetaSetKey, Selector>> = {
  priority: 'meta priority',
  pkttype: 'meta pkttype',
  nftrace: 'meta priority', // not used: nftrace takes 0 or 1
}

/** A numeric flag value (`ct state 8`) as the flag names nft prints for it; other words as they are. */
function flagNumberNames(s: SelectorSpec, n: string): string[] {
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(n) || !s.flags) return [n]
  const v = Number(n)
  const flags = s.flags
  const names = (s.flagOrder ?? []).filter((f) => (flags[f] & v) !== 0)
  return v !== 0 && names.reduce((a, f) => a | flags[f], 0) === v ? names : [n]
}

function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end of the input'
    case 'eol':
      return 'the end of the line'
    case 'string':
      return `"${t.text.length > 40 ? `${t.text.slice(0, 40)}...` : t.text}"`
    case 'value':
      return 'an interpolated value'
    default:
      return `'${t.text.length > 40 ? `${t.text.slice(0, 40)}...` : t.text}'`
  }
}

/** Parses nft text (a whole file, as `nft -f` reads it). @throws NftSyntaxError */
export function parseNft(text: string, opts: ParseOptions = {}): ParsedFile {
  const toks = preprocess(tokenize(text, opts.file, opts.values), text, opts.file, opts.include)
  return new Parser(toks, text, opts.file).parseFile()
}

/** Parses one rule body (`ip saddr 10.0.0.1 accept comment "x"`). @throws NftSyntaxError */
export function parseRule(text: string, opts: ParseOptions = {}): { exprs: RuleExpr[]; comment?: string } {
  const p = new Parser(preprocess(tokenize(text, opts.file, opts.values), text, opts.file), text, opts.file)
  const body = p.ruleBody()
  const rest = (p as unknown as { peek(): Token }).peek()
  if (rest.kind !== 'eof' && rest.kind !== 'eol') p.fail(rest, `expected the end of the rule but found ${describeToken(rest)}`)
  return body
}

/**
 * A rule from a tagged template: interpolated values are inserted as typed
 * values (a number, a string, an array for an anonymous set, `{ set }`), never
 * re-read as syntax, so they cannot inject anything.
 *
 * @example
 * const r = rule`ip saddr @allow tcp dport ${port} counter accept`
 * tx.add({ kind: 'rule', chain: 'input', ...r })
 */
export function rule(strings: TemplateStringsArray, ...values: unknown[]): { exprs: RuleExpr[]; comment?: string } {
  let text = strings[0]
  values.forEach((_, i) => {
    text += ` $__nftkit_value_${i}__ ${strings[i + 1]}`
  })
  return parseRule(text, { values, file: 'rule`...`' })
}
