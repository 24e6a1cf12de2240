/**
 * Value types (nft "datatypes"): how an address, port, protocol, mark, interface
 * name or MAC address is parsed, encoded into kernel bytes and printed back.
 * Set key types and rule match values share this one table.
 * @module
 */
import { readFileSync } from 'node:fs'
import {
  ARP_OP,
  CT_STATE,
  CT_STATUS,
  DATATYPE,
  DCCP_PKTTYPE,
  ETHER_TYPE,
  ICMP_CODE,
  ICMP_TYPE,
  ICMPV6_CODE,
  ICMPV6_TYPE,
  IFACE_TYPE,
  IGMP_TYPE,
  L4PROTO,
  MH_TYPE,
  TCP_FLAG,
} from './constants.js'
import { invalid } from './errors.js'
import { CT_VALUE_TYPES } from './ct-types.js'
import { dotted, ipv4Span } from './ipv4.js'

/** Byte order a value has in kernel registers. */
export type ByteOrder = 'big' | 'host'

/** Names of the key types nftkit supports in sets and maps. */
export type KeyTypeName =
  | 'ipv4_addr'
  | 'ipv6_addr'
  | 'inet_service'
  | 'inet_proto'
  | 'ifname'
  | 'mark'
  | 'ether_addr'
  /** ICMPv6 types (`icmpv6 type` values). */
  | 'icmpv6_type'
  /** TCP flag combinations (`tcp flags` values), elements like `syn | ack`. */
  | 'tcp_flag'
  /** Interface indexes (`iif`, `oif`): elements are interface names, resolved when the set is added. */
  | 'iface_index'
  /** tc class ids (`meta priority`): `1:10`, `root`, `none`. */
  | 'classid'
  /** DSCP values (`ip dscp`, `ip6 dscp`) unshifted: `cs1`, `af11`, `0x2e`. */
  | 'dscp'

/** An inclusive interval of keys, as big-endian unsigned integers. */
export interface Interval {
  readonly lo: bigint
  readonly hi: bigint
}

/** One value type. */
export interface Datatype {
  readonly name: string
  /** nft datatype id (set key type). */
  readonly id: number
  /** Size in bytes of the value in a register / set key. */
  readonly size: number
  /** Byte order (written to set userdata as nft does). */
  readonly byteorder: ByteOrder
  /** Whether ranges and prefixes of this type make sense (interval sets). */
  readonly ordered: boolean
  /** Symbolic names of values (tcp, echo-request), for integer types. */
  readonly names?: Readonly<Record<string, number>>
  /** Parses a value into an interval (lo === hi for a single value). Throws on bad input. */
  parse(value: unknown, path: string): Interval
  /** Encodes one key (as returned by parse) into kernel bytes. */
  encode(v: bigint): Buffer
  /** Decodes kernel bytes. */
  decode(b: Uint8Array): bigint
  /** Prints an interval as nft does (single value, prefix or range). */
  format(iv: Interval): string | number
  /**
   * Prints one end of a range as nft does: numerically, also for types with
   * names (nft lists `icmp type 0-8`, `ether type 0x0800-0x86dd`). Types
   * without it print their ends with `format`.
   */
  formatBound?(v: bigint): string | number
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * True if `v` is written as a range `a-b` of this type (names with dashes such
 * as `echo-request`, interface names and CIDRs are not ranges).
 */
export function isWrittenRange(t: Datatype, v: unknown): boolean {
  // Dates contain '-' but are never written as ranges.
  if (typeof v !== 'string' || !t.ordered || t.name === 'ifname' || t.name === 'time') return false
  const s = v.trim()
  if (!s.includes('-') || s.includes('/')) return false
  return !(t.names && Object.hasOwn(t.names, s))
}

/** Big-endian bytes of an unsigned integer of `size` bytes. */
export function toBytes(v: bigint, size: number): Buffer {
  const b = Buffer.alloc(size)
  if (size <= 6) {
    // Hot path (addresses, ports): plain numbers are much cheaper than bigint shifts.
    b.writeUIntBE(Number(v), 0, size)
    return b
  }
  for (let i = size - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return b
}

/** Unsigned integer of big-endian bytes. */
export function fromBytes(b: Uint8Array): bigint {
  if (b.length <= 6 && b.length > 0) return BigInt(Buffer.from(b.buffer, b.byteOffset, b.length).readUIntBE(0, b.length))
  let v = 0n
  for (const x of b) v = (v << 8n) | BigInt(x)
  return v
}

/**
 * True for host-order integers (marks, ct state/status, interface types): nft
 * compares them in network order wherever order matters (ranges, interval
 * sets), converting the register with a byteorder expression and storing the
 * set elements big-endian. Interface names are host-order strings and are not
 * converted.
 */
export function hostInteger(t: Datatype): boolean {
  return t.byteorder === 'host' && t.name !== 'ifname'
}

/** The datatype as compared by order (range bounds, interval-set elements): big-endian whatever its byte order. */
export function networkOrderView(t: Datatype): Datatype {
  if (!hostInteger(t)) return t
  return { ...t, encode: (v) => toBytes(v, t.size), decode: (b) => fromBytes(b) }
}

/** Host-order 4-byte encoding of a 32-bit value (meta mark, ct mark). */
export function hostU32(v: number): Buffer {
  const b = Buffer.alloc(4)
  if (HOST_LE) b.writeUInt32LE(v >>> 0)
  else b.writeUInt32BE(v >>> 0)
  return b
}

/** Reads a host-order 32-bit value. */
export function readHostU32(b: Uint8Array): number {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength)
  if (buf.length < 4) {
    const p = Buffer.alloc(4)
    buf.copy(p)
    return HOST_LE ? p.readUInt32LE() : p.readUInt32BE()
  }
  return HOST_LE ? buf.readUInt32LE() : buf.readUInt32BE()
}

// ---------------------------------------------------------------- addresses

/** Parses a dotted IPv4 address; undefined if malformed. */
export function parseIPv4(s: string): bigint | undefined {
  const v = ipv4Span(s, 0, s.length)
  return v < 0 ? undefined : BigInt(v)
}

/** Formats a 32-bit value as dotted IPv4. */
export function formatIPv4(v: bigint): string {
  return dotted(Number(v & 0xffffffffn))
}

/** Parses an IPv6 address (with :: and an optional trailing IPv4); undefined if malformed. */
export function parseIPv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length < 2) return undefined
  let tail: bigint[] = []
  let str = s
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(str)
  if (v4) {
    const x = parseIPv4(v4[1])
    if (x === undefined) return undefined
    tail = [x >> 16n, x & 0xffffn]
    str = str.slice(0, -v4[1].length)
    if (str.endsWith(':') && !str.endsWith('::')) str = str.slice(0, -1)
  }
  const parts = str.split('::')
  if (parts.length > 2) return undefined
  const parse = (p: string): bigint[] | undefined => {
    if (p === '') return []
    const out: bigint[] = []
    for (const g of p.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined
      out.push(BigInt(`0x${g}`))
    }
    return out
  }
  const head = parse(parts[0])
  const rest = parts.length === 2 ? parse(parts[1]) : []
  if (!head || !rest) return undefined
  const groups = parts.length === 2 ? [...head, ...rest, ...tail] : [...head, ...tail]
  let full: bigint[]
  if (parts.length === 2) {
    const missing = 8 - (head.length + rest.length + tail.length)
    if (missing < 1) return undefined
    full = [...head, ...Array(missing).fill(0n), ...rest, ...tail]
  } else {
    if (groups.length !== 8) return undefined
    full = groups
  }
  return full.reduce((acc, g) => (acc << 16n) | g, 0n)
}

