/**
 * nft's `exthdr` expression as rows of the selector table: IPv6 extension
 * headers, TCP options and SCTP chunks, each field one row (op, header type,
 * offset, length, value type, and for sub-byte fields the bits), from nft's
 * exthdr.c, tcpopt.c and sctp_chunk.c. The compiler and the decoder read the
 * same rows; `selectors.ts` spreads them into `SELECTORS`.
 * @module
 */
import { DATATYPES, type Datatype, fromBytes, integerType, toBytes, VALUE_TYPES } from '../kernel/datatypes.js'
import { invalid } from '../kernel/errors.js'
import type { ExthdrSelector, ResetTcpOptionStmt, TcpOptionName } from '../model/exthdr-types.js'
import type { NativeExpr } from '../../types/native.js'

/** NFT_EXTHDR_OP_*: which header family an exthdr expression walks. */
export const EXTHDR_OP = { ipv6: 0, tcpopt: 1, ipv4: 2, sctp: 3 } as const

/** NFT_EXTHDR_F_PRESENT: load 1 if the header/option/chunk is there, 0 if not. */
export const EXTHDR_F_PRESENT = 1

/** Where an exthdr selector's value comes from. */
export interface ExthdrLoad {
  readonly kind: 'exthdr'
  /** NFT_EXTHDR_OP_* ({@link EXTHDR_OP}). */
  readonly op: number
  /** IPv6 next-header number, TCP option kind or SCTP chunk type. */
  readonly type: number
  /** Byte offset in the header, option or chunk. */
  readonly offset: number
  /** Bytes loaded. */
  readonly len: number
  /** {@link EXTHDR_F_PRESENT} for the exists/missing selectors. */
  readonly flags?: number
  /** Sub-byte fields: the field's bits in the loaded bytes (nft masks them with a bitwise and compares shifted values). */
  readonly bits?: { readonly width: number; readonly shift: number }
}

/** One exthdr row (a SelectorSpec of the selector table). */
export interface ExthdrSpec {
  readonly name: ExthdrSelector
  readonly load: ExthdrLoad
  readonly size: number
  readonly type: Datatype
  /** IPv6 extension headers need IPv6, IPv4 options IPv4 (nft's `meta nfproto` / `meta protocol` dependency). */
  readonly l3?: 'ip' | 'ip6'
}

const { int8, int16, int32 } = VALUE_TYPES
const proto = DATATYPES.inet_proto
const bool = VALUE_TYPES.boolean

/**
 * A field of `width` bits, `shift` bits above the end of a `size`-byte load.
 * Values are held shifted (as the kernel compares them, so interval ends are
 * nft's `shifted hi + 1`), and printed and parsed unshifted.
 */
function bitsType(size: number, width: number, shift: number): Datatype {
  const base = integerType('integer', size, 'big')
  const max = (1n << BigInt(width)) - 1n
  const s = BigInt(shift)
  return {
    ...base,
    name: `${width}-bit integer`,
    parse(value, path) {
      const iv = base.parse(value, path)
      if (iv.hi > max) invalid(path, `Expected an integer 0-${max} (the field has ${width} bits)`, value)
      return { lo: iv.lo << s, hi: iv.hi << s }
    },
    format({ lo, hi }) {
      return lo === hi ? Number(lo >> s) : `${lo >> s}-${hi >> s}`
    },
  }
}

const rows: ExthdrSpec[] = []
const row = (name: ExthdrSelector, load: Omit<ExthdrLoad, 'kind'>, type: Datatype, l3?: 'ip' | 'ip6'): void => {
  rows.push({ name, load: { kind: 'exthdr', ...load }, size: load.len, type, ...(l3 ? { l3 } : {}) })
}

