/**
 * Field validators shared by every object kind: names, comments, families,
 * hooks and priorities. Each throws NftValidationError with the field path.
 * @module
 */
import {
  type ChainType,
  COMMENT_MAX,
  CHAIN_TYPE_SCOPE,
  FAMILIES,
  FAMILY_HOOKS,
  type Family,
  type Hook,
  NAME_MAX,
  type NamedPriority,
  namedPriorityValue,
} from '../kernel/constants.js'
import { types } from 'node:util'
import { invalid } from '../kernel/errors.js'
import { LIST_MAX, NEST_DEPTH_MAX, VALUES_MAX } from '../kernel/limits.js'

/** Checks an object name (table, chain, set, counter): 1-255 bytes, no NUL. */
export function checkName(v: unknown, path: string, what: string): string {
  // UTF-8 needs at most 3 bytes per UTF-16 unit: short names skip the byte count.
  if (typeof v !== 'string' || v.length === 0 || (v.length * 3 > NAME_MAX && Buffer.byteLength(v) > NAME_MAX) || v.includes('\0'))
    invalid(path, `Expected a ${what} name of 1-${NAME_MAX} bytes`, v)
  return v
}

/** Checks an optional comment (at most 127 bytes, as nft stores it with a NUL). */
export function checkComment(v: unknown, path: string): string | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || (v.length * 3 > COMMENT_MAX - 1 && Buffer.byteLength(v) > COMMENT_MAX - 1) || v.includes('\0'))
    invalid(path, `Expected a comment of at most ${COMMENT_MAX - 1} bytes`, v)
  return v
}

/** Checks a family. */
export function checkFamily(v: unknown, path: string): Family {
  if (typeof v !== 'string' || !(FAMILIES as readonly string[]).includes(v))
    invalid(path, `Expected a family: ${FAMILIES.join(', ')}`, v)
  return v as Family
}

/** Checks a kernel handle. */
export function checkHandle(v: unknown, path: string): number {
  if (!(typeof v === 'number' && Number.isSafeInteger(v) && v > 0)) invalid(path, 'Expected a rule/object handle (a positive integer)', v)
  return v
}

/** Checks a non-negative integer within a bound. */
export function checkUint(v: unknown, path: string, max: number, what = 'a non-negative integer'): number {
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max)) invalid(path, `Expected ${what} (0-${max})`, v)
  return v
}

/** Checks a chain type against family and hook, as the kernel would. */
export function checkChainType(type: unknown, family: Family, hook: Hook, path: string): ChainType {
  if (typeof type !== 'string' || !Object.hasOwn(CHAIN_TYPE_SCOPE, type)) invalid(path, 'Expected a chain type: filter, nat or route', type)
  const t = CHAIN_TYPE_SCOPE[type as ChainType]
  if (!t.families.includes(family)) invalid(path, `Expected a chain type valid in a ${family} table (${type} is for ${t.families.join(', ')})`, type)
  if (t.hooks && !t.hooks.includes(hook)) invalid(path, `Expected a chain type valid at hook ${hook} (${type} chains hook ${t.hooks.join(', ')})`, type)
  return type as ChainType
}

/** Checks a hook for a family. */
export function checkHook(v: unknown, family: Family, path: string): Hook {
  const hooks = FAMILY_HOOKS[family]
  if (typeof v !== 'string' || !hooks.includes(v as Hook)) invalid(path, `Expected a ${family} hook: ${hooks.join(', ')}`, v)
  return v as Hook
}

/** Resolves a priority (number, name, or `name +/- n`) to a number. */
export function resolvePriority(v: unknown, family: Family, hook: Hook, path: string): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) invalid(path, 'Expected a 32-bit integer priority', v)
    return v
  }
  if (typeof v === 'string') {
    const m = /^\s*([a-z]+)\s*(?:([+-])\s*(\d+))?\s*$/.exec(v)
    if (m) {
      const base = namedPriorityValue(family, hook, m[1] as NamedPriority)
      if (base !== undefined) {
        const off = m[3] ? Number(m[3]) * (m[2] === '-' ? -1 : 1) : 0
        const prio = base + off
        if (prio < -2147483648 || prio > 2147483647) invalid(path, 'Expected a priority within the 32-bit integer range', v)
        return prio
      }
      invalid(path, `Expected a priority valid for ${family} ${hook} (named: raw, mangle, dstnat, filter, security, srcnat; dstnat only at prerouting, srcnat only at postrouting)`, v)
    }
    if (/^\s*-?\d+\s*$/.test(v)) {
      const n = Number(v)
      if (n < -2147483648 || n > 2147483647) invalid(path, 'Expected a priority within the 32-bit integer range', v)
      return n
    }
  }
  return invalid(path, "Expected a priority: a number, a name such as 'filter', or 'srcnat - 1'", v)
}