/** Formats a 128-bit value as an IPv6 address, compressed as RFC 5952 and nft do. */
export function formatIPv6(v: bigint): string {
  const g: number[] = []
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn))
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  // As glibc's inet_ntop (and so nft): IPv4-compatible (::a.b.c.d) and
  // IPv4-mapped (::ffff:a.b.c.d) addresses end in dotted form.
  if (best === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff)))
    return `::${bestLen === 5 ? 'ffff:' : ''}${formatIPv4(v & 0xffffffffn)}`
  const hex = g.map((x) => x.toString(16))
  if (best < 0) return hex.join(':')
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`
}

/** Why a string is not an address, CIDR or range of its family: a reason code and the message `parse` throws. */
export interface AddressProblem {
  /**
   * `malformed`: not an address; `prefix`: a CIDR with a bad address or
   * prefix length; `host-bits`: a CIDR with host bits set; `range`: a range
   * with a bad bound; `range-order`: a range whose start is above its end.
   */
  readonly code: 'malformed' | 'prefix' | 'host-bits' | 'range' | 'range-order'
  readonly message: string
}

/**
 * An IPv4 or IPv6 address, CIDR (`a/len`, no host bits) or range (`a-b`)
 * as an interval, or why it is not one; never throws. Surrounding blanks are
 * ignored. The `parse` of the address datatypes, without the exception.
 */
export function parseAddress(name: 'ipv4_addr' | 'ipv6_addr', value: string): Interval | AddressProblem {
  const bits = name === 'ipv4_addr' ? 32 : 128
  const max = (1n << BigInt(bits)) - 1n
  const parseOne = name === 'ipv4_addr' ? parseIPv4 : parseIPv6
  const fmt = name === 'ipv4_addr' ? formatIPv4 : formatIPv6
  const what = name === 'ipv4_addr' ? 'an IPv4 address' : 'an IPv6 address'
  const s = value.trim()
  const slash = s.indexOf('/')
  if (slash >= 0) {
    const addr = parseOne(s.slice(0, slash))
    const lenStr = s.slice(slash + 1)
    const len = /^\d{1,3}$/.test(lenStr) ? Number(lenStr) : Number.NaN
    if (addr === undefined || !(len >= 0 && len <= bits))
      return { code: 'prefix', message: `Expected ${what} in CIDR notation with a prefix length of 0-${bits}` }
    const hostMask = (1n << BigInt(bits - len)) - 1n
    if ((addr & hostMask) !== 0n)
      return { code: 'host-bits', message: `Expected a CIDR with no host bits set (did you mean ${fmt(addr & ~hostMask & max)}/${len}?)` }
    return { lo: addr, hi: addr | hostMask }
  }
  const dash = s.indexOf('-')
  if (dash >= 0) {
    const lo = parseOne(s.slice(0, dash).trim())
    const hi = parseOne(s.slice(dash + 1).trim())
    if (lo === undefined || hi === undefined) return { code: 'range', message: `Expected a range of ${what}es like a-b` }
    if (lo > hi) return { code: 'range-order', message: 'Expected a range whose start is not above its end' }
    return { lo, hi }
  }
  const a = parseOne(s)
  if (a === undefined) return { code: 'malformed', message: `Expected ${what}, CIDR or range` }
  return { lo: a, hi: a }
}

function addressType(name: 'ipv4_addr' | 'ipv6_addr'): Datatype {
  const bits = name === 'ipv4_addr' ? 32 : 128
  const size = bits / 8
  const fmt = name === 'ipv4_addr' ? formatIPv4 : formatIPv6
  const what = name === 'ipv4_addr' ? 'an IPv4 address' : 'an IPv6 address'
  return {
    name,
    id: DATATYPE[name],
    size,
    byteorder: 'big',
    ordered: true,
    parse(value, path) {
      if (typeof value !== 'string') invalid(path, `Expected ${what}, CIDR or range`, value)
      const r = parseAddress(name, value)
      if ('code' in r) invalid(path, r.message, value)
      return r
    },
    encode: (v) => toBytes(v, size),
    decode: fromBytes,
    format({ lo, hi }) {
      if (lo === hi) return fmt(lo)
      const len = prefixLength(lo, hi, bits)
      if (len !== undefined) return `${fmt(lo)}/${len}`
      return `${fmt(lo)}-${fmt(hi)}`
    },
  }
}

/** Prefix length if [lo, hi] is exactly one CIDR block, else undefined. */
export function prefixLength(lo: bigint, hi: bigint, bits: number): number | undefined {
  const span = hi - lo + 1n
  if (span <= 0n || (span & (span - 1n)) !== 0n) return undefined
  if ((lo & (span - 1n)) !== 0n) return undefined
  let host = 0
  while (1n << BigInt(host) < span) host++
  return bits - host
}

let services: Record<string, number> | undefined

/**
 * Service names nft accepts for ports (from /etc/services, as nft reads them
 * through getservbyname), plus the common ones when that file is missing.
 */
export function serviceNames(): Record<string, number> {
  if (services) return services
  const out: Record<string, number> = { ssh: 22, http: 80, https: 443, domain: 53, smtp: 25, ftp: 21, telnet: 23, ntp: 123, bgp: 179, snmp: 161 }
  try {
    for (const line of readFileSync('/etc/services', 'utf8').split('\n')) {
      const m = /^([\w.-]+)\s+(\d+)\/(tcp|udp)(\s+(.*))?$/.exec(line.replace(/#.*/, '').trim())
      if (!m) continue
      const port = Number(m[2])
      for (const n of [m[1], ...(m[5] ?? '').split(/\s+/).filter(Boolean)]) if (!(n in out)) out[n] = port
    }
  } catch {
    /* no /etc/services: the built-in names only */
  }
  services = out
  return out
}

/**
 * Protocol names nft accepts and prints (`/etc/protocols`, as nft reads them
 * through getprotobyname/getprotobynumber): official names first, so a number
 * prints as its official name (108 as `ipcomp`), then nft's keywords (`comp`,
 * `icmpv6`) for input. Without that file, nft's keywords only.
 */
function protocolNames(): Record<string, number> {
  const out: Record<string, number> = {}
  try {
    for (const line of readFileSync('/etc/protocols', 'utf8').split('\n')) {
      const m = /^([\w.+-]+)\s+(\d+)\b/.exec(line.replace(/#.*/, '').trim())
      if (m && Number(m[2]) <= 255 && !Object.hasOwn(out, m[1])) out[m[1]] = Number(m[2])
    }
  } catch {
    /* no /etc/protocols: the keywords only */
  }
  for (const [k, v] of Object.entries(L4PROTO)) if (!Object.hasOwn(out, k)) out[k] = v
  return out
}

/** `name -> id` of the local accounts file (`name:x:id:...`), empty if unreadable. */
function accountNames(file: string): Record<string, number> {
  const out: Record<string, number> = {}
  try {
    for (const l of readFileSync(file, 'utf8').split('\n')) {
      const f = l.split(':')
      if (f.length >= 3 && f[0] && /^\d+$/.test(f[2]) && !Object.hasOwn(out, f[0])) out[f[0]] = Number(f[2])
    }
  } catch {
    /* no accounts file: numbers only */
  }
  return out
}

/** An integer value type of `size` bytes, optionally with symbolic names (tcp, echo-request). */
export function integerType(
  name: string,
  size: number,
  byteorder: ByteOrder,
  names?: Readonly<Record<string, number>>,
  id = (DATATYPE as Record<string, number>)[name] ?? DATATYPE.integer,
  inputNamesOnly = false,
  /** nft's `basefmt` of the type: numbers print in hex, zero-padded to this many digits (0: no padding). */
  hexDigits?: number,
): Datatype {
  const max = (1n << BigInt(size * 8)) - 1n
  const numeric = (v: bigint): string | number =>
    name === 'mark' ? `0x${v.toString(16).padStart(8, '0')}` : hexDigits !== undefined ? `0x${v.toString(16).padStart(hexDigits, '0')}` : Number(v)
  const one = (x: unknown, path: string, whole: unknown): bigint => {
    if (typeof x === 'number' && Number.isInteger(x) && x >= 0 && BigInt(x) <= max) return BigInt(x)
    if (typeof x === 'string') {
      const t = x.trim()
      if (/^(0x[0-9a-fA-F]+|\d+)$/.test(t) && BigInt(t) <= max) return BigInt(t)
        if (names && Object.hasOwn(names, t)) return BigInt(names[t])
    }
    return invalid(path, `Expected ${describeInt(name, max)}`, whole)
  }
  return {
    name,
    id,
    size,
    byteorder,
    names,
    // Host-order integers are ordered too: nft converts them to network order
    // (a byteorder expression) before a range compare or an interval-set lookup.
    // Not yet those with names (interface types): nft prints their ranges
    // numerically, nftkit would print names.
    ordered: byteorder === 'big' || names === undefined || inputNamesOnly,
    parse(value, path) {
      // Marks in interval sets may be written as prefixes (0x00000010/28), as nft prints them.
      const pm = name === 'mark' && typeof value === 'string' ? /^\s*(\S+)\/(\d{1,2})\s*$/.exec(value) : null
      if (pm) {
        const lo = one(pm[1], path, value)
        const len = Number(pm[2])
        if (len > size * 8) invalid(path, `Expected a prefix length of 0-${size * 8}`, value)
        const host = (1n << BigInt(size * 8 - len)) - 1n
        if ((lo & host) !== 0n) invalid(path, 'Expected a prefix with no bits set below its length', value)
        return { lo, hi: lo | host }
      }
      // Names may contain '-' (echo-request): a whole-value name wins over a range.
      const whole = typeof value === 'string' && names && Object.hasOwn(names, value.trim())
      if (!whole && typeof value === 'string' && /^\s*[\w-]+\s*-\s*[\w-]+\s*$/.test(value)) {
        const [a, b] = splitRange(value, names)
        const lo = one(a, path, value)
        const hi = one(b, path, value)
        if (lo > hi) invalid(path, 'Expected a range whose start is not above its end', value)
        return { lo, hi }
      }
      // `syn | ack`: named bits or'ed together (nft folds the constant).
      if (names && typeof value === 'string' && value.includes('|')) {
        const v = value.split('|').reduce((acc, part) => acc | one(part, path, value), 0n)
        return { lo: v, hi: v }
      }
      const v = one(value, path, value)
      return { lo: v, hi: v }
    },
    encode: (v) => (byteorder === 'host' && HOST_LE ? toBytes(v, size).reverse() : toBytes(v, size)),
    decode: (b) => (byteorder === 'host' && HOST_LE ? fromBytes(Buffer.from(b).reverse()) : fromBytes(b)),
    format({ lo, hi }) {
      const f = (v: bigint): string | number => {
        if (name === 'mark') return `0x${v.toString(16).padStart(8, '0')}`
        if (names && !inputNamesOnly) for (const [k, n] of Object.entries(names)) if (BigInt(n) === v && !ALIASES.has(k)) return k
        return numeric(v)
      }
      if (lo !== hi && name === 'mark') {
        const len = prefixLength(lo, hi, size * 8)
        if (len !== undefined) return `${f(lo)}/${len}`
      }
      // nft prints the ends of a range numerically, names or not.
      return lo === hi ? f(lo) : `${numeric(lo)}-${numeric(hi)}`
    },
    ...(names || hexDigits !== undefined ? { formatBound: (v: bigint) => numeric(v) } : {}),
  }
}

/** A range of a named integer type as nft prints it: numbers (ether types in hex), even when `lo === hi`. */
export function numericRange(typeName: string, lo: bigint, hi: bigint): string {
  const f = (v: bigint) => (typeName === 'ether_type' ? `0x${v.toString(16).padStart(4, '0')}` : String(v))
  return `${f(lo)}-${f(hi)}`
}

/** Splits `a-b` where a or b may be names containing '-' (echo-request-echo-reply). */
function splitRange(v: string, names?: Readonly<Record<string, number>>): [string, string] {
  const parts = v.split('-')
  for (let i = 1; i < parts.length; i++) {
    const a = parts.slice(0, i).join('-').trim()
    const b = parts.slice(i).join('-').trim()
    const ok = (x: string) => /^(0x[0-9a-fA-F]+|\d+)$/.test(x) || (names !== undefined && Object.hasOwn(names, x))
    if (ok(a) && ok(b)) return [a, b]
  }
  return [parts[0], parts.slice(1).join('-')]
}

// Alternative names accepted on input but never printed.
const ALIASES = new Set(['icmpv6', 'vlan', 'mld-listener-reduction'])

function describeInt(name: string, max: bigint): string {
  if (name === 'inet_service') return `a port number 0-${max} or a range like 1000-2000`
  if (name === 'inet_proto') return `a protocol name (tcp, udp, ...) or number 0-${max}`
  if (name === 'mark') return `a mark 0-${max} (decimal or 0x hex)`
  if (name.endsWith('_type')) return `a type name or number 0-${max}`
  return `an integer 0-${max} (decimal or 0x hex)`
}

const ifname: Datatype = {
  name: 'ifname',
  id: DATATYPE.ifname,
  size: 16,
  byteorder: 'host',
  // Names compare as byte strings; a wildcard `eth*` is the interval of every
  // name starting with `eth` (how nft stores it in interval sets).
  ordered: true,
  parse(value, path) {
    // `eth\*` (as nft writes it) is the name `eth*` itself, not a wildcard.
    const literal = typeof value === 'string' && value.endsWith('\\*')
    const name = literal ? `${(value as string).slice(0, -2)}*` : value
    if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > 15 || name.includes('\0'))
      invalid(path, 'Expected an interface name of 1-15 bytes (or a prefix wildcard like "eth*")', value)
    const wild = !literal && name.endsWith('*')
    const stem = Buffer.from(wild ? name.slice(0, -1) : name)
    if (wild && (stem.length === 0 || stem.includes(0x2a)))
      invalid(path, 'Expected an interface name or prefix wildcard like "eth*" (1-15 bytes before the *)', value)
    const lo = fromBytes(Buffer.concat([stem, Buffer.alloc(16 - stem.length)]))
    const hi = wild ? fromBytes(Buffer.concat([stem, Buffer.alloc(16 - stem.length, 0xff)])) : lo
    return { lo, hi }
  },
  encode: (v) => toBytes(v, 16),
  decode: fromBytes,
  format: ({ lo, hi }) => {
    const b = toBytes(lo, 16)
    const end = b.indexOf(0)
    const name = b.subarray(0, end < 0 ? 16 : end).toString()
    if (lo === hi && name.endsWith('*')) return `${JSON.stringify(name.slice(0, -1)).slice(0, -1)}\\*"`
    return JSON.stringify(lo === hi ? name : `${name}*`)
  },
}