// IPv6 extension headers: [name, next-header number, fields [name, offset, len, type, bits?]].
type Field = readonly [string, number, number, Datatype, ExthdrLoad['bits']?]
const IP6: ReadonlyArray<readonly [string, number, readonly Field[]]> = [
  ['hbh', 0, [['nexthdr', 0, 1, proto], ['hdrlength', 1, 1, int8]]],
  ['rt', 43, [['nexthdr', 0, 1, proto], ['hdrlength', 1, 1, int8], ['type', 2, 1, int8], ['seg-left', 3, 1, int8]]],
  // nft looks up routing fields in rt, then srh (type 4), then rt0: srh wins where they overlap.
  ['srh', 43, [['last-entry', 4, 1, int8], ['flags', 5, 1, int8], ['tag', 6, 2, int16], ['sid[1]', 8, 16, DATATYPES.ipv6_addr], ['sid[2]', 24, 16, DATATYPES.ipv6_addr]]],
  ['rt0', 43, [['addr[1]', 8, 16, DATATYPES.ipv6_addr], ['addr[2]', 24, 16, DATATYPES.ipv6_addr]]],
  [
    'frag',
    44,
    [
      ['nexthdr', 0, 1, proto],
      ['reserved', 1, 1, int8],
      ['frag-off', 2, 2, bitsType(2, 13, 3), { width: 13, shift: 3 }],
      ['reserved2', 3, 1, bitsType(1, 2, 1), { width: 2, shift: 1 }],
      ['more-fragments', 3, 1, bitsType(1, 1, 0), { width: 1, shift: 0 }],
      ['id', 4, 4, int32],
    ],
  ],
  ['dst', 60, [['nexthdr', 0, 1, proto], ['hdrlength', 1, 1, int8]]],
  ['mh', 135, [['nexthdr', 0, 1, proto], ['hdrlength', 1, 1, int8], ['type', 2, 1, VALUE_TYPES.mh_type], ['reserved', 3, 1, int8], ['checksum', 4, 2, int16]]],
]
for (const [hdr, type, fields] of IP6) {
  for (const [f, offset, len, t, bits] of fields) row(`${hdr} ${f}` as ExthdrSelector, { op: EXTHDR_OP.ipv6, type, offset, len, ...(bits ? { bits } : {}) }, t, 'ip6')
  if (hdr !== 'srh' && hdr !== 'rt0')
    row(`exthdr ${hdr}` as ExthdrSelector, { op: EXTHDR_OP.ipv6, type, offset: 0, len: 1, flags: EXTHDR_F_PRESENT }, bool, 'ip6')
}

/** TCP option kinds nft names. */
export const TCP_OPTION_KIND: Readonly<Record<string, number>> = {
  eol: 0,
  nop: 1,
  maxseg: 2,
  window: 3,
  'sack-perm': 4,
  sack: 5,
  timestamp: 8,
  md5sig: 19,
  mptcp: 30,
  fastopen: 34,
}
const TCPOPT: ReadonlyArray<readonly [string, readonly Field[]]> = [
  ['eol', []],
  ['nop', []],
  ['maxseg', [['length', 1, 1, int8], ['size', 2, 2, int16]]],
  ['window', [['length', 1, 1, int8], ['count', 2, 1, int8]]],
  ['sack-perm', [['length', 1, 1, int8]]],
  [
    'sack',
    [
      ['length', 1, 1, int8],
      ['left', 2, 4, int32],
      ['right', 6, 4, int32],
      ['sack1 left', 10, 4, int32],
      ['sack1 right', 14, 4, int32],
      ['sack2 left', 18, 4, int32],
      ['sack2 right', 22, 4, int32],
      ['sack3 left', 26, 4, int32],
      ['sack3 right', 30, 4, int32],
    ],
  ],
  ['timestamp', [['length', 1, 1, int8], ['tsval', 2, 4, int32], ['tsecr', 6, 4, int32]]],
  ['md5sig', [['length', 1, 1, int8]]],
  ['mptcp', [['length', 1, 1, int8], ['subtype', 2, 1, bitsType(1, 4, 4), { width: 4, shift: 4 }]]],
  ['fastopen', [['length', 1, 1, int8]]],
]
for (const [opt, fields] of TCPOPT) {
  const type = TCP_OPTION_KIND[opt]
  row(`tcp option ${opt}` as ExthdrSelector, { op: EXTHDR_OP.tcpopt, type, offset: 0, len: 1, flags: EXTHDR_F_PRESENT }, bool)
  for (const [f, offset, len, t, bits] of fields) {
    // sack1..3 blocks are spelled as their own option name.
    const name = f.startsWith('sack') ? `tcp option ${f}` : `tcp option ${opt} ${f}`
    row(name as ExthdrSelector, { op: EXTHDR_OP.tcpopt, type, offset, len, ...(bits ? { bits } : {}) }, t)
  }
}

