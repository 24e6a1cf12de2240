/**
 * Which object an ENOENT was about. The kernel answers "no such file or
 * directory" for a missing table, chain, set, counter or rule handle alike;
 * nftkit knows the operation it sent, so after a refused batch (nothing was
 * applied) it compares what the operation refers to with a listing of that
 * table and with what the batch itself created before it.
 * @module
 */
import type { Family } from '../kernel/constants.js'
import type { Operation } from '../model/operations.js'
import { referencesOf } from '../model/references.js'
import type { Listing } from './listing.js'

type Obj = Record<string, unknown> & { kind: string; family?: Family; table?: string; name?: string }

/**
 * The missing object that made operation `index` of `ops` fail with ENOENT,
 * as text (`chain inet fw input does not exist`), or undefined when it cannot
 * tell. `before` is the listing of the operation's family and table, taken
 * after the refusal (the batch applied nothing).
 */
export function missingObject(ops: readonly Operation[], index: number, before: Listing): string | undefined {
  const op = ops[index]
  const o = op.object as Obj
  const family = o.family
  const table = o.kind === 'table' ? o.name : o.table
  if (family === undefined || table === undefined) return undefined
  // What exists at operation `index`: the listing plus what earlier operations of the batch added.
  const made = (kind: string, name: string) =>
    ops.slice(0, index).some((x) => {
      const p = x.object as Obj
      if (x.verb === 'delete' || x.verb === 'destroy' || p.family !== family) return false
      if (kind === 'table') return p.kind === 'table' && p.name === name
      return p.table === table && (p.kind === kind || (kind === 'set' && p.kind === 'map')) && p.name === name
    })
  const hasTable = before.tables.some((t) => t.family === family && t.name === table) || made('table', table)
  const where = `${family} ${table}`
  if (!hasTable) return `table ${where} does not exist`
  const inTable = <T extends { family?: string; table?: string }>(xs: readonly T[]) => xs.filter((x) => x.family === family && x.table === table)
  const hasChain = (n: string) => inTable(before.chains).some((c) => c.name === n) || made('chain', n)
  const hasSet = (n: string) => inTable(before.sets).some((s) => s.name === n) || made('set', n)
  const hasCounter = (n: string) => inTable(before.counters).some((c) => c.name === n) || made('counter', n)
  const hasObject = (kind: 'quota' | 'limit' | 'synproxy', n: string) => inTable(before.objects ?? []).some((c) => c.kind === kind && c.name === n) || made(kind, n)
  switch (o.kind) {
    case 'chain':
      if (!hasChain(String(o.name))) return `chain ${where} ${o.name} does not exist`
      return undefined
    case 'set':
    case 'map':
      if (!hasSet(String(o.name))) return `${o.kind} ${where} ${o.name} does not exist`
      return undefined
    case 'counter':
      if (!hasCounter(String(o.name))) return `counter ${where} ${o.name} does not exist`
      return undefined
    case 'quota':
    case 'limit':
    case 'synproxy':
      if (!hasObject(o.kind, String(o.name))) return `${o.kind} ${where} ${o.name} does not exist`
      return undefined
    case 'element':
      if (!hasSet(String(o.set))) return `set ${where} ${o.set} does not exist`
      return op.verb === 'delete' ? `an element to delete is not in set ${where} ${o.set}` : undefined
    case 'rule': {
      const chain = String(o.chain)
      if (!hasChain(chain)) return `chain ${where} ${chain} does not exist`
      for (const k of ['handle', 'position'] as const) {
        const h = o[k]
        if (typeof h === 'number' && !inTable(before.rules).some((r) => r.chain === chain && r.handle === h))
          return `rule handle ${h} does not exist in chain ${where} ${chain}`
      }
      const refs = [...referencesOf(o.exprs)]
      for (const r of refs) if (r.startsWith('set ') && !hasSet(r.slice(4))) return `set ${where} ${r.slice(4)} does not exist (looked up as @${r.slice(4)})`
      for (const r of refs) if (r.startsWith('chain ') && !hasChain(r.slice(6))) return `chain ${where} ${r.slice(6)} does not exist (jumped to)`
      for (const r of refs) if (r.startsWith('counter ') && !hasCounter(r.slice(8))) return `counter ${where} ${r.slice(8)} does not exist`
      for (const r of refs) {
        const m = /^(quota|limit|synproxy) (.*)$/.exec(r)
        if (m && !hasObject(m[1] as 'quota' | 'limit' | 'synproxy', m[2])) return `${m[1]} ${where} ${m[2]} does not exist`
      }
      return undefined
    }
    default:
      return undefined
  }
}