const etherAddr: Datatype = {
  name: 'ether_addr',
  id: DATATYPE.ether_addr,
  size: 6,
  byteorder: 'big',
  ordered: true,
  parse(value, path) {
    const one = (s: string): bigint => {
      if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(s.trim()))
        invalid(path, 'Expected a MAC address like 02:00:00:00:00:01', value)
      return s
        .trim()
        .split(':')
        .reduce((a, x) => (a << 8n) | BigInt(`0x${x}`), 0n)
    }
    if (typeof value !== 'string') return invalid(path, 'Expected a MAC address like 02:00:00:00:00:01', value)
    if (value.includes('-')) {
      const [a, b] = value.split('-')
      const lo = one(a)
      const hi = one(b)
      if (lo > hi) invalid(path, 'Expected a range whose start is not above its end', value)
      return { lo, hi }
    }
    const v = one(value)
    return { lo: v, hi: v }
  },
  encode: (v) => toBytes(v, 6),
  decode: fromBytes,
  format({ lo, hi }) {
    const f = (v: bigint) => [...toBytes(v, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':')
    return lo === hi ? f(lo) : `${f(lo)}-${f(hi)}`
  },
}

/** nft's DSCP names (proto.c dscp_type_tbl), in nft's order: the first name of a value is the one printed. */
const DSCP: Readonly<Record<string, number>> = {
  cs0: 0x00, cs1: 0x08, cs2: 0x10, cs3: 0x18, cs4: 0x20, cs5: 0x28, cs6: 0x30, cs7: 0x38, df: 0x00, be: 0x00, lephb: 0x01,
  af11: 0x0a, af12: 0x0c, af13: 0x0e, af21: 0x12, af22: 0x14, af23: 0x16, af31: 0x1a, af32: 0x1c, af33: 0x1e,
  af41: 0x22, af42: 0x24, af43: 0x26, va: 0x2c, ef: 0x2e,
}

