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
import { invalid } from '../kernel/errors.js'

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
