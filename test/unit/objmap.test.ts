/**
 * Named synproxy objects and object maps in nft's text: parsed, rendered as
 * `nft list ruleset` prints them (nft 1.0.6), commands that parse back, the
 * kernel attributes, and plans (a changed synproxy object is one add).
 */
import { describe, expect, it } from 'vitest'
import { renderOperation } from '../../lib/expr/render.js'
import { decodeSynproxyObject, synproxyObjectAttrs } from '../../lib/expr/synproxy-object.js'
import type { Synproxy } from '../../lib/model/objects.js'
import type { RuleExpr } from '../../lib/model/rule-types.js'
import { parseNft } from '../../lib/nft/parser.js'
import { renderTable } from '../../lib/nft/ruleset.js'
import { plan } from '../../lib/reconcile/plan.js'
import { applyToModel } from '../../lib/state/model.js'
import { referencesOf } from '../../lib/model/references.js'

// As nft 1.0.6 lists them (tests/shell sets/dumps/0024synproxy_0.nft, optionals/dumps/comments_objects_0.nft).
const LISTED = `table inet x {
	synproxy https-synproxy {
		mss 1460
		wscale 7
		timestamp sack-perm
	}

	synproxy other-synproxy {
		comment "test6"
		mss 1460
		wscale 5
	}

	synproxy ts {
		mss 1
		wscale 0
		timestamp 
	}

	synproxy sack {
		mss 1
		wscale 0
		 sack-perm
	}

	map test2 {
		type ipv4_addr : synproxy
		flags interval
		elements = { 192.168.1.0/24 : "https-synproxy", 192.168.2.0/24 : "other-synproxy" }
	}

	map q {
		type ipv4_addr : quota
		elements = { 192.168.2.2 : "user124" }
	}

	chain y {
		type filter hook input priority filter; policy accept;
		synproxy name ip saddr map { 192.168.1.0/24 : "https-synproxy", 192.168.2.0/24 : "other-synproxy" }
		synproxy name ip saddr map @test2
		quota name ip saddr map @q drop
		synproxy name "ts"
	}
}`