/** nft's `dscp` type: names, else `0x%.2x`, ranges too (a 6-bit value in one byte). */
const dscpType = integerType('dscp', 1, 'big', DSCP, 36, false, 2)

/**
 * A header field narrower than the bytes loaded for it (nft's bitfields, such
 * as `ip dscp`): values of `base` of `width` bits, held in a register of
 * `size` bytes shifted left by `shift` bits (nft masks the other bits away
 * and compares against the shifted value).
 */
export function shiftedType(base: Datatype, shift: number, width: number, size: number): Datatype {
  const max = (1n << BigInt(width)) - 1n
  return {
    ...base,
    size,
    byteorder: 'big',
    parse(value, path) {
      const iv = base.parse(value, path)
      if (iv.hi > max) invalid(path, `Expected a value 0-${max} (the field has ${width} bits)`, value)
      return iv
    },
    encode: (v) => toBytes(v << BigInt(shift), size),
    decode: (b) => (fromBytes(b) >> BigInt(shift)) & max,
  }
}

// ---------------------------------------------------------------- meta key types

/** `name -> number` of an iproute2 table (`/etc/iproute2/group`, `rt_realms`): `NUMBER NAME` lines. */
function iproute2Names(file: string): Record<string, number> {
  const out: Record<string, number> = {}
  try {
    for (const l of readFileSync(file, 'utf8').split('\n')) {
      const m = /^\s*(0x[0-9a-fA-F]+|\d+)\s+(\S+)/.exec(l.replace(/#.*/, ''))
      if (m && !Object.hasOwn(out, m[2])) out[m[2]] = Number(m[1])
    }
  } catch {
    /* no table: numbers only */
  }
  return out
}

/**
 * An integer type whose symbolic names nft prints in double quotes (device
 * groups, realms, days): `iifgroup "default"`, `iifgroup { "default", 11 }`.
 * Ranges print numerically, as nft prints them.
 */
function quotedNames(t: Datatype): Datatype {
  const names = t.names ?? {}
  const byValue = new Map<bigint, string>()
  for (const [k, v] of Object.entries(names)) if (!byValue.has(BigInt(v))) byValue.set(BigInt(v), k)
  return {
    ...t,
    ordered: true,
    format({ lo, hi }) {
      if (lo !== hi) return `${lo}-${hi}`
      const n = byValue.get(lo)
      return n !== undefined ? `"${n}"` : Number(lo)
    },
  }
}

/** nft's `classid` (tc handles, `meta priority`): `root`, `none`, `MAJOR:MINOR` in hex, or a number. */
function classidType(): Datatype {
  const base = integerType('classid', 4, 'host', undefined, 23)
  const one = (s: unknown, path: string, whole: unknown): bigint => {
    if (typeof s === 'number' && Number.isInteger(s) && s >= 0 && s <= 0xffffffff) return BigInt(s)
    const t = typeof s === 'string' ? s.trim() : ''
    if (t === 'root') return 0xffffffffn
    if (t === 'none') return 0n
    const m = /^([0-9a-fA-F]{0,4}):([0-9a-fA-F]{0,4})$/.exec(t)
    if (m && (m[1] || m[2])) return (BigInt(`0x${m[1] || '0'}`) << 16n) | BigInt(`0x${m[2] || '0'}`)
    if (/^(0x[0-9a-fA-F]+|\d+)$/.test(t) && BigInt(t) <= 0xffffffffn) return BigInt(t)
    return invalid(path, "Expected a class id: 'root', 'none', MAJOR:MINOR in hex (1:10) or a number", whole)
  }
  const text = (v: bigint): string =>
    v === 0xffffffffn ? 'root' : v === 0n ? 'none' : `${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`
  return {
    ...base,
    ordered: true,
    parse(value, path) {
      if (typeof value === 'string' && value.includes('-')) {
        const [a, b, ...rest] = value.split('-')
        if (rest.length) invalid(path, 'Expected a range of class ids like 1:1-1:9', value)
        const lo = one(a, path, value)
        const hi = one(b, path, value)
        if (lo > hi) invalid(path, 'Expected a range whose start is not above its end', value)
        return { lo, hi }
      }
      const v = one(value, path, value)
      return { lo: v, hi: v }
    },
    format: ({ lo, hi }) => (lo === hi ? text(lo) : `${text(lo)}-${text(hi)}`),
  }
}

const pad2 = (n: number): string => String(n).padStart(2, '0')

/**
 * nft's `time` (`meta time`): nanoseconds since the epoch, host order, written
 * as `"YYYY-MM-DD HH:MM[:SS]"` in the local time zone (as nft reads and prints
 * it) or as seconds since the epoch. No ranges (the dates contain '-').
 */
function dateType(): Datatype {
  const base = integerType('time', 8, 'host', undefined, 43)
  return {
    ...base,
    ordered: true,
    parse(value, path) {
      let secs: number | undefined
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) secs = value
      else if (typeof value === 'string' && /^\d+$/.test(value.trim())) secs = Number(value.trim())
      else if (typeof value === 'string') {
        const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(value.trim())
        if (m) {
          // As nft: the written time as if UTC, minus the local offset at that time.
          const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) / 1000
          secs = utc + new Date(utc * 1000).getTimezoneOffset() * 60
        }
      }
      if (secs === undefined || secs < 0) return invalid(path, 'Expected a date "YYYY-MM-DD HH:MM:SS" (local time) or seconds since the epoch', value)
      const ns = BigInt(secs) * 1000000000n
      return { lo: ns, hi: ns }
    },
    format({ lo }) {
      const d = new Date(Number(lo / 1000000000n) * 1000)
      return `"${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}"`
    },
  }
}

