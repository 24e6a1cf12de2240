/**
 * Set and map elements: parsing, interval normalisation and encoding into kernel
 * elements (interval sets get start/end bounds as nft sends them).
 * @module
 */
import { ELEM_FLAG_INTERVAL_END, VERDICT_CODE } from '../kernel/constants.js'
import { type Datatype, type Interval, networkOrderView, paddedSize } from '../kernel/datatypes.js'
import { invalid } from '../kernel/errors.js'
import type { NativeElement, NativePackedElements } from '../../types/native.js'
import { cstr, encodeTlvs } from '../kernel/udata.js'
import { type Element, type ElementFields, type ElementKey, type ElementSpec, isSpec, type SetShape } from '../model/element-types.js'
import { fastIPv4, fewIPv4 } from './elements-fast.js'


interface Parsed {
  readonly fields: Interval[]
  readonly spec?: ElementSpec
  readonly data?: NativeElement
  readonly path: string
  /** The element's compiled statements (`counter` or `stmts`). */
  readonly exprs?: NativeElement['exprs']
}

/**
 * Compiles an element's own stateful statements (`stmts`) into kernel
 * expressions; `path` is the element's (errors name `path.stmts[i]`). They are
 * rule-expression work, a layer above this one, so the caller passes it in
 * (`compileElementStmts` of `expr/set-stateful.ts`).
 */
export type ElementStmtCompiler = (stmts: NonNullable<ElementSpec['stmts']>, path: string) => NonNullable<NativeElement['exprs']>

/** Options of the element encoders. */
export interface EncodeOptions {
  /** Add the initial end bound nft sends when it creates an interval set with its elements. */
  readonly leadingZero?: boolean
  /** Keys only (values and options are ignored, as nft ignores them in deletes). */
  readonly forDelete?: boolean
  /** Merge adjacent intervals too, as nft does in anonymous sets. */
  readonly mergeAdjacent?: boolean
  /** The compiler of elements' `stmts`; without it an element with `stmts` is refused. */
  readonly stmts?: ElementStmtCompiler
}

const MAX_BITS = (t: Datatype) => (1n << BigInt(t.size * 8)) - 1n
/** NFT_SET_ELEM_CATCHALL: the element every key matches when no other does (nft's `*`). */
const ELEM_FLAG_CATCHALL = 2
/** The catch-all element's key, as nft writes it. */
export const CATCHALL = '*'
const isCatchall = (e: Element): boolean => (isSpec(e) ? e.key : e) === CATCHALL

/** Parses a verdict (`'accept'`, `{ jump: 'x' }`) into kernel fields. */
export function verdictFields(v: unknown, path: string): { verdict: number; chain?: string } {
  if (v === 'accept' || v === 'drop' || v === 'continue' || v === 'return') return { verdict: VERDICT_CODE[v] }
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>
    if (typeof o.jump === 'string') return { verdict: VERDICT_CODE.jump, chain: o.jump }
    if (typeof o.goto === 'string') return { verdict: VERDICT_CODE.goto, chain: o.goto }
  }
  return invalid(path, "Expected a verdict: 'accept', 'drop', 'continue', 'return', { jump: CHAIN } or { goto: CHAIN }", v)
}

