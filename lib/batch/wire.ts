/**
 * The batch wire format (see native/core/wire.h): a transaction's native
 * operations written into one byte buffer, which the addon reads with a single
 * N-API call. Reading the same operations as JS objects took one or more N-API
 * calls per field, about 2 µs for a one-element change and several µs per rule.
 *
 * {@link encodeOps} writes into a module-level scratch buffer and returns a view
 * of it: the view is valid until the next call, which is enough because the
 * addon copies what it needs before `commit`/`commitSync` returns.
 * {@link decodeOps} is the inverse, for tests and fake bindings. Both are
 * driven by one field table per record ({@link OP_FIELDS}, {@link ELEM_FIELDS}).
 * @module
 */
import type { NativeElement, NativeExpr, NativeOp, NativeVerb } from '../../types/native.js'

const VERB_CODE: Readonly<Record<NativeVerb, number>> = { add: 0, create: 1, insert: 2, replace: 3, delete: 4, destroy: 5, flush: 6 }
const VERBS: readonly NativeVerb[] = ['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush']
const KIND_CODE: Readonly<Record<string, number>> = {
  table: 0,
  chain: 1,
  rule: 2,
  set: 3,
  map: 3,
  element: 4,
  object: 5,
  counter: 5,
  quota: 5,
  limit: 5,
  synproxy: 5,
  ruleset: 6,
}
const KINDS = ['table', 'chain', 'rule', 'set', 'element', 'object', 'ruleset'] as const

/** Named-object attributes (the native schema's counter/quota/limit fields) a NativeOp may carry. */
const OBJ_ATTR_NAMES = ['packets', 'bytes', 'consumed', 'rate', 'unit', 'burst', 'limitType', 'flags', 'mss', 'wscale', 'helper', 'l3proto', 'l4proto', 'dport', 'expTimeout', 'expSize'] as const

// How a field is written (native/core/wire.h; native/core/wire.cc reads the same).
const STR = 0 // u32 length, UTF-8
const U64 = 1 // 8 bytes: a non-negative safe integer or a bigint
const U32 = 2
const I32 = 3
const BYTES = 4 // u32 length, bytes
const STRS = 5 // u32 n, str*
const U32S = 6 // u32 n, u32*
const EXPRS = 7 // u32 n, (str type, u32 n, (str attr, tagged value)*)*
const ELEMENTS = 8 // u32 n, elem*
const FLAG = 9 // no payload: the bit alone (truthy, or picked by encodeOps' echo)
const OBJ_ATTRS = 10 // u32 n, (str attr, tagged value)*: the OBJ_ATTR_NAMES present (object kinds only)
type Enc = typeof STR | typeof U64 | typeof U32 | typeof I32 | typeof BYTES | typeof STRS | typeof U32S | typeof EXPRS | typeof ELEMENTS | typeof FLAG | typeof OBJ_ATTRS

/** One field of an operation or element: its mask bit, its name in the descriptor and its encoding. */
interface WireField {
  readonly bit: number
  readonly name: string
  readonly enc: Enc
}

/**
 * The fields of an operation, in bit order: the one list the encoder and the
 * decoder both walk (native/core/wire.h documents it, native/core/wire.cc
 * reads it). A new field is one row here plus its read in wire.cc.
 */
