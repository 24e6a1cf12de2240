/**
 * Scale: 100 000-element sets committed in one batch (split over many netlink
 * messages) and read back exactly, by nftkit and by nft; and two connections
 * committing concurrently into the same namespace. No timing assertions.
 */
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Client, createClient } from '../../lib/index.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

const N = 100_000
const BASE = 0x0a000000 // 10.0.0.0

const ipv4 = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.')

/** The interval workload: one /24 block per i, used as a single address, the whole prefix or a range. */
function intervalElements(n: number): string[] {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const base = BASE + 256 * i
    if (i % 3 === 0) out.push(ipv4(base + 1))
    else if (i % 3 === 1) out.push(`${ipv4(base)}/24`)
    else out.push(`${ipv4(base + 10)}-${ipv4(base + 20)}`)
  }
  return out
}

/** nft's JSON element (`"a"`, `{ prefix }`, `{ range }`) as a canonical string. */
function nftElementText(e: unknown): string {
  if (typeof e === 'string') return e
  if (typeof e === 'number') return String(e)
  const o = e as { prefix?: { addr: string; len: number }; range?: [string, string]; elem?: { val: unknown }; concat?: unknown[] }
  if (o.concat) return o.concat.map(nftElementText).join(' . ')
  if (o.prefix) return `${o.prefix.addr}/${o.prefix.len}`
  if (o.range) return `${o.range[0]}-${o.range[1]}`
  if (o.elem) return nftElementText(o.elem.val)
  throw new Error(`unexpected nft element ${JSON.stringify(e)}`)
}

/** Elements of a set as nft -j lists them (with a buffer large enough for 100k elements). */
function nftSetElements(ns: Netns, table: string, set: string): string[] {
  const out = execFileSync('ip', ['netns', 'exec', ns.name, 'nft', '-j', 'list', 'set', 'inet', table, set], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  })
  const doc = JSON.parse(out) as { nftables: Array<{ set?: { name: string; elem?: unknown[] } }> }
  const s = doc.nftables.find((x) => x.set?.name === set)?.set
  if (!s) throw new Error(`nft did not list set ${set}`)
  return (s.elem ?? []).map(nftElementText)
}

/** Index of the first difference of two string lists (undefined if equal). */
function firstDiff(a: readonly unknown[], b: readonly unknown[]): { index: number; got: unknown; want: unknown } | undefined {
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return { index: i, got: a[i], want: b[i] }
  return undefined
}

let ns: Netns
let nft: Client

beforeAll(() => {
  ns = makeNetns('scale')
  nft = createClient({ netns: ns.name, table: 't' })
})

afterAll(() => {
  nft?.close()
  ns?.remove()
})

describe('100 000 elements in one commit', () => {
  it('interval set of addresses, prefixes and ranges: one batch of many messages, read back exactly', async () => {
    const els = intervalElements(N)
    const tx = nft.transaction()
    tx.add({ kind: 'table' })
    tx.add({ kind: 'set', name: 'iv', type: 'ipv4_addr', flags: ['interval'], elements: els })
    const r = await nft.commit(tx)
    expect(r.messages).toBeGreaterThan(3)
    expect(r.bytes).toBeGreaterThan(N * 8)

    const l = await nft.list()
    const set = l.sets.find((s) => s.name === 'iv')
    expect(set?.handle).toBe(r.handles[1])
    const got = (set?.elements ?? []) as string[]
    expect(got.length).toBe(N)
    expect(firstDiff(got, els)).toBeUndefined()

    const theirs = nftSetElements(ns, 't', 'iv')
    expect(theirs.length).toBe(N)
    expect(firstDiff([...theirs].sort(), [...els].sort())).toBeUndefined()
  })

  it('hash set of single addresses: one batch of many messages, read back exactly', async () => {
    const els: string[] = []
    for (let i = 0; i < N; i++) els.push(ipv4(0xc0000000 + 7 * i)) // 192.0.0.0 upward, every 7th address
    const r = await nft.commit(nft.transaction().add({ kind: 'set', name: 'h', type: 'ipv4_addr', elements: els }))
    expect(r.messages).toBeGreaterThan(3)

    const l = await nft.list({ table: 't' })
    const set = l.sets.find((s) => s.name === 'h')
    expect(set?.handle).toBe(r.handles[0])
    const got = (set?.elements ?? []) as string[]
    expect(got.length).toBe(N)
    expect(firstDiff(got, els)).toBeUndefined() // listing is sorted by key; so is the input

    const theirs = nftSetElements(ns, 't', 'h')
    expect(theirs.length).toBe(N)
    expect(new Set(theirs).size).toBe(N)
    expect(firstDiff([...theirs].sort(), [...els].sort())).toBeUndefined()
  })

  it('deleting 50 000 of them in one commit leaves exactly the other half', async () => {
    const els: string[] = []
    for (let i = 0; i < N; i++) els.push(ipv4(0xc0000000 + 7 * i))
    const drop = els.filter((_, i) => i % 2 === 0)
    const keep = els.filter((_, i) => i % 2 === 1)
    const r = await nft.commit(nft.transaction().delete({ kind: 'element', set: 'h', elements: drop }))
    expect(r.messages).toBeGreaterThan(3)
    const got = ((await nft.list({ table: 't' })).sets.find((s) => s.name === 'h')?.elements ?? []) as string[]
    expect(got.length).toBe(N / 2)
    expect(firstDiff(got, keep)).toBeUndefined()
    expect(nftSetElements(ns, 't', 'h').length).toBe(N / 2)
  })
})

