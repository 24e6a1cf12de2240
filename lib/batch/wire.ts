/**
 * The batch wire format (see native/core/wire.h): a transaction's native
 * operations written into one byte buffer, which the addon reads with a single
 * N-API call. Reading the same operations as JS objects took one or more N-API
 * calls per field, about 2 µs for a one-element change and several µs per rule.
 *
 * {@link encodeOps} writes into a module-level scratch buffer and returns a view
 * of it: the view is valid until the next call, which is enough because the
 * addon copies what it needs before `commit`/`commitSync` returns.
 * {@link decodeOps} is the inverse, for tests and fake bindings.
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
  ruleset: 6,
}
const KINDS = ['table', 'chain', 'rule', 'set', 'element', 'object', 'ruleset'] as const

/** Named-object attributes (the native schema's counter/quota/limit fields) a NativeOp may carry. */
const OBJ_ATTRS = ['packets', 'bytes', 'consumed', 'rate', 'unit', 'burst', 'limitType'] as const

/** Field order of an operation: the bit of field i is 1 << i (native/core/wire.h). */
const OP_FIELDS = [
  'table', 'name', 'chain', 'set', 'type', 'handle', 'position', 'timeout', 'flags', 'hook', 'priority', 'policy', 'id',
  'setId', 'keyType', 'keyLen', 'dataType', 'dataLen', 'objType', 'setPolicy', 'gcInterval', 'size', 'userdata',
  'devices', 'concat', 'exprs', 'elements', 'packedKeys', 'packedFlags', 'echo', 'objAttrs',
] as const
const U32_FIELDS = new Set(['flags', 'hook', 'policy', 'id', 'setId', 'keyType', 'keyLen', 'dataType', 'dataLen', 'objType', 'setPolicy', 'gcInterval', 'size'])
const ELEM_FIELDS = ['key', 'keyEnd', 'flags', 'timeout', 'data', 'verdict', 'chain', 'objref', 'userdata', 'exprs'] as const

const TAG_U64 = 0
const TAG_I64 = 1
const TAG_BYTES = 2
const TAG_STR = 3
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

