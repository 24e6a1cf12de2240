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

// The nft language of issue #16: new selectors and statements are typed too.
export const language: RuleExpr[] = [
  { match: 'meta iif', value: 'lo' },
  { match: 'meta skuid', op: '<', value: 3000 },
  { match: 'ct original ip saddr', value: '10.0.0.1' },
  { match: 'tcp option maxseg size', value: 1460 },
  { match: 'ip dscp', value: 'cs1' },
  { match: 'vlan id', value: 100 },
  { match: 'arp operation', value: 'request' },
  { match: 'fib daddr . iif type', value: 'local' },
  { match: 'meta mark', bits: [['&', 3]], value: 1 },
  { match: 'tcp flags', value: { elements: ['syn', 'syn | ack'] } },
  { stmt: 'ct mark set', value: { from: 'meta mark', bits: [['|', 16], ['<<', 8]] } },
  { stmt: 'limit', rate: 1049600, per: 'second', bytes: true },
  { stmt: 'quota', bytes: 2048, over: true },
  { stmt: 'counter', key: 'tcp dport', map: [[443, 'c1']] },
  { stmt: 'set', op: 'add', set: 'seen', key: 'ip saddr', timeout: 30000 },
  { stmt: 'ct helper set', name: 'ftp' },
  { stmt: 'masquerade', flags: ['random', 'persistent'] },
]
// @ts-expect-error no such direction
export const badDir: Match = { match: 'ct sideways ip saddr', value: '10.0.0.1' }
// @ts-expect-error a set statement needs an operation the kernel knows
export const badSetOp: Statement = { stmt: 'set', op: 'upsert', set: 's', key: 'ip saddr' }

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
