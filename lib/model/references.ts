/**
 * The named objects rule expressions refer to, found by one walk of the typed
 * expressions: what the planner must keep alive and what an ENOENT may be
 * about.
 * @module
 */

/**
 * The references of rule expressions, as `set NAME` (set and map lookups and
 * updates, maps included), `chain NAME` (jumps and gotos, also inside verdict
 * maps), `counter NAME`, `quota NAME`, `limit NAME`, `synproxy NAME` (named objects, also
 * those an anonymous object map names) and `ct helper NAME`, `ct expectation NAME`, in the
 * order they appear.
 */
export function referencesOf(exprs: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(exprs)) {
    for (const x of exprs) referencesOf(x, out)
    return out
  }
  if (typeof exprs !== 'object' || exprs === null) return out
  const o = exprs as Record<string, unknown>
  if (typeof o.set === 'string') out.add(`set ${o.set}`)
  if (typeof o.map === 'string') out.add(`set ${o.map}`)
  for (const k of ['jump', 'goto'] as const) if (typeof o[k] === 'string') out.add(`chain ${o[k]}`)
  if ((o.stmt === 'jump' || o.stmt === 'goto') && typeof o.chain === 'string') out.add(`chain ${o.chain}`)
  if (o.stmt === 'counter' || o.stmt === 'quota' || o.stmt === 'limit' || o.stmt === 'synproxy') {
    if (typeof o.name === 'string') out.add(`${o.stmt} ${o.name}`)
    // `counter name ip saddr map { 10.0.0.1 : "c1" }`: the objects are the map's values.
    if (Array.isArray(o.map)) for (const p of o.map) if (Array.isArray(p) && typeof p[1] === 'string') out.add(`${o.stmt} ${p[1]}`)
  }
  // `ct helper set "h"`, `ct expectation set "e"`: the object, as `ct helper NAME` / `ct expectation NAME`.
  if (o.stmt === 'ct helper set' || o.stmt === 'ct expectation set' || o.stmt === 'ct timeout set') {
    const kind = o.stmt.slice(0, -4)
    if (typeof o.name === 'string') out.add(`${kind} ${o.name}`)
    if (Array.isArray(o.map)) for (const p of o.map) if (Array.isArray(p) && typeof p[1] === 'string') out.add(`${kind} ${p[1]}`)
  }
  for (const x of Object.values(o)) if (typeof x === 'object' && x !== null) referencesOf(x, out)
  return out
}
