/**
 * The FirewallConfiguration controller against the API server stand-in (real
 * HTTP through @kubernetes/client-node, unmodified) and a throwaway network
 * namespace: first sync, update, delete, deselect; Liqo-shaped status per
 * host with 409 retries that keep other hosts' entries; no write when nothing
 * changed; Events for validation failures, table conflicts and kernel
 * refusals; the API calls, batches and messages of each event.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type KubeObject, fwc } from '../helpers/apiserver.js'
import { makeRig, type Rig } from '../helpers/controller.js'
import { until } from '../helpers/wait.js'

const GW = { 'networking.liqo.io/firewall-category': 'gateway' }
const OTHER = { 'networking.liqo.io/firewall-category': 'fabric' }
const SELECTOR = { 'networking.liqo.io/firewall-category': 'gateway' }

type Cond = { host: string; type: string; status: string; lastTransitionTime: string }
const conds = (o: KubeObject | undefined): Cond[] => ((o?.status as { conditions?: Cond[] } | undefined)?.conditions ?? [])
const rules = (o: KubeObject) => (o.spec as { table: { chains: Array<{ rules: { filterRules: unknown[] } }> } }).table.chains[0].rules.filterRules

let rig: Rig | undefined
afterEach(async () => {
  await rig?.close()
  rig = undefined
})

describe('controller: sync, update, delete, deselect', () => {
  it('applies the selected objects, then each change as one batch, removing exactly the table of a deleted or deselected object', async () => {
    rig = await makeRig('ctl-sync', { selector: SELECTOR }, false)
    const { api } = rig
    api.create(fwc('a', 'ta', [22, 80], GW))
    api.create(fwc('b', 'tb', [443], GW))
    api.create(fwc('c', 'tc', [25], OTHER))
    await rig.ctl.start()
    expect(await rig.reconciles(0)).toBe(true)
    expect(rig.tables()).toEqual(['ip ta', 'ip tb'])
    const text = rig.ns.ruleset()
    expect(text).toContain('tcp dport 22 counter packets 0 bytes 0 accept comment "port-22"')
    expect(text).toContain('table ip tb')
    expect(text).not.toContain('table ip tc')
    expect(rig.listing()).toContain('tcp dport 443 counter packets 0 bytes 0 accept comment "port-443"')
    // Server-side filtering: the list and the watch carry the selector.
    expect(api.calls.filter((c) => c.verb === 'list' || c.verb === 'watch').map((c) => c.query.labelSelector)).toEqual(['networking.liqo.io/firewall-category=gateway', 'networking.liqo.io/firewall-category=gateway'])
    const first = rig.summaries[0]
    expect(first).toMatchObject({ batches: 1, applied: ['liqo/a', 'liqo/b'], refused: [], removed: [], statusWrites: 2, events: 0 })
    await until(() => conds(api.objects.get('liqo/b')).length === 1, 5000)
    for (const k of ['liqo/a', 'liqo/b']) expect(conds(api.objects.get(k))).toEqual([{ host: 'gw-a', type: 'Applied', status: 'True', lastTransitionTime: expect.any(String) }])
    expect(api.objects.get('liqo/c')?.status).toBeUndefined()

    // Update: one batch, the unchanged rules keep their handles, no status write (still Applied).
    const handle = (name: string) => rig!.ctl.client!.listSync().rules.find((r) => r.comment === name)?.handle
    const h22 = handle('port-22')
    let n = rig.summaries.length
    let calls = api.calls.length
    api.update('liqo', 'a', (o) => {
      rules(o).push(rules(fwc('x', 'x', [8080]))[0])
    })
    expect(await rig.reconciles(n)).toBe(true)
    expect(rig.ns.ruleset()).toContain('tcp dport 8080 counter packets 0 bytes 0 accept comment "port-8080"')
    expect(handle('port-22')).toBe(h22)
    expect(rig.summaries[n]).toMatchObject({ operations: 1, batches: 1, removed: [], statusWrites: 0, events: 0 })
    expect(api.calls.slice(calls).filter((c) => c.verb !== 'watch')).toEqual([])

    // Deselect b (its label changes: the watch says DELETED): table tb goes, ta is untouched.
    n = rig.summaries.length
    calls = api.calls.length
    api.update('liqo', 'b', (o) => {
      o.metadata.labels = OTHER
    })
    expect(await rig.reconciles(n)).toBe(true)
    expect(rig.tables()).toEqual(['ip ta'])
    expect(handle('port-22')).toBe(h22)
    expect(rig.summaries[n]).toMatchObject({ operations: 1, batches: 1, removed: ['ip tb'], statusWrites: 0 })
    expect(api.calls.slice(calls)).toEqual([])

    // Delete a: table ta goes.
    n = rig.summaries.length
    api.delete('liqo', 'a')
    expect(await rig.reconciles(n)).toBe(true)
    expect(rig.tables()).toEqual([])
    expect(rig.ns.ruleset()).toBe('')
    expect(rig.summaries[n]).toMatchObject({ removed: ['ip ta'], batches: 1 })

    // Selected again: applied again.
    n = rig.summaries.length
    api.update('liqo', 'b', (o) => {
      o.metadata.labels = GW
    })
    expect(await rig.reconciles(n)).toBe(true)
    expect(rig.tables()).toEqual(['ip tb'])
  })

  it('several label sets (a Liqo gateway\'s): one filtered list-watch each, an object selected by any', async () => {
    const CAT = 'networking.liqo.io/firewall-category'
    const SUB = 'networking.liqo.io/firewall-subcategory'
    const UNIQUE = 'networking.liqo.io/firewall-unique'
    rig = await makeRig('ctl-sets', { selectors: [{ [CAT]: 'gateway', [SUB]: 'all-gateways' }, { [CAT]: 'gateway', [UNIQUE]: 'remote-1' }] }, false)
    const { api } = rig
    api.create(fwc('all', 'tall', [1], { [CAT]: 'gateway', [SUB]: 'all-gateways' }))
    api.create(fwc('r1', 'tr1', [2], { [CAT]: 'gateway', [UNIQUE]: 'remote-1' }))
    api.create(fwc('r2', 'tr2', [3], { [CAT]: 'gateway', [UNIQUE]: 'remote-2' }))
    api.create(fwc('both', 'tboth', [4], { [CAT]: 'gateway', [SUB]: 'all-gateways', [UNIQUE]: 'remote-1' }))
    await rig.ctl.start()
    expect(await rig.reconciles(0)).toBe(true)
    expect(rig.tables()).toEqual(['ip tall', 'ip tboth', 'ip tr1'])
    expect(api.calls.filter((c) => c.verb === 'list').map((c) => c.query.labelSelector).sort()).toEqual([
      `${CAT}=gateway,${SUB}=all-gateways`,
      `${CAT}=gateway,${UNIQUE}=remote-1`,
    ])
    // Leaving one set but still in the other: kept. Leaving both: removed.
    let n = rig.summaries.length
    api.update('liqo', 'both', (o) => {
      o.metadata.labels = { [CAT]: 'gateway', [UNIQUE]: 'remote-1' }
    })
    await until(() => rig!.summaries.length > n, 3000)
    expect(rig.tables()).toEqual(['ip tall', 'ip tboth', 'ip tr1'])
    n = rig.summaries.length
    api.update('liqo', 'r1', (o) => {
      o.metadata.labels = { [CAT]: 'gateway', [UNIQUE]: 'remote-2' }
    })
    expect(await rig.reconciles(n)).toBe(true)
    expect(rig.tables()).toEqual(['ip tall', 'ip tboth'])
  })

  it('watches one namespace only with --namespace', async () => {
    rig = await makeRig('ctl-ns', { namespace: 'liqo' }, false)
    rig.api.create(fwc('a', 'ta', [22], GW, 'liqo'))
    rig.api.create(fwc('z', 'tz', [22], GW, 'elsewhere'))
    await rig.ctl.start()
    expect(await rig.reconciles(0)).toBe(true)
    expect(rig.tables()).toEqual(['ip ta'])
    expect(rig.api.calls[0].path).toBe('/apis/networking.liqo.io/v1beta1/namespaces/liqo/firewallconfigurations')
  })
})

describe('controller: status', () => {
  it('keeps other hosts\' entries, retries a 409 on a fresh copy, and moves lastTransitionTime only on a transition', async () => {
    rig = await makeRig('ctl-status', {}, false)
    const { api } = rig
    const other: Cond = { host: 'gw-b', type: 'Applied', status: 'False', lastTransitionTime: '2026-01-01T00:00:00Z' }
    api.create({ ...fwc('a', 'ta', [22]), status: { conditions: [other] } })
    // The first status PUT meets a conflict: gw-b wrote its entry in between.
    const otherNow: Cond = { ...other, status: 'True', lastTransitionTime: '2026-02-02T00:00:00Z' }
    api.conflictNext(1, (o) => {
      o.status = { conditions: [otherNow] }
    })
    await rig.ctl.start()
    expect(await rig.reconciles(0)).toBe(true)
    const c1 = conds(api.objects.get('liqo/a'))
    expect(c1).toEqual([otherNow, { host: 'gw-a', type: 'Applied', status: 'True', lastTransitionTime: expect.any(String) }])
    expect(api.calls.filter((c) => c.verb === 'status').map((c) => c.status)).toEqual([409, 200])
    expect(api.count('get')).toBe(1)
    expect(rig.ctl.stats.conflicts).toBe(1)
    const t1 = c1[1].lastTransitionTime

    // A valid change: no status write at all. Our own status write came back as a watch event: no reconcile.
    let n = rig.summaries.length
    let calls = api.calls.length
    api.update('liqo', 'a', (o) => {
      rules(o).pop()
      rules(o).push(rules(fwc('x', 'x', [23]))[0])
    })
    expect(await rig.reconciles(n)).toBe(true)
    expect(api.count('status', calls)).toBe(0)
    expect(rig.ctl.stats.skipped).toBeGreaterThanOrEqual(1)

    // Broken, then fixed: False with a new time, then True with a new time; gw-b untouched throughout.
    n = rig.summaries.length
    calls = api.calls.length
    api.update('liqo', 'a', (o) => {
      ;(o.spec as { table: { chains: Array<{ hook: string }> } }).table.chains[0].hook = 'ingress'
    })
    expect(await rig.reconciles(n)).toBe(true)
    await until(() => conds(api.objects.get('liqo/a'))[1]?.status === 'False', 5000)
    const c2 = conds(api.objects.get('liqo/a'))
    expect(c2[0]).toEqual(otherNow)
    expect(c2[1]).toMatchObject({ host: 'gw-a', status: 'False' })
    expect(c2[1].lastTransitionTime >= t1).toBe(true)
    expect(api.count('status', calls)).toBe(1)
    n = rig.summaries.length
    api.update('liqo', 'a', (o) => {
      ;(o.spec as { table: { chains: Array<{ hook: string }> } }).table.chains[0].hook = 'input'
    })
    expect(await rig.reconciles(n)).toBe(true)
    await until(() => conds(api.objects.get('liqo/a'))[1]?.status === 'True', 5000)
    expect(conds(api.objects.get('liqo/a'))[0]).toEqual(otherNow)
    // The failure and the recovery were both reported as Events.
    expect(api.events.map((e) => [e.type, e.reason])).toEqual([
      ['Warning', 'InvalidSpec'],
      ['Normal', 'Applied'],
    ])
  })
})

describe('controller: refusals', () => {
  it('a bad object: status False, an Event with every problem and its field path, its table left as it was', async () => {
    rig = await makeRig('ctl-bad', {}, false)
    const { api } = rig
    api.create(fwc('good', 'tg', [22]))
    const bad = fwc('bad', 'tb', [80])
    const rule = rules(bad)[0] as { match: Array<Record<string, unknown>> }
    rule.match.push({ op: 'eq', ip: { value: '10.0.0.300', position: 'src' } })
    api.create(bad)
    await rig.ctl.start()
    expect(await rig.reconciles(0)).toBe(true)
    expect(rig.tables()).toEqual(['ip tg'])
    await until(() => api.events.length === 1 && conds(api.objects.get('liqo/bad')).length === 1, 5000)
    expect(conds(api.objects.get('liqo/bad'))).toEqual([{ host: 'gw-a', type: 'Applied', status: 'False', lastTransitionTime: expect.any(String) }])
    const ev = api.events[0] as KubeObject & { type: string; reason: string; message: string; involvedObject: { name: string; uid: string } }
    expect(ev).toMatchObject({ type: 'Warning', reason: 'InvalidSpec', involvedObject: { name: 'bad', uid: api.objects.get('liqo/bad')!.metadata.uid } })
    expect(ev.message).toContain('spec.table.chains[0].rules.filterRules[0].match[2].ip.value')
    expect(rig.logs.some((l) => l.level === 'warn' && l.msg === 'not applied' && String(l.fields?.message).includes('match[2].ip.value'))).toBe(true)

    // A good object turned bad keeps its table as it was.
    const before = rig.ns.ruleset()
    const n = rig.summaries.length
    api.update('liqo', 'good', (o) => {
      ;(rules(o)[0] as { action: string }).action = 'explode'
    })
    expect(await rig.reconciles(n)).toBe(true)
    expect(rig.ns.ruleset()).toBe(before)
    expect(rig.summaries[n]).toMatchObject({ operations: 0, batches: 0 })
    await until(() => api.events.length === 2, 5000)
    expect(api.events[1]).toMatchObject({ reason: 'InvalidSpec', involvedObject: { name: 'good' } })
    // The same problem again (another object changed) is not reported twice.
    api.create(fwc('third', 't3', [1]))
    expect(await rig.reconciles(n + 1)).toBe(true)
    expect(api.events).toHaveLength(2)
  })

  it('two objects for one table: neither is applied, both are told why; deleting one applies the other', async () => {
    rig = await makeRig('ctl-dup', {}, false)
    const { api } = rig
    api.create(fwc('one', 'shared', [22]))
    api.create(fwc('two', 'shared', [80], GW, 'other'))
    await rig.ctl.start()
    expect(await rig.reconciles(0)).toBe(true)
    expect(rig.tables()).toEqual([])
    await until(() => api.events.length === 2, 5000)
    const msgs = api.events.map((e) => `${(e.involvedObject as { name: string }).name} ${e.reason} ${e.message}`).sort()
    expect(msgs[0]).toMatch(/^one TableConflict spec.table: table ip shared is also declared by FirewallConfiguration other\/two/)
    expect(msgs[1]).toMatch(/^two TableConflict spec.table: table ip shared is also declared by FirewallConfiguration liqo\/one/)
    expect(conds(api.objects.get('liqo/one'))[0].status).toBe('False')
    expect(conds(api.objects.get('other/two'))[0].status).toBe('False')
    const n = rig.summaries.length
    api.delete('other', 'two')
    expect(await rig.reconciles(n)).toBe(true)
    expect(rig.ns.ruleset()).toContain('comment "port-22"')
    await until(() => conds(api.objects.get('liqo/one'))[0].status === 'True', 5000)
    expect(conds(api.objects.get('liqo/one'))[0].status).toBe('True')
  })

  it('a table the kernel refuses is reported on its object; the others are applied in the same reconcile', async () => {
    rig = await makeRig('ctl-kernel', {}, false)
    const { api } = rig
    api.create(fwc('ok', 'tok', [22]))
    // reject in a BRIDGE table: valid for Liqo and for nftkit's checks, but this kernel has no
    // bridge reject expression (nft itself is refused the same rule, checked first).
    rig.ns.nftFile('table bridge probe {\n chain in {\n type filter hook input priority 0;\n }\n}\n')
    expect(() => rig!.ns.nft('add', 'rule', 'bridge', 'probe', 'in', 'reject')).toThrow(/No such file or directory/)
    rig.ns.nft('delete', 'table', 'bridge', 'probe')
    const bad = fwc('post', 'tpost', [80])
    ;(bad.spec as { table: { family: string } }).table.family = 'BRIDGE'
    const chain = (bad.spec as { table: { chains: Array<{ rules: { filterRules: Array<{ action: string }> } }> } }).table.chains[0]
    chain.rules.filterRules[0].action = 'reject'
    api.create(bad)
    await rig.ctl.start()
    expect(await rig.reconciles(0)).toBe(true)
    expect(rig.tables()).toEqual(['ip tok'])
    expect(rig.summaries[0].refused).toEqual([{ key: 'liqo/post', reason: 'KernelRefused', message: expect.stringMatching(/^the kernel refused table bridge tpost: .*\[ENOENT\]/) }])
    await until(() => api.events.length === 1, 5000)
    expect(api.events[0]).toMatchObject({ type: 'Warning', reason: 'KernelRefused', involvedObject: { name: 'post' } })
    expect(conds(api.objects.get('liqo/post'))[0].status).toBe('False')
    expect(conds(api.objects.get('liqo/ok'))[0].status).toBe('True')
  })
})
