/**
 * W5 (bench/WORKLOADS-nftkit.md): a FirewallConfiguration-style table whose
 * named set `pods` holds N pod IPs; one pod IP is replaced per operation,
 * through the reconciler API in four ways, beside the W2-style floor (one
 * element added or deleted per batch with the plain `commitSync`).
 * @module
 */
import {
  type FirewallConfiguration,
  firewallConfigurationOperations,
  type Client,
  applyToModel,
  Reconciler,
  type ReconcileResult,
  reconcileSync,
  type TableContents,
  validateFirewallConfiguration,
} from './nftkit.js'
import { alternateP50, fmt, type Limits, percentile, ratio, type Row, timed } from './table.js'
import { ip, Runner, settleHashSet, TABLE, w2Element, w2Tx } from './workloads.js'

/** The set of W5. */
export const PODS = 'pods'
/** The base chain of W5. */
export const CHAIN = 'forward'

const POD_BASE = ((10 << 24) | (100 << 16)) >>> 0

/** Pod address i: 10.100.0.0 + i as a 32-bit integer (10.100.0.0, 10.100.0.1, …). */
export const pod = (i: number): string => ip(POD_BASE + i)

/** The pods after k replacements of a set of n: pod(k) … pod(n + k − 1). */
export const podsAfter = (n: number, k: number): string[] => Array.from({ length: n }, (_, j) => pod(k + j))

/** The W5 state as a Liqo FirewallConfiguration (nftkit's `ctstate` and named-set extensions). */
export function w5Config(pods: readonly string[]): FirewallConfiguration {
  return {
    apiVersion: 'networking.liqo.io/v1beta1',
    kind: 'FirewallConfiguration',
    metadata: { name: 'bench-w5', namespace: 'bench' },
    spec: {
      table: {
        name: TABLE,
        family: 'INET',
        sets: [{ name: PODS, keyType: 'ipv4_addr', elements: pods.map((key) => ({ key })) }],
        chains: [
          {
            name: CHAIN,
            type: 'filter',
            hook: 'forward',
            priority: 0,
            policy: 'drop',
            rules: {
              filterRules: [
                { name: 'established', counter: false, match: [{ op: 'eq', ctstate: { value: ['established', 'related'] } }], action: 'accept' },
                { name: 'invalid', match: [{ op: 'eq', ctstate: { value: ['invalid'] } }], action: 'drop' },
                { name: 'from-tunnel', match: [{ op: 'eq', dev: { value: 'liqo-tunnel', position: 'in' } }], action: 'accept' },
                { name: 'to-pods', match: [{ op: 'eq', ip: { value: `@${PODS}`, position: 'dst' } }], action: 'accept' },
              ],
            },
          },
        ],
      },
    },
  }
}

/** What the reconciler takes: the FirewallConfiguration turned into operations, then into the declared tables. */
export const w5Desired = (pods: readonly string[]): TableContents[] => applyToModel(firewallConfigurationOperations(w5Config(pods)))

/** The reference text of the W5 state (what nft builds from it is what every peer must build). */
export function w5Text(pods: readonly string[]): string {
  return `table inet ${TABLE} {
  set ${PODS} { type ipv4_addr; elements = { ${pods.join(', ')} } }
  chain ${CHAIN} {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept comment "established"
    ct state invalid counter drop comment "invalid"
    iifname "liqo-tunnel" counter accept comment "from-tunnel"
    ip daddr @${PODS} counter accept comment "to-pods"
  }
}
`
}

/** The W5 variants, in table order. */
export const W5_VARIANTS = ['updateSetSync', 'updateSet', 'Reconciler.reconcileSync', 'reconcileSync', 'W2 floor'] as const
/** One W5 variant. */
export type W5Variant = (typeof W5_VARIANTS)[number]

const LABEL: Record<W5Variant, string> = {
  updateSetSync: 'Reconciler.updateSetSync (delta)',
  updateSet: 'await Reconciler.updateSet (delta)',
  'Reconciler.reconcileSync': 'Reconciler.reconcileSync(desired)',
  reconcileSync: 'reconcileSync(client, desired) one-shot',
  'W2 floor': 'W2 floor: commitSync, 1 elem add/del',
}

/** Checks the W5 end state through our own listing: the chain, its four rules, and exactly `want` in the set. */
export function verifyW5(client: Client, want: readonly string[]): string | undefined {
  const l = client.listSync({ table: TABLE })
  const chain = l.chains.find((c) => c.name === CHAIN)
  if (l.tables.length !== 1 || l.chains.length !== 1 || chain?.policy !== 'drop') return 'table/chain'
  const names = l.rules.map((r) => r.comment).join(',')
  if (names !== 'established,invalid,from-tunnel,to-pods' || l.rules.some((r) => r.exprs.some((e) => 'raw' in e))) return `rules ${names}`
  const set = l.sets.find((s) => s.name === PODS)
  if (!set || set.elements.length !== want.length) return `set size ${set?.elements.length}`
  const have = new Set(set.elements.map(String))
  const missing = want.find((e) => !have.has(e))
  return missing === undefined ? undefined : `set lacks ${missing}`
}

/**
 * Runs one W5 variant at N: reset, untimed setup (the state through the
 * reconciler, warmed up as the variant needs), the timed replacements within
 * `limits`, then the check of messages per batch, kernel reads and the end
 * state.
 */