function element(e: NativeElement): void {
  if (typeof e !== 'object' || e === null) bad('', 'expected an element object', e)
  room(4)
  const maskAt = pos
  pos += 4
  let mask = 0
  if (e.key != null) {
    mask |= 1
    bytes(e.key, 'key')
  }
  if (e.keyEnd != null) {
    mask |= 2
    bytes(e.keyEnd, 'keyEnd')
  }
  if (e.flags != null) {
    mask |= 4
    u32(e.flags, 'flags')
  }
  if (e.timeout != null) {
    mask |= 8
    int64(e.timeout, 'timeout', false)
  }
  if (e.data != null) {
    mask |= 16
    bytes(e.data, 'data')
  }
  if (e.verdict != null) {
    mask |= 32
    i32(e.verdict, 'verdict')
    if (e.chain != null) {
    mask |= 64
    str(e.chain, 'chain')
  }
  }
  if (e.objref != null) {
    mask |= 128
    str(e.objref, 'objref')
  }
  if (e.userdata != null) {
    mask |= 256
    bytes(e.userdata, 'userdata')
  }
  if (e.exprs != null) {
    mask |= 512
    exprs(e.exprs, 'exprs')
  }
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
  let mask = 0
  // Bits in the order of OP_FIELDS; explicit code keeps every property read a named one.
  if (o.table != null) {
    mask |= 1 << 0
    str(o.table, 'table')
  }
  if (o.name != null) {
    mask |= 1 << 1
    str(o.name, 'name')
  }
  if (o.chain != null) {
    mask |= 1 << 2
    str(o.chain, 'chain')
  }
  if (o.set != null) {
    mask |= 1 << 3
    str(o.set, 'set')
  }
  if (o.type != null) {
    mask |= 1 << 4
    str(o.type, 'type')
  }
  if (o.handle != null) {
    mask |= 1 << 5
    int64(o.handle, 'handle', false)
  }
  if (o.position != null) {
    mask |= 1 << 6
    int64(o.position, 'position', false)
  }
  if (o.timeout != null) {
    mask |= 1 << 7
    int64(o.timeout, 'timeout', false)
  }
  if (o.flags != null) {
    mask |= 1 << 8
    u32(o.flags, 'flags')
  }
  if (o.hook != null) {
    mask |= 1 << 9
    u32(o.hook, 'hook')
  }
  if (o.priority != null) {
    mask |= 1 << 10
    i32(o.priority, 'priority')
  }
  if (o.policy != null) {
    mask |= 1 << 11
    u32(o.policy, 'policy')
  }
  if (o.id != null) {
    mask |= 1 << 12
    u32(o.id, 'id')
  }
  if (o.setId != null) {
    mask |= 1 << 13
    u32(o.setId, 'setId')
  }
  if (o.keyType != null) {
    mask |= 1 << 14
    u32(o.keyType, 'keyType')
  }
  if (o.keyLen != null) {
    mask |= 1 << 15
    u32(o.keyLen, 'keyLen')
  }
  if (o.dataType != null) {
    mask |= 1 << 16
    u32(o.dataType, 'dataType')
  }
  if (o.dataLen != null) {
    mask |= 1 << 17
    u32(o.dataLen, 'dataLen')
  }
  if (o.objType != null) {
    mask |= 1 << 18
    u32(o.objType, 'objType')
  }
  if (o.setPolicy != null) {
    mask |= 1 << 19
    u32(o.setPolicy, 'setPolicy')
  }
  if (o.gcInterval != null) {
    mask |= 1 << 20
    u32(o.gcInterval, 'gcInterval')
  }
  if (o.size != null) {
    mask |= 1 << 21
    u32(o.size, 'size')
  }
  if (o.userdata != null) {
    mask |= 1 << 22
    bytes(o.userdata, 'userdata')
  }
  if (o.devices != null) {
    mask |= 1 << 23
    if (!Array.isArray(o.devices)) bad('devices', 'expected an array of strings', o.devices)
    putU32(o.devices.length)
    const saved = enter('devices')
    for (let i = 0; i < o.devices.length; i++) {
      listIndex = i
      str(o.devices[i], '')
    }
    leave(saved)
  }
  if (o.concat != null) {
    mask |= 1 << 24
    if (!Array.isArray(o.concat)) bad('concat', 'expected an array of field lengths', o.concat)
    putU32(o.concat.length)
    const saved = enter('concat')
    for (let i = 0; i < o.concat.length; i++) {
      listIndex = i
      u32(o.concat[i], '')
    }
    leave(saved)
  }
  if (o.exprs != null) {
    mask |= 1 << 25
    exprs(o.exprs, 'exprs')
  }
  if (o.elements != null) {
    mask |= 1 << 26
    const els = o.elements
    if (!Array.isArray(els)) bad('elements', 'expected an array', els)
    putU32(els.length)
    const saved = enter('elements')
    for (let i = 0; i < els.length; i++) {
      listIndex = i
      element(els[i])
    }
    leave(saved)
  }
  if (o.packedKeys != null) {
    mask |= 1 << 27
    bytes(o.packedKeys, 'packedKeys')
  }
  if (o.packedFlags != null) {
    mask |= 1 << 28
    bytes(o.packedFlags, 'packedFlags')
  }
  if (o.echo || echo?.(o)) mask |= 1 << 29
  if (kind === KIND_CODE.object) {
    const rec = o as unknown as Record<string, unknown>
    let n = 0
    for (const k of OBJ_ATTRS) if (rec[k] != null) n++
    if (n > 0) {
      mask |= 1 << 30
      putU32(n)
      for (const k of OBJ_ATTRS) {
        if (rec[k] == null) continue
        str(k, k)
        value(rec[k], k)
      }
    }
  }
  view.setUint32(maskAt, mask >>> 0, true)
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
    return tag === TAG_U64 ? u64() : tag === TAG_I64 ? i64() : tag === TAG_BYTES ? raw() : text()
  }
  const exprList = (): NativeExpr[] =>
    Array.from({ length: u32() }, () => {
      const e: Record<string, unknown> = { type: text() }
      for (let n = u32(); n > 0; n--) e[text()] = tagged()
      return e as unknown as NativeExpr
    })
  const elem = (): NativeElement => {
    const mask = u32()
    const e: Record<string, unknown> = {}
    ELEM_FIELDS.forEach((f, bit) => {
      if (!((mask >>> bit) & 1)) return
      if (f === 'flags') e[f] = u32()
      else if (f === 'timeout') e[f] = u64()
      else if (f === 'verdict') e[f] = u32() | 0
      else if (f === 'chain' || f === 'objref') e[f] = text()
      else if (f === 'exprs') e[f] = exprList()
      else e[f] = raw()
    })
    return e as NativeElement
  }
  if (u8() !== 0x4e || u8() !== 1) throw new TypeError('not a version 1 nftkit batch')
  p = 4
  return Array.from({ length: u32() }, () => {
    const o: Record<string, unknown> = { verb: VERBS[u8()], kind: KINDS[u8()], family: u8() }
    p++
    const mask = u32()
    OP_FIELDS.forEach((f, bit) => {
      if (!((mask >>> bit) & 1)) return
      if (f === 'handle' || f === 'position' || f === 'timeout') o[f] = u64()
      else if (f === 'priority') o[f] = u32() | 0
      else if (U32_FIELDS.has(f)) o[f] = u32()
      else if (f === 'userdata' || f === 'packedKeys' || f === 'packedFlags') o[f] = raw()
      else if (f === 'devices') o[f] = Array.from({ length: u32() }, text)
      else if (f === 'concat') o[f] = Array.from({ length: u32() }, u32)
      else if (f === 'exprs') o[f] = exprList()
      else if (f === 'elements') o[f] = Array.from({ length: u32() }, elem)
      else if (f === 'echo') o[f] = true
      else if (f === 'objAttrs') for (let n = u32(); n > 0; n--) o[text()] = tagged()
      else o[f] = text()
    })
    return o as unknown as NativeOp
  })
}