export const OP_FIELDS: readonly WireField[] = [
  { bit: 0, name: 'table', enc: STR },
  { bit: 1, name: 'name', enc: STR },
  { bit: 2, name: 'chain', enc: STR },
  { bit: 3, name: 'set', enc: STR },
  { bit: 4, name: 'type', enc: STR },
  { bit: 5, name: 'handle', enc: U64 },
  { bit: 6, name: 'position', enc: U64 },
  { bit: 7, name: 'timeout', enc: U64 },
  { bit: 8, name: 'flags', enc: U32 },
  { bit: 9, name: 'hook', enc: U32 },
  { bit: 10, name: 'priority', enc: I32 },
  { bit: 11, name: 'policy', enc: U32 },
  { bit: 12, name: 'id', enc: U32 },
  { bit: 13, name: 'setId', enc: U32 },
  { bit: 14, name: 'keyType', enc: U32 },
  { bit: 15, name: 'keyLen', enc: U32 },
  { bit: 16, name: 'dataType', enc: U32 },
  { bit: 17, name: 'dataLen', enc: U32 },
  { bit: 18, name: 'objType', enc: U32 },
  { bit: 19, name: 'setPolicy', enc: U32 },
  { bit: 20, name: 'gcInterval', enc: U32 },
  { bit: 21, name: 'size', enc: U32 },
  { bit: 22, name: 'userdata', enc: BYTES },
  { bit: 23, name: 'devices', enc: STRS },
  { bit: 24, name: 'concat', enc: U32S },
  { bit: 25, name: 'exprs', enc: EXPRS },
  { bit: 26, name: 'elements', enc: ELEMENTS },
  { bit: 27, name: 'packedKeys', enc: BYTES },
  { bit: 28, name: 'packedFlags', enc: BYTES },
  { bit: 29, name: 'echo', enc: FLAG },
  { bit: 30, name: 'objAttrs', enc: OBJ_ATTRS },
  { bit: 31, name: 'chainId', enc: U32 },
]

/** The fields of a set element, in bit order (the `elem` of native/core/wire.h). */
export const ELEM_FIELDS: readonly WireField[] = [
  { bit: 0, name: 'key', enc: BYTES },
  { bit: 1, name: 'keyEnd', enc: BYTES },
  { bit: 2, name: 'flags', enc: U32 },
  { bit: 3, name: 'timeout', enc: U64 },
  { bit: 4, name: 'data', enc: BYTES },
  { bit: 5, name: 'verdict', enc: I32 },
  { bit: 6, name: 'chain', enc: STR },
  { bit: 7, name: 'objref', enc: STR },
  { bit: 8, name: 'userdata', enc: BYTES },
  { bit: 9, name: 'exprs', enc: EXPRS },
]

const TAG_U64 = 0
const TAG_I64 = 1
const TAG_BYTES = 2
const TAG_STR = 3
/** Nested expressions (a dynset's statements). */
const TAG_EXPRS = 4
const TWO32 = 2 ** 32

let buf = new Uint8Array(4096)
let view = new DataView(buf.buffer)
let pos = 0
/** Operation being written, for error messages. */
let opIndex = 0

/**
 * Where the value being written sits, kept in parts and joined only for an
 * error message (building path strings per attribute cost more than writing).
 */
let listName = ''
let listIndex = 0
/** Path of the enclosing list item when lists nest (element expressions), else ''. */
let outer = ''

function bad(field: string, why: string, value: unknown): never {
  const at = listName ? `${outer}${listName}[${listIndex}]${field ? `.${field}` : ''}` : field
  const shown = typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value) : String(value)
  throw new TypeError(`invalid native descriptor at ops[${opIndex}].${at}: ${why} (got ${shown})`)
}

/** Enters list `name` (restore with the returned state); nested lists keep the outer path. */
function enter(name: string): [string, number, string] {
  const saved: [string, number, string] = [listName, listIndex, outer]
  if (listName) outer = `${outer}${listName}[${listIndex}].`
  listName = name
  listIndex = 0
  return saved
}

function leave(saved: [string, number, string]): void {
  ;[listName, listIndex, outer] = saved
}

function room(n: number): void {
  if (pos + n <= buf.length) return
  let size = buf.length * 2
  while (size < pos + n) size *= 2
  const next = new Uint8Array(size)
  next.set(buf.subarray(0, pos))
  buf = next
  view = new DataView(next.buffer)
}

function putU8(v: number): void {
  room(1)
  buf[pos++] = v
}

function putU32(v: number): void {
  room(4)
  view.setUint32(pos, v, true)
  pos += 4
}

