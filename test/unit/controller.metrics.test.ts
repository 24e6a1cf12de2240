/**
 * ControllerMetrics: the exposition parses strictly, per-rule and per-set
 * series follow the ruleset (a removed rule's series disappears), the
 * histogram's buckets count right, one read per scrape, and the registry is
 * not prom-client's global one.
 */
import { register as globalRegister } from 'prom-client'
import { describe, expect, it } from 'vitest'
import type { ListedCounter, ListedRule, ListedSet } from '../../lib/io/listing.js'
import { ControllerMetrics, type ObservedTables, RECONCILE_BUCKETS } from '../../lib/controller/metrics.js'
import { parseExposition, samplesOf, sampleValue } from '../helpers/prom-text.js'

function rule(chain: string, comment: string | undefined, packets: number | undefined, bytes = 0, handle = 1, table = 'fw'): ListedRule {
  const exprs = packets === undefined ? [{ stmt: 'accept' }] : [{ match: 'tcp dport', value: 22 }, { stmt: 'counter', packets, bytes }, { stmt: 'accept' }]
  return { kind: 'rule', family: 'inet', table, chain, handle, exprs, ...(comment === undefined ? {} : { comment }) } as unknown as ListedRule
}

function set(name: string, n: number): ListedSet {
  return { kind: 'set', family: 'inet', table: 'fw', name, handle: 9, type: 'ipv4_addr', elements: Array.from({ length: n }, (_, i) => `10.0.0.${i}`) } as unknown as ListedSet
}

const RULE = (chain: string, r: string) => ({ family: 'inet', table: 'fw', chain, rule: r })

async function scrape(m: ControllerMetrics) {
  return parseExposition(await m.text())
}

