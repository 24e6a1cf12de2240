/**
 * The shared workloads of ../shared/peers/WORKLOADS.md (W0-W4) expressed with
 * nftkit, plus their verification. Used by bench/peer.ts (line protocol) and
 * bench/run.ts (our own table).
 * @module
 */
import { type Client, type CommitOptions, type CommitResult, createClient, type Element, type RuleExpr, type Transaction } from './nftkit.js'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type Limits, timed } from './table.js'

/** Table of every workload (`inet bench`). */
export const TABLE = 'bench'
/** The named set of W1, W2, W4 and W6. */
export const SET = 'allow'

/** An IPv4 address (32-bit integer) in dotted form. */
export const ip = (v: number): string => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.')
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

/** The W3 churn rule for source address `addr`. */
export function churnRule(addr: number): RuleExpr[] {
  return [{ match: 'ip saddr', value: ip(addr) }, { match: 'tcp dport', value: 443 }, { stmt: 'counter' }, { stmt: 'accept' }]
}

let gc: (() => void) | undefined

/** A full garbage collection, also when node runs without --expose-gc (the function is fetched once). */
export function fullGc(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  gc()
}

/**
 * Whether W2 makes its change with the set's element writer
 * (`client.elementWriter`, the API nftkit documents for it: the default) or,
 * with NFTKIT_BENCH_W2=transaction, with a transaction of the one element
 * operation. Both send the same batch.
 */
export function w2Writer(): boolean {
  return process.env.NFTKIT_BENCH_W2 !== 'transaction'
}

/** Whether the bench warms nftkit's code up before timing (NFTKIT_BENCH_WARMUP=0: no). */
export function warmUpWanted(): boolean {
  return process.env.NFTKIT_BENCH_WARMUP !== '0'
}

/** Which client API the timed operations use. */
export type Api = 'sync' | 'async'

/** A connection plus the chosen API flavour. */
export class Runner {
  /** The connection (family inet, table bench). */
  client: Client
  /** Opens a client in the current namespace, or in `netns`. */
  constructor(
    readonly api: Api,
    readonly netns?: string,
  ) {
    // Untimed: the client runs the code of small commits once, sending nothing
    // (Client.warmUp), as a long-lived controller's client would have by the
    // time it changes something. NFTKIT_BENCH_WARMUP=0 measures it cold.
    this.client = createClient({ family: 'inet', table: TABLE, ...(netns ? { netns } : {}), warmUp: warmUpWanted() })
  }
  /** Commits with the chosen API. */
  async commit(tx: Transaction, opts: CommitOptions = {}): Promise<CommitResult> {
    return this.api === 'sync' ? this.client.commitSync(tx, opts) : this.client.commit(tx, opts)
  }
  /** Lists the ruleset with the chosen API. */
  async list() {
    return this.api === 'sync' ? this.client.listSync() : this.client.list()
  }
  /** flush ruleset, then settle. */
  async reset(): Promise<void> {
    const tx = this.client.transaction()
    tx.flush({ kind: 'ruleset' })
    this.client.commitSync(tx)
    await this.settle()
  }
  /**
   * WORKLOADS.md's settle: open, bind and close a netlink socket (the kernel
   * runs nf_tables' deferred destruction to completion), then sleep 50 ms.
   */
  async settle(): Promise<void> {
    createClient(this.netns ? { netns: this.netns } : {}).close()
    await new Promise((r) => setTimeout(r, 50))
  }
  /** Closes the connection. */
  close() {
    this.client.close()
  }
}

/** Prepared (untimed) input of W1: element strings and rule expressions. */
export function w1Input(n: number, r: number, elementOf: (i: number) => string = elem): { elements: Element[]; rules: RuleExpr[][] } {
  return { elements: Array.from({ length: n }, (_, i) => elementOf(i)), rules: Array.from({ length: r }, (_, j) => mainRule(j)) }
}

/** The W1 transaction (timed part: building it and committing it); `hash` declares the set without `flags interval` (W6). */
export function w1Tx(run: Runner, input: ReturnType<typeof w1Input>, hash = false): Transaction {
  const tx = run.client.transaction()
  tx.add({ kind: 'table' })
  tx.add({ kind: 'chain', name: 'filter_fwd', type: 'filter', hook: 'forward', priority: 0, policy: 'accept' })
  tx.add({ kind: 'set', name: SET, type: 'ipv4_addr', ...(hash ? {} : { flags: ['interval' as const] }), elements: input.elements })
  for (const exprs of input.rules) tx.add({ kind: 'rule', chain: 'filter_fwd', exprs })
  return tx
}

/** Checks the W1 state through our own listing (`elementOf` as given to {@link w1Input}). */
export async function verifyW1(run: Runner, n: number, r: number, elementOf: (i: number) => string = elem): Promise<boolean> {
  return (await w1Problem(run, n, r, elementOf)) === undefined
}