/** The local time zone's current offset from UTC in seconds (nft's tm_gmtoff of now). */
function gmtoff(): number {
  return -new Date().getTimezoneOffset() * 60
}

/**
 * nft's `hour` (`meta hour`): seconds since midnight UTC, host order, written
 * `"HH:MM[:SS]"` in local time. A range that wraps past midnight once moved to
 * UTC is one nft compiles as the negated range between its ends.
 */
function hourType(): Datatype {
  const base = integerType('hour', 4, 'host', undefined, 44)
  const one = (s: string, path: string, whole: unknown): bigint => {
    const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s.trim())
    if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 60)
      return invalid(path, 'Expected an hour "HH:MM" or "HH:MM:SS" (local time)', whole)
    const local = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0)
    return BigInt((((local - gmtoff()) % 86400) + 86400) % 86400)
  }
  const text = (v: bigint): string => {
    const s = (Number(v) + gmtoff() + 86400) % 86400
    const h = Math.floor(s / 3600)
    const m = Math.floor((s % 3600) / 60)
    const sec = s % 60
    return `"${pad2(h)}:${pad2(m)}${sec ? `:${pad2(sec)}` : ''}"`
  }
  return {
    ...base,
    ordered: true,
    parse(value, path) {
      if (typeof value !== 'string') return invalid(path, 'Expected an hour "HH:MM" or "HH:MM:SS" (local time)', value)
      const parts = value.split('-')
      if (parts.length > 2) invalid(path, 'Expected an hour or a range of hours like 08:00-17:00', value)
      const lo = one(parts[0], path, value)
      const hi = parts.length === 2 ? one(parts[1], path, value) : lo
      // A wrapped range (lo > hi) is kept as written; the compiler turns it around.
      return { lo, hi }
    },
    format: ({ lo, hi }) => (lo === hi ? text(lo) : `${text(lo)}-${text(hi)}`),
  }
}

