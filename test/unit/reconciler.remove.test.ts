/**
 * Reconciler.reconcileSync with `remove`: the tables a controller no longer
 * declares go in the same batch as the changes to the others; a table that
 * is absent, or declared again, is left alone.
 */
import { describe, expect, it } from 'vitest'
import { parseNft } from '../../lib/nft/parser.js'
import { Reconciler } from '../../lib/reconcile/reconciler.js'
import { applyToModel } from '../../lib/state/model.js'
import { createFakeClient } from '../../lib/testing/index.js'

const table = (name: string, port: number) =>
  applyToModel(parseNft(`table ip ${name} {\n  chain in {\n    type filter hook input priority filter; policy accept;\n    tcp dport ${port} counter accept comment "r"\n  }\n}\n`).operations)

describe('Reconciler remove', () => {
  it('deletes exactly the removed table, in the same batch as the other changes', () => {
    const nft = createFakeClient()
    const rec = new Reconciler(nft)
    rec.reconcileSync([...table('a', 1), ...table('b', 2), ...table('c', 3)])
    const r = rec.reconcileSync([...table('a', 1), ...table('c', 4)], { remove: [{ family: 'ip', name: 'b' }] })
    expect(r.operations.filter((o) => o.object.kind === 'table').map((o) => [o.verb, (o.object as { name: string }).name])).toEqual([['delete', 'b']])
    expect(r.operations.some((o) => o.object.kind === 'rule')).toBe(true) // c changed in the same batch
    expect(nft.listSync().tables.map((t) => t.name).sort()).toEqual(['a', 'c'])
  })

  it('plans nothing for a removed table the kernel does not hold, and keeps one that is declared', () => {
    const nft = createFakeClient()
    const rec = new Reconciler(nft)
    rec.reconcileSync(table('a', 1))
    expect(rec.reconcileSync(table('a', 1), { remove: [{ family: 'ip', name: 'gone' }, { family: 'ip', name: 'a' }] }).operations).toEqual([])
    expect(nft.listSync().tables.map((t) => t.name)).toEqual(['a'])
  })

  it('removes a table of another family only when the family matches', () => {
    const nft = createFakeClient()
    const rec = new Reconciler(nft)
    rec.reconcileSync(table('a', 1))
    expect(rec.reconcileSync([], { remove: [{ family: 'inet', name: 'a' }] }).operations).toEqual([])
    expect(rec.reconcileSync([], { remove: [{ family: 'ip', name: 'a' }] }).operations.map((o) => o.verb)).toEqual(['delete'])
    expect(nft.listSync().tables).toEqual([])
  })
})