function parseOne(shape: SetShape, e: Element, path: string, keyOnly = false, compile?: ElementStmtCompiler): Parsed {
  const spec = isSpec(e) ? e : undefined
  const key = spec ? spec.key : (e as ElementKey)
  const kpath = spec ? `${path}.key` : path
  let fields: Interval[]
  if (key === CATCHALL) fields = []
  else if (shape.key.length > 1) {
    if (!Array.isArray(key) || key.length !== shape.key.length)
      invalid(kpath, `Expected an array of ${shape.key.length} values (${shape.key.map((t) => t.name).join(' . ')})`, key)
    fields = shape.key.map((t, i) => t.parse((key as ReadonlyArray<unknown>)[i], `${kpath}[${i}]`))
  } else {
    if (Array.isArray(key)) invalid(kpath, `Expected one ${shape.key[0].name} value (the set is not a concatenation)`, key)
    fields = [shape.key[0].parse(key, kpath)]
  }
  if (!shape.interval) {
    fields.forEach((f, i) => {
      if (f.lo !== f.hi)
        invalid(shape.key.length > 1 ? `${kpath}[${i}]` : kpath, `Expected a single value: set ${shape.name} has no interval flag, so ranges and prefixes are not allowed`, Array.isArray(key) ? key[i] : key)
    })
  }
  let data: NativeElement | undefined
  if (keyOnly) {
    // Deletes name elements by key; a map value given anyway is ignored, as nft does.
  } else if (shape.data) {
    if (!spec || spec.value === undefined) invalid(`${path}.value`, `Expected a value: ${shape.name} is a map`, spec?.value)
    if (shape.data === 'verdict') data = verdictFields(spec.value, `${path}.value`)
    else {
      const iv = shape.data.parse(spec.value, `${path}.value`)
      if (iv.lo !== iv.hi) invalid(`${path}.value`, 'Expected a single map value', spec.value)
      data = { data: shape.data.encode(iv.lo) }
    }
  } else if (shape.object) {
    if (typeof spec?.value !== 'string' || spec.value.length === 0) invalid(`${path}.value`, `Expected the name of a ${shape.object}: ${shape.name} is a ${shape.object} map`, spec?.value)
    data = { objref: spec.value }
  } else if (spec?.value !== undefined) {
    invalid(`${path}.value`, `Expected no value: ${shape.name} is a set, not a map`, spec.value)
  }
  if (spec) {
    if (spec.timeout !== undefined) {
      if (!Number.isInteger(spec.timeout) || spec.timeout <= 0)
        invalid(`${path}.timeout`, 'Expected a timeout in milliseconds (a positive integer)', spec.timeout)
      if (!shape.timeout) invalid(`${path}.timeout`, `Expected no timeout: set ${shape.name} has no timeout flag`, spec.timeout)
    }
    if (spec.comment !== undefined && (typeof spec.comment !== 'string' || Buffer.byteLength(spec.comment) > 127))
      invalid(`${path}.comment`, 'Expected a comment of at most 127 bytes', spec.comment)
    if (spec.stmts !== undefined && !keyOnly) {
      if (spec.counter) invalid(`${path}.counter`, 'Expected counter or stmts, not both (a counter in stmts is the same as counter: true)', spec.counter)
      if (!compile) invalid(`${path}.stmts`, 'Expected no stmts here (this encoder has no statement compiler)', spec.stmts)
      return { fields, spec, data, path, exprs: compile(spec.stmts, path) }
    }
  }
  return { fields, spec, data, path }
}

function concatKey(shape: SetShape, values: readonly bigint[]): Buffer {
  if (shape.key.length === 1) return shape.key[0].encode(values[0])
  const parts = shape.key.map((t, i) => {
    // Concatenated interval sets hold host-order fields big-endian, as nft stores them.
    const b = (shape.interval ? intervalView(t) : t).encode(values[i])
    const pad = paddedSize(t.size) - b.length
    return pad ? Buffer.concat([b, Buffer.alloc(pad)]) : b
  })
  return Buffer.concat(parts)
}

function options(p: Parsed): Partial<NativeElement> {
  const s = p.spec
  const o: { timeout?: number; userdata?: Buffer; exprs?: NativeElement['exprs'] } = {}
  if (s?.timeout !== undefined) o.timeout = s.timeout
  if (s?.comment !== undefined) o.userdata = encodeTlvs([[0, cstr(s.comment)]])
  if (p.exprs) o.exprs = p.exprs
  else if (s?.counter) o.exprs = [typeof s.counter === 'object' ? { type: 'counter', packets: s.counter.packets, bytes: s.counter.bytes } : { type: 'counter' }]
  return o
}

function hasOptions(p: Parsed): boolean {
  return !!p.spec && (p.spec.timeout !== undefined || p.spec.comment !== undefined || !!p.spec.counter || p.exprs !== undefined)
}

/**
 * Encodes elements for the kernel. For interval sets, merges overlapping plain
 * ranges (so any mix of addresses, CIDRs and ranges works; adjacent ones too
 * with `mergeAdjacent`, as nft does for anonymous sets) and emits start/end
 * bounds; `leadingZero` adds the initial end bound nft sends when it creates a
 * set with its elements.
 * @throws NftValidationError naming the element on bad input or on overlaps that
 * cannot be merged (elements with values or options).
 */
