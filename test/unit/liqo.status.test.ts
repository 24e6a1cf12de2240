import { describe, expect, it } from 'vitest'
import type { Listing } from '../../lib/io/listing.js'
import { nextStatus, ruleCounters } from '../../lib/liqo/status.js'

const t0 = new Date('2026-11-21T10:00:00Z')
const t1 = new Date('2026-11-21T10:05:00Z')

describe('FirewallConfiguration status', () => {
  it('writes one Applied condition per host, with its transition time', () => {
    const s1 = nextStatus(undefined, 'gw-a', { ok: true }, t0)
    expect(s1.conditions).toEqual([{ host: 'gw-a', type: 'Applied', status: 'True', lastTransitionTime: t0.toISOString() }])
    // No flip: the transition time stays.
    const s2 = nextStatus(s1, 'gw-a', { ok: true }, t1)
    expect(s2.conditions[0].lastTransitionTime).toBe(t0.toISOString())
    // A flip records the new time and the reason; other hosts are kept.
    const s3 = nextStatus(nextStatus(s2, 'gw-b', { ok: true }, t0), 'gw-a', { ok: false, error: { code: 'EOPNOTSUPP', message: 'reject in postrouting' } }, t1)
    expect(s3.conditions).toEqual([
      { host: 'gw-b', type: 'Applied', status: 'True', lastTransitionTime: t0.toISOString() },
      { host: 'gw-a', type: 'Applied', status: 'False', lastTransitionTime: t1.toISOString(), reason: 'EOPNOTSUPP', message: 'reject in postrouting' },
    ])
  })

  it('collects per-rule counters by rule name', () => {
    const l = {
      genId: 1,
      tables: [],
      chains: [],
      sets: [],
      counters: [],
      rules: [
        { kind: 'rule', family: 'inet', table: 't', chain: 'c', handle: 1, comment: 'a', exprs: [{ stmt: 'counter', packets: 3, bytes: 180 }, { stmt: 'accept' }] },
        { kind: 'rule', family: 'inet', table: 't', chain: 'c', handle: 2, comment: 'b', exprs: [{ stmt: 'counter' }, { stmt: 'drop' }] },
        { kind: 'rule', family: 'inet', table: 't', chain: 'c', handle: 3, exprs: [{ stmt: 'counter', packets: 1, bytes: 1 }] },
        { kind: 'rule', family: 'ip', table: 't', chain: 'c', handle: 4, comment: 'x', exprs: [{ stmt: 'counter', packets: 9, bytes: 9 }] },
      ],
    } as unknown as Listing
    expect(ruleCounters(l, 'inet', 't')).toEqual([
      { chain: 'c', name: 'a', packets: 3, bytes: 180 },
      { chain: 'c', name: 'b', packets: 0, bytes: 0 },
    ])
    expect(nextStatus(undefined, 'h', { ok: true }, t0, ruleCounters(l, 'inet', 't')).rules).toHaveLength(2)
  })
})