export async function w5Case(n: number, variant: W5Variant, limits: Limits): Promise<Row> {
  const run = new Runner('sync')
  const client = run.client
  const messages: number[] = []
  const notes: string[] = []
  let samples: number[] = []
  let problem: string | undefined
  try {
    await run.reset()
    const initial = podsAfter(n, 0)
    const problems = validateFirewallConfiguration(w5Config(initial))
    if (problems.length) throw new Error(`W5 FirewallConfiguration invalid: ${JSON.stringify(problems[0])}`)
    const ref = { table: TABLE, set: PODS }
    const delta = (k: number) => ({ remove: [pod(k)], add: [pod(n + k)] })
    const count = (r: ReconcileResult) => void messages.push(r.messages)
    let rec: Reconciler | undefined
    let expectMessages = 4
    const settle = async () => {
      const ms = await settleHashSet(client, TABLE, PODS, n)
      if (ms > 0) notes.push(`hash-table resize: waited ${fmt(ms * 1000)} for a whole listing`)
    }
    if (variant === 'updateSetSync' || variant === 'updateSet' || variant === 'Reconciler.reconcileSync') {
      rec = new Reconciler(client)
      rec.reconcileSync(w5Desired(initial))
      await settle()
      // Warm-up, untimed: the reconciler reads the kernel once (it forgets its state after a non-element change).
      const t = performance.now()
      if (variant === 'updateSetSync') rec.updateSetSync(ref, {})
      else if (variant === 'updateSet') await rec.updateSet(ref, {})
      else rec.reconcileSync(w5Desired(initial))
      notes.push(`warm-up (read${variant === 'Reconciler.reconcileSync' ? ' + plan' : ' + index'}) ${fmt((performance.now() - t) * 1000)} untimed`)
    } else {
      reconcileSync(client, w5Desired(initial))
      await settle()
    }
    // Untimed JIT warm-up, as a long-running controller would have (and as W2
    // has): the same operation on spare addresses, leaving the state as it was.
    // NFTKIT_BENCH_WARMUP=0 skips it.
    const warm = Number(process.env.NFTKIT_BENCH_WARMUP ?? 5000)
    // Spare addresses built like the real input (ip() joins: not internalised literals, which
    // would warm the JIT up for another string representation).
    const [a, b] = [ip(0xc613fffd), ip(0xc613fffe)]
    if (rec && (variant === 'updateSetSync' || variant === 'updateSet') && warm > 0) {
      const step = async (d: { add?: string[]; remove?: string[] }) => {
        if (variant === 'updateSetSync') rec!.updateSetSync(ref, d)
        else await rec!.updateSet(ref, d)
      }
      await step({ add: [a] })
      for (let i = 0; i < warm; i++) await step(i % 2 ? { remove: [b], add: [a] } : { remove: [a], add: [b] })
      await step({ remove: [warm % 2 ? b : a] })
    }
    if (variant === 'W2 floor') for (let i = 0; i < warm; i++) client.commitSync(w2Tx(client, PODS, i, a))
    // Inputs are prepared off the clock: building the delta is the caller's work.
    const deltas = Array.from({ length: limits.ops }, (_, k) => delta(k))
    const els = Array.from({ length: limits.ops }, (_, i) => w2Element(i >> 1))
    const reads = rec?.reads ?? 0
    if (variant === 'updateSetSync') samples = await timed(limits, (k) => count(rec!.updateSetSync(ref, deltas[k])))
    else if (variant === 'updateSet') samples = await timed(limits, async (k) => count(await rec!.updateSet(ref, deltas[k])))
    else if (variant === 'W2 floor') {
      expectMessages = 3
      samples = await timed(limits, (i) => messages.push(client.commitSync(w2Tx(client, PODS, i, els[i])).messages), { pairs: true })
      notes.push(`add p50 ${fmt(alternateP50(samples, 0))}, del p50 ${fmt(alternateP50(samples, 1))}`)
    } else {
      // The desired state of each operation is its input: built off the clock (and timed apart, for the notes).
      let desired: TableContents[] = []
      const builds: number[] = []
      const build = (k: number) => {
        const t = performance.now()
        desired = w5Desired(podsAfter(n, k + 1))
        builds.push((performance.now() - t) * 1000)
      }
      const op = variant === 'reconcileSync' ? () => count(reconcileSync(client, desired)) : () => count(rec!.reconcileSync(desired))
      samples = await timed(limits, op, { untimed: build })
      notes.push(`FwC→desired p50 ${fmt(percentile(builds, 0.5))} untimed`)
    }
    if (rec && rec.reads !== reads) notes.push(`${rec.reads - reads} kernel read(s) during timed ops`)
    const bad = messages.find((m) => m !== expectMessages)
    if (bad !== undefined) problem = `a batch of ${bad} messages (expected ${expectMessages})`
    problem ??= verifyW5(client, podsAfter(n, variant === 'W2 floor' ? 0 : samples.length))
  } catch (e) {
    problem = String((e as Error).message)
    process.stderr.write(`${(e as Error).stack}\n`)
  } finally {
    run.close()
  }
  if (problem) notes.unshift(problem)
  return { workload: 'W5', n: String(n), set: 'hash', variant: LABEL[variant], samples, messages, verified: !problem, notes }
}

/** All W5 variants at N, each row with its p50 ratio to the W2 floor of the same N. */
export async function w5(n: number, limits: (v: W5Variant) => Limits, progress: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = []
  for (const v of W5_VARIANTS) {
    progress(`W5 N=${n} ${v}`)
    rows.push(await w5Case(n, v, limits(v)))
  }
  const floor = percentile(rows[rows.length - 1].samples, 0.5)
  for (const r of rows.slice(0, -1)) r.notes.unshift(`${ratio(percentile(r.samples, 0.5), floor)} the W2 floor`)
  return rows
}