function u32(v: unknown, field: string): void {
  if (typeof v !== 'number' || !(v >= 0 && v <= 0xffffffff) || v % 1 !== 0) bad(field, 'expected an integer 0..2^32-1', v)
  putU32(v)
}

function i32(v: unknown, field: string): void {
  if (typeof v !== 'number' || !(v >= -0x80000000 && v <= 0x7fffffff) || v % 1 !== 0) bad(field, 'expected a 32-bit signed integer', v)
  putU32(v >>> 0)
}

/** A 64-bit integer: a non-negative safe integer or a bigint (`signed` also allows negatives). */
function int64(v: unknown, field: string, signed: boolean): void {
  room(8)
  if (typeof v === 'number' && v >>> 0 === v) {
    // The common case: a small non-negative integer.
    view.setUint32(pos, v, true)
    view.setUint32(pos + 4, 0, true)
  } else if (typeof v === 'number') {
    if (v % 1 !== 0 || !(Math.abs(v) <= Number.MAX_SAFE_INTEGER) || (v < 0 && !signed))
      bad(field, signed ? 'expected a safe integer' : 'expected a non-negative safe integer', v)
    if (v >= 0) {
      view.setUint32(pos, v % TWO32, true)
      view.setUint32(pos + 4, Math.floor(v / TWO32), true)
    } else view.setBigInt64(pos, BigInt(v), true)
  } else if (typeof v === 'bigint') {
    if (v > 0xffffffffffffffffn || v < (signed ? -0x8000000000000000n : 0n)) bad(field, 'expected a bigint in the 64-bit range', v)
    if (v < 0n) view.setBigInt64(pos, v, true)
    else view.setBigUint64(pos, v, true)
  } else bad(field, 'expected a number or bigint', v)
  pos += 8
}

function str(v: unknown, field: string): void {
  if (typeof v !== 'string') bad(field, 'expected a string', v)
  const n = v.length
  room(4 + 3 * n)
  let p = pos + 4
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i)
    if (c >= 128) {
      // Not ASCII: let Buffer encode it (UTF-8 takes at most 3 bytes per UTF-16 unit).
      p = pos + 4 + Buffer.from(buf.buffer, buf.byteOffset, buf.length).write(v, pos + 4, 'utf8')
      break
    }
    buf[p++] = c
  }
  view.setUint32(pos, p - pos - 4, true)
  pos = p
}

function bytes(v: unknown, field: string): void {
  if (!(v instanceof Uint8Array)) bad(field, 'expected a Buffer or Uint8Array', v)
  const n = v.length
  room(4 + n)
  view.setUint32(pos, n, true)
  pos += 4
  if (n <= 16) for (let i = 0; i < n; i++) buf[pos + i] = v[i]
  else buf.set(v, pos)
  pos += n
}

/** A tagged value of an expression or object attribute. */
function value(v: unknown, field: string): void {
  if (typeof v === 'string') {
    putU8(TAG_STR)
    str(v, field)
  } else if (v instanceof Uint8Array) {
    putU8(TAG_BYTES)
    bytes(v, field)
  } else if (Array.isArray(v)) {
    putU8(TAG_EXPRS)
    const at = listIndex
    exprs(v, field)
    listIndex = at
  } else if ((typeof v === 'number' && v < 0) || (typeof v === 'bigint' && v < 0n)) {
    putU8(TAG_I64)
    int64(v, field, true)
  } else {
    putU8(TAG_U64)
    int64(v, field, false)
  }
}

function exprs(list: unknown, field: string): void {
  if (!Array.isArray(list)) bad(field, 'expected an array of expressions', list)
  putU32(list.length)
  const saved = enter(field)
  for (let i = 0; i < list.length; i++) {
    listIndex = i
    const e = list[i] as NativeExpr
    if (typeof e !== 'object' || e === null) bad('', 'expected an expression object', e)
    str(e.type, 'type')
    room(4)
    const countAt = pos
    pos += 4
    let count = 0
    for (const k in e) {
      const v = e[k]
      if (k === 'type' || v === undefined || v === null) continue
      str(k, k)
      value(v, k)
      count++
    }
    view.setUint32(countAt, count, true)
  }
  leave(saved)
}

