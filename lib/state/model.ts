/**
 * Applies operations to an in-memory ruleset (no kernel), to show what a set
 * of files declares: `nftkit render`. Handles are not known here, so
 * handle-based operations (replace/delete rule) are refused.
 * @module
 */
import type { Family, Hook } from '../kernel/constants.js'
import { resolvePriority } from '../model/validate.js'
import { NftValidationError } from '../kernel/errors.js'
import type { Element } from '../model/element-types.js'
import type { RuleExpr } from '../model/rule-types.js'
import type { Chain, Counter, CtExpectation, CtHelper, Limit, NamedMap, NamedSet, Quota, Synproxy, Table } from '../model/objects.js'
import type { Operation } from '../model/operations.js'
import { objectKey, type TableContents } from './tables.js'

interface MutableTable {
  table: Table & { family: Family; name: string }
  counters: Array<Counter & { family: Family; table: string }>
  objects: Array<(Quota | Limit | Synproxy) & { family: Family; table: string }>
  ctObjects: Array<(CtHelper | CtExpectation) & { family: Family; table: string }>
  sets: Array<(NamedSet | NamedMap) & { family: Family; table: string; elements: Element[] }>
  chains: Array<Chain & { family: Family; table: string }>
  objectOrder: string[]
  rules: Array<{ kind: 'rule'; family: Family; table: string; chain: string; exprs: readonly RuleExpr[]; comment?: string }>
}