/** nft's `day` (`meta day`): 0 (Sunday) to 6 (Saturday), names printed quoted. */
const DAYS = { Sunday: 0, Monday: 1, Tuesday: 2, Wednesday: 3, Thursday: 4, Friday: 5, Saturday: 6 } as const

function dayType(): Datatype {
  const base = quotedNames(integerType('day', 1, 'host', DAYS, 45))
  return {
    ...base,
    parse(value, path) {
      // nft matches day names case-insensitively and by prefix (Sat, saturday).
      if (typeof value === 'string' && !/^\s*\d/.test(value)) {
        const t = value.trim().toLowerCase()
        const hit = Object.entries(DAYS).filter(([k]) => t.length >= 3 && k.toLowerCase().startsWith(t))
        if (hit.length === 1) return { lo: BigInt(hit[0][1]), hi: BigInt(hit[0][1]) }
      }
      const iv = base.parse(value, path)
      if (iv.hi > 6n) invalid(path, 'Expected a day name (Monday) or a number 0-6 (0 is Sunday)', value)
      return iv
    },
  }
}

/**
 * Interface indexes (`meta iif`, `meta oif`, `meta sdif`). As a value, an
 * interface name (resolved to its index in the target network namespace when
 * the rule is compiled) or an index number; the type itself handles numbers.
 */