function strs(v: unknown, name: string): void {
  if (!Array.isArray(v)) bad(name, 'expected an array of strings', v)
  putU32(v.length)
  const saved = enter(name)
  for (let i = 0; i < v.length; i++) {
    listIndex = i
    str(v[i], '')
  }
  leave(saved)
}

function u32s(v: unknown, name: string): void {
  if (!Array.isArray(v)) bad(name, 'expected an array of field lengths', v)
  putU32(v.length)
  const saved = enter(name)
  for (let i = 0; i < v.length; i++) {
    listIndex = i
    u32(v[i], '')
  }
  leave(saved)
}

function elements(v: unknown, name: string): void {
  if (!Array.isArray(v)) bad(name, 'expected an array', v)
  putU32(v.length)
  const saved = enter(name)
  for (let i = 0; i < v.length; i++) {
    listIndex = i
    element(v[i])
  }
  leave(saved)
}

/** The named-object attributes of `o` (OBJ_ATTR_NAMES); false, writing nothing, when there are none. */
function objAttrs(o: Record<string, unknown>): boolean {
  let n = 0
  for (const k of OBJ_ATTR_NAMES) if (o[k] != null) n++
  if (n === 0) return false
  putU32(n)
  for (const k of OBJ_ATTR_NAMES) {
    if (o[k] == null) continue
    str(k, k)
    value(o[k], k)
  }
  return true
}

/** The writer of each encoding, indexed by its code (FLAG has none). */
const WRITERS = [str, (v: unknown, name: string) => int64(v, name, false), u32, i32, bytes, strs, u32s, exprs, elements, null, objAttrs]

/** Writes the fields of a descriptor present in it; returns their mask. */
type FieldsWriter = (o: object, echo: ((o: NativeOp) => boolean) | undefined, isObject: boolean) => number

/**
 * Compiles a field table into its writer: one `if (o.name != null)` per row,
 * in bit order, calling the row's encoding. Generated rather than a loop over
 * the table because the encoder is on the hot path: a loop reads each field
 * by a computed key (megamorphic), which tripled the cost of encoding a
 * one-element change (156 -> 498 ns; bench numbers in the commit message).
 * The generated code reads each field by its name, as hand-written code
 * would, so adding a field is still one row of the table.
 */
function compileWriter(table: readonly WireField[]): FieldsWriter {
  const lines = ['let mask = 0', 'let v']
  for (const f of table) {
    if (!/^[A-Za-z]\w*$/.test(f.name) || f.bit !== table.indexOf(f)) throw new Error(`bad wire field row ${JSON.stringify(f)}`)
    const bit = 1 << f.bit
    if (f.enc === FLAG) lines.push(`if (o.${f.name} || (echo !== undefined && echo(o))) mask |= ${bit}`)
    else if (f.enc === OBJ_ATTRS) lines.push(`if (isObject && w${OBJ_ATTRS}(o)) mask |= ${bit}`)
    else lines.push(`v = o.${f.name}`, `if (v != null) {`, `  mask |= ${bit}`, `  w${f.enc}(v, '${f.name}')`, `}`)
  }
  lines.push('return mask >>> 0')
  const params = WRITERS.map((_, i) => `w${i}`)
  const make = new Function(...params, `return function writeFields(o, echo, isObject) {\n  ${lines.join('\n  ')}\n}`)
  return make(...WRITERS) as FieldsWriter
}

const writeOpFields = compileWriter(OP_FIELDS)
const writeElemFields = compileWriter(ELEM_FIELDS)

