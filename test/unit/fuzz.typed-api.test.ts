/**
 * Fuzzes every Transaction verb with random and hostile objects: Proxies,
 * throwing getters, `__proto__` keys, cycles, bigint/NaN/Infinity, lying
 * lengths, sparse arrays. Every case is accepted or refused with an
 * NftValidationError carrying a path, within the hang bound (CASE_MS); afterwards a normal
 * transaction still works. `NFTKIT_FUZZ=50000` runs more cases.
 */
import { describe, expect, it } from 'vitest'
import { Transaction } from '../../lib/batch/transaction.js'
import { NftValidationError } from '../../lib/kernel/errors.js'
import { CASE_MS, checkCase, FUZZ_SEED, fuzzCases, fuzzRng, MESSAGE_MAX } from '../helpers/fuzz.js'

type R = ReturnType<typeof fuzzRng>

function typed(e: unknown): string | undefined {
  if (!(e instanceof NftValidationError)) return `raw ${(e as Error)?.name}: ${String((e as Error)?.message).slice(0, 200)}`
  if (!e.path) return 'an NftValidationError without a path'
  if (e.message.length > MESSAGE_MAX) return `a message of ${e.message.length} characters`
  return undefined
}

const KINDS = ['table', 'chain', 'rule', 'set', 'map', 'element', 'counter', 'ruleset', 'bogus']
const VERBS = ['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush'] as const
const FIELDS = ['family', 'table', 'name', 'flags', 'comment', 'handle', 'chain', 'exprs', 'type', 'hook', 'priority', 'policy', 'devices', 'map', 'timeout', 'size', 'elements', 'set', 'packets', 'bytes', 'position', 'counter', 'gcInterval']
const GOOD: Record<string, unknown[]> = {
  family: ['ip', 'inet', 'netdev'], table: ['t'], name: ['t', 's', 'c'], flags: [['interval'], ['dormant']], comment: ['x'],
  handle: [1, 7], chain: ['c'], type: ['filter', 'ipv4_addr', ['ipv4_addr', 'inet_service']], hook: ['input', 'ingress'], priority: [0, 'filter'],
  policy: ['accept'], devices: [['eth0']], map: ['verdict'], timeout: [1000], size: [10], elements: [['10.0.0.1'], [{ key: '10.0.0.2' }]], set: ['s'],
  exprs: [[{ match: 'tcp dport', value: 22 }, { stmt: 'accept' }], [{ match: 'ip saddr', value: ['10.0.0.1', '10.0.0.2'] }]],
}

function lying(r: R): unknown {
  switch (r.int(4)) {
    case 0:
      return Object.assign([], { length: r.pick([1e9, 2 ** 32 - 1, 1e6]) })
    case 1: {
      const a: unknown[] = ['10.0.0.1']
      a[2 + r.int(100)] = '10.0.0.2'
      return a
    }
    case 2:
      return { length: 1e9, 0: 'eth0' }
    default:
      return new Proxy(['eth0'], { get: (t, k) => (k === 'length' ? 1e9 : Reflect.get(t, k)) })
  }
}

function hostileValue(r: R, depth: number): unknown {
  switch (r.int(14)) {
    case 0:
      return lying(r)
    case 1:
      return new Proxy({}, { get() { throw new Error('trap') }, ownKeys() { throw new Error('trap') } })
    case 2:
      return Object.defineProperty({}, 'value', { enumerable: true, get() { throw new TypeError('getter') } })
    case 3:
      return JSON.parse('{"__proto__": {"kind": "table"}, "match": "tcp dport", "value": 1}')
    case 4: {
      const o: Record<string, unknown> = { match: 'tcp dport' }
      o.value = o
      return o
    }
    case 5:
      return r.pick([1n, 2n ** 200n, NaN, Infinity, -Infinity, -0, Symbol('s'), () => 1, null, undefined, ''])
    case 6:
      return 'x'.repeat(r.pick([1, 256, 100_000, 1_000_000]))
    case 7:
      return Array.from({ length: r.int(20) }, () => (depth < 2 ? hostileValue(r, depth + 1) : r.int(70000)))
    case 8: {
      let v: unknown = 1
      for (let i = r.int(2000); i > 0; i--) v = [v]
      return v
    }
    case 9:
      return { match: r.pick(['tcp dport', 'ip saddr', 'meta iifname', 'ct state', ['ip saddr', 'tcp dport']]), value: depth < 3 ? hostileValue(r, depth + 1) : 1 }
    case 10:
      return { stmt: r.pick(['accept', 'vmap', 'counter', 'jump', 'reject']), key: 'tcp dport', map: depth < 3 ? hostileValue(r, depth + 1) : [], chain: 'x' }
    case 11:
      return { raw: Array.from({ length: r.pick([0, 1, 200, 5000]) }, () => ({ type: 'counter' })) }
    case 12:
      return new Uint8Array(r.int(100))
    default:
      return Object.create(null)
  }
}

