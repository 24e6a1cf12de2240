/**
 * ct helper and ct expectation objects under the reconciler, in a throwaway
 * namespace: a re-apply plans nothing; a changed declaration is deleted and
 * added again in one batch (the kernel keeps an existing object's settings on
 * add), with the rules and object map elements naming it taken out first and
 * put back after; read back with nftkit's listing and `nft list ruleset`.
 */
import { describe, expect, it } from 'vitest'
import type { Client } from '../../lib/index.js'
import { renderRuleset } from '../../lib/nft/ruleset.js'
import { parseNft } from '../../lib/nft/parser.js'
import { reconcileSync } from '../../lib/reconcile/apply.js'
import { applyToModel } from '../../lib/state/model.js'
import { tablesOf } from '../../lib/state/tables.js'
import type { Netns } from '../helpers/netns.js'
import { netnsClient } from '../helpers/netns-client.js'
import { listingLines } from '../helpers/listing-text.js'

const desired = (text: string) => applyToModel(parseNft(text).operations)

/** The ruleset as nft 1.0.6 lists it (handles aside). */
const listed = (helper: string, proto: string, dport: number) => `table ip x {
	ct helper h {
		type "${helper}" protocol ${proto}
		l3proto ip
	}

	ct expectation e {
		protocol tcp
		dport ${dport}
		timeout 100ms
		size 96
		l3proto ip
	}

	chain y {
		type filter hook prerouting priority filter; policy accept;
		tcp dport 21 ct helper set "h" comment "helper"
		ct expectation set "e" comment "expect"
		ct helper set ip protocol . th dport map { tcp . 10000-20000 : "h" } comment "map"
		counter packets 0 bytes 0 comment "other"
	}
}
`
const norm = listingLines

describe('ct objects under the reconciler', () => {
  let ns: Netns
  let nft: Client
  netnsClient('ctobj', (n, c) => {
    ns = n
    nft = c
  })
  const ours = () => renderRuleset(tablesOf(nft.listSync()))
  const steps = (ops: readonly { verb: string; object: object }[]) =>
    ops.map((o) => `${o.verb} ${(o.object as { kind: string }).kind} ${(o.object as { name?: string }).name ?? ''}`.trim())

  it('applies as nft lists it, then plans nothing (the omitted l3proto is the family)', () => {
    expect(reconcileSync(nft, desired(listed('ftp', 'tcp', 666))).operations.length).toBeGreaterThan(0)
    expect(norm(ns.nft('list', 'ruleset'))).toBe(norm(listed('ftp', 'tcp', 666)))
    expect(norm(ours())).toBe(norm(ns.nft('list', 'ruleset')))
    expect(reconcileSync(nft, desired(listed('ftp', 'tcp', 666))).operations).toEqual([])
    // The same helper declared without l3proto (the kernel takes the table's family): still no change.
    expect(reconcileSync(nft, desired(listed('ftp', 'tcp', 666).replace('\t\tl3proto ip\n\t}\n\n\tct expectation', '\t}\n\n\tct expectation'))).operations).toEqual([])
  })

  it('a changed helper is re-created, the rules naming it out first and back after, the others untouched', () => {
    const other = nft.listSync().rules.find((r) => r.comment === 'other')?.handle
    const r = reconcileSync(nft, desired(listed('tftp', 'udp', 666)))
    expect(steps(r.operations)).toEqual(['delete rule', 'delete rule', 'delete ct helper h', 'add ct helper h', 'insert rule', 'insert rule'])
    // The re-created helper has a new handle: nft lists it after the expectation now.
    expect(ns.nft('list', 'ruleset')).toContain('type "tftp" protocol udp')
    expect(norm(ns.nft('list', 'ruleset')).split('\n').sort()).toEqual(norm(listed('tftp', 'udp', 666)).split('\n').sort())
    expect(norm(ours())).toBe(norm(ns.nft('list', 'ruleset')))
    expect(nft.listSync().rules.find((x) => x.comment === 'other')?.handle).toBe(other)
    expect(reconcileSync(nft, desired(listed('tftp', 'udp', 666))).operations).toEqual([])
  })

  it('a changed expectation is re-created the same way', () => {
    const r = reconcileSync(nft, desired(listed('tftp', 'udp', 777)))
    expect(steps(r.operations)).toEqual(['delete rule', 'delete ct expectation e', 'add ct expectation e', 'insert rule'])
    expect(ns.nft('list', 'ruleset')).toContain('dport 777')
    expect(norm(ours())).toBe(norm(ns.nft('list', 'ruleset')))
    expect(reconcileSync(nft, desired(listed('tftp', 'udp', 777))).operations).toEqual([])
  })
})