function element(e: NativeElement): void {
  if (typeof e !== 'object' || e === null) bad('', 'expected an element object', e)
  room(4)
  const maskAt = pos
  pos += 4
  const mask = writeElemFields(e, undefined, false) // may grow buf: read `view` after it
  view.setUint32(maskAt, mask, true)
}

function op(o: NativeOp, echo: ((o: NativeOp) => boolean) | undefined): void {
  if (typeof o !== 'object' || o === null) bad('', 'expected an operation object', o)
  const verb = Object.hasOwn(VERB_CODE, o.verb) ? VERB_CODE[o.verb] : bad('verb', 'expected a verb', o.verb)
  const kind = Object.hasOwn(KIND_CODE, o.kind) ? KIND_CODE[o.kind] : bad('kind', 'expected a kind', o.kind)
  if (typeof o.family !== 'number' || !(o.family >= 0 && o.family <= 255) || o.family % 1 !== 0) bad('family', 'expected an NFPROTO number', o.family)
  room(8)
  buf[pos] = verb
  buf[pos + 1] = kind
  buf[pos + 2] = o.family
  buf[pos + 3] = 0
  const maskAt = pos + 4
  pos += 8
  const mask = writeOpFields(o, echo, kind === KIND_CODE.object) // may grow buf: read `view` after it
  view.setUint32(maskAt, mask, true)
}

/**
 * Encodes operations into the wire format. `echo` picks operations that ask
 * the kernel to echo the created object (as if they had `echo: true`), so the
 * caller need not copy them to set the flag.
 * @returns A view of a shared scratch buffer, valid until the next call.
 * @throws TypeError naming `ops[i].field` when a descriptor is malformed.
 */
export function encodeOps(ops: readonly NativeOp[], echo?: (o: NativeOp) => boolean): Uint8Array {
  pos = 0
  room(8)
  buf[0] = 0x4e // 'N'
  buf[1] = 1
  buf[2] = 0
  buf[3] = 0
  view.setUint32(4, ops.length, true)
  pos = 8
  listName = ''
  outer = ''
  for (opIndex = 0; opIndex < ops.length; opIndex++) op(ops[opIndex], echo)
  const out = buf.subarray(0, pos)
  // Do not keep a huge scratch buffer alive after a one-off large batch.
  if (buf.length > 16 << 20) {
    buf = new Uint8Array(4096)
    view = new DataView(buf.buffer)
  }
  return out
}

/** Reads {@link encodeOps}' output back into descriptors (kinds canonical: `set`, `object`). */
export function decodeOps(data: Uint8Array): NativeOp[] {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength)
  let p = 0
  const u8 = () => data[p++]
  const u32 = () => {
    const v = dv.getUint32(p, true)
    p += 4
    return v
  }
  const u64 = (): number | bigint => {
    const v = dv.getBigUint64(p, true)
    p += 8
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
  }
  const i64 = (): number | bigint => {
    const v = dv.getBigInt64(p, true)
    p += 8
    return v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v
  }
  const raw = (): Uint8Array => {
    const n = u32()
    const b = Buffer.from(data.subarray(p, p + n))
    p += n
    return b
  }
  const text = () => raw().toString()
  const tagged = () => {
    const tag = u8()
    return tag === TAG_U64 ? u64() : tag === TAG_I64 ? i64() : tag === TAG_BYTES ? raw() : tag === TAG_EXPRS ? exprList() : text()
  }
  const exprList = (): NativeExpr[] =>
    Array.from({ length: u32() }, () => {
      const e: Record<string, unknown> = { type: text() }
      for (let n = u32(); n > 0; n--) e[text()] = tagged()
      return e as unknown as NativeExpr
    })
  const read = (enc: Enc): unknown => {
    switch (enc) {
      case STR:
        return text()
      case U64:
        return u64()
      case U32:
        return u32()
      case I32:
        return u32() | 0
      case BYTES:
        return raw()
      case STRS:
        return Array.from({ length: u32() }, text)
      case U32S:
        return Array.from({ length: u32() }, u32)
      case EXPRS:
        return exprList()
      case ELEMENTS:
        return Array.from({ length: u32() }, elem)
      case FLAG:
        return true
    }
  }
  const fields = (table: readonly WireField[], into: Record<string, unknown>) => {
    const mask = u32()
    for (const f of table) {
      if (!((mask >>> f.bit) & 1)) continue
      if (f.enc === OBJ_ATTRS) for (let n = u32(); n > 0; n--) into[text()] = tagged()
      else into[f.name] = read(f.enc)
    }
  }
  const elem = (): NativeElement => {
    const e: Record<string, unknown> = {}
    fields(ELEM_FIELDS, e)
    return e as NativeElement
  }
  if (u8() !== 0x4e || u8() !== 1) throw new TypeError('not a version 1 nftkit batch')
  p = 4
  return Array.from({ length: u32() }, () => {
    const o: Record<string, unknown> = { verb: VERBS[u8()], kind: KINDS[u8()], family: u8() }
    p++
    fields(OP_FIELDS, o)
    return o as unknown as NativeOp
  })
}

