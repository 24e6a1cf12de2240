/**
 * Scenarios for the Fake's differential test: each is a list of commits,
 * written once and run against the Fake and against the kernel (in a fresh
 * network namespace), which must agree on every outcome (applied or refused,
 * errno, operation index) and on the ruleset left behind.
 */
import type { Client, Family, Transaction } from '../../lib/index.js'
import { addPrelude, BRIDGE_CASES, INET_CASES, IP6_CASES, IP_CASES, type RuleCase } from '../kernel/differential.cases.js'

/** What one step commits: a transaction, optionally bound to a generation. */
export type StepResult = Transaction | { readonly tx: Transaction; readonly genId?: number }
/** Values a scenario carries from one step to a later one (a generation id read before a change). */
export type Memo = Record<string, number>
/** One commit of a scenario; it may read the client (list) to find handles or the generation. */
export type Step = (nft: Client, memo: Memo) => StepResult

/** A scenario: its client's default family and table, and its commits in order. */
export interface Scenario {
  readonly name: string
  readonly family?: Family
  readonly steps: readonly Step[]
}

/** Handle of the i-th rule of a chain (as listed). */
export function ruleHandle(nft: Client, chain: string, i = 0): number {
  const r = nft.listSync().rules.filter((x) => x.chain === chain)[i]
  if (!r) throw new Error(`scenario: no rule ${i} in chain ${chain}`)
  return r.handle
}

const accept = { stmt: 'accept' } as const
const port = (p: number) => [{ match: 'tcp dport', value: p }, accept] as const

/** table t with a base chain `in`, a regular chain `j` jumped to from `in`, an interval set, a map and a counter. */
function base(nft: Client): Transaction {
  return nft
    .transaction()
    .add({ kind: 'table' })
    .add({ kind: 'chain', name: 'in', type: 'filter', hook: 'input', priority: 0 })
    .add({ kind: 'chain', name: 'j' })
    .add({ kind: 'chain', name: 'k' })
    .add({ kind: 'set', name: 'nets', type: 'ipv4_addr', flags: ['interval'], elements: ['10.0.0.0/24', '10.0.2.10-10.0.2.20'] })
    .add({ kind: 'set', name: 'ports', type: 'inet_service', elements: [22, 443] })
    .add({ kind: 'map', name: 'vmap', type: 'ipv4_addr', map: 'verdict', elements: [{ key: '10.9.0.1', value: 'accept' }] })
    .add({ kind: 'map', name: 'marks', type: 'ipv4_addr', map: 'mark', elements: [{ key: '10.9.0.1', value: 7 }] })
    .add({ kind: 'counter', name: 'cnt', packets: 3, bytes: 300 })
    .add({ kind: 'rule', chain: 'in', exprs: [{ stmt: 'jump', chain: 'j' }] })
    .add({ kind: 'rule', chain: 'in', exprs: [{ match: 'ip saddr', value: { set: 'nets' } }, accept] })
    .add({ kind: 'rule', chain: 'j', exprs: [...port(22)] })
}

/** A family's corpus of the nft differential test as one commit, as that test loads it. */
function corpus(family: Family, cases: readonly RuleCase[]): Scenario {
  return {
    name: `differential corpus, ${family} (${cases.length} rules)`,
    family,
    steps: [
      (nft) => {
        const tx = nft.transaction().add({ kind: 'table' })
        addPrelude(tx, family)
        cases.forEach((c, i) => {
          tx.add({ kind: 'chain', name: `c${i}` })
          tx.add({ kind: 'rule', chain: `c${i}`, exprs: c.exprs, ...(c.comment ? { comment: c.comment } : {}) })
        })
        return tx
      },
    ],
  }
}

