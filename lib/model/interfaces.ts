/**
 * Interface names and indexes of one network namespace: how `meta iif "lo"`
 * becomes the index the kernel compares (nft resolves the name when it loads
 * the rule) and how an index is printed back as a name.
 * @module
 */

/**
 * Looks up the interfaces of the network namespace rules are committed to or
 * listed from. A `Client` makes one per transaction and per listing,
 * reading the namespace's interfaces when first asked.
 */
export interface InterfaceNames {
  /** Index of the interface with this name, or undefined when there is none. */
  index(name: string): number | undefined
  /** Name of the interface with this index, or undefined when there is none. */
  name(index: number): string | undefined
}

/**
 * Interface names from a list of `[index, name]` pairs, read by `read` when
 * first needed (never, for rules without interface indexes).
 */
export function interfaceNames(read: () => ReadonlyArray<readonly [number, string]>): InterfaceNames {
  let byName: Map<string, number> | undefined
  let byIndex: Map<number, string> | undefined
  const load = () => {
    if (byName && byIndex) return { byName, byIndex }
    const list = read()
    byName = new Map(list.map(([i, n]) => [n, i]))
    byIndex = new Map(list.map(([i, n]) => [i, n]))
    return { byName, byIndex }
  }
  return {
    index: (name) => load().byName.get(name),
    name: (index) => load().byIndex.get(index),
  }
}