describe('ControllerMetrics', () => {
  it('writes a strictly valid exposition with the documented names and types', async () => {
    const m = new ControllerMetrics()
    m.recordReconcile(0.002, 'ok')
    m.recordReconcile(0.5, 'error', 'EBUSY')
    m.setGeneration(7)
    m.observeTables({ rules: [rule('input', 'ssh', 5, 300)], sets: [set('allow', 3)], counters: [] })
    const e = await scrape(m)
    expect(Object.fromEntries([...e.types].filter(([k]) => k.startsWith('nftkit_')))).toEqual({
      nftkit_reconciles_total: 'counter',
      nftkit_reconcile_duration_seconds: 'histogram',
      nftkit_reconcile_errors_total: 'counter',
      nftkit_applied_generation: 'gauge',
      nftkit_last_reconcile_success_timestamp_seconds: 'gauge',
      nftkit_rule_packets_total: 'counter',
      nftkit_rule_bytes_total: 'counter',
      nftkit_counter_packets_total: 'counter',
      nftkit_counter_bytes_total: 'counter',
      nftkit_set_elements: 'gauge',
      nftkit_ruleset_read_errors_total: 'counter',
    })
    // Node's process metrics are there by default (idle CPU and RSS are read from them).
    expect(e.types.get('process_resident_memory_bytes')).toBe('gauge')
    expect(e.types.get('process_cpu_seconds_total')).toBe('counter')
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/)
  })

  it('counts reconciles by outcome and errors by reason, keeps the generation and the last success time', async () => {
    const m = new ControllerMetrics({ processMetrics: false })
    const before = Date.now() / 1000
    m.recordReconcile(0.001, 'ok')
    m.recordReconcile(0.001, 'ok')
    m.recordReconcile(0.01, 'error', 'EBUSY')
    m.recordReconcile(0.01, 'error', 'validation')
    m.recordReconcile(0.01, 'error', 'validation')
    m.recordReconcile(0.01, 'error')
    m.recordReconcile(0.01, 'error', 'x'.repeat(500))
    m.setGeneration(12345)
    const e = await scrape(m)
    expect(sampleValue(e, 'nftkit_reconciles_total', { outcome: 'ok' })).toBe(2)
    expect(sampleValue(e, 'nftkit_reconciles_total', { outcome: 'error' })).toBe(5)
    expect(sampleValue(e, 'nftkit_reconcile_errors_total', { reason: 'EBUSY' })).toBe(1)
    expect(sampleValue(e, 'nftkit_reconcile_errors_total', { reason: 'validation' })).toBe(2)
    expect(sampleValue(e, 'nftkit_reconcile_errors_total', { reason: 'unknown' })).toBe(1)
    // A long reason is cut: it is a label value, not a message.
    expect(sampleValue(e, 'nftkit_reconcile_errors_total', { reason: 'x'.repeat(64) })).toBe(1)
    expect(sampleValue(e, 'nftkit_applied_generation')).toBe(12345)
    const last = sampleValue(e, 'nftkit_last_reconcile_success_timestamp_seconds') as number
    expect(last).toBeGreaterThanOrEqual(Math.floor(before))
    expect(last).toBeLessThanOrEqual(Date.now() / 1000 + 1)
    // No process metrics when turned off.
    expect(e.types.has('process_resident_memory_bytes')).toBe(false)
  })

  it('puts each duration in the right cumulative buckets, with _sum and _count', async () => {
    const m = new ControllerMetrics({ processMetrics: false })
    for (const s of [0.0001, 0.0007, 0.0007, 0.003, 0.2, 30]) m.recordReconcile(s, 'ok')
    m.recordReconcile(Number.NaN, 'error', 'clock') // counted as a reconcile, not as a duration
    const e = await scrape(m)
    const buckets = samplesOf(e, 'nftkit_reconcile_duration_seconds_bucket')
    expect(buckets.map((b) => b.labels.le)).toEqual([...RECONCILE_BUCKETS.map(String), '+Inf'])
    const at = (le: string) => buckets.find((b) => b.labels.le === le)?.value
    expect(at('0.0005')).toBe(1)
    expect(at('0.001')).toBe(3)
    expect(at('0.0025')).toBe(3)
    expect(at('0.005')).toBe(4)
    expect(at('0.25')).toBe(5)
    expect(at('10')).toBe(5)
    expect(at('+Inf')).toBe(6)
    // Cumulative: never decreasing.
    for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value)
    expect(sampleValue(e, 'nftkit_reconcile_duration_seconds_count')).toBe(6)
    expect(sampleValue(e, 'nftkit_reconcile_duration_seconds_sum')).toBeCloseTo(30.2045, 6)
  })

  it('labels per-rule counters by family, table, chain and rule name; a removed rule\'s series disappears', async () => {
    const m = new ControllerMetrics({ processMetrics: false })
    m.observeTables({ rules: [rule('input', 'ssh', 5, 300, 4), rule('input', 'web', 0, 0, 5), rule('fwd', undefined, 2, 120, 17), rule('input', 'nocount', undefined)], sets: [] })
    let e = await scrape(m)
    expect(samplesOf(e, 'nftkit_rule_packets_total')).toHaveLength(3)
    expect(sampleValue(e, 'nftkit_rule_packets_total', RULE('input', 'ssh'))).toBe(5)
    expect(sampleValue(e, 'nftkit_rule_bytes_total', RULE('input', 'ssh'))).toBe(300)
    // A zero counter is a series (the rule exists and matched nothing), not an absence.
    expect(sampleValue(e, 'nftkit_rule_packets_total', RULE('input', 'web'))).toBe(0)
    // A rule without a comment is named by its handle, as `nftkit status` prints it.
    expect(sampleValue(e, 'nftkit_rule_bytes_total', RULE('fwd', '#17'))).toBe(120)
    // A rule without a counter statement has no series.
    expect(samplesOf(e, 'nftkit_rule_packets_total').some((s) => s.labels.rule === 'nocount')).toBe(false)

    m.observeTables({ rules: [rule('input', 'ssh', 9, 540, 4)], sets: [] })
    e = await scrape(m)
    expect(samplesOf(e, 'nftkit_rule_packets_total').map((s) => s.labels.rule)).toEqual(['ssh'])
    expect(samplesOf(e, 'nftkit_rule_bytes_total').map((s) => s.labels.rule)).toEqual(['ssh'])
    expect(sampleValue(e, 'nftkit_rule_packets_total', RULE('input', 'ssh'))).toBe(9)

    m.observeTables({ rules: [], sets: [] })
    e = await scrape(m)
    expect(samplesOf(e, 'nftkit_rule_packets_total')).toEqual([])
    expect(e.types.get('nftkit_rule_packets_total')).toBe('counter') // the family stays declared
  })

  it('escapes label values a comment may hold (quotes, backslashes, newlines, UTF-8)', async () => {
    const m = new ControllerMetrics({ processMetrics: false })
    const name = 'say "hi" \\ to\nall – ünïcode'
    m.observeTables({ rules: [rule('input', name, 1, 60)], sets: [] })
    const e = await scrape(m)
    expect(sampleValue(e, 'nftkit_rule_packets_total', RULE('input', name))).toBe(1)
  })

  it('reports set sizes and named counters, and drops them with their objects', async () => {
    const m = new ControllerMetrics({ processMetrics: false })
    const counters = [{ kind: 'counter', family: 'inet', table: 'fw', name: 'dropped', handle: 3, packets: 11, bytes: 660 }] as unknown as ListedCounter[]
    m.observeTables({ rules: [], sets: [set('allow', 3), set('empty', 0)], counters })
    let e = await scrape(m)
    expect(sampleValue(e, 'nftkit_set_elements', { family: 'inet', table: 'fw', set: 'allow' })).toBe(3)
    expect(sampleValue(e, 'nftkit_set_elements', { family: 'inet', table: 'fw', set: 'empty' })).toBe(0)
    expect(sampleValue(e, 'nftkit_counter_packets_total', { family: 'inet', table: 'fw', counter: 'dropped' })).toBe(11)
    expect(sampleValue(e, 'nftkit_counter_bytes_total', { family: 'inet', table: 'fw', counter: 'dropped' })).toBe(660)
    m.observeTables({ rules: [], sets: [set('allow', 1)] })
    e = await scrape(m)
    expect(samplesOf(e, 'nftkit_set_elements').map((s) => [s.labels.set, s.value])).toEqual([['allow', 1]])
    expect(samplesOf(e, 'nftkit_counter_packets_total')).toEqual([])
  })

  it('takes set sizes from setSizes when given (a listing without elements), not from the sets', async () => {
    const m = new ControllerMetrics({ processMetrics: false })
    m.observeTables({ rules: [], sets: [set('allow', 0)], setSizes: [{ family: 'inet', table: 'fw', set: 'allow', elements: 250_000 }] })
    const e = await scrape(m)
    expect(samplesOf(e, 'nftkit_set_elements').map((s) => [s.labels.set, s.value])).toEqual([['allow', 250_000]])
  })

  it('with readTables, reads the ruleset once per scrape (all collectors share the read), and again at the next', async () => {
    let reads = 0
    let tables: ObservedTables = { rules: [rule('input', 'ssh', 1, 60)], sets: [set('allow', 2)] }
    const m = new ControllerMetrics({
      processMetrics: false,
      readTables: async () => {
        reads++
        await new Promise((r) => setTimeout(r, 5))
        return tables
      },
    })
    let e = await scrape(m)
    expect(reads).toBe(1)
    expect(sampleValue(e, 'nftkit_rule_packets_total', RULE('input', 'ssh'))).toBe(1)
    expect(sampleValue(e, 'nftkit_set_elements', { family: 'inet', table: 'fw', set: 'allow' })).toBe(2)
    tables = { rules: [rule('input', 'web', 4, 240)], sets: [] }
    e = await scrape(m)
    expect(reads).toBe(2)
    expect(samplesOf(e, 'nftkit_rule_packets_total').map((s) => s.labels.rule)).toEqual(['web'])
    expect(samplesOf(e, 'nftkit_set_elements')).toEqual([])
    // Two scrapes at once: each sees a whole ruleset, never a doubled or half one.
    const [a, b] = await Promise.all([scrape(m), scrape(m)])
    for (const x of [a, b]) expect(samplesOf(x, 'nftkit_rule_packets_total').map((s) => [s.labels.rule, s.value])).toEqual([['web', 4]])
    expect(reads).toBeLessThanOrEqual(4)
  })

  it('a failed read (thrown or rejected) drops the kernel series and counts the failure; the next good read restores them', async () => {
    let mode: 'ok' | 'throw' | 'reject' = 'ok'
    const m = new ControllerMetrics({
      processMetrics: false,
      readTables: () => {
        if (mode === 'throw') throw new Error('netns gone')
        if (mode === 'reject') return Promise.reject(new Error('EPERM'))
        return { rules: [rule('input', 'ssh', 3, 180)], sets: [set('allow', 1)] }
      },
    })
    m.recordReconcile(0.001, 'ok')
    expect(samplesOf(await scrape(m), 'nftkit_rule_packets_total')).toHaveLength(1)
    mode = 'throw'
    let e = await scrape(m)
    expect(samplesOf(e, 'nftkit_rule_packets_total')).toEqual([])
    expect(samplesOf(e, 'nftkit_set_elements')).toEqual([])
    expect(sampleValue(e, 'nftkit_ruleset_read_errors_total')).toBe(1)
    expect(sampleValue(e, 'nftkit_reconciles_total', { outcome: 'ok' })).toBe(1) // the rest is still served
    mode = 'reject'
    e = await scrape(m)
    expect(sampleValue(e, 'nftkit_ruleset_read_errors_total')).toBe(2)
    mode = 'ok'
    e = await scrape(m)
    expect(sampleValue(e, 'nftkit_rule_packets_total', RULE('input', 'ssh'))).toBe(3)
    expect(sampleValue(e, 'nftkit_ruleset_read_errors_total')).toBe(2)
  })

  it('uses a registry of its own: two instances do not clash and the global registry stays empty of them', async () => {
    const a = new ControllerMetrics()
    const b = new ControllerMetrics()
    a.setGeneration(1)
    b.setGeneration(2)
    expect(sampleValue(await scrape(a), 'nftkit_applied_generation')).toBe(1)
    expect(sampleValue(await scrape(b), 'nftkit_applied_generation')).toBe(2)
    expect(await globalRegister.metrics()).not.toContain('nftkit_')
  })
})
