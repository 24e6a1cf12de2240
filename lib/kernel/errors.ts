/**
 * Errors: one class for kernel refusals ({@link NftError}) and one for bad input
 * caught before anything reaches the kernel ({@link NftValidationError}).
 * @module
 */
import { constants } from 'node:os'
import { types } from 'node:util'
import { NETDEVICE_MAX, QUOTE_MAX } from './limits.js'

/**
 * Linux errno names Node's `os.constants.errno` lacks but nf_tables returns:
 * ERESTART (a stale generation id), and ENOTSUPP, a kernel-internal code
 * some netlink paths leak to user space.
 */
const LINUX_ONLY_ERRNOS: Readonly<Record<string, number>> = { ERESTART: 85, ENOTSUPP: 524 }

/** Where two names share a number, the one the kernel and nft use. */
const PREFERRED = new Set(['EAGAIN', 'EDEADLK', 'EOPNOTSUPP'])

/** errno number -> name, from the platform's own table (derived, not hand-listed). */
const ERRNO_NAMES: ReadonlyMap<number, string> = (() => {
  const names = new Map<number, string>()
  for (const [name, n] of Object.entries({ ...constants.errno, ...LINUX_ONLY_ERRNOS })) {
    if (!names.has(n) || PREFERRED.has(name)) names.set(n, name)
  }
  return names
})()

/**
 * The name of a positive errno (`27` -> `'EFBIG'`). A number with no name on
 * this platform comes back as `ERRNO_<n>`, keeping the number visible.
 */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `ERRNO_${errno}`
}

/** Kernel message type names by NFT_MSG_* number, for error messages. */
const MSG_NAMES: Record<number, string> = {
  0: 'NEWTABLE', 2: 'DELTABLE', 3: 'NEWCHAIN', 5: 'DELCHAIN', 6: 'NEWRULE', 8: 'DELRULE',
  9: 'NEWSET', 11: 'DELSET', 12: 'NEWSETELEM', 14: 'DELSETELEM', 18: 'NEWOBJ', 20: 'DELOBJ',
  26: 'DESTROYTABLE', 27: 'DESTROYCHAIN', 28: 'DESTROYRULE', 29: 'DESTROYSET', 30: 'DESTROYSETELEM',
  31: 'DESTROYOBJ',
}

/** NFT_MSG_* name of a netlink message type (subsystem bits stripped). */
export function messageName(msgType: number): string | undefined {
  if (msgType === 0x10) return 'BATCH_BEGIN'
  if (msgType === 0x11) return 'BATCH_END'
  return MSG_NAMES[msgType & 0xff]
}

/** What an operation in a failed batch was, for messages and `error.object`. */
export interface FailedOperation {
  /** The verb used (add, delete, ...). */
  readonly verb: string
  /** The object as given to the transaction. */
  readonly object: { readonly kind: string }
}

/** Fields of an {@link NftError}. */
export interface NftErrorInit {
  errno: number
  code: string
  message: string
  op?: string
  index?: number
  object?: FailedOperation['object']
  verb?: string
  extMessage?: string
  others?: readonly NftError[]
}

/**
 * A refusal from the kernel (or a failed system call), with the facts attached.
 *
 * `errno`/`code` are the kernel's; `op` is the netlink message (`DELCHAIN`),
 * `index` the position of the failing operation in the transaction and
 * `object` the object given for it. When several operations failed in one
 * batch, `others` holds the rest. A failed commit leaves the kernel unchanged.
 */
export class NftError extends Error {
  /** Positive errno, e.g. 16. */
  readonly errno: number
  /** errno name, e.g. `EBUSY`. */
  readonly code: string
  /** Netlink message type that failed, e.g. `DELCHAIN`. */
  readonly op?: string
  /** Index of the failing operation in the transaction. */
  readonly index?: number
  /** The object of the failing operation, as given to the transaction. */
  readonly object?: FailedOperation['object']
  /** The verb of the failing operation. */
  readonly verb?: string
  /** The kernel's extended-ack message, when it sent one. */
  readonly extMessage?: string
  /** Further errors reported for the same batch. */
  readonly others: readonly NftError[]

  constructor(init: NftErrorInit) {
    super(init.message)
    this.name = 'NftError'
    this.errno = init.errno
    this.code = init.code
    this.op = init.op
    this.index = init.index
    this.object = init.object
    this.verb = init.verb
    this.extMessage = init.extMessage
    this.others = init.others ?? []
  }
}

