/**
 * Named synproxy objects and object maps (anonymous ones with prefix and
 * range keys, named ones with `flags interval`) in a throwaway namespace:
 * applied from nft text through nftkit, read back with nftkit's listing and
 * with `nft list ruleset`, and reconciled (a re-apply plans nothing, a
 * changed synproxy object is updated in place while rules and maps name it;
 * the reconciler knows rules by their comments).
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

/** The ruleset as nft 1.0.6 lists it (handles and blank lines aside). */
const listed = (mss: number, quota = 2000, quotasFlags = '') => `table inet x {
	ct helper sip-5060t {
		type "sip" protocol tcp
		l3proto ip
	}

	synproxy https-synproxy {
		mss ${mss}
		wscale 7
		timestamp sack-perm
	}

	synproxy other-synproxy {
		comment "other"
		mss 1460
		wscale 5
	}

	quota q1 {
		over ${quota} bytes
	}

	map syn {
		type ipv4_addr : synproxy
		flags interval
		elements = { 192.168.1.0/24 : "https-synproxy", 192.168.2.0/24 : "other-synproxy" }
	}

	map quotas {
		type ipv4_addr : quota${quotasFlags}
		elements = { 192.168.2.2 : "q1" }
	}

	chain y {
		type filter hook input priority filter; policy accept;
		synproxy name ip saddr map { 192.168.1.0/24 : "https-synproxy", 192.168.2.0/24 : "other-synproxy" } comment "anon"
		synproxy name ip saddr map @syn comment "named"
		synproxy name "other-synproxy" comment "ref"
		quota name ip saddr map @quotas drop comment "quotas"
		ct helper set ip protocol . th dport map { tcp . 10000-20000 : "sip-5060t" } comment "helper"
	}
}
`
const norm = listingLines

describe('synproxy objects and object maps', () => {
  let ns: Netns
  let nft: Client
  netnsClient('objmap', (n, c) => {
    ns = n
    nft = c
  })

  const ours = () => renderRuleset(tablesOf(nft.listSync()))

  it('applies synproxy objects and object maps as nft lists them, then plans nothing', () => {
    const r = reconcileSync(nft, desired(listed(1460)))
    expect(r.operations.length).toBeGreaterThan(0)
    const theirs = ns.nft('list', 'ruleset')
    expect(norm(theirs)).toBe(norm(listed(1460)))
    expect(norm(ours())).toBe(norm(theirs))
    const l = nft.listSync()
    expect(l.objects?.filter((o) => o.kind === 'synproxy').map(({ handle: _h, ...o }) => o)).toEqual([
      { kind: 'synproxy', family: 'inet', table: 'x', name: 'https-synproxy', mss: 1460, wscale: 7, timestamp: true, sackPerm: true },
      { kind: 'synproxy', family: 'inet', table: 'x', name: 'other-synproxy', mss: 1460, wscale: 5, comment: 'other' },
    ])
    expect(l.rules.slice(0, 4).map((x) => x.exprs[0])).toEqual([
      { stmt: 'synproxy', key: 'ip saddr', map: [['192.168.1.0/24', 'https-synproxy'], ['192.168.2.0/24', 'other-synproxy']] },
      { stmt: 'synproxy', key: 'ip saddr', map: { set: 'syn' } },
      { stmt: 'synproxy', name: 'other-synproxy' },
      { stmt: 'quota', key: 'ip saddr', map: { set: 'quotas' } },
    ])
    expect(reconcileSync(nft, desired(listed(1460))).operations).toEqual([])
  })

  it('a changed synproxy object is updated in place: one add, the rules and maps naming it stay', () => {
    const before = nft.listSync()
    const r = reconcileSync(nft, desired(listed(1400)))
    expect(r.operations.map((o) => [o.verb, o.object.kind, (o.object as { name?: string }).name])).toEqual([['add', 'synproxy', 'https-synproxy']])
    const after = nft.listSync()
    expect(after.objects?.find((o) => o.name === 'https-synproxy')).toMatchObject({ kind: 'synproxy', mss: 1400, wscale: 7, handle: before.objects?.find((o) => o.name === 'https-synproxy')?.handle })
    expect(after.rules.map((x) => x.handle)).toEqual(before.rules.map((x) => x.handle))
    expect(ns.nft('list', 'ruleset')).toContain('mss 1400')
    expect(norm(ours())).toBe(norm(ns.nft('list', 'ruleset')))
    expect(reconcileSync(nft, desired(listed(1400))).operations).toEqual([])
  })

  it('a re-created quota goes out of the object map naming it first and back after it, in one batch', () => {
    const r = reconcileSync(nft, desired(listed(1400, 3000)))
    expect(r.operations.map((o) => `${o.verb} ${o.object.kind} ${(o.object as { name?: string; set?: string }).name ?? (o.object as { set?: string }).set}`)).toEqual([
      'delete element quotas',
      'delete quota q1',
      'add quota q1',
      'add element quotas',
    ])
    expect(norm(ns.nft('list', 'ruleset'))).toBe(norm(listed(1400, 3000)))
    expect(norm(ours())).toBe(norm(ns.nft('list', 'ruleset')))
    expect(reconcileSync(nft, desired(listed(1400, 3000))).operations).toEqual([])
  })

  it('a re-declared object map goes before the quota it names is re-created, its rule around both', () => {
    const r = reconcileSync(nft, desired(listed(1400, 4000, '\n\t\tsize 100')))
    expect(r.operations.map((o) => `${o.verb} ${o.object.kind} ${(o.object as { name?: string }).name ?? ''}`.trim())).toEqual([
      'delete rule',
      'delete map quotas',
      'delete quota q1',
      'add quota q1',
      'add map quotas',
      'insert rule',
    ])
    expect(norm(ours())).toBe(norm(ns.nft('list', 'ruleset')))
    expect(ns.nft('list', 'ruleset')).toContain('over 4000 bytes')
    expect(reconcileSync(nft, desired(listed(1400, 4000, '\n\t\tsize 100'))).operations).toEqual([])
  })
})