/** An empty key or flag list: the template's placeholder. */
const NO_BYTES = new Uint8Array(0)

/**
 * The wire form of a one-operation batch that changes elements of one set,
 * given as packed keys: every byte but the verb, the keys and their flags is
 * written once, when the template is made (by {@link encodeOps}, so it is the
 * same encoding), and each change only fills those in. This is what
 * `Client.elementWriter` sends for a pod IP coming or going: no operation
 * object, no field table walk.
 */
export class PackedElementsWire {
  readonly #buf: Uint8Array
  readonly #view: DataView
  /** Where the keys' length field starts: the template ends with the two (empty) packed lists. */
  readonly #at: number
  readonly #keyLen: number

  /**
   * @param op The element operation without keys: `kind: 'element'`, its
   *   family, table, set and `keyLen`; `packedKeys` and `packedFlags` are the
   *   template's (any given are ignored).
   * @param maxKeys Most keys one change carries.
   */
  constructor(op: NativeOp, maxKeys: number) {
    if (op.kind !== 'element' || !op.keyLen) throw new TypeError('PackedElementsWire: expected an element operation with keyLen')
    const t = encodeOps([{ ...op, packedKeys: NO_BYTES, packedFlags: NO_BYTES }])
    // The two packed lists are the last fields with a payload (bits 27 and 28;
    // 29, echo, has none): the template ends with their two zero lengths.
    this.#at = t.length - 8
    this.#keyLen = op.keyLen
    // Larger than 64 bytes: a typed array that small would live on V8's heap,
    // and the addon would have to move it off the heap on every call.
    this.#buf = new Uint8Array(Math.max(256, this.#at + 8 + maxKeys * (op.keyLen + 1)))
    this.#buf.set(t.subarray(0, this.#at))
    this.#view = new DataView(this.#buf.buffer)
  }

  /**
   * The batch with `verb` and the first `n` keys of `keys` (n * keyLen bytes)
   * and of `flags` (one byte each). A view of this template's buffer, valid
   * until its next call.
   */
  write(verb: 'add' | 'create' | 'delete' | 'destroy', keys: Uint8Array, flags: Uint8Array, n: number): Uint8Array {
    const b = this.#buf
    const kb = n * this.#keyLen
    let p = this.#at
    if (p + 8 + kb + n > b.length) throw new RangeError(`PackedElementsWire: ${n} keys do not fit the template`)
    b[8] = VERB_CODE[verb]
    this.#view.setUint32(p, kb, true)
    p += 4
    for (let i = 0; i < kb; i++) b[p + i] = keys[i]
    p += kb
    this.#view.setUint32(p, n, true)
    p += 4
    for (let i = 0; i < n; i++) b[p + i] = flags[i]
    return b.subarray(0, p + n)
  }
}