/** What differs from the W1 state, or undefined when nothing does. */
export async function w1Problem(run: Runner, n: number, r: number, elementOf: (i: number) => string = elem): Promise<string | undefined> {
  const l = await run.list()
  const set = l.sets.find((s) => s.name === SET)
  if (l.tables.length !== 1 || l.chains.length !== 1 || !set || l.rules.length !== r) return `${l.tables.length} tables, ${l.chains.length} chains, ${l.sets.length} sets, ${l.rules.length} rules`
  if (set.elements.length !== n) return `${set.elements.length} elements`
  if (set.flags?.includes('interval')) {
    for (let i = 0; i < n; i++) if (set.elements[i] !== elementOf(i)) return `element ${i} is ${set.elements[i]}`
  } else {
    // A hash set lists in hash order.
    const have = new Set(set.elements.map(String))
    for (let i = 0; i < n; i++) if (!have.has(elementOf(i))) return `no element ${elementOf(i)}`
  }
  return l.rules.some((x) => x.exprs.some((e) => 'raw' in e)) ? 'a rule decodes as raw' : undefined
}

/**
 * Waits until a listing of a hash set shows exactly `n` distinct elements.
 * Right after a batch fills a large hash set, the kernel grows its hash table
 * in the background, and a dump taken meanwhile repeats some elements and
 * misses others (kernel 6.18, also seen with `nft list set`: 100 000 listed,
 * 90 926 distinct). Setups wait for this before anything reads the set.
 * @returns Milliseconds waited (0 when the first listing was already whole).
 */
