/**
 * Type-level tests, checked by `tsc --noEmit` in `npm test`: each
 * `@ts-expect-error` line must be a type error, or tsc fails the run.
 * They prove the public types reject wrong rules at compile time.
 */
import type { Chain, Match, NamedSet, Rule, RuleExpr, Statement, Table } from '../../lib/index.js'
import { Transaction } from '../../lib/index.js'

const tx = new Transaction({ table: 't' })

// Well-typed objects compile.
export const ok: RuleExpr[] = [
  { match: 'ip saddr', value: '10.0.0.0/8' },
  { match: ['ip daddr', 'meta l4proto', 'th dport'], value: { set: 'svc' } },
  { match: 'ct state', value: ['established', 'related'] },
  { stmt: 'reject', with: 'tcp reset' },
  { stmt: 'vmap', key: 'ip daddr', map: [['10.0.0.1', 'accept'], ['10.0.0.2', { jump: 'x' }]] },
]
tx.add({ kind: 'chain', name: 'in', type: 'filter', hook: 'input', priority: 'srcnat - 1', policy: 'drop' })

// @ts-expect-error misspelt selector
export const badSelector: Match = { match: 'ip sadr', value: '10.0.0.1' }
// @ts-expect-error unknown comparison operator
export const badOp: Match = { match: 'ip saddr', op: '=>', value: '10.0.0.1' }
// @ts-expect-error unknown statement
export const badStmt: Statement = { stmt: 'acept' }
// @ts-expect-error jump needs a chain
export const badJump: Statement = { stmt: 'jump' }
// @ts-expect-error a verdict map entry needs a verdict
export const badVmap: Statement = { stmt: 'vmap', key: 'ip daddr', map: [['10.0.0.1', 'allow']] }
// @ts-expect-error unknown hook
export const badHook: Chain = { kind: 'chain', name: 'c', hook: 'inputt' }
// @ts-expect-error unknown named priority
export const badPrio: Chain = { kind: 'chain', name: 'c', hook: 'input', priority: 'filtre' }
// @ts-expect-error unknown policy
export const badPolicy: Chain = { kind: 'chain', name: 'c', policy: 'reject' }
// @ts-expect-error unknown family
export const badFamily: Table = { kind: 'table', family: 'ipv4' }
// @ts-expect-error unknown set key type
export const badKey: NamedSet = { kind: 'set', name: 's', type: 'ipv4' }
// @ts-expect-error a rule needs a chain
export const noChain: Rule = { kind: 'rule', exprs: [] }
// @ts-expect-error insert takes rules only
tx.insert({ kind: 'table' })
// @ts-expect-error replace needs the handle of the rule it replaces
tx.replace({ kind: 'rule', chain: 'c', exprs: [] })

// Monitor events are typed: names of events, and fields by change type.
declare const mon: import('../../lib/index.js').Monitor
mon.on('commit', (c) => c.changes.map((x) => (x.type === 'rule' ? x.chain : x.type === 'element' ? x.set : x.table)))
mon.on('change', (e) => (e.type === 'gen' ? e.genId + e.pid : e.type))
// @ts-expect-error no such event
mon.on('chnage', () => undefined)
mon.on('change', (e) => {
  // @ts-expect-error a set change has no chain
  if (e.type === 'set') return e.chain
})
