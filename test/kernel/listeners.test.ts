/**
 * Large batches while something listens to nf_tables notifications: the
 * kernel holds one notification per element until the commit ends (about
 * 8 KiB each), so the client counts the listeners of its own namespace before
 * a batch of LISTENER_WARN_ELEMENTS or more and warns. Listeners counted: a
 * Monitor, `nft monitor`; not those of another namespace.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Client, createClient, createMonitor, LISTENER_WARN_ELEMENTS } from '../../lib/index.js'
import { createFakeClient } from '../../lib/testing/index.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Sockets subscribed to nf_tables notifications (NETLINK_NETFILTER, group 7) in a namespace, from its /proc/net/netlink. */
function listenersIn(netns: string): number {
  const rows = execFileSync('ip', ['netns', 'exec', netns, 'cat', '/proc/net/netlink'], { encoding: 'utf8' }).trim().split('\n').slice(1)
  return rows.map((r) => r.trim().split(/\s+/)).filter((f) => f[1] === '12' && (Number.parseInt(f[3], 16) & 0x40) !== 0).length
}

/** A transaction adding `n` addresses (10.x.y.z from `base`) to set s of table ip t. */
function bigAdd(client: Client, n: number, base: number) {
  const tx = client.transaction({ family: 'ip', table: 't' })
  const elements: string[] = []
  for (let i = base; i < base + n; i++) elements.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
  tx.add({ kind: 'element', set: 's', elements })
  return tx
}

describe('nf_tables listeners and large batches', () => {
  let ns: Netns
  let client: Client
  const warnings: Array<{ message: string; code: string }> = []

  beforeAll(() => {
    ns = makeNetns('lis')
    ns.nftFile('table ip t { set s { type ipv4_addr; }; }')
    client = createClient({ netns: ns.name, onWarning: (message, code) => warnings.push({ message, code }) })
    client.listSync() // learns set s's key type
  })
  afterAll(() => {
    client?.close()
    ns?.remove()
  })

  it('counts the Monitors and nft monitor processes of its own namespace only', async () => {
    const here = createMonitor() // the test's own namespace: not the client's
    const there = createMonitor({ netns: ns.name })
    let nft: ChildProcess | undefined
    try {
      warnings.length = 0
      client.commitSync(bigAdd(client, LISTENER_WARN_ELEMENTS, 0))
      expect(warnings).toHaveLength(1)
      expect(warnings[0].code).toBe('NFTKIT_LISTENER_MEMORY')
      expect(warnings[0].message).toContain(`${LISTENER_WARN_ELEMENTS} elements while 1 socket(s) listen`)

      nft = spawn('ip', ['netns', 'exec', ns.name, 'nft', 'monitor'], { stdio: 'ignore' })
      // Until nft has subscribed (seconds on a loaded machine), read as the client reads it.
      for (let t = 0; t < 200 && listenersIn(ns.name) < 2; t++) await sleep(50)
      expect(listenersIn(ns.name)).toBe(2)
      warnings.length = 0
      await client.commit(bigAdd(client, LISTENER_WARN_ELEMENTS, LISTENER_WARN_ELEMENTS))
      expect(warnings.map((w) => w.message.match(/while (\d+) socket/)?.[1])).toEqual(['2'])
    } finally {
      nft?.kill()
      here.close()
      there.close()
    }
    await sleep(200)
    warnings.length = 0
    client.commitSync(bigAdd(client, LISTENER_WARN_ELEMENTS, 2 * LISTENER_WARN_ELEMENTS))
    expect(warnings).toEqual([])
    // Every element landed whatever was said.
    expect(ns.nft('list', 'set', 'ip', 't', 's').split(',').length).toBe(3 * LISTENER_WARN_ELEMENTS)
  })

  it('says nothing for batches below the threshold, with a listener', () => {
    const there = createMonitor({ netns: ns.name })
    try {
      warnings.length = 0
      client.commitSync(bigAdd(client, LISTENER_WARN_ELEMENTS - 1, 3 * LISTENER_WARN_ELEMENTS))
      expect(warnings).toEqual([])
    } finally {
      there.close()
    }
  })

  it('the Fake counts its monitors the same way', () => {
    const got: string[] = []
    const fake = createFakeClient({ onWarning: (_m, code) => got.push(code) })
    fake.commitSync(fake.transaction({ family: 'ip', table: 't' }).add({ kind: 'table' }).add({ kind: 'set', name: 's', type: 'ipv4_addr' }))
    fake.commitSync(bigAdd(fake, LISTENER_WARN_ELEMENTS, 0))
    expect(got).toEqual([])
    const mon = fake.monitor()
    fake.commitSync(bigAdd(fake, LISTENER_WARN_ELEMENTS, LISTENER_WARN_ELEMENTS))
    mon.close()
    expect(got).toEqual(['NFTKIT_LISTENER_MEMORY'])
  })

  it('refuses an onWarning that is not a function', () => {
    expect(() => createFakeClient({ onWarning: 5 as never })).toThrow(/Expected a function for options\.onWarning/)
  })
})
