/**
 * Conntrack value types and constants nft's ct.c defines: the expiration time,
 * the helper name, the 128-bit label bitmask and the event bits, plus the
 * ct keys and object types beyond the basic ones in constants.ts.
 * @module
 */
import { invalid } from './errors.js'
import { CT_KEY } from './constants.js'

/** An inclusive interval of keys (datatypes.ts's Interval). */
interface Interval {
  readonly lo: bigint
  readonly hi: bigint
}

/** The shape of datatypes.ts's Datatype (which lists these types, so it is not imported here). */
interface Datatype {
  readonly name: string
  readonly id: number
  readonly size: number
  readonly byteorder: 'big' | 'host'
  readonly ordered: boolean
  readonly names?: Readonly<Record<string, number>>
  parse(value: unknown, path: string): Interval
  encode(v: bigint): Buffer
  decode(b: Uint8Array): bigint
  format(iv: Interval): string | number
}

// Local copies of datatypes.ts's byte helpers: datatypes.ts lists these types, so no import back.
function toBytes(v: bigint, size: number): Buffer {
  const b = Buffer.alloc(size)
  for (let i = size - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return b
}
function fromBytes(b: Uint8Array): bigint {
  let v = 0n
  for (const x of b) v = (v << 8n) | BigInt(x)
  return v
}

/** nft ct keys (`enum nft_ct_keys`): {@link CT_KEY} with the names ct.ts uses for the address and port keys. */
export const CT_KEYS = { ...CT_KEY, src: CT_KEY.saddr, dst: CT_KEY.daddr, protoSrc: CT_KEY['proto-src'], protoDst: CT_KEY['proto-dst'] } as const

/** Conntrack directions (`ct original ...`, `ct reply ...`). */
export const CT_DIRECTION = { original: 0, reply: 1 } as const

/** Kernel object types of the ct objects (`NFT_OBJECT_*`). */
export const CT_OBJECT_TYPE = { helper: 3, timeout: 7, expectation: 9 } as const

/** `ct event set` bits, in nft's printing order. */
export const CT_EVENT: Readonly<Record<string, number>> = {
  new: 1 << 0,
  related: 1 << 1,
  destroy: 1 << 2,
  reply: 1 << 3,
  assured: 1 << 4,
  protoinfo: 1 << 5,
  helper: 1 << 6,
  mark: 1 << 7,
  seqadj: 1 << 8,
  secmark: 1 << 9,
  label: 1 << 10,
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const hostBytes = (v: bigint, size: number): Buffer => (HOST_LE ? toBytes(v, size).reverse() : toBytes(v, size))
const fromHost = (b: Uint8Array): bigint => (HOST_LE ? fromBytes(Buffer.from(b).reverse()) : fromBytes(b))

const UNITS: ReadonlyArray<[string, bigint]> = [
  ['d', 86400000n],
  ['h', 3600000n],
  ['m', 60000n],
  ['s', 1000n],
  ['ms', 1n],
]

/** nft's time notation of milliseconds (`1m7s`, `1s500ms`). */
export function formatMs(ms: bigint): string {
  if (ms === 0n) return '0s'
  let left = ms
  let out = ''
  for (const [u, n] of UNITS) {
    if (left >= n) {
      out += `${left / n}${u}`
      left %= n
    }
  }
  return out
}

/** Parses `30s`, `1m30s`, `500ms` or a plain number of seconds into milliseconds. */
export function parseMs(s: string): bigint | undefined {
  const t = s.trim()
  if (/^\d+$/.test(t)) return BigInt(t) * 1000n
  const re = /(\d+)(ms|d|h|m|s)/y
  let total = 0n
  let pos = 0
  for (;;) {
    re.lastIndex = pos
    const m = re.exec(t)
    if (!m) break
    total += BigInt(m[1]) * (UNITS.find(([u]) => u === m[2]) as [string, bigint])[1]
    pos = re.lastIndex
  }
  return pos === t.length && pos > 0 ? total : undefined
}

/**
 * `ct expiration`: milliseconds in a host-order 32-bit register. Written as
 * nft writes times (`30s`, `1m30s`, `500ms`; a bare number is seconds).
 * Single values print in that notation; ranges print as whole seconds
 * (`60s-3600s`), as nft 1.0.6 lists them.
 */
export const TIME_TYPE: Datatype = {
  name: 'time',
  id: 18,
  size: 4,
  byteorder: 'host',
  ordered: true,
  parse(value: unknown, path: string): Interval {
    const one = (x: unknown): bigint => {
      const v =
        typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? BigInt(x) * 1000n : typeof x === 'string' ? parseMs(x) : undefined
      if (v === undefined || v > 0xffffffffn) return invalid(path, 'Expected a time like 30s, 1m30s, 500ms or a number of seconds (up to 49d17h2m47s295ms)', value)
      return v
    }
    if (typeof value === 'string' && value.includes('-')) {
      const [a, b, ...rest] = value.split('-')
      if (rest.length) invalid(path, 'Expected a time range like 30s-1m', value)
      const lo = one(a)
      const hi = one(b)
      if (lo > hi) invalid(path, 'Expected a range whose start is not above its end', value)
      return { lo, hi }
    }
    const v = one(value)
    return { lo: v, hi: v }
  },
  encode: (v) => hostBytes(v, 4),
  decode: fromHost,
  format({ lo, hi }) {
    if (lo === hi) return formatMs(lo)
    // nft prints range bounds as whole seconds; keep the exact form when that would lose milliseconds.
    if (lo % 1000n === 0n && hi % 1000n === 0n) return `${lo / 1000n}s-${hi / 1000n}s`
    return `${formatMs(lo)}-${formatMs(hi)}`
  },
}

/** `ct helper`: the helper's name, a 16-byte string (nft's string type). */
export const CT_HELPER_NAME_TYPE: Datatype = {
  name: 'string',
  id: 5,
  size: 16,
  byteorder: 'host',
  ordered: false,
  parse(value: unknown, path: string): Interval {
    if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > 15 || value.includes('\0'))
      return invalid(path, 'Expected a conntrack helper name of 1-15 bytes, like "ftp"', value)
    const v = fromBytes(Buffer.concat([Buffer.from(value), Buffer.alloc(16 - Buffer.byteLength(value))]))
    return { lo: v, hi: v }
  },
  encode: (v) => toBytes(v, 16),
  decode: fromBytes,
  format({ lo }) {
    const b = toBytes(lo, 16)
    const end = b.indexOf(0)
    return `"${b.subarray(0, end < 0 ? 16 : end).toString()}"`
  },
}

/**
 * `ct label`: one bit of a 128-bit host-order bitmask, written as the bit
 * number (0-127). nft also reads names from /etc/connlabel.conf; nftkit takes
 * numbers only.
 */
export const CT_LABEL_TYPE: Datatype = {
  name: 'ct_label',
  id: 30,
  size: 16,
  byteorder: 'host',
  ordered: false,
  parse(value: unknown, path: string): Interval {
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN
    if (!Number.isInteger(n) || n < 0 || n > 127)
      return invalid(path, 'Expected a conntrack label bit number 0-127 (label names from connlabel.conf are not supported)', value)
    return { lo: BigInt(n), hi: BigInt(n) }
  },
  encode: (bit) => hostBytes(1n << bit, 16),
  decode(b) {
    const v = fromHost(b)
    if (v === 0n || (v & (v - 1n)) !== 0n) return -1n
    return BigInt(v.toString(2).length - 1)
  },
  format: ({ lo }) => Number(lo),
}

/** `ct event set` bits: a host-order 32-bit mask. */
export function ctEventMask(names: readonly string[], path: string): number {
  let mask = 0
  names.forEach((n, i) => {
    if (!Object.hasOwn(CT_EVENT, n)) invalid(names.length > 1 ? `${path}[${i}]` : path, `Expected one of ${Object.keys(CT_EVENT).join(', ')}`, n)
    mask |= CT_EVENT[n]
  })
  return mask
}

/** Event names of a mask, or undefined when it has bits without a name. */
export function ctEventNames(mask: number): string[] | undefined {
  const names = Object.keys(CT_EVENT).filter((n) => (mask & CT_EVENT[n]) !== 0)
  return names.reduce((a, n) => a | CT_EVENT[n], 0) === mask ? names : undefined
}

/** Host-order bytes of an unsigned integer of `size` bytes. */
export function hostUint(v: number | bigint, size: number): Buffer {
  return hostBytes(BigInt(v), size)
}

/** Reads a host-order unsigned integer. */
export function readHostUint(b: Uint8Array): bigint {
  return fromHost(b)
}

/** The conntrack value types, for lookups by nft datatype id (anonymous sets of ct expiration). */
export const CT_VALUE_TYPES: readonly Datatype[] = [TIME_TYPE, CT_HELPER_NAME_TYPE, CT_LABEL_TYPE]
