/**
 * The controller's pure parts: Liqo-shaped conditions (one entry per host,
 * the transition time moving only on a flip, nothing to write when right),
 * per-object plans (validation with field paths, two objects for one table),
 * and the refusal of plain http.
 */
import { describe, expect, it } from 'vitest'
import { planObjects } from '../../lib/controller/desired.js'
import { checkServer } from '../../lib/controller/kube.js'
import { nextConditions } from '../../lib/controller/status.js'
import { NftValidationError } from '../../lib/kernel/errors.js'
import { fwc } from '../helpers/apiserver.js'

const T0 = new Date('2026-01-01T00:00:00Z')
const T1 = new Date('2026-01-02T00:00:00Z')
const obj = (conditions?: unknown) => ({ metadata: { name: 'a', namespace: 'n' }, status: conditions === undefined ? undefined : { conditions } })

describe('nextConditions', () => {
  it('adds this host\'s entry with exactly Liqo\'s four fields, keeping others in place', () => {
    const other = { host: 'b', type: 'Applied', status: 'False', lastTransitionTime: T0.toISOString() }
    expect(nextConditions(obj([other]), 'a', true, T1)).toEqual([other, { host: 'a', type: 'Applied', status: 'True', lastTransitionTime: T1.toISOString() }])
    expect(nextConditions(obj(), 'a', false, T1)).toEqual([{ host: 'a', type: 'Applied', status: 'False', lastTransitionTime: T1.toISOString() }])
  })

  it('returns undefined when the entry is already right, and moves the time only on a flip', () => {
    const mine = { host: 'a', type: 'Applied', status: 'True', lastTransitionTime: T0.toISOString() }
    expect(nextConditions(obj([mine]), 'a', true, T1)).toBeUndefined()
    expect(nextConditions(obj([mine]), 'a', false, T1)).toEqual([{ ...mine, status: 'False', lastTransitionTime: T1.toISOString() }])
    // Liqo's first write can leave an entry without a time: it is completed.
    expect(nextConditions(obj([{ host: 'a', type: 'Applied', status: 'True' }]), 'a', true, T1)).toEqual([{ ...mine, lastTransitionTime: T1.toISOString() }])
  })

  it('ignores malformed conditions', () => {
    expect(nextConditions(obj('nonsense'), 'a', true, T1)).toHaveLength(1)
  })
})

describe('planObjects', () => {
  it('builds the tables of good objects and refuses bad ones with field paths', () => {
    const bad = fwc('bad', 'tb', [1])
    ;(bad.spec as { table: { chains: Array<{ policy: string }> } }).table.chains[0].policy = 'maybe'
    const [good, refused] = planObjects([fwc('good', 'tg', [1]), bad])
    expect(good.contents?.table).toMatchObject({ family: 'ip', name: 'tg' })
    expect(good.refusal).toBeUndefined()
    expect(refused.refusal?.reason).toBe('InvalidSpec')
    expect(refused.refusal?.message).toMatch(/^spec\.table\.chains\[0\]\.policy: /)
    expect(refused.table).toEqual({ family: 'ip', name: 'tb' })
  })

  it('refuses both objects that declare one table, naming the other', () => {
    const plans = planObjects([fwc('x', 't', [1]), fwc('y', 't', [2], {}, 'other')])
    expect(plans.map((p) => p.refusal?.reason)).toEqual(['TableConflict', 'TableConflict'])
    expect(plans[0].refusal?.message).toContain('other/y')
    expect(plans[1].refusal?.message).toContain('liqo/x')
  })
})

describe('checkServer', () => {
  it('refuses plain http unless insecure-skip-tls-verify is set, and anything but http(s)', () => {
    expect(() => checkServer('http://10.0.0.1:6443', undefined)).toThrow(NftValidationError)
    expect(() => checkServer('http://10.0.0.1:6443', false)).toThrow(/insecure-skip-tls-verify: true/)
    expect(() => checkServer('http://10.0.0.1:6443', true)).not.toThrow()
    expect(() => checkServer('https://10.0.0.1:6443', undefined)).not.toThrow()
    expect(() => checkServer('ftp://x', true)).toThrow(/https:\/\//)
  })
})
