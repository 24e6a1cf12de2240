/**
 * Elements of sets keyed by interface index (`type iface_index`, `typeof iif`):
 * nft resolves an interface name to its index when it adds the element and
 * lists the index back as the name. nftkit does the same in the network
 * namespace of the transaction (resolving) and of the listing (naming).
 * @module
 */
import type { Datatype } from '../kernel/datatypes.js'
import { invalid } from '../kernel/errors.js'
import { type Element, type ElementKey, isSpec } from '../model/element-types.js'

const isIface = (t: Datatype): boolean => t.name === 'iface_index'

/** Whether a key has an interface-index field. */
export function hasIfaceKey(key: readonly Datatype[]): boolean {
  return key.some(isIface)
}

function mapKey(key: readonly Datatype[], k: ElementKey, f: (v: string | number, j: number) => string | number): ElementKey {
  if (key.length === 1) return Array.isArray(k) || !isIface(key[0]) ? k : f(k as string | number, 0)
  return Array.isArray(k) ? (k as ReadonlyArray<string | number>).map((x, j) => (key[j] && isIface(key[j]) ? f(x, j) : x)) : k
}

function mapElements(key: readonly Datatype[], elements: readonly Element[], f: (v: string | number, path: string) => string | number, path: string): Element[] {
  return elements.map((e, i) => {
    const p = `${path}[${i}]`
    if (isSpec(e)) {
      if (e.key === '*') return e
      return { ...e, key: mapKey(key, e.key, (v, j) => f(v, key.length > 1 ? `${p}.key[${j}]` : `${p}.key`)) }
    }
    if (e === '*') return e
    return mapKey(key, e, (v, j) => f(v, key.length > 1 ? `${p}[${j}]` : p))
  })
}

/**
 * The elements with interface names in interface-index fields replaced by
 * their indexes (numbers, and names made of digits, are indexes already).
 * @throws NftValidationError for a name no interface has, or a name when the
 *   namespace is unknown (`index` undefined).
 */
export function resolveIfaceKeys(
  key: readonly Datatype[],
  elements: readonly Element[],
  index: ((name: string) => number | undefined) | undefined,
  path: string,
): readonly Element[] {
  if (!hasIfaceKey(key)) return elements
  return mapElements(
    key,
    elements,
    (v, p) => {
      if (typeof v !== 'string') return v
      const idx = index?.(v)
      if (idx !== undefined) return idx
      if (/^\d+$/.test(v)) return Number(v)
      if (!index)
        invalid(p, 'Expected an interface index: interface names are resolved in the network namespace the set is committed to, which this transaction has no access to (use a client\'s transaction, or give the index as a number)', v)
      return invalid(p, `Expected an existing interface: there is no interface "${v}" in the target network namespace`, v)
    },
    path,
  )
}

/** The elements with interface indexes named (an index no interface has stays a number). */
export function nameIfaceKeys(key: readonly Datatype[], elements: readonly Element[], name: (index: number) => string | undefined): Element[] {
  if (!hasIfaceKey(key)) return elements as Element[]
  return mapElements(key, elements, (v) => (typeof v === 'number' ? (name(v) ?? v) : v), '')
}
