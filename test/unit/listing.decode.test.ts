/**
 * decodeListing: a dump (as the kernel returns what a transaction created)
 * reads back as the typed objects that were given, with handles.
 */
import { describe, expect, it } from 'vitest'
import { decodeListing, setShapeOf } from '../../lib/io/listing.js'
import { Transaction } from '../../lib/batch/transaction.js'
import type { NativeDump, NativeOp, NativeRecord } from '../../types/native.js'

/** What the kernel would dump after committing `tx` (handles from 1, anonymous sets named __setN). */
function dumpOf(tx: Transaction): NativeDump {
  const d = { genId: 9, tables: [] as NativeRecord[], chains: [] as NativeRecord[], sets: [] as NativeRecord[], rules: [] as NativeRecord[], objects: [] as NativeRecord[] }
  let handle = 1
  const anon = new Map<number, string>()
  const bySet = new Map<string, { elements: unknown[] }>()
  for (const op of tx.prepare().ops as NativeOp[]) {
    const { verb: _v, setId, echo: _e, ...rest } = op
    switch (op.kind) {
      case 'table':
        d.tables.push({ ...rest, kind: 'table', table: '', handle: handle++ } as NativeRecord)
        break
      case 'chain':
        d.chains.push({ ...rest, kind: 'chain', handle: handle++, ...(op.hook !== undefined && op.policy === undefined ? { policy: 1 } : {}) } as NativeRecord)
        break
      case 'set': {
        let name = String(op.name)
        if (name.includes('%d')) {
          name = name.replace('%d', String(anon.size))
          anon.set(setId as number, name)
        }
        const rec = { ...rest, kind: 'set', name, handle: handle++, elements: [] as unknown[] }
        bySet.set(name, rec)
        d.sets.push(rec as unknown as NativeRecord)
        break
      }
      case 'element':
        bySet.get(anon.get(setId as number) ?? String(op.set))?.elements.push(...(op.elements ?? []))
        break
      case 'rule':
        d.rules.push({
          ...rest,
          kind: 'rule',
          handle: handle++,
          exprs: (op.exprs ?? []).map((e) => (e.type === 'lookup' && e.setId !== undefined ? { ...e, set: anon.get(e.setId as number) ?? e.set, setId: undefined } : e)),
        } as unknown as NativeRecord)
        break
      case 'object':
        d.objects.push({ ...rest, kind: 'object', handle: handle++ } as NativeRecord)
        break
    }
  }
  return d
}

