/**
 * Maps to a concatenation (`type ... : ipv4_addr . inet_service`, typeof
 * `: ip daddr . tcp dport`) and to interval data (`: interval ...`), NAT from
 * them, set statements with concatenated values, and a verdict map after a
 * bitwise expression: committed as typed objects through nftkit in a
 * throwaway namespace and read back with nftkit's own listing and with
 * `nft list` (the oracle); applied again from nft text, no map or element changes.
 */
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Client, renderRuleset } from '../../lib/index.js'
import { planText } from '../../lib/cli/main.js'
import type { Netns } from '../helpers/netns.js'
import { netnsClient } from '../helpers/netns-client.js'

let ns: Netns
let nft: Client

netnsClient('cmap', (n, c) => {
  ns = n
  nft = c
})

const flat = (text: string): string =>
  text
    .replace(/\s*# handle \d+/g, '')
    .replace(/\s+/g, ' ')
    .trim()

const WANT = [
  'table ip cm {',
  'map natc { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service elements = { 1.1.1.1 . tcp . 20 : 2.2.2.2 . 30 } }',
  'map natr { type ipv4_addr : interval ipv4_addr . inet_service flags interval elements = { 192.168.1.2 : 10.141.10.1-10.141.10.3 . 8888-8999, 192.168.2.0/24 : 10.141.11.5-10.141.11.20 . 8888-8999 } }',
  'map pinned { typeof ip saddr . ct original proto-dst : ip daddr . tcp dport size 65535 flags dynamic,timeout timeout 6m }',
  'chain a { }',
  'chain u { }',
  'chain pre { type nat hook prerouting priority dstnat; policy accept;',
  'dnat ip to ip saddr . ip protocol . tcp dport map @natc',
  'ip protocol tcp dnat ip to ip saddr map @natr',
  '}',
  'chain c {',
  'update @pinned { ip saddr . ct original proto-dst timeout 1m30s : ip daddr . tcp dport }',
  'tcp flags & (ack | urg) vmap { ack : jump a, urg : jump u }',
  '}',
  '}',
].join(' ')

describe('maps to a concatenation and to interval data', () => {
  it('reads back the same with nftkit and nft', async () => {
    const tx = nft.transaction({ family: 'ip', table: 'cm' })
    tx.add({ kind: 'table', name: 'cm' })
    tx.add({
      kind: 'map',
      name: 'natc',
      type: ['ipv4_addr', 'inet_proto', 'inet_service'],
      map: ['ipv4_addr', 'inet_service'],
      elements: [{ key: ['1.1.1.1', 'tcp', 20], value: ['2.2.2.2', 30] }],
    })
    tx.add({
      kind: 'map',
      name: 'natr',
      type: 'ipv4_addr',
      map: ['ipv4_addr', 'inet_service'],
      mapInterval: true,
      flags: ['interval'],
      elements: [
        { key: '192.168.1.2', value: ['10.141.10.1-10.141.10.3', '8888-8999'] },
        { key: '192.168.2.0/24', value: ['10.141.11.5-10.141.11.20', '8888-8999'] },
      ],
    })
    tx.add({
      kind: 'map',
      name: 'pinned',
      type: ['ipv4_addr', 'inet_service'],
      typeof: ['ip saddr', 'ct original proto-dst'],
      map: ['ipv4_addr', 'inet_service'],
      mapTypeof: ['ip daddr', 'tcp dport'],
      flags: ['dynamic', 'timeout'],
      timeout: 360000,
      size: 65535,
    })
    tx.add({ kind: 'chain', name: 'a' })
    tx.add({ kind: 'chain', name: 'u' })
    tx.add({ kind: 'chain', name: 'pre', type: 'nat', hook: 'prerouting', priority: 'dstnat', policy: 'accept' })
    tx.add({ kind: 'chain', name: 'c' })
    tx.add({ kind: 'rule', chain: 'pre', exprs: [{ stmt: 'dnat', family: 'ip', key: ['ip saddr', 'ip protocol', 'tcp dport'], map: { set: 'natc' } }] })
    tx.add({ kind: 'rule', chain: 'pre', exprs: [{ match: 'ip protocol', value: 'tcp' }, { stmt: 'dnat', family: 'ip', key: 'ip saddr', map: { set: 'natr' } }] })
    tx.add({
      kind: 'rule',
      chain: 'c',
      exprs: [{ stmt: 'set', op: 'update', set: 'pinned', key: ['ip saddr', 'ct original proto-dst'], timeout: 90000, data: ['ip daddr', 'tcp dport'] }],
    })
    tx.add({
      kind: 'rule',
      chain: 'c',
      exprs: [{ stmt: 'vmap', key: 'tcp flags', bits: [['&', ['ack', 'urg']]], map: [['ack', { jump: 'a' }], ['urg', { jump: 'u' }]] }],
    })
    await nft.commit(tx)

    expect(flat(ns.nft('list', 'table', 'ip', 'cm'))).toBe(WANT)
    const listing = await nft.list()
    expect(flat(renderRuleset(listing))).toBe(WANT)
    const natr = listing.sets.find((s) => s.name === 'natr')
    expect(natr).toMatchObject({ kind: 'map', map: ['ipv4_addr', 'inet_service'], mapInterval: true })
    expect(natr?.elements).toEqual([
      { key: '192.168.1.2', value: ['10.141.10.1-10.141.10.3', '8888-8999'] },
      { key: '192.168.2.0/24', value: ['10.141.11.5-10.141.11.20', '8888-8999'] },
    ])
    expect(listing.sets.find((s) => s.name === 'natc')?.elements).toEqual([{ key: ['1.1.1.1', 'tcp', 20], value: ['2.2.2.2', 30] }])
    const dnat = listing.rules.find((r) => r.chain === 'pre')
    expect(dnat?.exprs).toEqual([{ stmt: 'dnat', family: 'ip', key: ['ip saddr', 'ip protocol', 'tcp dport'], map: { set: 'natc' } }])
  })

  it('adds elements to a map to a concatenation; applied again as nft text, the plan keeps every map and element', async () => {
    const tx = nft.transaction({ family: 'ip', table: 'cm' })
    tx.add({ kind: 'element', set: 'natc', elements: [{ key: ['3.3.3.3', 'udp', 53], value: ['4.4.4.4', 5353] }] })
    await nft.commit(tx)
    expect(flat(ns.nft('list', 'map', 'ip', 'cm', 'natc'))).toContain('elements = { 1.1.1.1 . tcp . 20 : 2.2.2.2 . 30, 3.3.3.3 . udp . 53 : 4.4.4.4 . 5353 }')

    // The same ruleset as nft text: the plan keeps every map and element (rules
    // without a comment have no identity, so the planner replaces those).
    const file = join(tmpdir(), `nftkit-cmap-${process.pid}.nft`)
    writeFileSync(file, ns.nft('list', 'ruleset'))
    const ops = planText([file], ns.name)
    expect(ops.filter((l) => !/^[-+] (delete|add) rule /.test(l))).toEqual([])
    expect(ops.length).toBeGreaterThan(0)
  })
})