/**
 * Bad input caught before anything reached the kernel. Carries the field path
 * (`rule.exprs[2].value`), the value received and the reason.
 */
export class NftValidationError extends TypeError {
  /** Dotted path of the offending field. */
  readonly path: string
  /** The value received. */
  readonly value: unknown
  /** Why it was rejected. */
  readonly reason: string

  constructor(path: string, reason: string, value: unknown) {
    super(`${reason} for ${path} but received ${describe(value)}`)
    this.name = 'NftValidationError'
    this.path = path
    this.value = value
    this.reason = reason
  }
}

/**
 * Renders a received value for an error message: `"x" (string)`. Bounded in
 * work as well as in length: strings, object keys and arrays are read only
 * as far as the quote needs, so a huge, cyclic, Proxy or getter-laden value
 * costs no more than a small one and never throws.
 */
export function describe(value: unknown): string {
  try {
    if (value === undefined) return 'undefined'
    if (value === null) return 'null'
    if (typeof value === 'string') return `${quoteString(value)} (string)`
    if (typeof value === 'bigint') {
      const big = value > 10n ** 30n || value < -(10n ** 30n)
      return big ? 'a bigint of more than 30 digits (bigint)' : `${String(value)} (bigint)`
    }
    if (typeof value === 'number' || typeof value === 'boolean') return `${String(value)} (${typeof value})`
    if (typeof value === 'symbol') return 'a symbol'
    if (typeof value === 'function') return 'a function'
    if (types.isProxy(value)) return 'a Proxy'
    if (Array.isArray(value)) return `an array of ${value.length}`
    if (value instanceof Uint8Array) return `a byte array of ${value.length}`
    const out = { text: '', budget: QUOTE_MAX }
    quoteObject(value as object, out, 2)
    return out.budget < 0 ? `${out.text.slice(0, QUOTE_MAX - 3)}... (object)` : `${out.text} (object)`
  } catch {
    return 'an object'
  }
}

/** A string as JSON, at most {@link QUOTE_MAX} characters of it. */
function quoteString(s: string): string {
  return s.length > QUOTE_MAX ? `${JSON.stringify(s.slice(0, QUOTE_MAX))}... (${s.length} characters)` : JSON.stringify(s)
}

/** Appends a JSON-like rendering of `v` to `out` until its budget runs out. */
function quoteObject(v: unknown, out: { text: string; budget: number }, depth: number): undefined {
  const put = (s: string): undefined => {
    out.text += s
    out.budget -= s.length
  }
  if (typeof v === 'string') return put(JSON.stringify(v.length > QUOTE_MAX ? v.slice(0, QUOTE_MAX) : v))
  if (typeof v !== 'object' || v === null) return put(typeof v === 'bigint' ? `${v > 10n ** 30n || v < -(10n ** 30n) ? 'bigint' : v}n` : String(v))
  if (types.isProxy(v)) return put('Proxy')
  if (depth === 0) return put(Array.isArray(v) ? '[...]' : '{...}')
  if (Array.isArray(v)) {
    put('[')
    for (let i = 0; i < v.length && out.budget > 0; i++) {
      if (i > 0) put(',')
      quoteObject(i in v ? v[i] : undefined, out, depth - 1)
    }
    return put(']')
  }
  put('{')
  let first = true
  // Stops reading values (and their getters) as soon as the budget is spent.
  for (const k in v) {
    if (out.budget <= 0) break
    if (!Object.hasOwn(v, k)) continue
    put(`${first ? '' : ','}${JSON.stringify(k.length > QUOTE_MAX ? k.slice(0, QUOTE_MAX) : k)}:`)
    first = false
    let x: unknown
    try {
      x = (v as Record<string, unknown>)[k]
    } catch {
      x = '?'
    }
    quoteObject(x, out, depth - 1)
  }
  return put('}')
}

/** Throws an {@link NftValidationError}. */
export function invalid(path: string, reason: string, value: unknown): never {
  throw new NftValidationError(path, reason, value)
}

/**
 * Reads the known fields of an options object once, into a plain copy: a
 * non-object, a Proxy or a getter that throws becomes an
 * {@link NftValidationError} naming the field, and later checks see values
 * that cannot change under them.
 */