/** IPv4 option types nft names (IPOPT_*). */
export const IP_OPTION_TYPE: Readonly<Record<string, number>> = { lsrr: 131, rr: 7, ssrr: 137, ra: 148 }
const ROUTE: readonly Field[] = [['type', 0, 1, int8], ['length', 1, 1, int8], ['ptr', 2, 1, int8], ['addr', 3, 4, int32]]
const IPOPT: Readonly<Record<string, readonly Field[]>> = {
  lsrr: ROUTE,
  rr: ROUTE,
  ssrr: ROUTE,
  ra: [['type', 0, 1, int8], ['length', 1, 1, int8], ['value', 2, 2, int16]],
}
for (const [opt, fields] of Object.entries(IPOPT)) {
  const type = IP_OPTION_TYPE[opt]
  row(`ip option ${opt}` as ExthdrSelector, { op: EXTHDR_OP.ipv4, type, offset: 0, len: 1, flags: EXTHDR_F_PRESENT }, bool, 'ip')
  for (const [f, offset, len, t] of fields) row(`ip option ${opt} ${f}` as ExthdrSelector, { op: EXTHDR_OP.ipv4, type, offset, len }, t, 'ip')
}

/** SCTP chunk types nft names. */
export const SCTP_CHUNK_TYPE: Readonly<Record<string, number>> = {
  data: 0,
  init: 1,
  'init-ack': 2,
  sack: 3,
  heartbeat: 4,
  'heartbeat-ack': 5,
  abort: 6,
  shutdown: 7,
  'shutdown-ack': 8,
  error: 9,
  'cookie-echo': 10,
  'cookie-ack': 11,
  ecne: 12,
  cwr: 13,
  'shutdown-complete': 14,
  'asconf-ack': 128,
  'forward-tsn': 192,
  asconf: 193,
}
const INIT: readonly Field[] = [
  ['init-tag', 4, 4, int32],
  ['a-rwnd', 8, 4, int32],
  ['num-outbound-streams', 12, 2, int16],
  ['num-inbound-streams', 14, 2, int16],
  ['initial-tsn', 16, 4, int32],
]
const SCTP_FIELDS: Readonly<Record<string, readonly Field[]>> = {
  data: [['tsn', 4, 4, int32], ['stream', 8, 2, int16], ['ssn', 10, 2, int16], ['ppid', 12, 4, int32]],
  init: INIT,
  'init-ack': INIT,
  sack: [['cum-tsn-ack', 4, 4, int32], ['a-rwnd', 8, 4, int32], ['num-gap-ack-blocks', 12, 2, int16], ['num-dup-tsns', 14, 2, int16]],
  shutdown: [['cum-tsn-ack', 4, 4, int32]],
  ecne: [['lowest-tsn', 4, 4, int32]],
  cwr: [['lowest-tsn', 4, 4, int32]],
  'asconf-ack': [['seqno', 4, 4, int32]],
  'forward-tsn': [['new-cum-tsn', 4, 4, int32]],
  asconf: [['seqno', 4, 4, int32]],
}
const SCTP_COMMON: readonly Field[] = [['type', 0, 1, int8], ['flags', 1, 1, int8], ['length', 2, 2, int16]]
for (const [chunk, type] of Object.entries(SCTP_CHUNK_TYPE)) {
  row(`sctp chunk ${chunk}` as ExthdrSelector, { op: EXTHDR_OP.sctp, type, offset: 0, len: 1, flags: EXTHDR_F_PRESENT }, bool)
  for (const [f, offset, len, t] of [...SCTP_COMMON, ...(SCTP_FIELDS[chunk] ?? [])])
    row(`sctp chunk ${chunk} ${f}` as ExthdrSelector, { op: EXTHDR_OP.sctp, type, offset, len }, t)
}

/** Every exthdr selector row by name, in nft's lookup order. */
export const EXTHDR_SELECTORS = Object.fromEntries(rows.map((r) => [r.name, r])) as Readonly<Record<ExthdrSelector, ExthdrSpec>>

