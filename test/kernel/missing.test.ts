/**
 * An ENOENT names the missing object: the kernel answers "no such file or
 * directory" for a missing table, chain, set, counter or handle alike; the
 * client reads the operation's table after the refusal and says which one.
 * The same answers from the kernel and from the Fake.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Client, createClient, NftError } from '../../lib/index.js'
import { createFakeClient } from '../../lib/testing/index.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

const SETUP = `table inet fw {
  set known { type ipv4_addr; }
  chain input { type filter hook input priority filter; policy accept; }
}
`

function cases(nft: () => Client): Array<[string, () => unknown, RegExp]> {
  return [
    ['a rule in a missing table', () => nft().commitSync(nft().transaction().add({ kind: 'rule', table: 'nope', chain: 'input', exprs: [{ stmt: 'accept' }] })), /add rule in chain inet\/nope\/input: table inet nope does not exist \[ENOENT\]/],
    ['a rule in a missing chain', () => nft().commitSync(nft().transaction().add({ kind: 'rule', table: 'fw', chain: 'ghost', exprs: [{ stmt: 'accept' }] })), /chain inet fw ghost does not exist \[ENOENT\]/],
    ['a jump to a missing chain', () => nft().commitSync(nft().transaction().add({ kind: 'rule', table: 'fw', chain: 'input', exprs: [{ stmt: 'jump', chain: 'nowhere' }] })), /chain inet fw nowhere does not exist \(jumped to\) \[ENOENT\]/],
    ['a delete of a missing rule handle', () => nft().commitSync(nft().transaction().delete({ kind: 'rule', table: 'fw', chain: 'input', handle: 9999 })), /rule handle 9999 does not exist in chain inet fw input \[ENOENT\]/],
    ['a delete of a missing chain', () => nft().commitSync(nft().transaction().delete({ kind: 'chain', table: 'fw', name: 'ghost' })), /chain inet fw ghost does not exist \[ENOENT\]/],
    ['a missing synproxy object', () => nft().commitSync(nft().transaction().add({ kind: 'rule', table: 'fw', chain: 'input', exprs: [{ stmt: 'synproxy', name: 'ghost' }] })), /synproxy inet fw ghost does not exist \[ENOENT\]/],
    ['a missing object named in an object map', () => nft().commitSync(nft().transaction().add({ kind: 'rule', table: 'fw', chain: 'input', exprs: [{ stmt: 'synproxy', key: 'ip saddr', map: [['10.0.0.0/8', 'ghost2']] }] })), /synproxy inet fw ghost2 does not exist \[ENOENT\]/],
    ['a delete of a missing set', () => nft().commitSync(nft().transaction().delete({ kind: 'set', table: 'fw', name: 'ghost' })), /set inet fw ghost does not exist \[ENOENT\]/],
    ['a chain made earlier in the batch is not missing; the table is', () => nft().commitSync(nft().transaction().add({ kind: 'chain', table: 'other', name: 'c' }).add({ kind: 'rule', table: 'other', chain: 'c', exprs: [{ stmt: 'accept' }] })), /table inet other does not exist \[ENOENT\]/],
  ]
}

describe('ENOENT names the missing object', () => {
  let ns: Netns
  let nft: Client
  beforeAll(() => {
    ns = makeNetns('missing')
    ns.nftFile(SETUP)
    nft = createClient({ netns: ns.name, family: 'inet' })
  })
  afterAll(() => {
    nft?.close()
    ns?.remove()
  })

  it('kernel and Fake give the same named message, nothing applied', () => {
    const fake = createFakeClient({ family: 'inet' })
    fake.commitSync(fake.transaction().add({ kind: 'table', name: 'fw' }).add({ kind: 'set', table: 'fw', name: 'known', type: 'ipv4_addr' }).add({ kind: 'chain', table: 'fw', name: 'input', type: 'filter', hook: 'input', priority: 'filter', policy: 'accept' }))
    const before = ns.ruleset()
    for (const client of [nft, fake]) {
      for (const [name, run, want] of cases(() => client)) {
        let err: unknown
        try {
          run()
        } catch (e) {
          err = e
        }
        expect(err, `${name} (${client === fake ? 'Fake' : 'kernel'})`).toBeInstanceOf(NftError)
        expect((err as NftError).code).toBe('ENOENT')
        expect((err as Error).message, name).toMatch(want)
      }
    }
    expect(ns.ruleset()).toBe(before)
  })
})