/** Builds the state the operations declare, table by table, in declaration order. */
export function applyToModel(ops: readonly Operation[]): TableContents[] {
  const tables: MutableTable[] = []
  const find = (family: Family, name: string) => tables.find((t) => t.table.family === family && t.table.name === name)
  const need = (family: Family, name: string, what: string) => {
    const t = find(family, name)
    if (!t) throw declarationError('table', `${what}: table ${family} ${name} is not declared`, name)
    return t
  }
  for (const { verb, object: o } of ops) {
    const obj = o as Record<string, unknown> & { kind: string; family: Family; table: string; name: string }
    switch (obj.kind) {
      case 'ruleset':
        tables.splice(0, tables.length, ...tables.filter((t) => obj.family && t.table.family !== obj.family))
        break
      case 'table': {
        const t = find(obj.family, obj.name)
        if (verb === 'delete' || verb === 'destroy') tables.splice(tables.indexOf(t as MutableTable), t ? 1 : 0)
        else if (verb === 'flush') {
          if (t) t.rules = []
        } else if (t) Object.assign(t.table, obj)
        else tables.push({ table: { ...(obj as unknown as Table), family: obj.family, name: obj.name }, counters: [], objects: [], ctObjects: [], objectOrder: [], sets: [], chains: [], rules: [] })
        break
      }
      case 'chain': {
        const t = need(obj.family, obj.table, `${verb} chain ${obj.name}`)
        const i = t.chains.findIndex((c) => c.name === obj.name)
        if (verb === 'delete' || verb === 'destroy') {
          if (i >= 0) t.chains.splice(i, 1)
          t.rules = t.rules.filter((r) => r.chain !== obj.name)
        } else if (verb === 'flush') t.rules = t.rules.filter((r) => r.chain !== obj.name)
        else {
          // Normal form, as the kernel keeps it: numeric priority, explicit policy.
          const c = { ...obj } as Record<string, unknown>
          if (c.hook !== undefined) {
            c.type ??= 'filter'
            c.policy ??= 'accept'
            if (c.priority !== undefined) c.priority = resolvePriority(c.priority, obj.family, c.hook as Hook, 'priority')
          }
          if (i < 0) t.chains.push(c as unknown as MutableTable['chains'][number])
          else Object.assign(t.chains[i], c)
        }
        break
      }
      case 'rule': {
        const t = need(obj.family, obj.table, `${verb} rule`)
        if (verb === 'replace' || verb === 'delete' || verb === 'destroy' || obj.position !== undefined)
          throw declarationError('rule.handle', `${verb} rule by handle or position needs a kernel: use nftkit apply`, obj.handle)
        const r = { kind: 'rule' as const, family: obj.family, table: obj.table, chain: String(obj.chain), exprs: obj.exprs as RuleExpr[], ...(obj.comment !== undefined ? { comment: String(obj.comment) } : {}) }
        if (verb === 'insert') {
          const first = t.rules.findIndex((x) => x.chain === r.chain)
          t.rules.splice(first < 0 ? t.rules.length : first, 0, r)
        } else t.rules.push(r)
        break
      }
      case 'set':
      case 'map': {
        const t = need(obj.family, obj.table, `${verb} ${obj.kind} ${obj.name}`)
        const i = t.sets.findIndex((s) => s.name === obj.name)
        if (verb === 'delete' || verb === 'destroy') {
          if (i >= 0) t.sets.splice(i, 1)
        } else if (verb === 'flush') {
          if (i >= 0) t.sets[i].elements = []
        } else if (i < 0) {
          // Normal form: a default timeout implies the timeout flag; flags in nft's order.
          const set = { ...(obj as unknown as NamedSet), family: obj.family, table: obj.table, elements: [...((obj.elements as Element[]) ?? [])] }
          const flags = new Set(set.flags ?? [])
          if (set.timeout !== undefined) flags.add('timeout')
          const ordered = (['constant', 'dynamic', 'interval', 'timeout'] as const).filter((f) => flags.has(f))
          if (set.policy === 'performance') delete (set as { policy?: string }).policy // the default
          t.sets.push({ ...set, ...(ordered.length ? { flags: ordered } : {}) })
        }
        break
      }
      case 'element': {
        const t = need(obj.family, obj.table, `${verb} element`)
        const s = t.sets.find((x) => x.name === obj.set)
        if (!s) throw declarationError('element.set', `${verb} element: set ${obj.set} is not declared in table ${obj.family} ${obj.table}`, obj.set)
        const els = obj.elements as Element[]
        const keyOf = (e: Element) => JSON.stringify(typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as { key: unknown }).key : e)
        if (verb === 'delete' || verb === 'destroy') {
          const gone = new Set(els.map(keyOf))
          s.elements = s.elements.filter((e) => !gone.has(keyOf(e)))
        } else s.elements.push(...els)
        break
      }
      case 'ct helper':
      case 'ct expectation': {
        const t = need(obj.family, obj.table, `${verb} ${obj.kind} ${obj.name}`)
        const i = t.ctObjects.findIndex((c) => c.kind === obj.kind && c.name === obj.name)
        if (verb === 'delete' || verb === 'destroy') {
          if (i >= 0) t.ctObjects.splice(i, 1)
          forget(t, obj)
        } else if (i < 0) {
          t.ctObjects.push(obj as unknown as MutableTable['ctObjects'][number])
          t.objectOrder.push(objectKey(obj))
        }
        break
      }
      case 'counter': {
        const t = need(obj.family, obj.table, `${verb} counter ${obj.name}`)
        const i = t.counters.findIndex((c) => c.name === obj.name)
        if (verb === 'delete' || verb === 'destroy') {
          if (i >= 0) t.counters.splice(i, 1)
          forget(t, obj)
        } else if (i < 0) {
          t.counters.push({ packets: 0, bytes: 0, ...obj } as unknown as MutableTable['counters'][number])
          t.objectOrder.push(objectKey(obj))
        }
        break
      }
      case 'quota':
      case 'limit':
      case 'synproxy': {
        const t = need(obj.family, obj.table, `${verb} ${obj.kind} ${obj.name}`)
        const i = t.objects.findIndex((c) => c.kind === obj.kind && c.name === obj.name)
        if (verb === 'delete' || verb === 'destroy') {
          if (i >= 0) t.objects.splice(i, 1)
          forget(t, obj)
        } else if (i < 0) {
          t.objects.push({ ...obj } as unknown as MutableTable['objects'][number])
          t.objectOrder.push(objectKey(obj))
        }
        break
      }
    }
  }
  // Rules grouped by chain in chain order (as listed), keeping their order within each chain.
  for (const t of tables) {
    const order = new Map(t.chains.map((c, i) => [c.name, i]))
    t.rules = t.rules.map((r, i) => ({ r, i })).sort((a, b) => (order.get(a.r.chain) ?? 0) - (order.get(b.r.chain) ?? 0) || a.i - b.i).map((x) => x.r)
  }
  return tables as unknown as TableContents[]
}

/** Drops a deleted object from its table's declaration order. */
function forget(t: MutableTable, o: { kind: string; name: string }): void {
  t.objectOrder = t.objectOrder.filter((k) => k !== objectKey(o))
}

/** A declaration the model cannot follow, as a validation error with the given message. */
function declarationError(path: string, message: string, value: unknown): NftValidationError {
  const e = new NftValidationError(path, message, value)
  e.message = message
  return e
}