export const SCENARIOS: readonly Scenario[] = [
  // ---- tables
  { name: 'create table, then create it again: EEXIST', steps: [(n) => n.transaction().create({ kind: 'table' }), (n) => n.transaction().create({ kind: 'table' })] },
  { name: 'add an existing table: nothing changes', steps: [(n) => n.transaction().add({ kind: 'table', comment: 'x' }), (n) => n.transaction().add({ kind: 'table' })] },
  { name: 'delete a missing table: ENOENT', steps: [(n) => n.transaction().delete({ kind: 'table' })] },
  { name: 'destroy missing table, chain, set, rule, counter: nothing to do', steps: [
    (n) => n.transaction().destroy({ kind: 'table', name: 'nope' }),
    (n) => n.transaction().add({ kind: 'table' }),
    (n) => n.transaction().destroy({ kind: 'chain', name: 'c' }).destroy({ kind: 'set', name: 's', type: 'ipv4_addr' }).destroy({ kind: 'counter', name: 'k' }),
  ] },
  { name: 'delete a table with everything in it', steps: [base, (n) => n.transaction().delete({ kind: 'table' })] },
  { name: 'tables of every family with base chains, comments and flags', steps: [
    (n) =>
      n
        .transaction()
        .add({ kind: 'table', family: 'ip', name: 'a', comment: 'ip table' })
        .add({ kind: 'chain', family: 'ip', table: 'a', name: 'pre', type: 'nat', hook: 'prerouting', priority: 'dstnat' })
        .add({ kind: 'chain', family: 'ip', table: 'a', name: 'out', type: 'route', hook: 'output', priority: 'mangle', comment: 'route it' })
        .add({ kind: 'table', family: 'ip6', name: 'b', flags: ['dormant'] })
        .add({ kind: 'chain', family: 'ip6', table: 'b', name: 'fwd', type: 'filter', hook: 'forward', priority: 10, policy: 'drop' })
        .add({ kind: 'table', family: 'bridge', name: 'c' })
        .add({ kind: 'chain', family: 'bridge', table: 'c', name: 'in', type: 'filter', hook: 'input', priority: -200 })
        .add({ kind: 'table', family: 'arp', name: 'd' })
        .add({ kind: 'chain', family: 'arp', table: 'd', name: 'in', type: 'filter', hook: 'input', priority: 0 })
        .add({ kind: 'table', family: 'netdev', name: 'e' })
        .add({ kind: 'chain', family: 'netdev', table: 'e', name: 'ing', type: 'filter', hook: 'ingress', priority: 0, devices: ['lo'], policy: 'accept' }),
  ] },
  { name: 'table flags: dormant on and off', steps: [(n) => n.transaction().add({ kind: 'table' }), (n) => n.transaction().add({ kind: 'table', flags: ['dormant'] }), (n) => n.transaction().add({ kind: 'table' })] },
  { name: 'flush ruleset of one family leaves the others', steps: [
    (n) => n.transaction().add({ kind: 'table', family: 'ip', name: 'a' }).add({ kind: 'table', family: 'inet', name: 'b' }).add({ kind: 'chain', family: 'ip', table: 'a', name: 'c' }),
    (n) => n.transaction().flush({ kind: 'ruleset', family: 'ip' }),
  ] },
  { name: 'flush ruleset of every family', steps: [base, (n) => n.transaction().add({ kind: 'table', family: 'ip', name: 'a' }), (n) => n.transaction().flush({ kind: 'ruleset' })] },

  // ---- chains
  { name: 'create an existing chain: EEXIST', steps: [base, (n) => n.transaction().create({ kind: 'chain', name: 'j' })] },
  { name: 'add an existing chain: accepted', steps: [base, (n) => n.transaction().add({ kind: 'chain', name: 'j' })] },
  { name: 'add an existing base chain with another hook: EEXIST', steps: [base, (n) => n.transaction().add({ kind: 'chain', name: 'in', type: 'filter', hook: 'output', priority: 0 })] },
  { name: 'add an existing base chain with another type: EEXIST', family: 'ip', steps: [
    (n) => n.transaction().add({ kind: 'table' }).add({ kind: 'chain', name: 'out', type: 'filter', hook: 'output', priority: 0 }),
    (n) => n.transaction().add({ kind: 'chain', name: 'out', type: 'route', hook: 'output', priority: 0 }),
    (n) => n.transaction().add({ kind: 'chain', name: 'out', type: 'filter', hook: 'output', priority: 5 }),
  ] },
  { name: 'add an existing regular chain as a base chain: EEXIST', steps: [base, (n) => n.transaction().add({ kind: 'chain', name: 'j', type: 'filter', hook: 'input', priority: 0 })] },
  { name: 'change the policy of a base chain', steps: [base, (n) => n.transaction().add({ kind: 'chain', name: 'in', type: 'filter', hook: 'input', priority: 0, policy: 'drop' })] },
  { name: 'add a chain to a missing table: ENOENT', steps: [(n) => n.transaction().add({ kind: 'chain', name: 'c' })] },
  { name: 'delete a missing chain: ENOENT at its index', steps: [base, (n) => n.transaction().add({ kind: 'chain', name: 'x' }).delete({ kind: 'chain', name: 'nope' })] },
  { name: 'delete a chain still jumped to: EBUSY', steps: [base, (n) => n.transaction().delete({ kind: 'chain', name: 'j' })] },
  { name: 'delete a chain with rules but no references: its rules go with it', steps: [base, (n) => n.transaction().delete({ kind: 'chain', name: 'in' })] },
  { name: 'delete the jumping rule and then the chain in one batch', steps: [base, (n) => n.transaction().delete({ kind: 'rule', chain: 'in', handle: ruleHandle(n, 'in', 0) }).delete({ kind: 'chain', name: 'j' })] },
  { name: 'delete a chain a verdict map element jumps to: EBUSY', steps: [
    base,
    (n) => n.transaction().add({ kind: 'element', set: 'vmap', elements: [{ key: '10.9.0.2', value: { jump: 'k' } }] }),
    (n) => n.transaction().delete({ kind: 'chain', name: 'k' }),
  ] },
  { name: 'delete a chain by handle', steps: [base, (n) => n.transaction().delete({ kind: 'chain', name: 'k', handle: n.listSync().chains.find((c) => c.name === 'k')?.handle })] },
  { name: 'flush a chain', steps: [base, (n) => n.transaction().flush({ kind: 'chain', name: 'in' })] },
  { name: 'flush a table keeps its chains, sets and counters', steps: [base, (n) => n.transaction().flush({ kind: 'table' })] },

  // ---- rules
  { name: 'add a rule to a missing chain: ENOENT at its index', steps: [base, (n) => n.transaction().add({ kind: 'rule', chain: 'k', exprs: [...port(1)] }).add({ kind: 'rule', chain: 'nope', exprs: [...port(2)] })] },
  { name: 'jump to a missing chain: ENOENT', steps: [base, (n) => n.transaction().add({ kind: 'rule', chain: 'k', exprs: [{ stmt: 'jump', chain: 'nope' }] })] },
  { name: 'jump to a base chain: EOPNOTSUPP', steps: [base, (n) => n.transaction().add({ kind: 'rule', chain: 'k', exprs: [{ stmt: 'goto', chain: 'in' }] })] },
  { name: 'look up a missing set: ENOENT', steps: [base, (n) => n.transaction().add({ kind: 'rule', chain: 'k', exprs: [{ match: 'ip saddr', value: { set: 'nets' } }, accept] }).delete({ kind: 'set', name: 'ports', type: 'inet_service' }).add({ kind: 'rule', chain: 'k', exprs: [{ match: 'tcp dport', value: { set: 'ports' } }, accept] })] },
  { name: 'insert at the start, before and after a rule', steps: [
    base,
    (n) => n.transaction().insert({ kind: 'rule', chain: 'j', exprs: [...port(1)] }),
    (n) => n.transaction().insert({ kind: 'rule', chain: 'j', position: ruleHandle(n, 'j', 1), exprs: [...port(2)] }),
    (n) => n.transaction().add({ kind: 'rule', chain: 'j', position: ruleHandle(n, 'j', 0), exprs: [...port(3)] }),
  ] },
  { name: 'add at the position of a missing rule: ENOENT', steps: [base, (n) => n.transaction().add({ kind: 'rule', chain: 'j', position: 999, exprs: [...port(1)] })] },
  { name: 'replace a rule keeps its place and handle', steps: [base, (n) => n.transaction().replace({ kind: 'rule', chain: 'in', handle: ruleHandle(n, 'in', 0), exprs: [{ stmt: 'goto', chain: 'k' }] })] },
  { name: 'replace a missing rule: ENOENT', steps: [base, (n) => n.transaction().replace({ kind: 'rule', chain: 'in', handle: 999, exprs: [accept] })] },
  { name: 'delete a missing rule handle: ENOENT', steps: [base, (n) => n.transaction().delete({ kind: 'rule', chain: 'in', handle: 999 })] },
  { name: 'chain bindings: add, replace (the old bound chain goes), insert, delete, flush the table', steps: [
    base,
    (n) => n.transaction().add({ kind: 'rule', chain: 'in', comment: 'b', exprs: [{ match: 'tcp dport', value: [22, 80] }, { stmt: 'jump', rules: [{ exprs: [{ match: 'ip saddr', value: ['10.0.0.1', '10.0.0.2'] }, { stmt: 'counter' }, accept], comment: 'i' }, { exprs: [{ stmt: 'jump', chain: 'k' }] }] }] }),
    (n) => n.transaction().replace({ kind: 'rule', chain: 'in', handle: ruleHandle(n, 'in', 2), exprs: [{ stmt: 'goto', rules: [{ exprs: [{ stmt: 'drop' }] }] }] }),
    (n) => n.transaction().insert({ kind: 'rule', chain: 'in', position: ruleHandle(n, 'in', 2), exprs: [{ stmt: 'jump', rules: [{ exprs: [...port(1)] }] }] }),
    (n) => n.transaction().delete({ kind: 'rule', chain: 'in', handle: ruleHandle(n, 'in', 3) }),
    (n) => n.transaction().delete({ kind: 'chain', name: 'k' }),
    (n) => n.transaction().flush({ kind: 'table' }),
  ] },
  { name: 'a chain binding whose rule jumps to a missing chain: ENOENT', steps: [base, (n) => n.transaction().add({ kind: 'rule', chain: 'in', exprs: [{ stmt: 'jump', rules: [{ exprs: [accept] }, { exprs: [{ stmt: 'jump', chain: 'nope' }] }] }] })] },
  { name: 'delete a rule twice in one batch: ENOENT on the second', steps: [base, (n) => { const h = ruleHandle(n, 'j'); return n.transaction().delete({ kind: 'rule', chain: 'j', handle: h }).delete({ kind: 'rule', chain: 'j', handle: h }) }] },
  { name: 'rules with anonymous sets: names reused after a delete', steps: [
    base,
    (n) => n.transaction().add({ kind: 'rule', chain: 'k', exprs: [{ match: 'tcp dport', value: [1, 2] }, accept] }).add({ kind: 'rule', chain: 'k', exprs: [{ match: 'ip saddr', value: ['10.0.0.0/8', '192.168.1.1-192.168.1.9'] }, accept] }),
    (n) => n.transaction().delete({ kind: 'rule', chain: 'k', handle: ruleHandle(n, 'k', 0) }),
    (n) => n.transaction().add({ kind: 'rule', chain: 'k', exprs: [{ match: 'udp dport', value: [53, 5353] }, { stmt: 'drop' }] }),
  ] },
  { name: 'rules with comments, counters, logs, limits and named counters', steps: [
    base,
    (n) =>
      n
        .transaction()
        .add({ kind: 'rule', chain: 'k', comment: 'ssh', exprs: [{ match: 'tcp dport', value: 22 }, { stmt: 'counter' }, { stmt: 'log', prefix: 'ssh ' }, accept] })
        .add({ kind: 'rule', chain: 'k', exprs: [{ stmt: 'limit', rate: 10, per: 'second' }, { stmt: 'counter', name: 'cnt' }, accept] })
        .add({ kind: 'rule', chain: 'k', exprs: [{ match: 'ip saddr', value: { set: 'nets' } }, { stmt: 'log', level: 'info' }, { stmt: 'drop' }] }),
  ] },

  // ---- sets and maps
  { name: 'create an existing set: EEXIST', steps: [base, (n) => n.transaction().create({ kind: 'set', name: 'ports', type: 'inet_service' })] },
  { name: 'add an existing set with another type: EEXIST', steps: [base, (n) => n.transaction().add({ kind: 'set', name: 'ports', type: 'ipv4_addr' })] },
  { name: 'add an existing set with the same type: accepted', steps: [base, (n) => n.transaction().add({ kind: 'set', name: 'ports', type: 'inet_service' })] },
  { name: 'delete a set still looked up by a rule: EBUSY', steps: [base, (n) => n.transaction().delete({ kind: 'set', name: 'nets', type: 'ipv4_addr' })] },
  { name: 'delete an unused set, and a missing one: ENOENT', steps: [base, (n) => n.transaction().delete({ kind: 'set', name: 'ports', type: 'inet_service' }), (n) => n.transaction().delete({ kind: 'set', name: 'ports', type: 'inet_service' })] },
  { name: 'delete the rule and then its set in one batch', steps: [base, (n) => n.transaction().delete({ kind: 'rule', chain: 'in', handle: ruleHandle(n, 'in', 1) }).delete({ kind: 'set', name: 'nets', type: 'ipv4_addr' })] },
  { name: 'sets with options: counter, timeout, size, policy, comment, concatenations', steps: [
    (n) =>
      n
        .transaction()
        .add({ kind: 'table' })
        .add({ kind: 'set', name: 'a', type: 'ipv4_addr', counter: true, comment: 'with counters', elements: ['10.0.0.1', '10.0.0.2'] })
        .add({ kind: 'set', name: 'b', type: 'ipv6_addr', flags: ['timeout'], timeout: 60_000, gcInterval: 10_000 })
        .add({ kind: 'set', name: 'c', type: 'inet_service', size: 16, policy: 'memory', elements: [80] })
        .add({ kind: 'set', name: 'd', type: ['ipv4_addr', 'inet_service'], elements: [['10.0.0.1', 22]] })
        .add({ kind: 'set', name: 'e', type: ['ipv4_addr', 'inet_service'], flags: ['interval'], elements: [['10.0.0.0/24', '1000-2000']] })
        .add({ kind: 'map', name: 'f', type: 'inet_service', map: 'ipv4_addr', elements: [{ key: 80, value: '10.0.0.1' }] }),
  ] },
  { name: 'a set full to its size: ENFILE', steps: [(n) => n.transaction().add({ kind: 'table' }).add({ kind: 'set', name: 's', type: 'inet_service', size: 2, elements: [1, 2] }), (n) => n.transaction().add({ kind: 'element', set: 's', elements: [3] })] },
  { name: 'flush a set', steps: [base, (n) => n.transaction().flush({ kind: 'set', name: 'nets', type: 'ipv4_addr' }).flush({ kind: 'map', name: 'vmap', type: 'ipv4_addr', map: 'verdict' })] },

  // ---- elements
  { name: 'add and delete elements', steps: [
    base,
    (n) => n.transaction().add({ kind: 'element', set: 'ports', elements: [80, 8080] }).delete({ kind: 'element', set: 'ports', elements: [22] }),
    (n) => n.transaction().add({ kind: 'element', set: 'nets', elements: ['192.168.0.0/16'] }).delete({ kind: 'element', set: 'nets', elements: ['10.0.2.10-10.0.2.20'] }),
  ] },
  { name: 'create an existing element: EEXIST; add it: accepted', steps: [base, (n) => n.transaction().create({ kind: 'element', set: 'ports', elements: [22] }), (n) => n.transaction().add({ kind: 'element', set: 'ports', elements: [22] })] },
  { name: 'delete a missing element: ENOENT; destroy it: accepted', steps: [base, (n) => n.transaction().delete({ kind: 'element', set: 'ports', elements: [23] }), (n) => n.transaction().destroy({ kind: 'element', set: 'ports', elements: [23] })] },
  { name: 'interval partly overlapping an element', steps: [base, (n) => n.transaction().add({ kind: 'element', set: 'nets', elements: ['10.0.0.200-10.0.1.5'] })] },
  { name: 'interval inside an element', steps: [base, (n) => n.transaction().add({ kind: 'element', set: 'nets', elements: ['10.0.0.5-10.0.0.9'] })] },
  { name: 'interval around an element', steps: [base, (n) => n.transaction().add({ kind: 'element', set: 'nets', elements: ['10.0.2.0/24'] })] },
  { name: 'adjacent intervals and the same interval again', steps: [base, (n) => n.transaction().add({ kind: 'element', set: 'nets', elements: ['10.0.1.0/24'] }), (n) => n.transaction().add({ kind: 'element', set: 'nets', elements: ['10.0.0.0/24'] })] },
  { name: 'concatenated intervals overlapping', steps: [
    (n) => n.transaction().add({ kind: 'table' }).add({ kind: 'set', name: 'e', type: ['ipv4_addr', 'inet_service'], flags: ['interval'], elements: [['10.0.0.0/24', '1000-2000']] }),
    (n) => n.transaction().add({ kind: 'element', set: 'e', elements: [['10.0.0.5', '1500-2500']] }),
    (n) => n.transaction().add({ kind: 'element', set: 'e', elements: [['10.0.1.5', '1500-2500']] }),
  ] },
  { name: 'map element with another value for an existing key: EEXIST', steps: [base, (n) => n.transaction().add({ kind: 'element', set: 'marks', elements: [{ key: '10.9.0.1', value: 8 }] })] },
  { name: 'verdict map element jumping to a missing chain: ENOENT', steps: [base, (n) => n.transaction().add({ kind: 'element', set: 'vmap', elements: [{ key: '10.9.0.3', value: { goto: 'nope' } }] })] },
  { name: 'elements of a missing set: ENOENT', steps: [base, (n) => n.transaction().delete({ kind: 'set', name: 'ports', type: 'inet_service' }).add({ kind: 'element', set: 'ports', elements: [1] })] },

  // ---- counters
  { name: 'named counters: create existing EEXIST, delete used EBUSY, delete unused', steps: [
    base,
    (n) => n.transaction().create({ kind: 'counter', name: 'cnt' }),
    (n) => n.transaction().add({ kind: 'rule', chain: 'k', exprs: [{ stmt: 'counter', name: 'cnt' }] }),
    (n) => n.transaction().delete({ kind: 'counter', name: 'cnt' }),
    (n) => n.transaction().add({ kind: 'counter', name: 'other', comment: 'spare' }).delete({ kind: 'counter', name: 'nope' }),
    (n) => n.transaction().add({ kind: 'counter', name: 'other' }).add({ kind: 'counter', name: 'cnt' }),
  ] },
  { name: 'a rule using a missing named counter: ENOENT', steps: [base, (n) => n.transaction().add({ kind: 'rule', chain: 'k', exprs: [{ stmt: 'counter', name: 'nope' }] })] },

  // ---- batches
  { name: 'all or nothing: valid operations, then a failing one', steps: [
    base,
    (n) =>
      n
        .transaction()
        .add({ kind: 'chain', name: 'new' })
        .add({ kind: 'rule', chain: 'new', exprs: [...port(9)] })
        .add({ kind: 'element', set: 'ports', elements: [9] })
        .delete({ kind: 'table', name: 'nope' }),
  ] },
  { name: 'several refusals in one batch: the first, and the others', steps: [
    base,
    (n) =>
      n
        .transaction()
        .create({ kind: 'chain', name: 'j' })
        .add({ kind: 'chain', name: 'ok' })
        .delete({ kind: 'chain', name: 'nope' })
        .delete({ kind: 'set', name: 'nets', type: 'ipv4_addr' }),
  ] },
  { name: 'a failed batch does not give its handles back', steps: [
    base,
    (n) => n.transaction().add({ kind: 'chain', name: 'a' }).add({ kind: 'table', name: 'u' }).delete({ kind: 'chain', name: 'nope' }),
    (n) => n.transaction().add({ kind: 'chain', name: 'b' }).add({ kind: 'table', name: 'v' }),
  ] },
  { name: 'stale generation: ERESTART, nothing applied', steps: [
    (n, memo) => {
      memo.gen = n.listSync().genId
      return n.transaction().add({ kind: 'table' })
    },
    (n, memo) => ({ tx: n.transaction().add({ kind: 'chain', name: 'c' }), genId: memo.gen }),
    (n) => ({ tx: n.transaction().add({ kind: 'chain', name: 'd' }), genId: n.listSync().genId }),
  ] },
  { name: 'an empty batch and a batch that changes nothing keep the generation', steps: [base, (n) => n.transaction(), (n) => n.transaction().add({ kind: 'table' })] },

  corpus('inet', INET_CASES),
  corpus('ip', IP_CASES),
  corpus('ip6', IP6_CASES),
  corpus('bridge', BRIDGE_CASES),
]