export async function settleHashSet(client: Client, table: string, set: string, n: number, timeoutMs = 10000): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; ; i++) {
    const els = client.listSync({ table }).sets.find((s) => s.name === set)?.elements ?? []
    if (els.length === n && new Set(els.map(String)).size === n) return i === 0 ? 0 : performance.now() - t0
    if (performance.now() - t0 > timeoutMs) throw new Error(`set ${set}: no consistent listing of ${n} elements within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The single address W2 adds and deletes in operations 2p and 2p+1: 198.18.0.0 + 2p. */
export function w2Element(p: number): string {
  return ip(((198 << 24) | (18 << 16)) + 2 * p)
}

/** W2's operation i on `set` as a transaction: even i adds `el`, odd i deletes it. */
export function w2Tx(client: Client, set: string, i: number, el: string): Transaction {
  const tx = client.transaction()
  if (i % 2 === 0) tx.add({ kind: 'element', set, elements: [el] })
  else tx.delete({ kind: 'element', set, elements: [el] })
  return tx
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

/** What one case of W0-W4 gives back: samples, batch sizes, whether the end state checked out. */
export interface CaseResult {
  /** Wall time of each timed operation, µs, in the order they ran. */
  readonly samples: number[]
  /** Netlink messages of each timed batch (none for W4, a read). */
  readonly messages: number[]
  /** The peer's own check of the end state passed. */
  verified: boolean
  /** An error code when the case failed, else `-`. */
  note: string
}

/**
 * Runs one case of W0-W4 as WORKLOADS.md describes it (W2's change made
 * with `w2`: the element writer or a transaction, default from
 * NFTKIT_BENCH_W2, see w2Writer): reset, untimed setup,
 * the timed operations within `limits`, the check of the end state. Errors are
 * caught (stack on stderr) and reported in `note`.
 */
export async function runCase(w: string, n: number, r: number, limits: Limits, api: Api, w2: 'writer' | 'transaction' = w2Writer() ? 'writer' : 'transaction'): Promise<CaseResult> {
  const run = new Runner(api)
  const res: CaseResult = { samples: [], messages: [], verified: false, note: '-' }
  // Sync API: no promise and no await inside the timed region (an await costs a microtask hop).
  const commit = (tx: Transaction, opts: CommitOptions = {}): Promise<void> | undefined => {
    if (api === 'sync') {
      res.messages.push(run.client.commitSync(tx, opts).messages)
      return undefined
    }
    return run.client.commit(tx, opts).then((r) => {
      res.messages.push(r.messages)
    })
  }
  const time = async (op: (i: number) => unknown, opts?: Parameters<typeof timed>[2], lim = limits) => {
    res.samples.push(...(await timed(lim, op, opts)))
  }
  try {
    await run.reset()
    // Untimed: collect the garbage earlier cases left (W1 at 100k leaves tens
    // of MB), so a major collection does not land in this case's timed loop.
    fullGc()
    if (w === 'W0') {
      // Untimed, as W2's: empty commits through the same timed loop and API
      // (they change nothing), so that loop runs optimised code when the clock
      // starts. W0 is the first case of a fresh peer process, and without this
      // its 2000 operations ran on code still being optimised (p50 7.45 µs
      // against 6.57 µs after 2000 untimed ones, same process type, 2026-12-03).
      const warm = warmUpWanted() ? Number(process.env.NFTKIT_BENCH_WARMUP ?? 2000) : 0
      if (warm > 0) await timed({ ops: warm, budgetMs: 5000 }, () => commit(run.client.transaction()))
      res.messages.length = 0
      await time(() => commit(run.client.transaction()))
      res.verified = (await run.list()).tables.length === 0
    } else if (w === 'W1') {
      const input = w1Input(n, r)
      // Untimed: build (not commit) transactions of the same shape, so the
      // timed applies run compiled code as a long-running controller would:
      // the full input once, and a 1000-element one 30 times (the JIT
      // optimises after repeated calls; cheap whatever N is).
      w1Tx(run, input)
      const small = w1Input(Math.min(n, 1000), r)
      for (let i = 0; i < 30; i++) w1Tx(run, small)
      await time(() => commit(w1Tx(run, input)), { untimed: (i) => (i > 0 ? run.reset() : undefined) })
      res.verified = await verifyW1(run, n, r)
    } else if (w === 'W2') {
      run.client.commitSync(w1Tx(run, w1Input(n, r)))
      fullGc() // untimed: the setup's garbage, as in W3
      // Untimed setup (WORKLOADS.md allows any number of batches): besides the
      // client's warmUp (nothing sent), the same operation on another address,
      // added then deleted through the API under test, so the kernel's side and
      // the inline-commit decision are warm too. The state is unchanged
      // afterwards. NFTKIT_BENCH_WARMUP=0 skips both, a number sets the count.
      const warm = warmUpWanted() ? Number(process.env.NFTKIT_BENCH_WARMUP ?? 500) : 0
      // The spare address is built like the real input (ip() joins; a literal would be internalised).
      const spare = ip(0xc613fffe)
      // The change through the set's element writer (made here, untimed), or
      // with NFTKIT_BENCH_W2=transaction through a transaction (w2Writer).
      const writer = w2 === 'writer' ? run.client.elementWriter(SET) : undefined
      const change = (i: number, el: string): Promise<void> | undefined => {
        if (writer === undefined) return commit(w2Tx(run.client, SET, i, el))
        if (api === 'sync') {
          res.messages.push((i % 2 === 0 ? writer.addSync([el]) : writer.deleteSync([el])).messages)
          return undefined
        }
        return (i % 2 === 0 ? writer.add([el]) : writer.delete([el])).then((x) => {
          res.messages.push(x.messages)
        })
      }
      for (let i = 0; i < warm; i++) await change(i, spare)
      res.messages.length = 0
      // Back-to-back commits leave the kernel deferred work (nf_tables frees
      // deleted elements and the replaced interval array after an RCU grace
      // period, on a kworker of this CPU). A process that never sleeps pays it
      // inside its next operations (the first 40 synchronous ones took 3-8x
      // the rest); settle, as after a reset, so the timed loop starts clean.
      if (warm > 0) await run.settle()
      // The addresses are prepared input, made off the clock; building the transaction is timed.
      const els = Array.from({ length: limits.ops }, (_, i) => w2Element(i >> 1))
      await time((i) => change(i, els[i]), { pairs: true })
      res.verified = await verifyW1(run, n, r)
    } else if (w === 'W3') {
      const handles = await w3Setup(run, n)
      // Untimed: the setup's garbage (a 1000-rule batch, a listing of it)
      // collected now, as before every case. Without it the timed loop ran
      // while V8 was still marking that heap: one rule's build took 33 µs
      // (p50 of the first 1000) against 8 µs after a collection, 4 µs steady.
      fullGc()
      const rules = handles.map((_, k) => churnRule(((10 << 24) | (41 << 16)) + k))
      await time(
        (k) => {
          const tx = run.client.transaction()
          tx.delete({ kind: 'rule', chain: 'churn', handle: handles[k] })
          tx.add({ kind: 'rule', chain: 'churn', exprs: rules[k] })
          // The workload never uses the new rule's handle, so no echo is asked
          // for (as the C floor); NFTKIT_BENCH_HANDLES=1 measures it with handles.
          return commit(tx, { handles: process.env.NFTKIT_BENCH_HANDLES === '1' })
        },
        {},
        { ...limits, ops: Math.min(limits.ops, handles.length) },
      )
      const l = await run.list()
      const k = res.samples.length
      const want = [...Array.from({ length: n - k }, (_, i) => ((10 << 24) | (40 << 16)) + k + i), ...Array.from({ length: k }, (_, i) => ((10 << 24) | (41 << 16)) + i)]
      res.verified = l.rules.length === n && l.rules.every((x, i) => JSON.stringify(x.exprs) === JSON.stringify(churnRule(want[i])))
    } else if (w === 'W4') {
      run.client.commitSync(w1Tx(run, w1Input(n, r)))
      let ok = true
      let l: Awaited<ReturnType<Runner['list']>> | undefined
      const check = () => {
        const set = l?.sets[0]
        ok &&= !!l && !!set && l.tables.length === 1 && l.chains.length === 1 && l.sets.length === 1 && set.elements.length === n && l.rules.length === r
        l = undefined
      }
      await time(
        async () => {
          l = await run.list()
        },
        { untimed: (i) => i > 0 && check() },
      )
      check()
      res.verified = ok && (await run.list()).sets[0].elements[n - 1] === elem(n - 1)
    } else {
      res.note = 'unknown-workload'
    }
  } catch (e) {
    res.note = String((e as { code?: string }).code ?? 'error')
    process.stderr.write(`${(e as Error).stack}\n`)
  } finally {
    run.close()
  }
  return res
}
