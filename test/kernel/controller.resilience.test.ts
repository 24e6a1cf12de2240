/**
 * The controller when the world misbehaves: a watch that expires (410 Gone:
 * relist, nothing re-applied when nothing changed), streams closed by the
 * server (watched again from the last version, no relist), the API server
 * gone (the kernel left as it is, converged when it is back), status writes
 * refused (retried), and kernel drift repaired from the cache without a call
 * to the API server.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type KubeObject, fwc } from '../helpers/apiserver.js'
import { makeRig, type Rig } from '../helpers/controller.js'
import { until } from '../helpers/wait.js'

const rules = (o: KubeObject) => (o.spec as { table: { chains: Array<{ rules: { filterRules: unknown[] } }> } }).table.chains[0].rules.filterRules
const status = (o: KubeObject | undefined) => ((o?.status as { conditions?: Array<{ status: string }> } | undefined)?.conditions ?? []).map((c) => c.status)
/** A ruleset with its tables in name order (a re-created table is listed last). */
const sorted = (text: string) =>
  text
    .split(/(?=^table )/m)
    .map((t) => t.trim())
    .sort()
    .join('\n')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let rig: Rig | undefined
afterEach(async () => {
  await rig?.close()
  rig = undefined
})

async function started(tag: string): Promise<Rig> {
  const r = await makeRig(tag, {}, false)
  r.api.create(fwc('a', 'ta', [22, 80]))
  r.api.create(fwc('b', 'tb', [443]))
  await r.ctl.start()
  expect(await r.reconciles(0)).toBe(true)
  await until(() => status(r.api.objects.get('liqo/b')).length === 1 && r.api.openWatches === 1, 5000)
  return r
}

describe('controller: watch expiry and closed streams', () => {
  it('410 Gone on the stream relists once and re-applies nothing when nothing changed', async () => {
    rig = await started('ctl-410')
    const { api } = rig
    const n = rig.summaries.length
    const lists = api.count('list')
    const calls = api.calls.length
    const ruleset = rig.ns.ruleset()
    api.expireWatches()
    expect(await until(() => api.count('list') === lists + 1 && api.openWatches === 1, 5000)).toBe(true)
    await sleep(300)
    expect(rig.summaries.length).toBe(n) // no reconcile: the relist found what the cache held
    expect(api.calls.slice(calls).map((c) => c.verb)).toEqual(['list', 'watch'])
    expect(rig.ns.ruleset()).toBe(ruleset)
    expect(rig.logs.some((l) => l.msg === 'relisting' && l.fields?.why === '410 Gone')).toBe(true)
  })

  it('a watch from an expired version after an outage relists and applies what changed meanwhile', async () => {
    rig = await started('ctl-410b')
    const { api } = rig
    await api.stop()
    api.update('liqo', 'a', (o) => {
      rules(o).pop()
    })
    api.compact()
    const n = rig.summaries.length
    await api.start()
    expect(await rig.reconciles(n)).toBe(true)
    expect(rig.ns.ruleset()).not.toContain('port-80')
    expect(rig.ns.ruleset()).toContain('port-22')
    expect(api.calls.some((c) => c.verb === 'watch' && c.query.resourceVersion !== undefined)).toBe(true)
    expect(rig.logs.some((l) => l.msg === 'relisting')).toBe(true)
  })

  it('a stream closed by the server is watched again from the last version, without a relist', async () => {
    rig = await started('ctl-close')
    const { api } = rig
    const lists = api.count('list')
    const watches = api.count('watch')
    for (let i = 0; i < 3; i++) {
      api.closeWatches()
      expect(await until(() => api.openWatches === 1, 5000)).toBe(true)
    }
    expect(api.count('list')).toBe(lists)
    expect(api.count('watch')).toBe(watches + 3)
    const last = api.calls.filter((c) => c.verb === 'watch').at(-1)!
    expect(Number(last.query.resourceVersion)).toBe(api.resourceVersion)
    // And it still sees changes.
    const n = rig.summaries.length
    api.delete('liqo', 'b')
    expect(await rig.reconciles(n)).toBe(true)
    expect(rig.tables()).toEqual(['ip ta'])
  })
})

describe('controller: API server away', () => {
  it('leaves the kernel as it is while the API server is unreachable, and converges when it is back', async () => {
    rig = await started('ctl-down')
    const { api } = rig
    const ruleset = rig.ns.ruleset()
    const n = rig.summaries.length
    await api.stop()
    await sleep(1500) // several retries (backoff 50 ms .. 400 ms)
    expect(rig.ns.ruleset()).toBe(ruleset)
    expect(rig.summaries.length).toBe(n)
    expect(rig.logs.filter((l) => l.msg === 'API server').length).toBeGreaterThanOrEqual(2)
    // Changes made while it was away arrive when it is back.
    api.delete('liqo', 'b')
    api.update('liqo', 'a', (o) => {
      rules(o).push(rules(fwc('x', 'x', [8443]))[0])
    })
    await api.start()
    expect(await until(() => rig!.tables().join() === 'ip ta' && rig!.ns.ruleset().includes('port-8443'), 10_000)).toBe(true)
  })

  it('a refused status write is retried', async () => {
    rig = await started('ctl-status-retry')
    const { api } = rig
    api.fail('status', 500, 2)
    api.create(fwc('c', 'tc', [1]))
    expect(await until(() => status(api.objects.get('liqo/c')).join() === 'True', 10_000)).toBe(true)
    expect(api.calls.filter((c) => c.verb === 'status' && c.path.endsWith('/c/status')).map((c) => c.status)).toEqual([500, 500, 200])
    expect(rig.ns.ruleset()).toContain('table ip tc')
  })
})

describe('controller: drift', () => {
  it('repairs changes others make to its tables from its cache, without calling the API server, and leaves other tables alone', async () => {
    rig = await started('ctl-drift')
    const { api, ns } = rig
    const ruleset = sorted(rig.ns.ruleset())
    ns.nftFile('table ip foreign {\n chain c {\n type filter hook input priority 10;\n }\n}\n')
    const withForeign = sorted(rig.ns.ruleset())
    await sleep(200)
    const calls = api.calls.length
    const drifts = rig.ctl.stats.drifts
    // Delete a rule, add one, delete a whole table.
    const h = ns.nft('-a', 'list', 'chain', 'ip', 'ta', 'in').match(/port-80" # handle (\d+)/)![1]
    ns.nft('delete', 'rule', 'ip', 'ta', 'in', 'handle', h)
    expect(await until(() => sorted(rig!.ns.ruleset()) === withForeign, 5000)).toBe(true)
    ns.nft('add', 'rule', 'ip', 'ta', 'in', 'udp', 'dport', '53', 'drop')
    expect(await until(() => sorted(rig!.ns.ruleset()) === withForeign, 5000)).toBe(true)
    ns.nft('delete', 'table', 'ip', 'tb')
    expect(await until(() => sorted(rig!.ns.ruleset()) === withForeign, 5000)).toBe(true)
    expect(rig.ctl.stats.drifts).toBeGreaterThanOrEqual(drifts + 3)
    expect(api.calls.slice(calls)).toEqual([])
    expect(withForeign).toContain('table ip foreign')
    expect(withForeign.replace(/table ip foreign \{[^}]*\}[^}]*\}\n?/, '')).toBe(ruleset)
    // Drift repair works with the API server away too.
    await api.stop()
    ns.nft('flush', 'chain', 'ip', 'ta', 'in')
    expect(await until(() => sorted(rig!.ns.ruleset()) === withForeign, 5000)).toBe(true)
  })
})
