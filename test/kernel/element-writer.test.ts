/**
 * `client.elementWriter(set)` against the kernel: its changes read back with
 * our listing and with `nft`, packets matched by the set after an add and not
 * after the delete, the kernel's refusal as an NftError with nothing applied,
 * and the Fake giving the same outcomes and ruleset for the same steps.
 */
import { describe, expect, it } from 'vitest'
import { type Client, createClient, NftError, renderRuleset } from '../../lib/index.js'
import { createFakeClient } from '../../lib/testing/index.js'
import { netnsClient } from '../helpers/netns-client.js'
import { makeNetns, type Netns, sendUdp } from '../helpers/netns.js'
import { thrown } from '../helpers/rejection.js'
import { execFileSync } from 'node:child_process'

/** Table t: an interval and a hash set of IPv4 addresses, each counting UDP to port 9 that its set matches. */
function declare(nft: Client): void {
  const tx = nft.transaction({ family: 'inet', table: 't' })
  tx.add({ kind: 'table' })
  tx.add({ kind: 'set', name: 'iv', type: 'ipv4_addr', flags: ['interval'] })
  tx.add({ kind: 'set', name: 'h', type: 'ipv4_addr' })
  tx.add({ kind: 'counter', name: 'hits_iv' })
  tx.add({ kind: 'counter', name: 'hits_h' })
  tx.add({ kind: 'chain', name: 'out', type: 'filter', hook: 'output', priority: 0 })
  for (const set of ['iv', 'h'])
    tx.add({ kind: 'rule', chain: 'out', exprs: [{ match: 'ip daddr', value: { set } }, { match: 'udp dport', value: 9 }, { stmt: 'counter', name: `hits_${set}` }] })
  nft.commitSync(tx)
}

/** The writer steps of the Fake comparison; each returns what it did (ok, or the error's code and index). */
const STEPS: Array<(nft: Client) => unknown> = [
  (nft) => nft.elementWriter('iv', { table: 't' }).addSync(['10.1.0.0/16', '10.0.0.7', '192.168.1.10-192.168.1.20']),
  (nft) => nft.elementWriter('h', { table: 't' }).addSync(['10.0.0.1', '10.0.0.2']),
  (nft) => nft.elementWriter('h', { table: 't' }).deleteSync(['10.0.0.9']), // missing: ENOENT
  (nft) => nft.elementWriter('iv', { table: 't' }).deleteSync(['10.0.0.7']),
  (nft) => nft.elementWriter('h', { table: 't' }).addSync(['10.0.0.2']), // already there: add keeps it
  (nft) => nft.elementWriter('iv', { table: 't' }).addSync(Array.from({ length: 20 }, (_, i) => `172.16.${i}.0/24`)), // the general path
]

function runSteps(nft: Client): Array<string> {
  return STEPS.map((step) => {
    try {
      step(nft)
      return 'ok'
    } catch (e) {
      if (!(e instanceof NftError)) throw e
      return `${e.code} ${e.index}`
    }
  })
}

describe('the element writer on the kernel', () => {
  let ns: Netns
  let nft: Client
  netnsClient(
    'ew',
    (n, c) => {
      ns = n
      nft = c
      declare(nft)
    },
    (n) => execFileSync('ip', ['-n', n.name, 'link', 'set', 'lo', 'up']),
  )

  const counter = (name: string) => nft.listSync({ table: 't' }).counters.find((c) => c.name === name)?.packets

  it('adds and deletes, read back by our listing and by nft, and packets follow', async () => {
    nft.listSync({ table: 't' }) // the sets' shapes
    const iv = nft.elementWriter('iv', { table: 't' })
    const h = nft.elementWriter('h', { table: 't' })
    iv.addSync(['127.0.0.0/8'])
    await h.add(['127.0.0.1'])
    const l = nft.listSync({ table: 't' })
    expect(l.sets.find((s) => s.name === 'iv')?.elements).toEqual(['127.0.0.0/8'])
    expect(l.sets.find((s) => s.name === 'h')?.elements).toEqual(['127.0.0.1'])
    expect(ns.nft('list', 'set', 'inet', 't', 'iv')).toMatch(/elements = \{ 127\.0\.0\.0\/8 \}/)
    expect(ns.nft('list', 'set', 'inet', 't', 'h')).toMatch(/elements = \{ 127\.0\.0\.1 \}/)
    sendUdp(ns.name, 3, 10)
    expect([counter('hits_iv'), counter('hits_h')]).toEqual([3, 3])

    iv.deleteSync(['127.0.0.0/8'])
    await h.delete(['127.0.0.1'])
    expect(ns.nft('list', 'set', 'inet', 't', 'iv')).not.toMatch(/elements/)
    expect(ns.nft('list', 'set', 'inet', 't', 'h')).not.toMatch(/elements/)
    sendUdp(ns.name, 2, 10)
    expect([counter('hits_iv'), counter('hits_h')]).toEqual([3, 3])
  })

  it('a refused change is an NftError naming the operation, and applies nothing', () => {
    const h = nft.elementWriter('h', { table: 't' })
    h.addSync(['10.3.0.1'])
    const gen = nft.generationSync()
    const err = thrown(() => h.deleteSync(['10.3.0.1', '10.3.0.2']), NftError)
    expect(err.code).toBe('ENOENT')
    expect(err.index).toBe(0)
    expect(err.message).toMatch(/delete elements of set inet\/t\/h: an element to delete is not in set inet t h/)
    expect(nft.generationSync()).toBe(gen)
    expect(ns.nft('list', 'set', 'inet', 't', 'h')).toMatch(/elements = \{ 10\.3\.0\.1 \}/)
    h.deleteSync(['10.3.0.1'])
  })
})

it('the Fake gives the same outcomes and ruleset as the kernel for the writer steps', () => {
  const ns = makeNetns('ewfake')
  try {
    const kernel = createClient({ netns: ns.name, family: 'inet' })
    const fake = createFakeClient({ family: 'inet' })
    try {
      declare(kernel)
      declare(fake)
      const theirs = runSteps(kernel)
      const ours = runSteps(fake)
      expect(ours).toEqual(theirs)
      expect(theirs).toEqual(['ok', 'ok', 'ENOENT 0', 'ok', 'ok', 'ok'])
      expect(renderRuleset(fake.listSync())).toBe(renderRuleset(kernel.listSync()))
    } finally {
      kernel.close()
      fake.close()
    }
  } finally {
    ns.remove()
  }
})