export function encodeElements(
  shape: SetShape,
  elements: readonly Element[],
  path: string,
  opts: EncodeOptions = {},
): NativeElement[] {
  if (elements.some(isCatchall)) {
    // The catch-all element has no key: nft sends it after the others.
    const rest = elements.filter((e) => !isCatchall(e))
    const out = rest.length ? encodeElements(shape, rest, path, opts) : []
    elements.forEach((e, i) => {
      if (!isCatchall(e)) return
      const p = parseOne(shape, e, `${path}[${i}]`, opts.forDelete, opts.stmts)
      out.push({ flags: ELEM_FLAG_CATCHALL, ...p.data, ...options(p) })
    })
    return out
  }
  const parsed = elements.map((e, i) => parseOne(shape, e, `${path}[${i}]`, opts.forDelete, opts.stmts))
  if (!shape.interval || shape.key.length > 1) {
    const seen = new Set<string>()
    const out: NativeElement[] = []
    for (const p of parsed) {
      const key = concatKey(shape, p.fields.map((f) => f.lo))
      const id = key.toString('hex')
      if (seen.has(id)) {
        if ((shape.data || shape.object) && !opts.forDelete) invalid(p.path, 'Expected each map key once', elements[parsed.indexOf(p)])
        continue
      }
      seen.add(id)
      const el: NativeElement = shape.interval
        ? { key, keyEnd: concatKey(shape, p.fields.map((f) => f.hi)), ...p.data, ...options(p) }
        : { key, ...p.data, ...options(p) }
      out.push(el)
    }
    return out
  }
  // One-dimensional interval set. Host-order keys (marks) are stored big-endian
  // in interval sets, as nft stores them, so the kernel's ordering is numeric.
  const t = intervalView(shape.key[0])
  const max = MAX_BITS(t)
  const sorted = [...parsed].sort((a, b) => (a.fields[0].lo < b.fields[0].lo ? -1 : a.fields[0].lo > b.fields[0].lo ? 1 : 0))
  const merged: { lo: bigint; hi: bigint; p: Parsed }[] = []
  for (const p of sorted) {
    const { lo, hi } = p.fields[0]
    const last = merged[merged.length - 1]
    // Overlapping intervals merge (the kernel refuses overlaps); adjacent ones
    // stay separate elements in named sets, as nft keeps them, and merge in
    // anonymous sets, as nft merges them.
    if (last && (lo <= last.hi || (opts.mergeAdjacent && lo === last.hi + 1n))) {
      const mergeable = !opts.forDelete && !shape.data && !shape.object && !hasOptions(p) && !hasOptions(last.p)
      if (mergeable) {
        if (hi > last.hi) last.hi = hi
        continue
      }
      if (lo <= last.hi)
        invalid(
          p.path,
          `Expected elements that do not overlap: ${t.format({ lo, hi })} overlaps ${t.format({ lo: last.lo, hi: last.hi })} and they cannot be merged (values, options, or a delete)`,
          elements[parsed.indexOf(p)],
        )
    }
    merged.push({ lo, hi, p })
  }
  const out: NativeElement[] = []
  if (opts.leadingZero && merged.length > 0 && merged[0].lo !== 0n)
    out.push({ key: t.encode(0n), flags: ELEM_FLAG_INTERVAL_END })
  merged.forEach((m, i) => {
    out.push({ key: t.encode(m.lo), ...m.p.data, ...options(m.p) })
    // In anonymous maps nft sends no end bound where the next interval starts (`{ 0-5 : a, 6-9 : b }`).
    const next = merged[i + 1]
    if (opts.mergeAdjacent && next && next.lo === m.hi + 1n) return
    if (m.hi !== max) out.push({ key: t.encode(m.hi + 1n), flags: ELEM_FLAG_INTERVAL_END })
  })
  return out
}

/**
 * Packs plain elements (a key and optional flags, all keys the same size) into
 * one buffer for the native layer; undefined if any element carries more.
 */
