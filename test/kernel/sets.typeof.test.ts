/**
 * typeof sets and maps, auto-merge, object maps and set statements, committed
 * as typed objects through nftkit in a throwaway namespace and read back with
 * nftkit's own listing and with `nft list` (the oracle).
 */
import { describe, expect, it } from 'vitest'
import { type Client, renderRuleset } from '../../lib/index.js'
import type { Netns } from '../helpers/netns.js'
import { netnsClient } from '../helpers/netns-client.js'
import { flatListing } from '../helpers/listing-text.js'

let ns: Netns
let nft: Client

netnsClient('typeof', (n, c) => {
  ns = n
  nft = c
})

const flat = flatListing

describe('typeof sets and set statements', () => {
  it('reads back the same with nftkit and nft', async () => {
    const tx = nft.transaction({ family: 'inet', table: 'ty' })
    tx.add({ kind: 'table', name: 'ty' })
    tx.add({ kind: 'chain', name: 'c' })
    tx.add({ kind: 'counter', name: 'hits' })
    tx.add({ kind: 'set', name: 'seen', type: ['ipv4_addr', 'inet_service'], typeof: ['ip saddr', 'tcp dport'], flags: ['dynamic', 'timeout'], size: 1024 })
    tx.add({ kind: 'map', name: 'marks', type: 'ipv4_addr', typeof: 'ip saddr', map: 'mark', mapTypeof: 'meta mark', flags: ['dynamic'], size: 64 })
    tx.add({ kind: 'set', name: 'nets', type: 'ipv4_addr', flags: ['interval'], autoMerge: true, elements: ['10.0.0.1', '10.0.0.2', '10.1.0.0/16'] })
    tx.add({ kind: 'map', name: 'cm', type: 'ipv4_addr', map: 'counter', elements: [{ key: '10.0.0.1', value: 'hits' }, { key: '*', value: 'hits' }] })
    tx.add({
      kind: 'rule',
      chain: 'c',
      exprs: [
        { match: 'tcp dport', value: 22 },
        { stmt: 'set', op: 'update', set: 'seen', key: ['ip saddr', 'tcp dport'], timeout: 60000, stmts: [{ stmt: 'limit', rate: 10, per: 'second' }, { stmt: 'counter' }] },
        { stmt: 'set', op: 'add', set: 'marks', key: 'ip saddr', data: { value: 7 } },
        { stmt: 'accept' },
      ],
    })
    await nft.commit(tx)

    const want = [
      'table inet ty {',
      'counter hits { packets 0 bytes 0 }',
      'set seen { typeof ip saddr . tcp dport size 1024 flags dynamic,timeout }',
      'map marks { typeof ip saddr : meta mark size 64 flags dynamic }',
      'set nets { type ipv4_addr flags interval auto-merge elements = { 10.0.0.1-10.0.0.2, 10.1.0.0/16 } }',
      'map cm { type ipv4_addr : counter elements = { 10.0.0.1 : "hits", * : "hits" } }',
      'chain c { tcp dport 22 update @seen { ip saddr . tcp dport timeout 1m limit rate 10/second counter } add @marks { ip saddr : 0x00000007 } accept }',
      '}',
    ].join(' ')
    expect(flat(ns.nft('list', 'table', 'inet', 'ty'))).toBe(want)
    const listing = await nft.list()
    expect(flat(renderRuleset(listing))).toBe(want)
    const seen = listing.sets.find((s) => s.name === 'seen')
    expect(seen?.typeof).toEqual(['ip saddr', 'tcp dport'])
    const rule = listing.rules.find((r) => r.chain === 'c')
    expect(rule?.exprs[1]).toEqual({
      stmt: 'set',
      op: 'update',
      set: 'seen',
      key: ['ip saddr', 'tcp dport'],
      timeout: 60000,
      stmts: [{ stmt: 'limit', rate: 10, per: 'second' }, { stmt: 'counter' }],
    })
  })
})
