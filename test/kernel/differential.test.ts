/**
 * nft is the oracle: every case is loaded once with `nft -f` (namespace A) and
 * once through nftkit (namespace B). Both `nft list ruleset` texts and `nft -j`
 * documents must be identical, and nftkit's own listing of both namespaces must
 * decode to the typed expressions of the case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type Family, type Listing } from '../../lib/index.js'
import { makeNetns, type Netns } from '../helpers/netns.js'
import { addPrelude, BRIDGE_CASES, INET_CASES, INET_PRELUDE_NFT, IP6_CASES, IP_CASES, type RuleCase } from './differential.cases.js'

function nftText(family: Family, cases: readonly RuleCase[], prelude: string): string {
  const chains = cases.map((c, i) => `  chain c${i} {\n    ${c.nft}\n  }`).join('\n')
  return `table ${family} t {\n${prelude}\n${chains}\n}\n`
}

function rulesOf(l: Listing, chain: string) {
  return l.rules.filter((r) => r.chain === chain)
}

for (const [family, cases, prelude] of [
  ['inet', INET_CASES, INET_PRELUDE_NFT],
  ['ip', IP_CASES, ''],
  ['ip6', IP6_CASES, ''],
  ['bridge', BRIDGE_CASES, ''],
] as const) {
  describe(`differential ${family}`, () => {
    let a: Netns
    let b: Netns
    let fromNft: Listing
    let fromKit: Listing
    let txText: string
    beforeAll(async () => {
      a = makeNetns('nft')
      b = makeNetns('kit')
      a.nftFile(nftText(family, cases, prelude))
      const nft = createClient({ netns: b.name, family, table: 't' })
      const tx = nft.transaction()
      tx.add({ kind: 'table' })
      addPrelude(tx, family)
      for (let i = 0; i < cases.length; i++) tx.add({ kind: 'chain', name: `c${i}` })
      cases.forEach((c, i) => {
        tx.add({ kind: 'rule', chain: `c${i}`, exprs: c.exprs, ...(c.comment ? { comment: c.comment } : {}) })
      })
      txText = String(tx)
      await nft.commit(tx)
      fromKit = await nft.list()
      nft.close()
      const reader = createClient({ netns: a.name })
      fromNft = reader.listSync()
      reader.close()
    })
    afterAll(() => {
      a?.remove()
      b?.remove()
    })

    it('nft list ruleset prints the same text for both', () => {
      expect(b.ruleset()).toBe(a.ruleset())
    })

    it('nft -j list ruleset gives the same document for both', () => {
      expect(b.json()).toEqual(a.json())
    })

    // The kernel's expressions and set element bytes, so that a printing
    // coincidence cannot hide a difference (a missing byteorder conversion
    // prints the same in `nft list`).
    it('nft --debug=netlink list ruleset gives the same bytecode and element bytes for both', () => {
      expect(b.bytecode()).toEqual(a.bytecode())
    })

    it('the transaction rendered as nft text (String(tx)) loads with nft -f to the same state', () => {
      const c = makeNetns('txt')
      try {
        c.nftFile(`${txText}\n`)
        expect(c.ruleset()).toBe(b.ruleset())
      } finally {
        c.remove()
      }
    })

    cases.forEach((c, i) => {
      it(`reads back: ${c.nft}`, () => {
        const mine = rulesOf(fromKit, `c${i}`)
        const theirs = rulesOf(fromNft, `c${i}`)
        expect(mine).toHaveLength(1)
        expect(mine[0].exprs).toEqual(c.exprs)
        expect(theirs[0].exprs).toEqual(c.exprs)
        expect(mine[0].comment).toEqual(c.comment)
      })
    })
  })
}