export function packElements(els: readonly NativeElement[]): { packedKeys: Buffer; keyLen: number; packedFlags: Buffer } | undefined {
  if (els.length < 16) return undefined // not worth it; keeps small batches readable in tests
  const keyLen = els[0].key?.length ?? 0
  if (keyLen === 0) return undefined
  const keys = Buffer.allocUnsafe(keyLen * els.length)
  const flags = Buffer.alloc(els.length)
  for (let i = 0; i < els.length; i++) {
    const e = els[i]
    if (!e.key || e.key.length !== keyLen) return undefined
    for (const k in e) if (k !== 'key' && k !== 'flags') return undefined
    keys.set(e.key, i * keyLen)
    if (e.flags) {
      if (e.flags > 255) return undefined
      flags[i] = e.flags
    }
  }
  return { packedKeys: keys, keyLen, packedFlags: flags }
}

/**
 * Elements in their kernel form, by the cheapest path that takes them: a
 * handful of IPv4 keys ({@link fewIPv4}), many IPv4 keys ({@link fastIPv4}),
 * else the general encoder (which also makes the precise errors), packed when
 * every element is plain. The one place that chooses between them.
 * @throws NftValidationError naming `path[i]` for a bad element.
 */
export function encodeElementFields(
  shape: SetShape,
  elements: readonly Element[],
  path: string,
  opts: EncodeOptions,
): ElementFields {
  if (!Array.isArray(elements)) invalid(path, 'Expected a list of elements', elements)
  const few = fewIPv4(shape, elements, opts)
  if (few) return few
  const fast = fastIPv4(shape, elements, opts)
  if (fast) return fast
  const encoded = encodeElements(shape, elements, path, opts)
  const packed = packElements(encoded)
  if (packed) return { elements: undefined, packedKeys: packed.packedKeys, keyLen: packed.keyLen, packedFlags: packed.packedFlags }
  return { elements: encoded, packedKeys: undefined, keyLen: undefined, packedFlags: undefined }
}

/** A set element as dumped from the kernel (see NativeElementRecord). */
export type ElementRecord = {
  key?: Uint8Array
  keyEnd?: Uint8Array
  flags?: number
  data?: Uint8Array
  verdict?: number
  chain?: string
  objref?: string
  userdata?: Uint8Array
  timeout?: number
  expiration?: number
  exprs?: ReadonlyArray<Record<string, unknown>>
}

/** Turns packed dump elements back into records (key and flags only). */
export function unpackElements(p: NativePackedElements): ElementRecord[] {
  const n = p.elementFlags.length
  const out: ElementRecord[] = new Array(n)
  const keys = Buffer.from(p.elementKeys.buffer, p.elementKeys.byteOffset, p.elementKeys.byteLength)
  for (let i = 0; i < n; i++) {
    const key = keys.subarray(i * p.elementKeyLen, (i + 1) * p.elementKeyLen)
    out[i] = p.elementFlags[i] ? { key, flags: p.elementFlags[i] } : { key }
  }
  return out
}

/** The datatype as stored in interval sets (concatenated ones too): big-endian keys whatever its byte order. */
const intervalView = networkOrderView

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * The order nft lists hash-set elements in: by the key as one integer in the
 * key's byte order. Big-endian single-field keys (addresses, ports) compare
 * byte by byte; host-order keys (interface names, marks) and concatenations
 * compare as host integers, i.e. from their last byte on little-endian hosts.
 */
function compareKeys(shape: SetShape, a: Uint8Array, b: Uint8Array): number {
  // nft 1.0.6 lists `tcp_flag` sets (a bitmask type) by the key's bits read
  // from the lowest up, largest first: fin | psh | ack, syn | ack, syn, ack.
  if (shape.key.length === 1 && shape.key[0].name === 'tcp_flag' && a.length === 1 && b.length === 1) return reverseBits(b[0]) - reverseBits(a[0])
  const forward = !LITTLE_ENDIAN || (shape.key.length === 1 && shape.key[0].byteorder === 'big')
  const n = Math.max(a.length, b.length)
  for (let k = 0; k < n; k++) {
    const i = forward ? k : n - 1 - k
    const x = a[i] ?? 0
    const y = b[i] ?? 0
    if (x !== y) return x - y
  }
  return 0
}

/** A byte with its bits in reverse order. */
function reverseBits(x: number): number {
  let r = 0
  for (let i = 0; i < 8; i++) r |= ((x >> i) & 1) << (7 - i)
  return r
}

