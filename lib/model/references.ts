/**
 * The named objects rule expressions refer to, found by one walk of the typed
 * expressions: what the planner must keep alive and what an ENOENT may be
 * about.
 * @module
 */

/** The kind of named object a statement names (`ct helper set "h"` names a `ct helper`). */
const OBJECT_OF_STMT: Readonly<Record<string, string>> = {
  counter: 'counter',
  quota: 'quota',
  limit: 'limit',
  synproxy: 'synproxy',
  'ct helper set': 'ct helper',
  'ct expectation set': 'ct expectation',
  'ct timeout set': 'ct timeout',
}

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
  const kind = typeof o.stmt === 'string' && Object.hasOwn(OBJECT_OF_STMT, o.stmt) ? OBJECT_OF_STMT[o.stmt] : undefined
  if (kind) {
    if (typeof o.name === 'string') out.add(`${kind} ${o.name}`)
    // `counter name ip saddr map { 10.0.0.1 : "c1" }`: the objects are the map's values.
    if (Array.isArray(o.map)) for (const p of o.map) if (Array.isArray(p) && typeof p[1] === 'string') out.add(`${kind} ${p[1]}`)
  }
  for (const x of Object.values(o)) if (typeof x === 'object' && x !== null) referencesOf(x, out)
  return out
}