describe('decodeListing', () => {
  const tx = new Transaction({ table: 'fw' })
    .add({ kind: 'table', flags: ['dormant'], comment: 'main' })
    .add({ kind: 'chain', name: 'input', type: 'filter', hook: 'input', priority: 'filter + 5', policy: 'drop', comment: 'in' })
    .add({ kind: 'chain', name: 'post', type: 'nat', hook: 'postrouting', priority: 'srcnat' })
    .add({ kind: 'chain', name: 'helper' })
    .add({ kind: 'set', name: 'allow', type: 'ipv4_addr', flags: ['interval'], comment: 'ok', elements: ['10.0.0.0/25', '10.0.0.128/25', '192.168.1.1'] })
    .add({ kind: 'set', name: 'svc', type: ['ipv4_addr', 'inet_proto', 'inet_service'], elements: [['10.0.0.2', 'udp', 53], ['10.0.0.1', 'tcp', 80]] })
    .add({ kind: 'set', name: 'tmo', type: 'ipv6_addr', flags: ['timeout'], timeout: 60000, size: 100, policy: 'memory', elements: [{ key: '::1', timeout: 5000, comment: 'lo' }] })
    .add({ kind: 'map', name: 'vm', type: 'inet_service', map: 'verdict', elements: [{ key: 22, value: { jump: 'helper' } }, { key: 80, value: 'accept' }] })
    .add({ kind: 'map', name: 'marks', type: 'ifname', map: 'mark', elements: [{ key: 'eth0', value: 16 }] })
    .add({ kind: 'counter', name: 'cnt', packets: 4, bytes: 400, comment: 'c' })
    .add({ kind: 'rule', chain: 'input', comment: 'web', exprs: [{ match: 'tcp dport', value: [22, '8000-8080'] }, { stmt: 'counter', name: 'cnt' }, { stmt: 'accept' }] })
    .add({ kind: 'rule', chain: 'input', exprs: [{ match: 'ip saddr', op: '!=', value: { set: 'allow' } }, { stmt: 'vmap', key: 'tcp dport', map: { set: 'vm' } }] })
  const l = decodeListing(dumpOf(tx))

  it('reads tables and chains', () => {
    expect(l.genId).toBe(9)
    expect(l.tables).toEqual([{ kind: 'table', family: 'inet', name: 'fw', handle: 1, flags: ['dormant'], comment: 'main' }])
    expect(l.chains).toEqual([
      { kind: 'chain', family: 'inet', table: 'fw', name: 'input', handle: 2, type: 'filter', hook: 'input', priority: 5, policy: 'drop', comment: 'in' },
      { kind: 'chain', family: 'inet', table: 'fw', name: 'post', handle: 3, type: 'nat', hook: 'postrouting', priority: 100, policy: 'accept' },
      { kind: 'chain', family: 'inet', table: 'fw', name: 'helper', handle: 4 },
    ])
  })

  it('reads named sets and maps with canonical elements, hiding anonymous sets', () => {
    expect(l.sets.map((s) => s.name)).toEqual(['allow', 'svc', 'tmo', 'vm', 'marks'])
    expect(l.sets[0]).toEqual({
      kind: 'set',
      family: 'inet',
      table: 'fw',
      name: 'allow',
      handle: 5,
      type: 'ipv4_addr',
      flags: ['interval'],
      comment: 'ok',
      elements: ['10.0.0.0/25', '10.0.0.128/25', '192.168.1.1'],
    })
    expect(l.sets[1]).toMatchObject({ type: ['ipv4_addr', 'inet_proto', 'inet_service'], elements: [['10.0.0.2', 'udp', 53], ['10.0.0.1', 'tcp', 80]] })
    expect(l.sets[2]).toMatchObject({ type: 'ipv6_addr', flags: ['timeout'], timeout: 60000, size: 100, policy: 'memory', elements: [{ key: '::1', timeout: 5000, comment: 'lo' }] })
    expect(l.sets[3]).toMatchObject({ kind: 'map', map: 'verdict', type: 'inet_service', elements: [{ key: 22, value: { jump: 'helper' } }, { key: 80, value: 'accept' }] })
    expect(l.sets[4]).toMatchObject({ kind: 'map', map: 'mark', type: 'ifname', elements: [{ key: 'eth0', value: 16 }] })
  })

  it('reads counters and rules (anonymous sets inlined, comments kept)', () => {
    expect(l.counters).toEqual([{ kind: 'counter', family: 'inet', table: 'fw', name: 'cnt', handle: 10, packets: 4, bytes: 400, comment: 'c' }])
    expect(l.rules).toEqual([
      {
        kind: 'rule',
        family: 'inet',
        table: 'fw',
        chain: 'input',
        handle: 12,
        comment: 'web',
        exprs: [{ match: 'tcp dport', value: [22, '8000-8080'] }, { stmt: 'counter', name: 'cnt' }, { stmt: 'accept' }],
      },
      {
        kind: 'rule',
        family: 'inet',
        table: 'fw',
        chain: 'input',
        handle: 13,
        exprs: [{ match: 'ip saddr', op: '!=', value: { set: 'allow' } }, { stmt: 'vmap', key: 'tcp dport', map: { set: 'vm' } }],
      },
    ])
  })

  it('feeds a listing back into a transaction that produces the same kernel objects', () => {
    const again = new Transaction({ table: 'fw' })
    for (const t of l.tables) again.add({ ...t, handle: undefined })
    for (const s of l.sets) again.add({ ...s, handle: undefined })
    const ops = again.prepare().ops
    const orig = tx.prepare().ops
    // Hash set elements come back sorted by key: compare them as sets.
    const sortEls = (els: NativeOp['elements']) => els && [...els].sort((a, b) => Buffer.compare(Buffer.from(a.key ?? []), Buffer.from(b.key ?? [])))
    const pick = (o: NativeOp) => ({ kind: o.kind, name: o.name, set: o.set, keyType: o.keyType, flags: o.flags, elements: sortEls(o.elements) })
    const want = orig.filter((o) => o.kind === 'table' || (o.kind === 'set' && !String(o.name).startsWith('__')) || (o.kind === 'element' && !String(o.set).startsWith('__')))
    expect(ops.map(pick)).toEqual(want.map(pick))
  })

  it('skips sets whose key type it does not know, and reports unknown shapes', () => {
    const unknown = { kind: 'set', family: 1, table: 't', name: 'x', handle: 1, flags: 0, keyType: 99, keyLen: 4 } as NativeRecord
    expect(setShapeOf(unknown)).toBeUndefined()
    expect(decodeListing({ genId: 1, tables: [], chains: [], sets: [unknown], rules: [], objects: [] }).sets).toEqual([])
    expect(setShapeOf({ ...unknown, keyType: 7, keyLen: 4 })?.key.map((t) => t.name)).toEqual(['ipv4_addr'])
  })
})
