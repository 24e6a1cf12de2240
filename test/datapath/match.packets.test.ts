/**
 * Real packets through rules whose meaning once differed from nft's: one TCP
 * handshake over loopback in a throwaway namespace, counted by named counters
 * in the output hook (which sees both the client's SYN and the server's
 * SYN-ACK).
 *
 * - `tcp flags == syn` (exact) counts the SYN only; `tcp flags syn` (bit test)
 *   counts the SYN-ACK too. nftkit once compiled both to the bit test.
 * - `meta mark @interval_set`: the mark is host-order in the register and
 *   big-endian in the set; without nft's byteorder conversion mark 3 misses
 *   the element 1-5.
 */
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type Listing } from '../../lib/index.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

// A listener on 127.0.0.1:7777 and one connection to it, closed at once.
const HANDSHAKE = `
const net = require('node:net')
const srv = net.createServer((s) => s.destroy()).listen(7777, '127.0.0.1', () => {
  const c = net.connect(7777, '127.0.0.1', () => { c.destroy(); setTimeout(() => srv.close(), 50) })
})
`

describe('match semantics with real packets', () => {
  let ns: Netns
  let listing: Listing
  beforeAll(async () => {
    ns = makeNetns('pkt')
    execFileSync('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up'])
    const nft = createClient({ netns: ns.name, family: 'inet', table: 't' })
    const tx = nft.transaction()
    tx.add({ kind: 'table' })
    for (const name of ['syn_any', 'syn_exact', 'syn_none', 'mark_interval', 'mark_range']) tx.add({ kind: 'counter', name })
    tx.add({ kind: 'set', name: 'marks', type: 'mark', flags: ['interval'], elements: ['1-5'] })
    tx.add({ kind: 'chain', name: 'out', type: 'filter', hook: 'output', priority: 0 })
    const port = { match: 'tcp dport', value: 7777 } as const
    const sport = { match: 'tcp sport', value: 7777 } as const
    const tcp = (m: typeof port | typeof sport, ...rest: object[]) => ({ kind: 'rule', chain: 'out', exprs: [m, ...rest] }) as const
    for (const m of [port, sport]) {
      tx.add(tcp(m, { match: 'tcp flags', value: 'syn' }, { stmt: 'counter', name: 'syn_any' }) as never)
      tx.add(tcp(m, { match: 'tcp flags', op: '==', value: 'syn' }, { stmt: 'counter', name: 'syn_exact' }) as never)
      tx.add(tcp(m, { match: 'tcp flags', op: '!', value: 'syn' }, { stmt: 'counter', name: 'syn_none' }) as never)
    }
    // Mark the client's SYN with 3, then look the mark up in the interval set and in a range.
    tx.add({ kind: 'rule', chain: 'out', exprs: [port, { match: 'tcp flags', op: '==', value: 'syn' }, { stmt: 'meta mark set', value: 3 }] })
    tx.add({ kind: 'rule', chain: 'out', exprs: [port, { match: 'meta mark', value: { set: 'marks' } }, { stmt: 'counter', name: 'mark_interval' }] })
    tx.add({ kind: 'rule', chain: 'out', exprs: [port, { match: 'meta mark', value: '1-5' }, { stmt: 'counter', name: 'mark_range' }] })
    await nft.commit(tx)
    execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, '-e', HANDSHAKE], { timeout: 10_000 })
    listing = await nft.list()
    nft.close()
  })
  afterAll(() => ns?.remove())

  const packets = (name: string) => listing.counters.find((c) => c.name === name)?.packets

  it('tcp flags syn counts SYN and SYN-ACK; tcp flags == syn only the SYN', () => {
    expect(packets('syn_any')).toBe(2)
    expect(packets('syn_exact')).toBe(1)
    expect(packets('syn_none')).toBeGreaterThanOrEqual(2) // the client's ACK, then FIN or RST
  })

  it('a mark set to 3 is found in the interval set { 1-5 } and in the range 1-5', () => {
    expect(packets('mark_interval')).toBe(1)
    expect(packets('mark_range')).toBe(1)
  })
})