/** Key intervals of elements as the kernel returns them, rebuilt into ranges. */
export interface DecodedElement {
  readonly fields: Interval[]
  readonly data?: Uint8Array
  readonly verdict?: number
  readonly chain?: string
  readonly userdata?: Uint8Array
  readonly timeout?: number
  readonly expiration?: number
  readonly counter?: { packets: number; bytes: number }
  /** The object an object map's element names. */
  readonly objref?: string
  /** The catch-all element (no key, `fields` empty). */
  readonly catchall?: boolean
  /** The element's stateful expressions when they are more than one counter (the listing decodes them). */
  readonly exprs?: ReadonlyArray<Record<string, unknown>>
}

/** The fields of a dumped element besides its key. */
function elementExtra(r: ElementRecord): Omit<DecodedElement, 'fields'> {
  const counter = r.exprs?.find((x) => x.type === 'counter')
  return {
    ...(r.data ? { data: r.data } : {}),
    ...(r.verdict !== undefined ? { verdict: r.verdict } : {}),
    ...(r.chain ? { chain: r.chain } : {}),
    ...(r.objref ? { objref: r.objref } : {}),
    ...(r.userdata ? { userdata: r.userdata } : {}),
    ...(r.timeout ? { timeout: r.timeout } : {}),
    ...(r.expiration ? { expiration: r.expiration } : {}),
    ...(counter ? { counter: { packets: Number(counter.packets ?? 0), bytes: Number(counter.bytes ?? 0) } } : {}),
    ...(r.exprs?.some((x) => x.type !== 'counter') ? { exprs: r.exprs } : {}),
  }
}

/** Rebuilds elements (intervals from start/end bounds) from dumped kernel elements. */
export function decodeElements(
  shape: SetShape,
  records: ReadonlyArray<ElementRecord>,
  opts: { readonly kernelOrder?: boolean } = {},
): DecodedElement[] {
  const catchall = records.find((r) => !r.key && ((r.flags ?? 0) & ELEM_FLAG_CATCHALL) !== 0)
  if (catchall) {
    // nft lists the catch-all element last.
    const rest = decodeElements(shape, records.filter((r) => r !== catchall), opts)
    return [...rest, { fields: [], catchall: true, ...elementExtra(catchall) }]
  }
  const split = (b: Uint8Array): bigint[] => {
    if (shape.key.length === 1) return [shape.key[0].decode(b)]
    const out: bigint[] = []
    let off = 0
    for (const t of shape.key) {
      out.push((shape.interval ? intervalView(t) : t).decode(b.subarray(off, off + t.size)))
      off += paddedSize(t.size)
    }
    return out
  }
  const extra = elementExtra
  if (!shape.interval || shape.key.length > 1) {
    // Hash sets come back in kernel order; sort them as nft lists them.
    // Concatenated interval sets stay in kernel order, as nft prints them.
    const keyed = records.filter((r) => r.key)
    if (!(shape.interval && shape.key.length > 1) && !opts.kernelOrder) keyed.sort((a, b) => compareKeys(shape, a.key as Uint8Array, b.key as Uint8Array))
    return keyed.map((r) => {
      const lo = split(r.key as Uint8Array)
      const hi = r.keyEnd ? split(r.keyEnd) : lo
      return { fields: lo.map((l, i) => ({ lo: l, hi: hi[i] })), ...extra(r) }
    })
  }
  const t = intervalView(shape.key[0])
  const max = MAX_BITS(t)
  const bounds = records
    .filter((r) => r.key)
    .map((r) => ({ v: t.decode(r.key as Uint8Array), end: ((r.flags ?? 0) & ELEM_FLAG_INTERVAL_END) !== 0, r }))
    .sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : a.end === b.end ? 0 : a.end ? -1 : 1))
  const out: DecodedElement[] = []
  for (let i = 0; i < bounds.length; i++) {
    const b = bounds[i]
    if (b.end) continue
    const next = bounds[i + 1]
    // The interval ends before the next bound (an end bound, or the start of an adjacent interval).
    const hi = next ? next.v - 1n : max
    out.push({ fields: [{ lo: b.v, hi }], ...extra(b.r) })
  }
  return out
}