const ifaceIndex: Datatype = { ...integerType('iface_index', 4, 'host', undefined, DATATYPE.ifindex), ordered: false }

/**
 * nft's `tcp_flag` (a bitmask type): a value is any combination of flags,
 * written and printed as `syn | ack` (flag names in bit order, nft's
 * symbolic bitmask printing); a single flag is its name.
 */
function tcpFlagType(): Datatype {
  const base = integerType('tcp_flag', 1, 'big', TCP_FLAG, 15)
  const order = Object.entries(TCP_FLAG).sort((a, b) => a[1] - b[1])
  const text = (v: bigint): string | number => {
    if (v === 0n) return base.format({ lo: v, hi: v })
    let rest = Number(v)
    const names: string[] = []
    for (const [k, bit] of order)
      if (rest & bit) {
        names.push(k)
        rest &= ~bit
      }
    return rest === 0 ? names.join(' | ') : Number(v)
  }
  return {
    ...base,
    parse(value, path) {
      if (typeof value === 'string' && value.includes('|')) {
        let v = 0n
        for (const p of value.split('|')) v |= base.parse(p.trim(), path).lo
        return { lo: v, hi: v }
      }
      return base.parse(value, path)
    },
    format: ({ lo, hi }) => (lo === hi ? text(lo) : base.format({ lo, hi })),
  }
}

/** Interface indexes as a set key: ordered (nft keeps them in interval sets, big-endian as other host-order keys). */
const ifaceIndexKey: Datatype = { ...integerType('iface_index', 4, 'host', undefined, DATATYPE.ifindex), ordered: true }

/** Every supported key type by name. */
export const DATATYPES: Readonly<Record<KeyTypeName, Datatype>> = {
  ipv4_addr: addressType('ipv4_addr'),
  ipv6_addr: addressType('ipv6_addr'),
  inet_service: integerType('inet_service', 2, 'big', serviceNames(), undefined, true),
  inet_proto: integerType('inet_proto', 1, 'big', protocolNames()),
  mark: integerType('mark', 4, 'host'),
  ifname,
  ether_addr: etherAddr,
  icmpv6_type: integerType('icmpv6_type', 1, 'big', ICMPV6_TYPE, 29),
  tcp_flag: tcpFlagType(),
  iface_index: ifaceIndexKey,
  classid: classidType(),
  dscp: dscpType,
}

