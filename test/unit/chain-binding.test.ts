/**
 * Chain bindings (`jump { ... }` / `goto { ... }`) without a kernel: the
 * parser and renderer round trip nft's text, the compiler emits nft's batch
 * (bound chain, its rules by chain id, then the binding rule), the listing
 * hides binding chains and inlines their rules, the planner compares a
 * binding as a whole.
 */
import { describe, expect, it } from 'vitest'
import { parseNft, parseRule } from '../../lib/nft/parser.js'
import { renderRuleBody } from '../../lib/expr/render.js'
import { renderRuleset } from '../../lib/nft/ruleset.js'
import { Transaction } from '../../lib/batch/transaction.js'
import { decodeListing } from '../../lib/io/listing.js'
import { canonicalExprs } from '../../lib/reconcile/plan.js'
import { NftValidationError } from '../../lib/kernel/errors.js'
import type { NativeDump, NativeRecord } from '../../types/native.js'

const chainBinding = `table inet x {
	chain y {
		type filter hook input priority filter; policy accept;
		meta l4proto { tcp, udp } th dport 53 jump {
			ip saddr { 127.0.0.0/8, 172.23.0.0/16, 192.168.13.0/24 } counter packets 0 bytes 0 accept
			ip6 saddr ::1 counter packets 0 bytes 0 accept
		} comment "dns"
		meta l4proto ipv6-icmp goto {
			counter packets 0 bytes 0 accept comment "inner"
		}
	}
}
`

describe('chain bindings: parser and renderer', () => {
  it('parses jump { ... } into the bound rules, comments inside and after', () => {
    const ops = parseNft(chainBinding).operations
    const rules = ops.filter((o) => o.object.kind === 'rule').map((o) => o.object as unknown as { exprs: unknown[]; comment?: string })
    expect(rules).toHaveLength(2)
    expect(rules[0].comment).toBe('dns')
    expect(rules[0].exprs.at(-1)).toEqual({
      stmt: 'jump',
      rules: [
        { exprs: [{ match: 'ip saddr', value: ['127.0.0.0/8', '172.23.0.0/16', '192.168.13.0/24'] }, { stmt: 'counter' }, { stmt: 'accept' }] },
        { exprs: [{ match: 'ip6 saddr', value: '::1' }, { stmt: 'counter' }, { stmt: 'accept' }] },
      ],
    })
    expect(rules[1].exprs.at(-1)).toEqual({ stmt: 'goto', rules: [{ exprs: [{ stmt: 'counter' }, { stmt: 'accept' }], comment: 'inner' }] })
  })

  it('parses one-line blocks separated by ;', () => {
    expect(parseRule('goto { accept; }').exprs).toEqual([{ stmt: 'goto', rules: [{ exprs: [{ stmt: 'accept' }] }] }])
    expect(parseRule('tcp dport 1 jump { counter; drop }').exprs.at(-1)).toEqual({ stmt: 'jump', rules: [{ exprs: [{ stmt: 'counter' }] }, { exprs: [{ stmt: 'drop' }] }] })
    expect(parseRule('jump sub').exprs).toEqual([{ stmt: 'jump', chain: 'sub' }])
  })

  it('refuses an empty or unclosed block', () => {
    expect(() => parseRule('jump { }')).toThrow(/at least one rule/)
    expect(() => parseRule('jump { accept')).toThrow(/expected '}' to close/)
  })

  it('renders the rules one tab deeper, as nft lists them (whole table round trip)', () => {
    const r = parseNft(chainBinding).operations.find((o) => o.object.kind === 'rule')!.object as unknown as { exprs: never[]; comment?: string }
    expect(renderRuleBody({ ...r, family: 'inet' }, { counters: true, listing: true })).toBe(
      'meta l4proto { tcp, udp } th dport 53 jump {\n\tip saddr { 127.0.0.0/8, 172.23.0.0/16, 192.168.13.0/24 } counter packets 0 bytes 0 accept\n\tip6 saddr ::1 counter packets 0 bytes 0 accept\n} comment "dns"',
    )
  })
})