export function readOptions(opts: unknown, known: readonly string[], path: string): Record<string, unknown> {
  if (opts === undefined) return {}
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) invalid(path, 'Expected an options object', opts)
  if (types.isProxy(opts)) invalid(path, 'Expected a plain options object, not a Proxy', opts)
  const out: Record<string, unknown> = {}
  for (const k of known) {
    try {
      out[k] = (opts as Record<string, unknown>)[k]
    } catch (e) {
      invalid(`${path}.${k}`, `Expected a readable option (its getter threw ${e instanceof Error ? e.name : typeof e})`, undefined)
    }
  }
  return out
}

/** Suggests the closest known word for a typo, or undefined. */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1
  for (const k of known) {
    const d = editDistance(word, k)
    if (d < bestD) {
      bestD = d
      best = k
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]
    dp[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return dp[b.length]
}

/** Rejects unknown keys of an options object, with a suggestion for typos. */
export function checkKeys(obj: object, known: readonly string[], path: string): void {
  for (const k of Object.keys(obj)) {
    if (known.includes(k)) continue
    const hint = didYouMean(k, known)
    invalid(`${path}.${k}`, hint ? `Unknown option '${k}' – did you mean '${hint}'? Expected no such field` : `Unknown option '${k}'. Expected no such field`, (obj as Record<string, unknown>)[k])
  }
}

/** A person-readable explanation of an errno for an operation on an object. */
export function explain(code: string, verb: string, kind: string): string {
  switch (code) {
    case 'ENOENT':
      return verb === 'add' || verb === 'create' || verb === 'insert' || verb === 'replace'
        ? 'something it refers to does not exist (table, chain, set, or rule handle)'
        : 'does not exist'
    case 'EEXIST':
      return 'already exists'
    case 'EBUSY':
      return kind === 'chain'
        ? 'chain is not empty or is still a jump target'
        : kind === 'set' || kind === 'map'
          ? 'set is still referenced by a rule'
          : kind === 'table'
            ? 'table is in use'
            : 'object is still in use'
    case 'EPERM':
      return 'needs CAP_NET_ADMIN in this network namespace (or the table is owned by another process)'
    case 'EACCES':
      return 'needs CAP_NET_ADMIN in this network namespace'
    case 'EOPNOTSUPP':
      return 'not supported by this kernel or not valid in this context (hook, family or chain type)'
    case 'EINVAL':
      return 'the kernel rejected the arguments as invalid'
    case 'ERESTART':
      return 'the ruleset changed since it was read (generation mismatch): re-read and retry'
    case 'ENOSPC':
    case 'ENFILE':
      return kind === 'set' || kind === 'map' || kind === 'element' ? 'set or map is full (its size limit is reached)' : 'too many objects'
    case 'ERANGE':
      return 'a value is out of the range the kernel accepts (e.g. a timeout too large, or userdata over 256 bytes)'
    case 'E2BIG':
      return 'too large for the kernel (e.g. more than 16 fields in a concatenated set key)'
    case 'EFBIG':
      // nf_tables returns EFBIG for a hook's device list reaching NFT_NETDEVICE_MAX
      // and for a rule whose expressions take 4 KiB or more of kernel memory.
      return kind === 'chain'
        ? `too many devices: at most ${NETDEVICE_MAX} devices per hook (the kernel's NFT_NETDEVICE_MAX is ${NETDEVICE_MAX + 1})`
        : kind === 'rule'
          ? 'the rule is too large: its expressions take 4 KiB or more of kernel memory (split it into several rules)'
          : 'too large for the kernel'
    case 'EOVERFLOW':
      return 'a kernel counter would overflow (e.g. too many references to one object)'
    case 'ELOOP':
      return 'would create a jump loop'
    case 'EMLINK':
      return 'too many nested jumps'
    case 'ENOBUFS':
      return 'the netlink socket ran out of buffer space'
    case 'EMSGSIZE':
      return 'a netlink message or attribute is larger than netlink can carry (64 KiB per message or attribute)'
    default:
      return code
  }
}

/** True if `e` is an {@link NftError} with code ENOENT. */
export const isNotFound = (e: unknown): e is NftError => e instanceof NftError && e.code === 'ENOENT'
/** True if `e` is an {@link NftError} with code EEXIST. */
export const isAlreadyExists = (e: unknown): e is NftError => e instanceof NftError && e.code === 'EEXIST'
/** True if `e` is an {@link NftError} for a stale generation id (ERESTART). */
export const isGenerationMismatch = (e: unknown): e is NftError => e instanceof NftError && e.code === 'ERESTART'
