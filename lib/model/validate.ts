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

/** Checks an optional comment (at most 128 bytes, nft's limit; stored with a NUL). */
export function checkComment(v: unknown, path: string): string | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || (v.length * 3 > COMMENT_MAX && Buffer.byteLength(v) > COMMENT_MAX) || v.includes('\0'))
    invalid(path, `Expected a comment of at most ${COMMENT_MAX} bytes`, v)
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
  return walkData(root, path, bounds, false).problem
}

/**
 * A deep copy of `root` as {@link findDataProblem} read it (plain objects and
 * arrays copied, everything else kept), or its first problem. Checking and
 * compiling the copy means every field is read once: a getter cannot return
 * one value to the checks and another (a list lying about its length, say)
 * to the code after them.
 */
export function snapshotData(root: unknown, path: string, bounds: DataBounds = {}): { copy?: unknown; problem?: DataProblem } {
  return walkData(root, path, bounds, true)
}

function walkData(root: unknown, path: string, bounds: DataBounds, copying: boolean): { copy?: unknown; problem?: DataProblem } {
  const maxList = bounds.list ?? LIST_MAX
  const maxDepth = bounds.depth ?? NEST_DEPTH_MAX
  let budget = bounds.values ?? VALUES_MAX
  const open: object[] = []
  // The keys from root to the value being visited; the path string is built
  // only for a problem (building it for every value was most of the cost).
  const keys: Array<string | number> = []
  let problem: DataProblem | undefined
  const at = (extra?: string | number): string => {
    let p = path
    for (const k of extra === undefined ? keys : [...keys, extra]) p += typeof k === 'number' ? `[${k}]` : `.${k.length > 40 ? `${k.slice(0, 40)}...` : k}`
    return p
  }
  const fail = (reason: string, value: unknown, extra?: string | number): undefined => {
    problem = { path: at(extra), reason, value }
    return undefined
  }
  // Returns the value (copied when copying); on a problem, records it and returns undefined.
  const visit = (v: unknown, depth: number): unknown => {
    if (--budget < 0) return fail(`Expected at most ${bounds.values ?? VALUES_MAX} values in all`, v)
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return v
    if (types.isProxy(v)) return fail('Expected plain data, not a Proxy', v)
    if (depth >= maxDepth) return fail(`Expected data nested at most ${maxDepth} deep`, v)
    if (open.includes(v)) return fail('Expected data without cycles (this value contains itself)', v)
    open.push(v)
    try {
      if (Array.isArray(v)) {
        const n = v.length
        if (n > maxList) return fail(`Expected a list of at most ${maxList} entries, not ${n}`, v)
        const out: unknown[] | undefined = copying ? new Array(n) : undefined
        for (let i = 0; i < n; i++) {
          if (!(i in v)) return fail('Expected a value in every entry of the list (it is sparse: this entry is a hole)', undefined, i)
          const x = read(v, i)
          keys.push(i)
          const r = visit(x, depth + 1)
          if (problem) return undefined
          keys.pop()
          if (out) out[i] = r
        }
        return out ?? v
      }
      if (Object.hasOwn(v, '__proto__')) return fail("Expected no field named '__proto__'", undefined, '__proto__')
      const out: Record<string, unknown> | undefined = copying ? {} : undefined
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue
        const x = read(v, k)
        keys.push(k)
        const r = visit(x, depth + 1)
        if (problem) return undefined
        keys.pop()
        if (out) out[k] = r
      }
      return out ?? v
    } catch (e) {
      if (e instanceof ReadError) return fail(`Expected plain data, but reading it threw ${e.cause}`, undefined, e.key)
      throw e
    } finally {
      open.pop()
    }
  }
  const copy = visit(root, 0)
  return problem ? { problem } : { copy }
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

/** {@link snapshotData}, throwing an {@link NftValidationError} for its problem. */
export function checkedCopy<T>(v: T, path: string, bounds?: DataBounds): T {
  const r = snapshotData(v, path, bounds)
  if (r.problem) invalid(r.problem.path, r.problem.reason, r.problem.value)
  return r.copy as T
}
