/**
 * Stateful statements of set elements (counter, limit, quota, ct count)
 * committed through nftkit in a throwaway namespace and read back with
 * nftkit's listing and with `nft list` (the oracle); the planner leaves
 * elements alone whose counters counted.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Client, type Element, renderRuleset } from '../../lib/index.js'
import { apply, planText } from '../../lib/cli/commands.js'
import type { Netns } from '../helpers/netns.js'
import { netnsClient } from '../helpers/netns-client.js'
import { flatListing } from '../helpers/listing-text.js'

let ns: Netns
let nft: Client

netnsClient('elemexpr', (n, c) => {
  ns = n
  nft = c
})

const flat = flatListing

describe('set element statements', () => {
  it('commits typed element statements and reads them back as nft lists them', async () => {
    const tx = nft.transaction({ family: 'ip', table: 'ee' })
    tx.add({ kind: 'table', name: 'ee' })
    tx.add({ kind: 'set', name: 'flows', type: ['ipv4_addr', 'inet_service', 'ifname'], flags: ['dynamic'] })
    tx.add({
      kind: 'element',
      set: 'flows',
      elements: [
        { key: ['10.1.0.3', 39466, 'veth1'], stmts: [{ stmt: 'limit', rate: 1, per: 'second', burst: 7 }, { stmt: 'counter', packets: 3, bytes: 4 }] },
        { key: ['10.1.0.4', 22, 'veth2'], counter: { packets: 5, bytes: 6 } },
        { key: ['10.1.0.5', 23, 'veth3'], stmts: [{ stmt: 'quota', bytes: 1048576, over: true }] },
      ],
    })
    tx.add({ kind: 'set', name: 'conns', type: 'ipv4_addr', flags: ['dynamic'], elements: [{ key: '10.0.0.1', stmts: [{ stmt: 'ct count', count: 3, over: true }] }] })
    await nft.commit(tx)

    const want = [
      'table ip ee {',
      'set flows { type ipv4_addr . inet_service . ifname flags dynamic elements = {',
      '10.1.0.3 . 39466 . "veth1" limit rate 1/second burst 7 packets counter packets 3 bytes 4,',
      '10.1.0.4 . 22 . "veth2" counter packets 5 bytes 6,',
      '10.1.0.5 . 23 . "veth3" quota over 1 mbytes } }',
      'set conns { type ipv4_addr flags dynamic elements = { 10.0.0.1 ct count over 3 } }',
      '}',
    ].join(' ')
    const sorted = (t: string) => flat(t).replace(/elements = \{ ([^}]*) \}/g, (_, els: string) => `elements = { ${els.split(', ').sort().join(', ')} }`)
    expect(sorted(ns.nft('list', 'table', 'ip', 'ee'))).toBe(sorted(want))
    const listing = await nft.list()
    expect(sorted(renderRuleset(listing))).toBe(sorted(want))
    const flows = listing.sets.find((s) => s.name === 'flows')
    const byKey = (k: string) => flows?.elements.find((e) => typeof e === 'object' && !Array.isArray(e) && (e as { key: string[] }).key[0] === k) as Element
    expect(byKey('10.1.0.3')).toEqual({ key: ['10.1.0.3', 39466, 'veth1'], stmts: [{ stmt: 'limit', rate: 1, per: 'second', burst: 7 }, { stmt: 'counter', packets: 3, bytes: 4 }] })
    expect(byKey('10.1.0.4')).toEqual({ key: ['10.1.0.4', 22, 'veth2'], counter: { packets: 5, bytes: 6 } })
  })

  it('commits anonymous sets whose elements carry statements, reads them back, plans nothing for counted counters', async () => {
    const tx = nft.transaction({ family: 'ip', table: 'ea' })
    tx.add({ kind: 'table', name: 'ea' })
    tx.add({ kind: 'chain', name: 'c' })
    tx.add({
      kind: 'rule',
      chain: 'c',
      comment: 'marks',
      exprs: [{ match: 'meta mark', value: [{ key: 10, counter: { packets: 2, bytes: 20 } }, { key: 11, stmts: [{ stmt: 'limit', rate: 1, per: 'second' }, { stmt: 'counter' }] }] }, { stmt: 'accept' }],
    })
    tx.add({ kind: 'rule', chain: 'c', comment: 'one', exprs: [{ match: 'ip saddr', value: [{ key: '10.0.0.0/8', stmts: [{ stmt: 'quota', bytes: 1024, over: true }] }, '192.168.0.1'] }, { stmt: 'drop' }] })
    await nft.commit(tx)
    const want = [
      'table ip ea { chain c {',
      'meta mark { 0x0000000a counter packets 2 bytes 20, 0x0000000b limit rate 1/second counter packets 0 bytes 0 } accept comment "marks"',
      'ip saddr { 10.0.0.0/8 quota over 1 kbytes, 192.168.0.1 } drop comment "one"',
      '} }',
    ].join(' ')
    expect(flat(ns.nft('list', 'table', 'ip', 'ea'))).toBe(want)
    const listing = await nft.list()
    expect(flat(renderRuleset({ ...listing, tables: listing.tables.filter((t) => t.name === 'ea') }))).toBe(want)
    // The same rules as nft text (counters at other values) plan nothing; a changed limit replaces the rule.
    const text = (rate: number) =>
      `table ip ea {\n\tchain c {\n\t\tmeta mark { 0x0000000a counter, 0x0000000b limit rate ${rate}/second counter } accept comment "marks"\n\t\tip saddr { 10.0.0.0/8 quota over 1 kbytes, 192.168.0.1 } drop comment "one"\n\t}\n}\n`
    const file = join(mkdtempSync(join(tmpdir(), 'nftkit-ea-')), 'ea.nft')
    writeFileSync(file, text(1))
    expect(planText([file], ns.name).filter((l) => l.includes(' ea '))).toEqual([])
    writeFileSync(file, text(3))
    expect(planText([file], ns.name).filter((l) => l.includes(' ea '))).toEqual([
      expect.stringMatching(/^\+ replace rule ip ea c handle \d+ meta mark \{ 0x0000000a counter, 0x0000000b limit rate 3\/second counter \} accept comment "marks"$/),
    ])
  })

  it('applies nft text with element statements as nft does, and plans nothing once counters counted', () => {
    const text = [
      'table ip ef {',
      '\tset inflows {',
      '\t\ttype ipv4_addr . inet_service . ifname . ipv4_addr . inet_service',
      '\t\tflags dynamic',
      '\t\telements = { 10.1.0.3 . 39466 . "veth1" . 10.3.0.99 . 5201 limit rate 1/second burst 5 packets counter packets 0 bytes 0 }',
      '\t}',
      '\tset c {',
      '\t\ttype ipv4_addr',
      '\t\tlimit rate 2/minute counter',
      '\t\telements = { 10.0.0.1, 10.0.0.2 limit rate 9/minute counter packets 1 bytes 2 }',
      '\t}',
      '}',
      '',
    ].join('\n')
    const file = join(mkdtempSync(join(tmpdir(), 'nftkit-ee-')), 'ef.nft')
    writeFileSync(file, text)
    apply([file], ns.name)
    const ours = ns.nft('list', 'table', 'ip', 'ef')
    // nft's own load of the same text, in the same namespace, lists the same.
    ns.nft('delete', 'table', 'ip', 'ef')
    ns.nftFile(text)
    const theirs = ns.nft('list', 'table', 'ip', 'ef')
    expect(flat(ours)).toBe(flat(theirs))
    expect(flat(theirs)).toContain('10.0.0.2 limit rate 9/minute counter packets 1 bytes 2')
    expect(flat(renderRuleset(nft.listSync()))).toContain(flat(theirs))

    // Counters that counted (and an element nft loaded with other values) are no change.
    ns.nft('add', 'element', 'ip', 'ef', 'c', '{ 10.0.0.3 limit rate 2/minute counter packets 50 bytes 5000 }')
    writeFileSync(file, text.replace('10.0.0.1, ', '10.0.0.1, 10.0.0.3, '))
    expect(planText([file], ns.name)).toEqual([])
    // A changed limit is one: the element is replaced.
    writeFileSync(file, text.replace('limit rate 9/minute', 'limit rate 8/minute'))
    expect(planText([file], ns.name)).toEqual([
      '- delete element ip ef c { 10.0.0.2, 10.0.0.3 }',
      '+ add element ip ef c { 10.0.0.2 limit rate 8/minute counter packets 1 bytes 2 }',
    ])
  })
})
