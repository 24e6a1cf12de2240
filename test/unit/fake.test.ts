/**
 * nftkit/testing without root, namespace or addon: the Fake through the real
 * Client (sync and async), its refusals, shared namespaces and generation ids,
 * monitors, and dump(). Its agreement with the kernel is proven by
 * test/kernel/fake.differential.test.ts.
 */
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { type Client, isAlreadyExists, isGenerationMismatch, isNotFound, NftError, renderRuleset } from '../../lib/index.js'
import type { MonitorCommit } from '../../lib/io/monitor.js'
import { applyToModel } from '../../lib/state/model.js'
import { parseNft } from '../../lib/nft/parser.js'
import { Reconciler } from '../../lib/reconcile/reconciler.js'
import { createFakeClient, createFakeKernel, FakeClient } from '../../lib/testing/index.js'

function refusal(f: () => unknown): NftError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(NftError)
    return e as NftError
  }
  throw new Error('expected a refusal')
}

/** A user's controller: opens SSH on the table it is given. */
async function allowSsh(nft: Client): Promise<void> {
  const tx = nft.transaction().add({ kind: 'table' }).add({ kind: 'chain', name: 'in', type: 'filter', hook: 'input', priority: 0, policy: 'drop' })
  await nft.commit(tx.add({ kind: 'rule', chain: 'in', exprs: [{ match: 'tcp dport', value: 22 }, { stmt: 'accept' }] }))
}