describe('synproxy objects', () => {
  const tables = applyToModel(parseNft(LISTED).operations)

  it('parses the listing and renders it back as nft prints it', () => {
    expect(tables[0].objects?.map(({ family: _f, table: _t, ...o }) => o)).toEqual([
      { kind: 'synproxy', name: 'https-synproxy', mss: 1460, wscale: 7, timestamp: true, sackPerm: true },
      { kind: 'synproxy', name: 'other-synproxy', comment: 'test6', mss: 1460, wscale: 5 },
      { kind: 'synproxy', name: 'ts', mss: 1, wscale: 0, timestamp: true },
      { kind: 'synproxy', name: 'sack', mss: 1, wscale: 0, sackPerm: true },
    ])
    expect(tables[0].rules.map((r) => r.exprs[0])).toEqual([
      { stmt: 'synproxy', key: 'ip saddr', map: [['192.168.1.0/24', 'https-synproxy'], ['192.168.2.0/24', 'other-synproxy']] },
      { stmt: 'synproxy', key: 'ip saddr', map: { set: 'test2' } },
      { stmt: 'quota', key: 'ip saddr', map: { set: 'q' } },
      { stmt: 'synproxy', name: 'ts' },
    ])
    expect(renderTable(tables[0])).toBe(LISTED)
  })

  it('accepts nft 1.0.6 object syntax: one line, semicolons, add synproxy without a block', () => {
    const ops = parseNft('add table ip t\nadd synproxy ip t a mss 1460 wscale 7 timestamp sack-perm\nadd synproxy ip t b { mss 1460; wscale 5; comment "c"; }\ndelete synproxy ip t a').operations
    expect(ops.map((o) => [o.verb, o.object])).toEqual([
      ['add', { kind: 'table', family: 'ip', name: 't' }],
      ['add', { kind: 'synproxy', family: 'ip', table: 't', name: 'a', mss: 1460, wscale: 7, timestamp: true, sackPerm: true }],
      ['add', { kind: 'synproxy', family: 'ip', table: 't', name: 'b', mss: 1460, wscale: 5, comment: 'c' }],
      ['delete', { kind: 'synproxy', family: 'ip', table: 't', name: 'a' }],
    ])
    expect(() => parseNft('table ip t { synproxy a { mss 1460; bogus 1; } }')).toThrow(/expected mss, wscale, timestamp, sack-perm or comment/)
  })

  it('renders commands that parse back to the same object', () => {
    for (const o of tables[0].objects ?? []) {
      const cmd = renderOperation('add', o)
      const back = parseNft(cmd).operations[0].object
      expect(back).toEqual(o)
    }
    expect(renderOperation('add', { kind: 'synproxy', family: 'inet', table: 'x', name: 'a', mss: 1460, wscale: 7, sackPerm: true, comment: 'c' })).toBe(
      'add synproxy inet x a { mss 1460; wscale 7; sack-perm; comment "c"; }',
    )
  })

  it('has the kernel attributes nft sends (flags: mss 1, wscale 2, sack-perm 4, timestamp 8) and decodes them back', () => {
    const o: Synproxy = { kind: 'synproxy', name: 'a', mss: 1460, wscale: 7, timestamp: true, sackPerm: true }
    expect(synproxyObjectAttrs(o, 'o')).toEqual({ mss: 1460, wscale: 7, flags: 0xf })
    expect(decodeSynproxyObject({ mss: 1460, wscale: 7, flags: 0xf })).toEqual({ mss: 1460, wscale: 7, timestamp: true, sackPerm: true })
    // The kernel dumps mss and wscale always; only the flags say which were set.
    expect(decodeSynproxyObject({ mss: 0, wscale: 0, flags: 0x8 })).toEqual({ timestamp: true })
    expect(decodeSynproxyObject({ flags: 0x10 })).toBeUndefined()
    expect(() => synproxyObjectAttrs({ ...o, wscale: 15 }, 'o')).toThrow(/window scale of 0-14/)
    expect(() => synproxyObjectAttrs({ ...o, mss: 65536 }, 'o')).toThrow(/MSS of 0-65535/)
  })

  it('rules refer to the objects they and their anonymous object maps name', () => {
    expect([...referencesOf(tables[0].rules.map((r) => r.exprs))]).toEqual([
      'synproxy https-synproxy',
      'synproxy other-synproxy',
      'set test2',
      'set q',
      'synproxy ts',
    ])
  })
})

describe('planning synproxy objects', () => {
  const t = { kind: 'table' as const, family: 'inet' as const, name: 'fw', handle: 1 }
  const chain = { kind: 'chain' as const, family: 'inet' as const, table: 'fw', name: 'c', handle: 2 }
  const syn = (mss: number) => ({ kind: 'synproxy' as const, family: 'inet' as const, table: 'fw', name: 's', mss, wscale: 7 })
  const exprs: RuleExpr[] = [{ stmt: 'synproxy', name: 's' }]
  const observed = (mss: number) => ({
    genId: 1,
    tables: [t],
    chains: [chain],
    sets: [],
    counters: [],
    objects: [{ ...syn(mss), handle: 3 }],
    rules: [{ kind: 'rule' as const, family: 'inet' as const, table: 'fw', chain: 'c', handle: 5, exprs, comment: 'r' }],
  })
  const desired = (mss: number) => [
    { table: t, counters: [], objects: [syn(mss)], sets: [], chains: [chain], rules: [{ kind: 'rule' as const, family: 'inet' as const, table: 'fw', chain: 'c', exprs, comment: 'r' }] },
  ]

  it('plans nothing when unchanged, one add (the kernel updates it in place) when the mss changes', () => {
    expect(plan(desired(1460), observed(1460))).toEqual([])
    expect(plan(desired(1400), observed(1460))).toEqual([{ verb: 'add', object: { ...syn(1400), handle: undefined } }])
  })
})