describe('chain bindings: batch', () => {
  it('emits the bound chain, its rules by chain id, then the binding rule (after its own anonymous set)', () => {
    const tx = new Transaction({ family: 'inet', table: 'x' })
    tx.add({ kind: 'rule', chain: 'y', exprs: [{ match: 'tcp dport', value: [1, 2] }, { stmt: 'jump', rules: [{ exprs: [{ match: 'udp dport', value: [3, 4] }, { stmt: 'accept' }] }, { exprs: [{ stmt: 'drop' }], comment: 'c' }] }] })
    const ops = tx.prepare().ops
    expect(ops.map((o) => `${o.verb} ${o.kind}`)).toEqual(['add set', 'add element', 'add chain', 'add set', 'add element', 'add rule', 'add rule', 'add rule'])
    const chain = ops[2]
    expect(chain).toMatchObject({ table: 'x', flags: 4 })
    expect(chain.name).toBeUndefined()
    const id = chain.chainId as number
    expect(id).toBeGreaterThan(0)
    expect([ops[5].chainId, ops[6].chainId, ops[5].chain, ops[7].chain, ops[7].chainId]).toEqual([id, id, undefined, 'y', undefined])
    expect(ops[7].exprs?.at(-1)).toEqual({ type: 'immediate', dreg: 0, verdict: -3, chainId: id })
    // The inner rule's set has its own id; the chain id is not one of the set ids.
    expect(new Set([ops[0].setId, ops[3].setId, id]).size).toBe(3)
  })

  it('refuses a binding inside a binding, an empty one, and one with a chain name too', () => {
    const tx = new Transaction({ family: 'inet', table: 'x' })
    const add = (st: unknown) => () => tx.add({ kind: 'rule', chain: 'y', exprs: [st as never] })
    expect(add({ stmt: 'jump', rules: [{ exprs: [{ stmt: 'goto', rules: [{ exprs: [{ stmt: 'accept' }] }] }] }] })).toThrow(/inside a chain binding/)
    expect(add({ stmt: 'jump', rules: [] })).toThrow(NftValidationError)
    expect(add({ stmt: 'jump', chain: 'z', rules: [{ exprs: [{ stmt: 'accept' }] }] })).toThrow(/not both/)
    expect(add({ stmt: 'jump', rules: [{ exprs: [{ stmt: 'accept' }], handle: 3 }] })).toThrow(/only exprs and comment/)
  })
})

describe('chain bindings: listing and plan', () => {
  /** What the kernel dumps for `tcp dport 22 jump { counter accept comment "i" }`. */
  const dump = (): NativeDump => {
    const rec = (r: Record<string, unknown>) => ({ family: 1, table: 'x', ...r }) as NativeRecord
    const tx = new Transaction({ family: 'inet', table: 'x' })
    tx.add({ kind: 'rule', chain: 'y', exprs: [{ match: 'tcp dport', value: 22 }, { stmt: 'jump', rules: [{ exprs: [{ stmt: 'counter' }, { stmt: 'accept' }], comment: 'i' }] }] })
    const ops = tx.prepare().ops
    const parent = ops.at(-1)!
    const exprs = parent.exprs!.map((e) => (e.chainId !== undefined ? { type: 'immediate', dreg: 0, verdict: -3, chain: '__chain7' } : e))
    return {
      genId: 1,
      tables: [rec({ kind: 'table', name: 'x', handle: 1, flags: 0 })],
      chains: [rec({ kind: 'chain', name: 'y', handle: 1 }), rec({ kind: 'chain', name: '__chain7', handle: 2, flags: 4 })],
      sets: [],
      rules: [
        rec({ kind: 'rule', chain: '__chain7', handle: 3, exprs: [{ type: 'counter', packets: 5, bytes: 50 }, { type: 'immediate', dreg: 0, verdict: 1 }], userdata: ops[1].userdata }),
        rec({ kind: 'rule', chain: 'y', handle: 4, exprs }),
      ],
      objects: [],
    } as NativeDump
  }

  it('hides binding chains and shows their rules inline', () => {
    const l = decodeListing(dump())
    expect(l.chains.map((c) => c.name)).toEqual(['y'])
    expect(l.rules).toHaveLength(1)
    expect(l.rules[0]).toMatchObject({ chain: 'y', handle: 4 })
    expect(l.rules[0].exprs.at(-1)).toEqual({ stmt: 'jump', rules: [{ exprs: [{ stmt: 'counter', packets: 5, bytes: 50 }, { stmt: 'accept' }], comment: 'i' }] })
    expect(renderRuleset(l)).toBe('table inet x {\n\tchain y {\n\t\ttcp dport 22 jump {\n\t\t\tcounter packets 5 bytes 50 accept comment "i"\n\t\t}\n\t}\n}\n')
  })

  it('a desired binding is canonical as the listing reads it back', () => {
    const c = canonicalExprs([{ match: 'tcp dport', value: [22] }, { stmt: 'jump', rules: [{ exprs: [{ match: 'ip saddr', value: ['10.0.0.0/8'] }, { stmt: 'accept' }] }] }], 'inet', 'x')
    expect(c).toEqual([
      { match: 'tcp dport', value: 22 },
      { stmt: 'jump', rules: [{ exprs: [{ match: 'ip saddr', value: '10.0.0.0/8' }, { stmt: 'accept' }] }] },
    ])
  })
})
