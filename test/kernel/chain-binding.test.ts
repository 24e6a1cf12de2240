/**
 * Chain bindings (`jump { ... }` / `goto { ... }`) against the kernel: what
 * nftkit loads is what nft loads, both listings print nft's text, a second
 * apply changes nothing (also over a ruleset nft loaded), a changed binding is
 * replaced without leaving its old chain behind, deleting the rule destroys
 * the bound chain, and packets do go through the bound chain.
 */
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Client, createClient, NftValidationError, Transaction } from '../../lib/index.js'
import { applyToModel } from '../../lib/state/model.js'
import { parseNft } from '../../lib/nft/parser.js'
import { plan } from '../../lib/reconcile/plan.js'
import { reconcileSync } from '../../lib/reconcile/apply.js'
import { renderRuleset } from '../../lib/nft/ruleset.js'
import { makeNetns, type Netns, normalizeRuleset, sendUdp } from '../helpers/netns.js'

const desired = (text: string) => applyToModel(parseNft(text).operations)

const text = (port: number) => `table inet x {
	chain y {
		type filter hook output priority filter; policy accept;
		meta l4proto { tcp, udp } th dport 53 jump {
			ip saddr { 127.0.0.0/8, 172.23.0.0/16 } counter packets 0 bytes 0 accept
			ip6 saddr ::1 counter packets 0 bytes 0 accept
		} comment "dns"
		udp dport 9 goto {
			udp dport ${port} counter packets 0 bytes 0 accept comment "inner"
			counter packets 0 bytes 0 drop
		} comment "nine"
		tcp dport 22 accept comment "ssh"
	}
}
`

describe('chain bindings', () => {
  let ns: Netns
  let oracle: Netns
  let nft: Client
  beforeAll(() => {
    ns = makeNetns('bind')
    oracle = makeNetns('bindo')
    execFileSync('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up'])
    nft = createClient({ netns: ns.name })
  })
  afterAll(() => {
    nft?.close()
    ns?.remove()
    oracle?.remove()
  })

  /** The kernel's bound chains, by the names the kernel gave them (nft hides them from its listing). */
  const boundChains = (n: Netns) => [...new Set([...n.nft('--debug=netlink', 'list', 'ruleset').matchAll(/^inet x (__chain\d+) /gm)].map((m) => m[1]))]
  const ours = () => normalizeRuleset(renderRuleset(nft.listSync()))

  it('loads what nft loads, and both listings print nft text', () => {
    oracle.nft('flush', 'ruleset')
    oracle.nftFile(text(9))
    const r = reconcileSync(nft, desired(text(9)))
    expect(r.operations.length).toBeGreaterThan(0)
    expect(ns.ruleset()).toBe(oracle.ruleset())
    expect(ns.ruleset()).toBe(normalizeRuleset(text(9)))
    expect(ours()).toBe(normalizeRuleset(text(9)))
    expect(ns.bytecode().replace(/__chain\d+/g, '__chain')).toBe(oracle.bytecode().replace(/__chain\d+/g, '__chain'))
    expect(boundChains(ns)).toHaveLength(2)
    const listed = nft.listSync()
    expect(listed.chains.map((c) => c.name)).toEqual(['y'])
    expect(listed.rules).toHaveLength(3)
    expect(listed.rules[1].exprs.at(-1)).toEqual({
      stmt: 'goto',
      rules: [
        { exprs: [{ match: 'udp dport', value: 9 }, { stmt: 'counter' }, { stmt: 'accept' }], comment: 'inner' },
        { exprs: [{ stmt: 'counter' }, { stmt: 'drop' }] },
      ],
    })
  })

  it('a second apply changes nothing, also over what nft loaded', () => {
    expect(plan(desired(text(9)), nft.listSync())).toEqual([])
    expect(reconcileSync(nft, desired(text(9))).operations).toEqual([])
    const fromNft = createClient({ netns: oracle.name })
    try {
      expect(normalizeRuleset(renderRuleset(fromNft.listSync()))).toBe(normalizeRuleset(text(9)))
      expect(plan(desired(text(9)), fromNft.listSync())).toEqual([])
    } finally {
      fromNft.close()
    }
  })

  it('counts packets in the bound chain', () => {
    sendUdp(ns.name, 3, 1)
    const inner = nft.listSync().rules[1].exprs.at(-1) as unknown as { rules: { exprs: { stmt?: string; packets?: number }[] }[] }
    expect(inner.rules[0].exprs[1]).toMatchObject({ stmt: 'counter', packets: 3 })
    expect(inner.rules[1].exprs[0]).toEqual({ stmt: 'counter' })
    // Counters change with traffic: still nothing to do.
    expect(reconcileSync(nft, desired(text(9))).operations).toEqual([])
  })

  it('replaces a changed binding as a whole, leaving no orphan chain', () => {
    const before = boundChains(ns)
    const r = reconcileSync(nft, desired(text(19)))
    expect(r.operations.map((o) => o.verb)).toEqual(['replace'])
    expect(ns.ruleset()).toBe(normalizeRuleset(text(19)))
    expect(ours()).toBe(normalizeRuleset(text(19)))
    const after = boundChains(ns)
    expect(after).toHaveLength(2)
    expect(after.filter((c) => before.includes(c))).toHaveLength(1)
    expect(reconcileSync(nft, desired(text(19))).operations).toEqual([])
  })

  it('deleting the rule destroys its bound chain', () => {
    const rule = nft.listSync().rules[1]
    nft.commitSync(new Transaction().delete({ kind: 'rule', family: 'inet', table: 'x', chain: 'y', handle: rule.handle }))
    expect(boundChains(ns)).toHaveLength(1)
    expect(nft.listSync().rules).toHaveLength(2)
    // The reconciler puts it back at its place.
    expect(reconcileSync(nft, desired(text(19))).operations.map((o) => o.verb)).toEqual(['insert'])
    expect(ours()).toBe(normalizeRuleset(text(19)))
    expect(boundChains(ns)).toHaveLength(2)
  })

  it('refuses a binding inside a binding (the kernel does: EOPNOTSUPP)', () => {
    const tx = new Transaction({ table: 'x' })
    expect(() => tx.add({ kind: 'rule', chain: 'y', exprs: [{ stmt: 'jump', rules: [{ exprs: [{ stmt: 'jump', rules: [{ exprs: [{ stmt: 'accept' }] }] }] }] }] })).toThrow(NftValidationError)
  })
})