/** The bitwise mask of a sub-byte field, in the loaded bytes. */
function bitsMask(l: ExthdrLoad): Buffer | undefined {
  if (!l.bits) return undefined
  return toBytes(((1n << BigInt(l.bits.width)) - 1n) << BigInt(l.bits.shift), l.len)
}

/**
 * Kernel expressions that load an exthdr selector into `dreg`, as nft emits
 * them (op and flags always set; a bitwise for sub-byte fields).
 */
export function exthdrLoadExprs(l: ExthdrLoad, dreg: number, lenOverride?: number): NativeExpr[] {
  const load: NativeExpr = { type: 'exthdr', dreg, exthdrType: l.type, offset: l.offset, len: lenOverride ?? l.len, op: l.op, flags: l.flags ?? 0 }
  const mask = bitsMask(l)
  if (!mask) return [load]
  return [load, { type: 'bitwise', sreg: dreg, dreg, len: l.len, mask, xor: Buffer.alloc(l.len) }]
}

/** Other spellings nft accepts for a row: `sack0` is `sack`, a named TCP option kind by number. */
export function exthdrAlias(s: string): ExthdrSelector | undefined {
  const sack0 = /^tcp option sack0 (left|right)$/.exec(s)
  if (sack0) return `tcp option sack ${sack0[1]}` as ExthdrSelector
  const raw = /^tcp option @(\d{1,3}),(\d+),(\d+)$/.exec(s)
  if (raw) {
    // A named kind's field in the raw form: nft lists it by name.
    const [kind, off, bits] = [Number(raw[1]), Number(raw[2]), Number(raw[3])]
    const r = rows.find((x) => x.load.op === EXTHDR_OP.tcpopt && x.load.type === kind && !x.load.flags && !x.load.bits && x.load.offset * 8 === off && x.load.len * 8 === bits)
    return r?.name
  }
  const num = /^tcp option (\d{1,3})$/.exec(s)
  if (num) {
    const name = Object.keys(TCP_OPTION_KIND).find((k) => TCP_OPTION_KIND[k] === Number(num[1]))
    if (name) return `tcp option ${name}` as ExthdrSelector
  }
  return undefined
}

/**
 * The row of a TCP option kind nft has no name for (`tcp option 6`, kinds
 * 0-255): presence only, as nft 1.0.6 reads them. Created on first use.
 */
export function numericTcpOption(s: string): ExthdrSpec | undefined {
  const raw = /^tcp option @(\d{1,3}),(\d+),(\d+)$/.exec(s)
  if (raw) {
    // nft's raw form, for kinds it has no name for: whole bytes of the option.
    const [kind, off, bits] = [Number(raw[1]), Number(raw[2]), Number(raw[3])]
    if (kind > 255 || Object.values(TCP_OPTION_KIND).includes(kind) || off % 8 !== 0 || bits % 8 !== 0 || bits === 0 || bits > 128) return undefined
    const load: ExthdrLoad = { kind: 'exthdr', op: EXTHDR_OP.tcpopt, type: kind, offset: off / 8, len: bits / 8 }
    return { name: s as ExthdrSelector, load, size: bits / 8, type: integerType('integer', bits / 8, 'big') }
  }
  const m = /^tcp option (\d{1,3})$/.exec(s)
  if (!m || Number(m[1]) > 255 || Object.values(TCP_OPTION_KIND).includes(Number(m[1]))) return undefined
  return {
    name: s as ExthdrSelector,
    load: { kind: 'exthdr', op: EXTHDR_OP.tcpopt, type: Number(m[1]), offset: 0, len: 1, flags: EXTHDR_F_PRESENT },
    size: 1,
    type: bool,
  }
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number.NaN)

/**
 * The row an exthdr load stands for (nft's template lookup by op, type,
 * offset and length), given the expressions after it: a sub-byte field is a
 * load followed by nft's bitwise with exactly the field's mask, whose compared
 * values have no bits outside it. `skip` is how many expressions after the
 * load the row consumed. Undefined for shapes nft would not print as a field.
 */