describe('two connections committing concurrently', () => {
  it('20 commits each from two clients (Promise.all): every element and rule is there afterwards', async () => {
    const setup = nft.transaction()
    setup.add({ kind: 'table', name: 'cc' })
    setup.add({ kind: 'set', table: 'cc', name: 'shared', type: ['ipv4_addr', 'inet_service'] })
    setup.add({ kind: 'chain', table: 'cc', name: 'ca' })
    setup.add({ kind: 'chain', table: 'cc', name: 'cb' })
    await nft.commit(setup)

    const a = createClient({ netns: ns.name, table: 'cc' })
    const b = createClient({ netns: ns.name, table: 'cc' })
    try {
      await Promise.all([a.list({ table: 'cc' }), b.list({ table: 'cc' })]) // both learn the set's key type
      const work = (c: Client, who: 'a' | 'b', octet: number) =>
        Array.from({ length: 20 }, (_, i) => {
          const tx = c.transaction()
          tx.add({ kind: 'element', set: 'shared', elements: Array.from({ length: 50 }, (_, k) => [`10.${octet}.${i}.${k}`, 1000 + k]) })
          tx.add({ kind: 'rule', chain: `c${who}`, exprs: [{ match: 'tcp dport', value: 10_000 * (who === 'a' ? 1 : 2) + i }, { stmt: 'accept' }], comment: `${who}${i}` })
          return c.commit(tx)
        })
      const results = await Promise.all([...work(a, 'a', 1), ...work(b, 'b', 2)])
      expect(results).toHaveLength(40)

      const l = await nft.list({ table: 'cc' })
      const shared = l.sets.find((s) => s.name === 'shared')?.elements ?? []
      expect(shared.length).toBe(2 * 20 * 50)
      const have = new Set(shared.map((e) => (e as [string, number]).join(' ')))
      for (const octet of [1, 2]) for (let i = 0; i < 20; i++) for (let k = 0; k < 50; k++) expect(have.has(`10.${octet}.${i}.${k} ${1000 + k}`)).toBe(true)

      for (const who of ['a', 'b'] as const) {
        const rules = l.rules.filter((r) => r.chain === `c${who}`)
        // Each client's commits are queued on its own connection, so its rules are in commit order.
        expect(rules.map((r) => r.comment)).toEqual(Array.from({ length: 20 }, (_, i) => `${who}${i}`))
        const offset = who === 'a' ? 0 : 20
        expect(rules.map((r) => r.handle)).toEqual(results.slice(offset, offset + 20).map((r) => r.handles[1]))
      }
      const handles = results.map((r) => r.handles[1])
      expect(new Set(handles).size).toBe(40)

      const text = ns.nft('list', 'table', 'inet', 'cc')
      expect(text.match(/tcp dport \d+ accept comment "[ab]\d+"/g)?.length).toBe(40)
      expect(nftSetElements(ns, 'cc', 'shared').length).toBe(2000)
    } finally {
      a.close()
      b.close()
    }
  })
})
