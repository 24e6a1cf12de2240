/**
 * The reconciler against the kernel: the smallest atomic change, rules keep
 * their identity (handles and counters), declared order is kernel order, set
 * contents move as element deltas.
 */
import { execFileSync, spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { type Client, createClient, isGenerationMismatch, NftValidationError } from '../../lib/index.js'
import { applyToModel } from '../../lib/state/model.js'
import { parseNft } from '../../lib/nft/parser.js'
import { plan } from '../../lib/reconcile/plan.js'
import { reconcileSync } from '../../lib/reconcile/apply.js'
import { Reconciler } from '../../lib/reconcile/reconciler.js'
import { type Netns, sendUdp } from '../helpers/netns.js'
import { netnsClient } from '../helpers/netns-client.js'

const desired = (text: string) => applyToModel(parseNft(text).operations)

function fw(rules: string[], pods: string[] = ['10.200.0.1']): string {
  return `table inet fw {
  set pods { type ipv4_addr; elements = { ${pods.join(', ')} } }
  chain out {
    type filter hook output priority filter; policy accept;
${rules.map((r) => `    ${r}`).join('\n')}
  }
}
`
}

const R = {
  a: 'ip daddr 127.0.0.1 counter accept comment "a"',
  b: 'ip daddr @pods counter accept comment "b"',
  c: 'tcp dport 22 counter drop comment "c"',
  d: 'udp dport 53 counter accept comment "d"',
}

describe('reconcile', () => {
  let ns: Netns
  let nft: Client
  netnsClient('rec', (n, c) => {
    ns = n
    nft = c
  }, (n) => execFileSync('ip', ['-n', n.name, 'link', 'set', 'lo', 'up']))

  const rules = () => nft.listSync({ table: 'fw' }).rules.map((r) => ({ name: r.comment, handle: r.handle, exprs: r.exprs }))
  // Three UDP datagrams to 127.0.0.1 from inside the namespace (the output chain counts them).
  const ping = () => sendUdp(ns.name, 3, 1)

  it('creates the table in one batch, then finds nothing to change', () => {
    const r = reconcileSync(nft, desired(fw([R.a, R.b, R.c])))
    expect(r.operations.length).toBeGreaterThan(0)
    expect(rules().map((x) => x.name)).toEqual(['a', 'b', 'c'])
    expect(reconcileSync(nft, desired(fw([R.a, R.b, R.c]))).operations).toEqual([])
  })

  it('a set re-created while a kept rule refers to it, and a chain deleted while the rule that jumped to it changes: one batch, converged (the kernel refused both with EBUSY before)', () => {
    const v1 = `table inet refs {
  set s { type ipv4_addr; elements = { 10.9.0.1 } }
  chain sub { counter }
  chain c {
    type filter hook output priority filter; policy accept;
    ip daddr @s counter accept comment "uses-s"
    jump sub comment "j"
  }
}
`
    const v2 = `table inet refs {
  set s { type ipv4_addr; flags interval; elements = { 10.9.0.0/24 } }
  chain c {
    type filter hook output priority filter; policy accept;
    ip daddr @s counter accept comment "uses-s"
    accept comment "j"
  }
}
`
    reconcileSync(nft, desired(v1))
    const r = reconcileSync(nft, desired(v2))
    expect(r.operations.length).toBeGreaterThan(0)
    expect(reconcileSync(nft, desired(v2)).operations).toEqual([])
    const text = ns.nft('list', 'table', 'inet', 'refs')
    expect(text).toContain('flags interval')
    expect(text).toContain('10.9.0.0/24')
    expect(text).not.toContain('chain sub')
    expect(text).toMatch(/ip daddr @s counter packets \d+ bytes \d+ accept comment "uses-s"/)
    ns.nft('delete', 'table', 'inet', 'refs')
  })

  it('v1 -> v2: added, removed and edited rules; unchanged rules keep handles and counters', () => {
    ping()
    const before = rules()
    const counterOf = (x: (typeof before)[number] | undefined) => (x?.exprs.find((e) => 'stmt' in e && e.stmt === 'counter') as { packets?: number })?.packets ?? 0
    expect(counterOf(before[0])).toBeGreaterThanOrEqual(3) // the datagrams, and the ICMP errors they cause
    // v2: d added first, c removed, b edited (now drops).
    const r = reconcileSync(nft, desired(fw([R.d, R.a, R.b.replace('accept', 'drop')])))
    const after = rules()
    expect(after.map((x) => x.name)).toEqual(['d', 'a', 'b'])
    expect(after[1].handle).toBe(before[0].handle) // a untouched
    expect(counterOf(after[1])).toBe(counterOf(before[0]))
    expect(after[2].handle).toBe(before[1].handle) // b replaced in place
    expect(after[2].exprs.some((e) => 'stmt' in e && e.stmt === 'drop')).toBe(true)
    expect(r.operations.map((o) => o.verb).sort()).toEqual(['delete', 'insert', 'replace'])
    expect(ns.ruleset()).toMatch(/udp dport 53 .*comment "d"\n.*ip daddr 127\.0\.0\.1 .*comment "a"\n.*ip daddr @pods .*drop comment "b"/)
  })

  it('v2 -> v3 -> v4: appended and reordered rules; the kernel order is the declared order', () => {
    ping()
    const before = rules()
    reconcileSync(nft, desired(fw([R.d, R.a, R.b.replace('accept', 'drop'), R.c])))
    const v3 = rules()
    expect(v3.map((x) => x.name)).toEqual(['d', 'a', 'b', 'c'])
    expect(v3.slice(0, 3).map((x) => x.handle)).toEqual(before.map((x) => x.handle))
    expect(v3.slice(0, 3).map((x) => x.exprs)).toEqual(before.map((x) => x.exprs)) // counters included
    reconcileSync(nft, desired(fw([R.b.replace('accept', 'drop'), R.c, R.d, R.a])))
    const v4 = rules()
    expect(v4.map((x) => x.name)).toEqual(['b', 'c', 'd', 'a'])
    // The longest run already in order stays (b, c); the others move.
    expect(v4.filter((x) => v3.some((y) => y.handle === x.handle)).length).toBeGreaterThanOrEqual(2)
    expect(ns.ruleset()).toMatch(/comment "b"\n.*comment "c"\n.*comment "d"\n.*comment "a"/)
  })

  it('a one-element change of a 10k-element set sends one element each way in one batch', () => {
    const pods = Array.from({ length: 10000 }, (_, i) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`)
    reconcileSync(nft, desired(fw([R.b], pods)))
    expect(nft.listSync({ table: 'fw' }).sets[0].elements).toHaveLength(10000)
    const next = [...pods.slice(1), '10.250.0.1']
    const ops = plan(desired(fw([R.b], next)), nft.listSync())
    expect(ops.map((o) => `${o.verb} ${o.object.kind} ${JSON.stringify((o.object as { elements?: unknown }).elements)}`)).toEqual([
      `delete element ${JSON.stringify([pods[0]])}`,
      'add element ["10.250.0.1"]',
    ])
    const r = reconcileSync(nft, desired(fw([R.b], next)))
    expect(r.messages).toBe(4) // BEGIN, DELSETELEM, NEWSETELEM, END
    const els = nft.listSync({ table: 'fw' }).sets[0].elements
    expect(els).toHaveLength(10000)
    expect(els).toContain('10.250.0.1')
    expect(els).not.toContain(pods[0])
  })

  it('the batch of a one-element change, as `nft monitor` sees it: one element deleted, one added', async () => {
    const pods = Array.from({ length: 10000 }, (_, i) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`)
    reconcileSync(nft, desired(fw([R.b], pods)))
    const mon = spawn('ip', ['netns', 'exec', ns.name, 'nft', 'monitor'], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    mon.stdout.on('data', (d) => {
      out += d
    })
    try {
      // nft monitor subscribes before it prints anything: wait until a marker change shows up.
      for (let i = 0; !out.includes('marker') && i < 100; i++) {
        if (i % 10 === 0) ns.nft('add', 'table', 'ip', `marker${i}`)
        await new Promise((r) => setTimeout(r, 20))
      }
      out = ''
      reconcileSync(nft, desired(fw([R.b], [...pods.slice(1), '10.250.0.1'])))
      for (let i = 0; out.split('\n').filter(Boolean).length < 3 && i < 100; i++) await new Promise((r) => setTimeout(r, 20))
      await new Promise((r) => setTimeout(r, 100))
    } finally {
      mon.kill()
    }
    // One generation: one batch, holding exactly one element each way.
    expect(out.split('\n').filter(Boolean)).toEqual([
      `delete element inet fw pods { ${pods[0]} }`,
      'add element inet fw pods { 10.250.0.1 }',
      expect.stringMatching(new RegExp(`^# new generation \\d+ by process ${process.pid} `)),
    ])
    for (const t of ns.nft('list', 'tables').match(/marker\d+/g) ?? []) ns.nft('delete', 'table', 'ip', t)
  })

  it('a writer between plan and commit inside reconcileSync: refused, re-read, re-planned, applied once', () => {
    reconcileSync(nft, desired(fw([R.a])))
    let lists = 0
    const racer = new Proxy(nft, {
      get(target, prop) {
        if (prop === 'listSync')
          return (...args: unknown[]) => {
            const l = target.listSync(...(args as []))
            if (++lists === 1) ns.nft('add', 'element', 'inet', 'fw', 'pods', '{ 10.9.9.9 }') // lands after the read
            return l
          }
        const v = Reflect.get(target, prop, target)
        return typeof v === 'function' ? v.bind(target) : v
      },
    })
    const r = reconcileSync(racer, desired(fw([R.a, R.c])))
    expect(r.retries).toBe(1)
    expect(lists).toBe(2)
    expect(rules().map((x) => x.name)).toEqual(['a', 'c'])
    expect(nft.listSync({ table: 'fw' }).sets[0].elements).toEqual(['10.200.0.1']) // the intruder's element repaired too
  })

  it('Reconciler.updateSetSync: a pod IP replaced in a 10k set is one batch of two element messages, no kernel read', () => {
    const rec = new Reconciler(nft)
    const pods = Array.from({ length: 10000 }, (_, i) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`)
    rec.reconcileSync(desired(fw([R.b], pods)))
    rec.reconcileSync(desired(fw([R.b], pods))) // settles the in-memory state
    const reads = rec.reads
    const r = rec.updateSetSync({ table: 'fw', set: 'pods' }, { remove: [pods[0]], add: ['10.250.0.1'] })
    expect(r.messages).toBe(4)
    expect(r.operations.map((o) => `${o.verb} ${JSON.stringify((o.object as { elements: unknown }).elements)}`)).toEqual([`delete ${JSON.stringify([pods[0]])}`, 'add ["10.250.0.1"]'])
    // Already there / already gone: nothing to send.
    expect(rec.updateSetSync({ table: 'fw', set: 'pods' }, { remove: [pods[0]], add: ['10.250.0.1', pods[1]] }).messages).toBe(0)
    expect(rec.reads).toBe(reads)
    const els = nft.listSync({ table: 'fw' }).sets[0].elements
    expect(els).toHaveLength(10000)
    expect(els).toContain('10.250.0.1')
    expect(els).not.toContain(pods[0])
    expect(ns.nft('list', 'set', 'inet', 'fw', 'pods')).toContain('10.250.0.1')
    // The full declarative path agrees with the state the deltas left in memory.
    const now = [...pods.slice(1), '10.250.0.1']
    expect(rec.reconcileSync(desired(fw([R.b], now))).operations).toEqual([])
    expect(rec.reads).toBe(reads)
  })

  it('Reconciler.updateSetSync on a plain hash set: a foreign writer is retried or reported, an element with options is added as such', () => {
    const rec = new Reconciler(nft)
    const pods = ['10.200.0.1', '10.200.0.2', '10.200.0.3']
    rec.reconcileSync(desired(fw([R.b], pods)))
    rec.updateSetSync({ table: 'fw', set: 'pods' }, {}) // reads and indexes the set
    // A foreign change moves the generation: with no retries left, the bound batch is refused as stale.
    ns.nft('add', 'element', 'inet', 'fw', 'pods', '{ 10.9.9.9 }')
    expect(() => rec.updateSetSync({ table: 'fw', set: 'pods' }, { add: ['10.201.0.1'] }, { retries: 0 })).toThrow(
      expect.objectContaining({ name: 'NftError', code: 'ERESTART' }),
    )
    // The next delta re-reads and applies; the foreign element is part of the state now.
    const reads = rec.reads
    const r = rec.updateSetSync({ table: 'fw', set: 'pods' }, { remove: ['10.9.9.9'], add: ['10.201.0.1'] })
    expect([r.messages, rec.reads]).toEqual([4, reads + 1])
    // An element with options: the delta carries it through the general path.
    const c = rec.updateSetSync({ table: 'fw', set: 'pods' }, { add: [{ key: '10.201.0.2', comment: 'pod x' }], remove: ['10.200.0.1'] })
    expect(c.messages).toBe(4)
    expect(ns.nft('list', 'set', 'inet', 'fw', 'pods')).toContain('10.201.0.2 comment "pod x"')
    // Plain deltas keep working on the index that now holds an element with options.
    expect(rec.updateSetSync({ table: 'fw', set: 'pods' }, { remove: ['10.201.0.2', '10.200.0.2'], add: ['10.201.0.3'] }).messages).toBe(4)
    expect(rec.updateSetSync({ table: 'fw', set: 'pods' }, { remove: ['10.201.0.2'] }).messages).toBe(0)
    expect([...nft.listSync({ table: 'fw' }).sets[0].elements].sort()).toEqual(['10.200.0.3', '10.201.0.1', '10.201.0.3'])
    // A large delta with repeats: each address once, in one batch.
    const many = Array.from({ length: 40 }, (_, i) => `10.202.0.${i}`)
    const big = rec.updateSetSync({ table: 'fw', set: 'pods' }, { add: [...many, ...many.slice(0, 10)], remove: ['10.201.0.3', '10.201.0.3', '10.9.9.8'] })
    expect(big.operations.map((o) => (o.object as unknown as { elements: unknown[] }).elements.length)).toEqual([1, 40])
    expect(rec.updateSetSync({ table: 'fw', set: 'pods' }, { remove: many.slice(0, 20), add: many.slice(10, 30) }).operations.map((o) => o.verb)).toEqual(['delete', 'add'])
    expect([...nft.listSync({ table: 'fw' }).sets[0].elements].sort()).toEqual(['10.200.0.3', '10.201.0.1', ...many.slice(10).sort()].sort())
    rec.updateSetSync({ table: 'fw', set: 'pods' }, { remove: many, add: ['10.201.0.3'] })
    // A bad address is reported with its path, and nothing is sent.
    const plain = new Reconciler(nft)
    plain.updateSetSync({ table: 'fw', set: 'pods' }, {})
    expect(() => plain.updateSetSync({ table: 'fw', set: 'pods' }, { remove: ['10.200.0.3'], add: ['10.4.0.1', '10.4.0.300'] })).toThrow(
      expect.objectContaining({ name: 'NftValidationError', path: 'delta.add[1]' }),
    )
    expect([...nft.listSync({ table: 'fw' }).sets[0].elements].sort()).toEqual(['10.200.0.3', '10.201.0.1', '10.201.0.3'])
  })

  it('Reconciler.updateSet: interval sets, a foreign writer (re-read and retry), bad input with its path', async () => {
    const rec = new Reconciler(nft)
    const text = `table inet fw {
  set nets { type ipv4_addr; flags interval; elements = { 10.1.0.0/16 } }
  chain out { type filter hook output priority filter; policy accept; ip daddr @nets accept comment "n" }
}`
    await rec.updateSet({ table: 'fw', set: 'nets' }, {}).catch(() => undefined)
    rec.reconcileSync(desired(text))
    rec.reconcileSync(desired(text))
    const r = await rec.updateSet({ table: 'fw', set: 'nets' }, { add: ['10.2.0.0/16', '10.3.0.1-10.3.0.9'] })
    expect(r.messages).toBe(3)
    expect(ns.nft('list', 'set', 'inet', 'fw', 'nets')).toMatch(/10\.1\.0\.0\/16, 10\.2\.0\.0\/16,\s+10\.3\.0\.1-10\.3\.0\.9/)
    ns.nft('add', 'element', 'inet', 'fw', 'nets', '{ 10.9.0.0/16 }')
    const reads = rec.reads
    const r2 = await rec.updateSet({ table: 'fw', set: 'nets' }, { remove: ['10.1.0.0/16'] })
    expect(r2.retries).toBe(1)
    expect(rec.reads).toBe(reads + 1)
    expect(nft.listSync({ table: 'fw' }).sets[0].elements).toEqual(['10.2.0.0/16', '10.3.0.1-10.3.0.9', '10.9.0.0/16'])
    expect(() => rec.updateSetSync({ table: 'fw', set: 'nets' }, { add: ['10.4.0.1', '10.4.0.300'] })).toThrow(
      expect.objectContaining({ name: 'NftValidationError', path: 'delta.add[1]' }),
    )
    expect(() => rec.updateSetSync({ table: 'fw', set: 'nope' }, { add: ['10.4.0.1'] })).toThrow(NftValidationError)
    expect(nft.listSync({ table: 'fw' }).sets[0].elements).toHaveLength(3) // nothing half-applied
  })

  it('a plan made from a stale generation is refused, and reconcile re-plans', () => {
    const observed = nft.listSync()
    const other = createClient({ netns: ns.name })
    other.commitSync(other.transaction().add({ kind: 'table', family: 'ip', name: 'intruder' }))
    other.close()
    const ops = plan(desired(fw([R.a])), observed)
    const tx = nft.transaction()
    for (const op of ops) tx.apply(op)
    let err: unknown
    try {
      nft.commitSync(tx, { genId: observed.genId })
    } catch (e) {
      err = e
    }
    expect(isGenerationMismatch(err)).toBe(true)
    reconcileSync(nft, desired(fw([R.a])))
    expect(rules().map((x) => x.name)).toEqual(['a'])
    expect(ns.ruleset()).toContain('table ip intruder') // not ours: left alone
  })

  it('rules with anonymous sets of selector types (icmp type, ct state) are seen as unchanged', () => {
    const text = fw([
      'icmp type { echo-request, echo-reply } accept comment "icmp"',
      'ct state { established, related } accept comment "ct"',
      'tcp dport { 22, 443 } accept comment "ports"',
    ])
    reconcileSync(nft, desired(text))
    expect(plan(desired(text), nft.listSync())).toEqual([])
  })

  it('a long-lived Reconciler plans element changes from memory, and re-reads after someone else wrote', () => {
    const rec = new Reconciler(nft)
    const pods = Array.from({ length: 1000 }, (_, i) => `10.60.${i >> 8}.${i & 255}`)
    rec.reconcileSync(desired(fw([R.a, R.b], pods)))
    // After a batch with more than element changes it reads the kernel once more...
    pods[0] = '10.61.0.0'
    expect(rec.reconcileSync(desired(fw([R.a, R.b], pods))).messages).toBe(4)
    const reads = rec.reads
    // ...then element-only changes are planned from memory.
    for (let k = 1; k < 5; k++) {
      pods[k] = `10.61.0.${k}`
      expect(rec.reconcileSync(desired(fw([R.a, R.b], pods))).messages).toBe(4)
    }
    expect(rec.reads).toBe(reads)
    expect([...nft.listSync({ table: 'fw' }).sets[0].elements].sort()).toEqual([...pods].sort())
    // Someone else adds an element: the stale generation is refused, the reconciler reads and repairs.
    ns.nft('add', 'element', 'inet', 'fw', 'pods', '{ 10.9.9.9 }')
    pods[5] = '10.61.0.5'
    rec.reconcileSync(desired(fw([R.a, R.b], pods)))
    expect(rec.reads).toBe(reads + 1)
    expect([...nft.listSync({ table: 'fw' }).sets[0].elements].sort()).toEqual([...pods].sort())
  })

  it('repairs drift: a rule deleted and an element added by someone else', () => {
    reconcileSync(nft, desired(fw([R.a, R.c], ['10.200.0.1'])))
    const victim = rules().find((x) => x.name === 'c')
    ns.nft('delete', 'rule', 'inet', 'fw', 'out', 'handle', String(victim?.handle))
    ns.nft('add', 'element', 'inet', 'fw', 'pods', '{ 10.9.9.9 }')
    ns.nft('add', 'rule', 'inet', 'fw', 'out', 'counter')
    reconcileSync(nft, desired(fw([R.a, R.c], ['10.200.0.1'])))
    expect(rules().map((x) => x.name)).toEqual(['a', 'c'])
    expect(nft.listSync({ table: 'fw' }).sets[0].elements).toEqual(['10.200.0.1'])
  })
})
