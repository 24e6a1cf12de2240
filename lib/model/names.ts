/**
 * Names and keys the library builds from nft's identities: the key of a set
 * (`family\0table\0name`) in every map of sets, and the names of anonymous
 * sets. One owner each, so their formats cannot drift apart.
 * @module
 */

/**
 * The key of a named set or map in lookups of sets (the client's known sets,
 * a transaction's declared sets, the reconciler's indexes). `family` is the
 * family's name, or its number where the caller holds native operations.
 */
export function setKey(family: string | number, table: string | undefined, name: string | undefined): string {
  return `${family}\u0000${table}\u0000${name}`
}

/** The prefix every {@link setKey} of a family (and table, if given) starts with. */
export function setKeyPrefix(family: string | number, table?: string): string {
  return table === undefined ? `${family}\u0000` : `${family}\u0000${table}\u0000`
}

/** The key of a table (family and name). */
export function tableKey(family: string, name: string): string {
  return `${family}\u0000${name}`
}

/**
 * The name an anonymous set (or map, with `map`) is created with: the kernel
 * replaces `%d` with a number, so it reads back as `__set0`, `__map1`, …
 * With `id`, the name with that number (to look up an anonymous set by name).
 */
export function anonymousSetName(map: boolean, id?: number): string {
  const base = map ? '__map' : '__set'
  return id === undefined ? `${base}%d` : `${base}${id}`
}

/** True for the name of an anonymous set or map (`__set0`, `__map3`): nft reserves names starting with `__`. */
export function isAnonymousSetName(name: string): boolean {
  return name.startsWith('__')
}
