/**
 * The shared workloads of ../shared/peers/WORKLOADS.md (W0-W4) expressed with
 * nftkit, plus their verification. Used by bench/peer.ts (line protocol) and
 * bench/run.ts (our own table).
 */
import { createClient, type Client, type Element, type RuleExpr, Transaction } from '../lib/index.js'

export const TABLE = 'bench'
export const SET = 'allow'

const ip = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.')
const BASE = (10 << 24) >>> 0

/** Element i of the W1 set: single address, /24 prefix or short range. */
export function elem(i: number): string {
  const b = (BASE + 256 * i) >>> 0
  if (i % 3 === 0) return ip(b + 1)
  if (i % 3 === 1) return `${ip(b)}/24`
  return `${ip(b + 10)}-${ip(b + 20)}`
}

/** Rule j of W1, as typed expressions. */
export function mainRule(j: number): RuleExpr[] {
  switch (j % 4) {
    case 0:
      return [{ match: 'ip saddr', value: { set: SET } }, { match: 'tcp dport', value: 1000 + j }, { stmt: 'counter' }, { stmt: 'accept' }]
    case 1:
      return [{ match: 'ip daddr', value: ip(((10 << 24) | (20 << 16)) + j) }, { stmt: 'counter' }, { stmt: 'drop' }]
    case 2:
      return [{ match: 'ip saddr', value: `${ip(((10 << 24) | (30 << 16)) + 256 * j)}/24` }, { stmt: 'counter' }, { stmt: 'reject' }]
    default:
      return [{ stmt: 'ct mark set', value: 0x10 + j }]
  }
}

export function churnRule(addr: number): RuleExpr[] {
  return [{ match: 'ip saddr', value: ip(addr) }, { match: 'tcp dport', value: 443 }, { stmt: 'counter' }, { stmt: 'accept' }]
}

export type Api = 'sync' | 'async'

/** A connection plus the chosen API flavour. */
export class Runner {
  client: Client
  constructor(readonly api: Api, readonly netns?: string) {
    this.client = createClient({ family: 'inet', table: TABLE, ...(netns ? { netns } : {}) })
  }
  async commit(tx: Transaction): Promise<void> {
    if (this.api === 'sync') this.client.commitSync(tx)
    else await this.client.commit(tx)
  }
  async list() {
    return this.api === 'sync' ? this.client.listSync() : this.client.list()
  }
  /** flush ruleset, then settle: open, bind and close a netlink socket, sleep 50 ms. */
  async reset(): Promise<void> {
    const tx = this.client.transaction()
    tx.flush({ kind: 'ruleset' })
    this.client.commitSync(tx)
    createClient(this.netns ? { netns: this.netns } : {}).close()
    await new Promise((r) => setTimeout(r, 50))
  }
  close() {
    this.client.close()
  }
}

/** Prepared (untimed) input of W1: element strings and rule expressions. */
export function w1Input(n: number, r: number): { elements: Element[]; rules: RuleExpr[][] } {
  return { elements: Array.from({ length: n }, (_, i) => elem(i)), rules: Array.from({ length: r }, (_, j) => mainRule(j)) }
}

/** The W1 transaction (timed part: building it and committing it). */
export function w1Tx(run: Runner, input: ReturnType<typeof w1Input>): Transaction {
  const tx = run.client.transaction()
  tx.add({ kind: 'table' })
  tx.add({ kind: 'chain', name: 'filter_fwd', type: 'filter', hook: 'forward', priority: 0, policy: 'accept' })
  tx.add({ kind: 'set', name: SET, type: 'ipv4_addr', flags: ['interval'], elements: input.elements })
  for (const exprs of input.rules) tx.add({ kind: 'rule', chain: 'filter_fwd', exprs })
  return tx
}

/** Checks the W1 state through our own listing. */
export async function verifyW1(run: Runner, n: number, r: number): Promise<boolean> {
  const l = await run.list()
  const set = l.sets.find((s) => s.name === SET)
  if (l.tables.length !== 1 || l.chains.length !== 1 || !set || l.rules.length !== r) return false
  if (set.elements.length !== n) return false
  for (let i = 0; i < n; i++) if (set.elements[i] !== elem(i)) return false
  return l.rules.every((x) => !x.exprs.some((e) => 'raw' in e))
}

export function w2Element(p: number): string {
  return ip(((198 << 24) | (18 << 16)) + 2 * p)
}

/** W3 setup: table, chain churn, 1000 rules; returns rule handles in order. */
export async function w3Setup(run: Runner, nr: number): Promise<number[]> {
  const tx = run.client.transaction()
  tx.add({ kind: 'table' })
  tx.add({ kind: 'chain', name: 'churn', type: 'filter', hook: 'input', priority: 0, policy: 'accept' })
  for (let i = 0; i < nr; i++) tx.add({ kind: 'rule', chain: 'churn', exprs: churnRule(((10 << 24) | (40 << 16)) + i) })
  run.client.commitSync(tx)
  return run.client.listSync().rules.map((x) => x.handle)
}

export { Transaction }
