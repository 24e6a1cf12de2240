/**
 * From the selected FirewallConfigurations to the desired tables: each object
 * checked on its own (every problem with its field path), a table claimed by
 * two objects refused on both, and the tables of the good ones built the way
 * `nftkit apply` builds them (`toOperations`, `desiredTables`). Pure.
 * @module
 */
import type { Family } from '../kernel/constants.js'
import { NftValidationError } from '../kernel/errors.js'
import { tableKey } from '../model/names.js'
import { desiredTables } from '../state/desired.js'
import type { TableContents } from '../state/tables.js'
import { FAMILY, type FirewallConfiguration, toOperations, validate } from '../liqo/firewall-configuration.js'
import type { KubeObject } from './kube.js'

/** A table by family and name. */
export interface TableRef {
  readonly family: Family
  readonly name: string
}

/** Why an object is not applied. */
export interface Refusal {
  /** `InvalidSpec` (validation), `TableConflict` (two objects, one table), `KernelRefused` (set by the controller). */
  readonly reason: 'InvalidSpec' | 'TableConflict' | 'KernelRefused'
  /** Every problem, one per line, each with its field path. */
  readonly message: string
}

/** One selected object and what becomes of it. */
export interface ObjectPlan {
  /** `namespace/name`. */
  readonly key: string
  readonly object: KubeObject
  /** The table it declares, when that much of it is readable. */
  readonly table?: TableRef
  /** Its table's desired contents (good objects only). */
  readonly contents?: TableContents
  /** Why it is refused (bad objects only). */
  readonly refusal?: Refusal
}

/** The key of an object: `namespace/name`. */
export const objectKey = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`

/** The table key of a table ref (the one key function of model/names). */
export const refKey = (t: TableRef): string => tableKey(t.family, t.name)

/** Plans every object; see the module comment. */
export function planObjects(objects: Iterable<KubeObject>): ObjectPlan[] {
  const plans: ObjectPlan[] = []
  for (const o of objects) plans.push(planOne(o))
  // Two objects for one table: neither is applied, the table is left alone.
  const claims = new Map<string, string[]>()
  for (const p of plans) if (p.table) claims.set(refKey(p.table), [...(claims.get(refKey(p.table)) ?? []), p.key])
  return plans.map((p) => {
    const others = p.table ? (claims.get(refKey(p.table)) ?? []).filter((k) => k !== p.key) : []
    if (others.length === 0) return p
    const message = `spec.table: table ${p.table!.family} ${p.table!.name} is also declared by FirewallConfiguration ${others.join(', ')}; one table may be declared by one object only`
    return { key: p.key, object: p.object, table: p.table, refusal: { reason: 'TableConflict', message } }
  })
}

function planOne(o: KubeObject): ObjectPlan {
  const key = objectKey(o)
  const table = tableOf(o)
  const problems = validate(o)
  if (problems.length) return { key, object: o, table, refusal: { reason: 'InvalidSpec', message: problems.map((p) => `${p.path}: ${p.message}`).join('\n') } }
  const fwc = o as unknown as FirewallConfiguration
  try {
    const [contents] = desiredTables({ operations: toOperations(fwc), tables: [table!] })
    return { key, object: o, table, contents }
  } catch (e) {
    if (!(e instanceof NftValidationError)) throw e
    return { key, object: o, table, refusal: { reason: 'InvalidSpec', message: `spec.table: ${e.message}` } }
  }
}

/** The table an object declares, if its name and family are readable. */
function tableOf(o: KubeObject): TableRef | undefined {
  const t = (o.spec as { table?: { name?: unknown; family?: unknown } } | undefined)?.table
  if (typeof t?.name !== 'string' || t.name === '' || typeof t.family !== 'string' || !Object.hasOwn(FAMILY, t.family)) return undefined
  return { family: FAMILY[t.family as keyof typeof FAMILY], name: t.name }
}