function randomObject(r: R): Record<string, unknown> {
  const kind = r.pick(KINDS)
  const o: Record<string, unknown> = { kind, table: 't' }
  for (let k = r.int(6); k > 0; k--) {
    const f = r.pick(FIELDS)
    o[f] = r.chance(0.5) && GOOD[f] ? r.pick(GOOD[f]) : hostileValue(r, 0)
  }
  return o
}

function fuzz(cases: number): void {
  const r = fuzzRng(FUZZ_SEED)
  for (let i = 0; i < cases; i++) {
    const tx = new Transaction({ table: 't' })
    tx.add({ kind: 'set', name: 's', type: 'ipv4_addr' })
    const verb = r.pick(VERBS)
    const obj = r.chance(0.05) ? hostileValue(r, 0) : randomObject(r)
    checkCase(`case ${i} (seed ${FUZZ_SEED}) ${verb}`, () => (tx[verb] as (o: unknown) => unknown)(obj), typed)
  }
}

describe('fuzz: typed API (every Transaction verb)', () => {
  it(`random and hostile objects: accepted or an NftValidationError with a path, each within the hang bound (CASE_MS) (${fuzzCases(3000)} cases)`, () => {
    fuzz(fuzzCases(3000))
    const tx = new Transaction({ table: 't' })
    tx.add({ kind: 'table' }).add({ kind: 'chain', name: 'c' }).add({ kind: 'rule', chain: 'c', exprs: [{ match: 'tcp dport', value: 22 }, { stmt: 'accept' }] })
    expect(tx.prepare().ops.length).toBe(3)
  }, 120_000)

  it('regressions: each hostile shape of the issue is refused at once with its path', () => {
    const big = () => Object.assign([], { length: 1e9 })
    const cases: Array<[unknown, RegExp]> = [
      [{ kind: 'table', name: 't', flags: big() }, /add\(0\)\.flags$/],
      [{ kind: 'set', name: 's', type: 'ipv4_addr', flags: big() }, /\.flags$/],
      [{ kind: 'chain', family: 'netdev', name: 'c', type: 'filter', hook: 'ingress', priority: 0, devices: big() }, /\.devices$/],
      [{ kind: 'rule', chain: 'c', exprs: big() }, /\.exprs$/],
      [{ kind: 'rule', chain: 'c', exprs: [{ match: 'tcp dport', value: big() }] }, /\.exprs\[0\]\.value$/],
      [{ kind: 'set', name: 's', type: 'ipv4_addr', elements: big() }, /\.elements$/],
      [{ kind: 'set', name: 's', type: big() }, /\.type$/],
      [{ kind: 'rule', chain: 'c', exprs: [{ match: 'ip saddr', value: Object.assign(new Array(3), { 0: '10.0.0.1', 2: '10.0.0.3' }) }] }, /\.value\[1\]$/],
    ]
    for (const [obj, path] of cases) {
      const t0 = performance.now()
      try {
        new Transaction({ table: 't' }).add(obj as never)
        expect.unreachable()
      } catch (e) {
        expect(typed(e)).toBeUndefined()
        expect((e as NftValidationError).path).toMatch(path)
      }
      expect(performance.now() - t0).toBeLessThan(CASE_MS)
    }
  })

  it('reads every field once: a getter cannot show the checks one list and the compiler another', () => {
    let reads = 0
    const lying = Object.assign([], { length: 1e9 })
    const obj = {
      kind: 'set',
      name: 's',
      type: 'ipv4_addr',
      get elements() {
        return reads++ === 0 ? ['10.0.0.1'] : lying
      },
    }
    const tx = new Transaction({ family: 'ip', table: 't' }).add(obj as never)
    expect(reads).toBe(1)
    expect(tx.operations[0].object).toMatchObject({ elements: ['10.0.0.1'] })
    expect(tx.prepare().ops.length).toBeGreaterThan(0)
    // The caller's later changes do not reach the queued operation either.
    const plain = { kind: 'set', name: 's2', type: 'ipv4_addr', elements: ['10.0.0.2'] }
    tx.add(plain as never)
    plain.elements.push('10.0.0.3')
    expect(tx.operations[1].object).toMatchObject({ elements: ['10.0.0.2'] })
  })

  it('can fail: the harness refuses a raw TypeError and a message quoting a whole value', () => {
    expect(() => checkCase('raw', () => {
      throw new TypeError('x is not a function')
    }, typed)).toThrow(/raw TypeError/)
    expect(() => checkCase('long', () => {
      throw Object.assign(new NftValidationError('p', 'r', 1), { message: 'x'.repeat(12_000_000) })
    }, typed)).toThrow(/a message of/)
  })
})
