/**
 * Size limits of netlink and nf_tables, checked when an operation is added to
 * a transaction so that a mistake names the field and the limit instead of
 * coming back from the kernel as a bare errno (or, for netlink's 16-bit
 * lengths, not coming back at all: a nested attribute over 64 KiB wraps and
 * the kernel reads the rest of it as other attributes). The addon refuses
 * such messages too (`native/core/batch_builder.cc`); this is where the error
 * can say which field is too large. Facts from `net/netfilter/nf_tables_api.c`.
 * @module
 */
import type { NativeExpr } from '../../types/native.js'

/** Largest netlink message or attribute: `nlmsghdr`/`nlattr` lengths are 16 bits. */
export const NETLINK_ATTR_MAX = 0xffff

/**
 * Devices one netdev/ingress/egress hook may name. The kernel counts them as
 * it parses and answers EFBIG when the count reaches NFT_NETDEVICE_MAX (256),
 * so 255 is the most it accepts.
 */
export const NETDEVICE_MAX = 255

/** Kernel expressions one rule may hold (NFT_RULE_MAXEXPRS); the 129th is refused with EINVAL. */
export const RULE_MAXEXPRS = 128

/** Largest userdata of a table, chain, rule, set, element or object (NFT_USERDATA_MAXLEN; ERANGE beyond). */
export const USERDATA_MAX = 256

/** Largest set key or map value in bytes (NFT_DATA_VALUE_MAXLEN; EINVAL beyond). */
export const DATA_VALUE_MAX = 64

/** Bytes of one netlink attribute carrying `payload` bytes (header, padding to 4). */
function attr(payload: number): number {
  return 4 + ((payload + 3) & ~3)
}

/**
 * Bytes of the hook attribute of a chain with these devices: the hook nest
 * (hook number, priority) around the nested list of device names. This is the
 * attribute that must stay within {@link NETLINK_ATTR_MAX}.
 */
export function hookAttrSize(devices: readonly string[]): number {
  let list = 4
  for (const d of devices) list += attr(Buffer.byteLength(d) + 1)
  return 4 + attr(4) + attr(4) + list
}

/**
 * An upper bound of the bytes of a rule's expression list attribute: per
 * expression a list element holding its name and a nest of its attributes;
 * numbers counted as 64-bit, byte strings as nested data values.
 */
export function exprsAttrSize(exprs: readonly NativeExpr[]): number {
  let n = 4
  for (const e of exprs) {
    n += 4 + attr(Buffer.byteLength(e.type) + 1) + 4
    for (const k in e) {
      const v = e[k]
      if (k === 'type') continue
      if (v instanceof Uint8Array) n += 4 + attr(v.length)
      else if (typeof v === 'string') n += attr(Buffer.byteLength(v) + 1)
      else if (v !== undefined) n += attr(8)
    }
  }
  return n
}

/** "65576 bytes (64.0 KiB)" for a message. */
export function sizeText(bytes: number): string {
  return `${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)`
}

/*
 * Bounds on input size, checked before anything is iterated so that an input
 * lying about its size (an array claiming a length of 1e9, a deep or
 * self-referencing object, an alias bomb in YAML) is refused in time
 * proportional to what it really holds. The kernel imposes no count on the
 * elements of one batch; these are bounds no real ruleset reaches.
 */

/**
 * Entries of one list in one operation (elements of a set, values of an
 * anonymous set). 16 Mi elements are over 300 MB of netlink messages; the
 * largest real sets (address block lists) hold a few million.
 */
export const LIST_MAX = 1 << 24

/**
 * Values (objects, arrays and scalars) in one operation or one document. Every
 * value of a real operation is part of a list bounded by {@link LIST_MAX}; this
 * bounds what getters or shared references could make of them.
 */
export const VALUES_MAX = 1 << 26

/**
 * Nesting depth of input data (objects in arrays in objects…) and of nft
 * text. The deepest real shapes (a FirewallConfiguration's match value inside
 * a rule of a chain of a table, a concatenated range inside an element) are
 * about 10 deep; 64 keeps every check's recursion far from the stack limit.
 */
export const NEST_DEPTH_MAX = 64

/**
 * Characters of one nft or YAML/JSON text. `nft list ruleset` of a million
 * set elements is about 40 MB; V8 strings end at 512 Mi characters.
 */
export const TEXT_MAX = 128 * 1024 * 1024

/** The most a source file may weigh: far beyond any real ruleset, and refused before it is read. */
export const MAX_SOURCE_BYTES = 64 * 1024 * 1024

/** Characters of a received value quoted in an error message. */
export const QUOTE_MAX = 80