export function identifyExthdr(e: NativeExpr, next: NativeExpr | undefined, after: NativeExpr | undefined): { spec: ExthdrSpec; skip: number } | undefined {
  const op = num(e.op ?? 0)
  const type = num(e.exthdrType)
  const offset = num(e.offset)
  const len = num(e.len)
  const flags = num(e.flags ?? 0)
  const dreg = num(e.dreg)
  const masked =
    next?.type === 'bitwise' && num(next.sreg) === dreg && num(next.dreg) === dreg && num(next.op ?? 0) === 0 && next.mask instanceof Uint8Array
      ? Buffer.from(next.mask)
      : undefined
  for (const s of rows) {
    const l = s.load
    if (l.op !== op || l.type !== type || l.offset !== offset || l.len !== len || (l.flags ?? 0) !== flags) continue
    const mask = bitsMask(l)
    if (!mask) return { spec: s, skip: 0 }
    if (!masked || !mask.equals(masked) || !(next?.xor instanceof Uint8Array) || fromBytes(next.xor) !== 0n) continue
    // The compared values must lie inside the field (nft's and nftkit's always do).
    const vals = after?.type === 'cmp' ? [after.data] : after?.type === 'range' ? [after.from, after.to] : []
    if (vals.some((v) => !(v instanceof Uint8Array) || (fromBytes(v) & ~fromBytes(mask)) !== 0n)) return undefined
    return { spec: s, skip: 1 }
  }
  if (op === EXTHDR_OP.tcpopt) {
    const name = flags === EXTHDR_F_PRESENT && offset === 0 && len === 1 ? `tcp option ${type}` : flags === 0 ? `tcp option @${type},${offset * 8},${len * 8}` : ''
    const spec = numericTcpOption(name)
    if (spec) return { spec, skip: 0 }
  }
  return undefined
}

/**
 * A set element of a sub-byte field as the listing decodes it (the shifted
 * integer the kernel holds) in the row's own form; other rows' keys as they are.
 */
export function exthdrSetKey(s: { load: { kind: string }; type: Datatype }, key: unknown): unknown {
  if (s.load.kind !== 'exthdr' || !(s.load as ExthdrLoad).bits) return key
  const raw = integerType('integer', (s.load as ExthdrLoad).len, 'big').parse(key, 'key')
  return s.type.format(raw)
}

/** The kind number of a `reset tcp option` target (a name nft knows or 0-255). */
export function tcpOptionKind(option: unknown, path: string): number {
  if (typeof option === 'string' && Object.hasOwn(TCP_OPTION_KIND, option)) return TCP_OPTION_KIND[option]
  if (typeof option === 'number' && Number.isInteger(option) && option >= 0 && option <= 255) return option
  return invalid(path, `Expected a TCP option (${Object.keys(TCP_OPTION_KIND).join(', ')}) or a kind number 0-255`, option)
}

/** `reset tcp option KIND` as nft emits it: an exthdr with only its type and op. */
export function resetTcpOptionExprs(option: unknown, path: string): NativeExpr[] {
  return [{ type: 'exthdr', exthdrType: tcpOptionKind(option, path), op: EXTHDR_OP.tcpopt }]
}

/** The statement of an exthdr with neither register (nft's option strip), named as nft lists it. */
export function decodeResetTcpOption(e: NativeExpr): ResetTcpOptionStmt | undefined {
  if (num(e.op ?? 0) !== EXTHDR_OP.tcpopt || e.dreg !== undefined || e.sreg !== undefined) return undefined
  const kind = num(e.exthdrType)
  const name = Object.keys(TCP_OPTION_KIND).find((k) => TCP_OPTION_KIND[k] === kind)
  return { stmt: 'reset tcp option', option: (name as TcpOptionName | undefined) ?? kind }
}

/**
 * exthdr fields as a concatenation field (nft describes those in the set's
 * userdata, and shifts sub-byte ones in the register), and sub-byte fields as a
 * verdict map key (nft lists those keys as raw bits): nftkit refuses them.
 */
export function refuseBitsKey(s: { name: string; load: { kind: string } }, path: string, where: 'a concatenation' | 'a verdict map key'): void {
  if (s.load.kind !== 'exthdr' || (where === 'a verdict map key' && !(s.load as ExthdrLoad).bits)) return
  invalid(path, `nftkit does not support ${s.name} in ${where} yet`, s.name)
}