describe('createFakeClient', () => {
  it('tests a controller in five lines (the README example)', async () => {
    const nft = createFakeClient({ table: 'fw' })
    await allowSsh(nft)
    expect(nft.dump()).toContain('tcp dport 22 accept')
    expect(nft.listSync().rules).toHaveLength(1)
  })

  it('is a Client: sync and async commits and listings, handles, close', async () => {
    const nft = createFakeClient({ table: 't' })
    expect(nft).toBeInstanceOf(FakeClient)
    const res = nft.commitSync(nft.transaction().add({ kind: 'table' }).add({ kind: 'chain', name: 'c' }).add({ kind: 'set', name: 's', type: 'ipv4_addr' }))
    expect(res.handles).toEqual([1, 1, 2])
    const r = await nft.commit(nft.transaction().add({ kind: 'rule', chain: 'c', exprs: [{ match: 'ip saddr', value: { set: 's' } }, { stmt: 'drop' }] }))
    expect(r.handles).toEqual([3])
    await nft.commit(nft.transaction().add({ kind: 'element', set: 's', elements: ['10.0.0.1', '10.0.0.2'] }))
    const l = await nft.list()
    expect(l.sets[0].elements).toEqual(['10.0.0.1', '10.0.0.2'])
    expect(l.rules[0]).toMatchObject({ chain: 'c', handle: 3 })
    expect(nft.dump()).toBe(renderRuleset(nft.listSync()))
    nft.close()
    expect(nft.closed).toBe(true)
  })

  it('refuses as the kernel does, with codes and operation indexes, and applies nothing of a refused batch', () => {
    const nft = createFakeClient({ table: 't' })
    nft.commitSync(nft.transaction().add({ kind: 'table' }).add({ kind: 'chain', name: 'j' }).add({ kind: 'chain', name: 'c' }))
    nft.commitSync(nft.transaction().add({ kind: 'rule', chain: 'c', exprs: [{ stmt: 'jump', chain: 'j' }] }))
    const before = nft.dump()

    const exists = refusal(() => nft.commitSync(nft.transaction().add({ kind: 'chain', name: 'x' }).create({ kind: 'chain', name: 'j' })))
    expect([isAlreadyExists(exists), exists.index, exists.op]).toEqual([true, 1, 'NEWCHAIN'])
    const busy = refusal(() => nft.commitSync(nft.transaction().delete({ kind: 'chain', name: 'j' })))
    expect([busy.code, busy.index, busy.message]).toEqual(['EBUSY', 0, 'delete chain inet/t/j: chain is not empty or is still a jump target [EBUSY]'])
    const missing = refusal(() => nft.commitSync(nft.transaction().delete({ kind: 'rule', chain: 'c', handle: 99 })))
    expect([isNotFound(missing), missing.index]).toEqual([true, 0])
    expect(nft.dump()).toBe(before)
  })

  it('two clients on one fake namespace: a stale genId is refused with ERESTART', () => {
    const kernel = createFakeKernel()
    const a = createFakeClient({ kernel, table: 't' })
    const b = createFakeClient({ kernel, table: 't' })
    a.commitSync(a.transaction().add({ kind: 'table' }))
    const { genId } = a.listSync()
    b.commitSync(b.transaction().add({ kind: 'chain', name: 'theirs' }))
    const e = refusal(() => a.commitSync(a.transaction().add({ kind: 'chain', name: 'mine' }), { genId }))
    expect([isGenerationMismatch(e), e.index]).toEqual([true, undefined])
    expect(a.commitSync(a.transaction().add({ kind: 'chain', name: 'mine' }), { genId: a.listSync().genId }).handles).toEqual([2])
    expect(kernel.genId).toBe(genId + 2)
    expect(a.dump()).toBe(b.dump())
  })

  it('monitors see every client of the namespace, after the commit returns', async () => {
    const nft = createFakeClient({ table: 't' })
    const mon = nft.monitor()
    const commits: MonitorCommit[] = []
    mon.on('commit', (c) => commits.push(c))
    nft.commitSync(nft.transaction().add({ kind: 'table' }).add({ kind: 'set', name: 's', type: 'inet_service', elements: [22, 80] }))
    expect(commits).toEqual([])
    await new Promise((r) => setImmediate(r))
    expect(commits).toHaveLength(1)
    expect(commits[0].portId).toBe(nft.portId)
    expect(commits[0].changes.map((c) => `${c.type} ${c.op}`)).toEqual(['table new', 'set new', 'element new'])
    expect(commits[0].changes[2]).toMatchObject({ set: 's', elements: 2 })
    mon.close()
  })

  it('runs the Reconciler: plan and apply, deltas from memory, a foreign writer retried, drift seen by a monitor', async () => {
    const fw = (pods: string[]) =>
      applyToModel(parseNft(`table inet fw {\n  set pods { type ipv4_addr; elements = { ${pods.join(', ')} } }\n  chain out {\n    type filter hook output priority filter; policy accept;\n    ip daddr @pods counter accept comment "b"\n  }\n}\n`).operations)
    const kernel = createFakeKernel()
    const nft = createFakeClient({ kernel })
    const drifts: unknown[] = []
    const rec = new Reconciler(nft, { monitor: nft.monitor(), onDrift: (d) => drifts.push(d) })
    expect(rec.reconcileSync(fw(['10.0.0.1', '10.0.0.2'])).operations.length).toBeGreaterThan(0)
    expect(rec.reconcileSync(fw(['10.0.0.1', '10.0.0.2'])).operations).toEqual([])
    const r = rec.updateSetSync({ table: 'fw', set: 'pods' }, { remove: ['10.0.0.1'], add: ['10.0.0.3'] })
    expect(r.operations.map((o) => o.verb)).toEqual(['delete', 'add'])
    expect(nft.listSync().sets[0].elements).toEqual(['10.0.0.2', '10.0.0.3'])
    // Another writer changes the table: the monitor reports the drift, the next delta re-reads first.
    const other = createFakeClient({ kernel, table: 'fw' })
    other.listSync()
    other.commitSync(other.transaction().add({ kind: 'element', set: 'pods', elements: ['10.9.9.9'] }))
    await new Promise((res) => setImmediate(res))
    expect(drifts).toHaveLength(1)
    const reads = rec.reads
    rec.updateSetSync({ table: 'fw', set: 'pods' }, { add: ['10.0.0.4'] })
    expect(rec.reads).toBe(reads + 1)
    expect([...nft.listSync().sets[0].elements].sort()).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.9.9.9'])
    // Without the monitor's word the stale generation is refused (ERESTART) and retried after a re-read.
    const blind = new Reconciler(nft)
    blind.updateSetSync({ table: 'fw', set: 'pods' }, {})
    other.commitSync(other.transaction().add({ kind: 'element', set: 'pods', elements: ['10.9.9.8'] }))
    expect(blind.updateSetSync({ table: 'fw', set: 'pods' }, { add: ['10.0.0.5'] }).retries).toBe(1)
  })

  it('needs no native addon: importing nftkit/testing never loads it', () => {
    const code = [
      "const { createFakeClient } = await import('./lib/testing/index.ts')",
      "const nft = createFakeClient({ table: 't' })",
      "nft.commitSync(nft.transaction().add({ kind: 'table' }))",
      'console.log(nft.dump().trim())',
    ].join(';')
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, NFTKIT_BINDING: '/nonexistent/nftkit.node' },
      encoding: 'utf8',
    })
    expect(out.trim()).toBe('table inet t {\n}')
  })
})