/** Value types of selectors that are not set key types in the public API but appear in anonymous sets. */
export const VALUE_TYPES = {
  nf_proto: integerType('nf_proto', 1, 'big', { ipv4: 2, ipv6: 10 }, 2),
  // `vlan` is an input alias of 8021q; other values print as 0x%.4x (nft's basefmt).
  ether_type: integerType('ether_type', 2, 'big', ETHER_TYPE, 10, false, 4),
  icmp_type: integerType('icmp_type', 1, 'big', ICMP_TYPE, 14),
  icmpv6_type: integerType('icmpv6_type', 1, 'big', ICMPV6_TYPE, 29),
  iface_type: integerType('iface_type', 2, 'host', IFACE_TYPE, 21),
  tcp_flag: integerType('tcp_flag', 1, 'big', TCP_FLAG, 15),
  icmp_code: integerType('icmp_code', 1, 'big', ICMP_CODE, 32),
  icmpv6_code: integerType('icmpv6_code', 1, 'big', ICMPV6_CODE, 33),
  /** Mobility header types (nft's mh_type). */
  mh_type: integerType('mh_type', 1, 'big', MH_TYPE, 17),
  /** Presence of an extension header, TCP option or SCTP chunk, `meta ipsec`, `rt ipsec` (nft's boolean). */
  boolean: integerType('boolean', 1, 'big', { exists: 1, missing: 0 }, 39),
  ct_state: integerType('ct_state', 4, 'host', CT_STATE, 26),
  /** ECN values (`ip ecn`; `ip6 ecn` holds them shifted in the same byte). */
  ecn: integerType('ecn', 1, 'big', { 'not-ect': 0, ect1: 1, ect0: 2, ce: 3 }, 37),
  /** `ip dscp` and `ip6 dscp` as their anonymous sets hold them: shifted in one and two bytes. */
  ip_dscp: shiftedType(dscpType, 2, 6, 1),
  ip6_dscp: shiftedType(dscpType, 6, 6, 2),
  /** nft's `integer` of 3 bytes (`ip6 flowlabel`). */
  int24: integerType('integer', 3, 'big'),
  arp_op: integerType('arp_op', 2, 'big', ARP_OP, 11),
  igmp_type: integerType('igmp_type', 1, 'big', IGMP_TYPE, 42),
  /** DCCP packet types: 4 bits, kept shifted left by one as in the header's byte 8. */
  dccp_pkttype: shiftedType(integerType('dccp_pkttype', 1, 'big', DCCP_PKTTYPE, 16), 1, 4, 1),
  /** nft's `bitmask` type of one byte (comp flags): printed in hex. */
  bitmask8: integerType('bitmask', 1, 'big', undefined, 3, false, 0),
  ct_status: integerType('ct_status', 4, 'host', CT_STATUS, 28),
  /** nft's `integer` type in network order (header fields), by size in bytes. */
  int8: integerType('integer', 1, 'big'),
  int16: integerType('integer', 2, 'big'),
  int32: integerType('integer', 4, 'big'),
  /** nft's `integer` type in host order (meta and ct keys), by size in bytes. */
  hostInt16: integerType('integer', 2, 'host'),
  hostInt32: integerType('integer', 4, 'host'),
  hostInt64: integerType('integer', 8, 'host'),
  pkt_type: integerType('pkt_type', 1, 'host', { host: 0, broadcast: 1, multicast: 2, other: 3 }, 31),
  ct_dir: integerType('ct_dir', 1, 'host', { original: 0, reply: 1 }, 27),
  nf_proto_host: integerType('nf_proto', 1, 'host', { ipv4: 2, ipv6: 10 }, 2),
  /**
   * nft's 16-byte `string` (an `osf name`): written, compared and printed
   * like an interface name, with the string type's id.
   */
  string16: { ...ifname, id: DATATYPE.string },
  /** Address types of a `fib ... type` lookup (RTN_*). */
  fib_addrtype: integerType(
    'fib_addrtype',
    4,
    'host',
    { unspec: 0, unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9, nat: 10, xresolve: 11 },
    38,
  ),
  /** User and group ids: names from /etc/passwd and /etc/group on input, printed as numbers (as nft lists them). */
  uid: integerType('uid', 4, 'host', accountNames('/etc/passwd'), 24, true),
  gid: integerType('gid', 4, 'host', accountNames('/etc/group'), 25, true),
  /** tc class ids (`meta priority`): `root`, `none`, `1:10`. */
  classid: classidType(),
  /** Interface groups, names from /etc/iproute2/group (printed quoted). */
  devgroup: quotedNames(integerType('devgroup', 4, 'host', iproute2Names('/etc/iproute2/group'), 35)),
  /** Routing realms (`meta rtclassid`, `rt classid`), names from /etc/iproute2/rt_realms (printed quoted). */
  realm: quotedNames(integerType('realm', 4, 'host', iproute2Names('/etc/iproute2/rt_realms'), 22)),
  /** Interface index (`meta iif`, `meta oif`, `meta sdif`). */
  iface_index: ifaceIndex,
  /** `meta time`: a date in local time, nanoseconds since the epoch. */
  time: dateType(),
  /** `meta day`: Sunday (0) to Saturday (6). */
  day: dayType(),
  /** `meta hour`: a time of day in local time, seconds since midnight UTC. */
  hour: hourType(),
} as const

/** Datatype by nft id (set key types first, then selector value types), or undefined. */
export function datatypeById(id: number): Datatype | undefined {
  return Object.values(DATATYPES).find((d) => d.id === id) ?? Object.values(VALUE_TYPES).find((d) => d.id === id) ?? CT_VALUE_TYPES.find((d) => d.id === id)
}

/**
 * Datatype by nft id, key length and (from the set's userdata) byte order:
 * nft's `integer` type comes in several sizes and both byte orders.
 */
export function datatypeFor(id: number, size: number, byteorder?: ByteOrder): Datatype | undefined {
  const all = [...Object.values(DATATYPES), ...Object.values(VALUE_TYPES), ...CT_VALUE_TYPES].filter((d) => d.id === id && d.size === size)
  return all.find((d) => byteorder === undefined || d.byteorder === byteorder) ?? all[0]
}

/** Register-aligned length of a key field (concatenations pad each field to 4 bytes). */
export function paddedSize(size: number): number {
  return Math.ceil(size / 4) * 4
}

/** nft's composite datatype id for a concatenation (6 bits per field). */
export function concatTypeId(types: readonly Datatype[]): number {
  return types.reduce((acc, t) => acc * 64 + t.id, 0)
}

/** Splits a composite concatenation id into field datatypes (undefined if unknown). */
export function splitConcatTypeId(id: number, keyLen: number): Datatype[] | undefined {
  const out: Datatype[] = []
  let x = id
  while (x > 0) {
    const t = datatypeById(x % 64)
    if (!t) return undefined
    out.unshift(t)
    x = Math.floor(x / 64)
  }
  const total = out.reduce((a, t) => a + paddedSize(t.size), 0)
  return total === keyLen ? out : undefined
}