/** Why a value is not plain data, and where. */
export interface DataProblem {
  readonly path: string
  readonly reason: string
  readonly value: unknown
}

/** Bounds of {@link findDataProblem}. */
export interface DataBounds {
  /** Longest list (default {@link LIST_MAX}). */
  readonly list?: number
  /** Most values in all (default {@link VALUES_MAX}). */
  readonly values?: number
  /** Deepest nesting (default {@link NEST_DEPTH_MAX}). */
  readonly depth?: number
}

/**
 * The first reason `root` is not plain data the checks after it can iterate
 * safely, or undefined: a Proxy, a cycle, nesting deeper than the bound, a
 * list longer than the bound (read before any entry is), a hole in a sparse
 * list, an own `__proto__` key, a getter that throws, more values than the
 * bound. Work is proportional to the values really present: it stops at the
 * first hole and never trusts a length it has not bounded.
 */
export function findDataProblem(root: unknown, path: string, bounds: DataBounds = {}): DataProblem | undefined {
  const maxList = bounds.list ?? LIST_MAX
  const maxDepth = bounds.depth ?? NEST_DEPTH_MAX
  let budget = bounds.values ?? VALUES_MAX
  // The objects being visited, outermost first, and the key under which each
  // child is being read: a path is joined only for a problem (a string per
  // field visited was most of the work for a typical operation).
  const open: object[] = []
  const keys: Array<string | number> = []
  const at = (extra?: string | number): string => {
    let p = path
    for (const k of extra === undefined ? keys : [...keys, extra]) p += typeof k === 'number' ? `[${k}]` : `.${k.length > 40 ? `${k.slice(0, 40)}...` : k}`
    return p
  }
  const visit = (v: unknown, depth: number): DataProblem | undefined => {
    if (--budget < 0) return { path: at(), reason: `Expected at most ${bounds.values ?? VALUES_MAX} values in all`, value: v }
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return undefined
    if (types.isProxy(v)) return { path: at(), reason: 'Expected plain data, not a Proxy', value: v }
    if (depth >= maxDepth) return { path: at(), reason: `Expected data nested at most ${maxDepth} deep`, value: v }
    if (open.includes(v)) return { path: at(), reason: 'Expected data without cycles (this value contains itself)', value: v }
    open.push(v)
    const mark = keys.length
    try {
      if (Array.isArray(v)) {
        const n = v.length
        if (n > maxList) return { path: at(), reason: `Expected a list of at most ${maxList} entries, not ${n}`, value: v }
        for (let i = 0; i < n; i++) {
          if (!(i in v)) return { path: at(i), reason: 'Expected a value in every entry of the list (it is sparse: this entry is a hole)', value: undefined }
          keys.push(i)
          const r = visit(read(v, i), depth + 1)
          keys.pop()
          if (r) return r
        }
        return undefined
      }
      if (Object.hasOwn(v, '__proto__')) return { path: at('__proto__'), reason: "Expected no field named '__proto__'", value: undefined }
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue
        keys.push(k)
        const r = visit(read(v, k), depth + 1)
        keys.pop()
        if (r) return r
      }
      return undefined
    } catch (e) {
      if (e instanceof ReadError) {
        keys.length = mark
        return { path: e.key === undefined ? at() : at(typeof e.key === 'number' ? e.key : e.key.slice(0, 40)), reason: `Expected plain data, but reading it threw ${e.cause}`, value: undefined }
      }
      throw e
    } finally {
      open.pop()
    }
  }
  return visit(root, 0)
}

/** A getter that threw while {@link findDataProblem} read a field. */
class ReadError extends Error {
  constructor(
    readonly key: string | number | undefined,
    readonly cause: string,
  ) {
    super(cause)
  }
}

function read(o: object, k: string | number): unknown {
  try {
    return (o as Record<string | number, unknown>)[k]
  } catch (e) {
    const name = e instanceof Error ? e.name : typeof e
    throw new ReadError(k, name)
  }
}

/** Throws an {@link NftValidationError} for the first {@link findDataProblem} of `v`. */
export function checkData(v: unknown, path: string, bounds?: DataBounds): void {
  const r = findDataProblem(v, path, bounds)
  if (r) invalid(r.path, r.reason, r.value)
}
