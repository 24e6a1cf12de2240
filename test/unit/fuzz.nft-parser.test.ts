/**
 * Fuzzes the nft parser with text mutated from the conformance corpus and
 * with generated deep nesting and huge tokens: every case parses or fails
 * with an NftSyntaxError (or NftValidationError) at a line and column, with
 * a bounded message, within the hang bound (CASE_MS); afterwards a normal parse still works.
 * `NFTKIT_FUZZ=50000` runs more cases.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { NftValidationError } from '../../lib/kernel/errors.js'
import { NftSyntaxError, parseNft, parseRule, rule } from '../../lib/nft/parser.js'
import { checkCase, FUZZ_SEED, fuzzCases, fuzzRng, MESSAGE_MAX } from '../helpers/fuzz.js'

const DIR = join(import.meta.dirname, '../conformance')
const corpus: string[] = [
  ...readdirSync(join(DIR, 'files')).filter((f) => f.endsWith('.nft')).map((f) => readFileSync(join(DIR, 'files', f), 'utf8')),
  ...readdirSync(DIR).filter((f) => f.endsWith('.nft') || f.endsWith('.txt')).map((f) => readFileSync(join(DIR, f), 'utf8')),
]
const PIECES = ['{', '}', ';', ',', '.', ':', '=', '@', '"', '#', '$', '\\\n', '\n', ' ', '-', '/', '!=', 'table', 'chain', 'set', 'map', 'elements', 'type', 'flags', 'vmap', 'ip saddr', 'tcp dport', 'counter', 'accept', 'jump', '0x', '99999999999999999999', '\u0000', '\u{1F600}', '$__nftkit_value_0__']

/** Accepts a typed, located error with a bounded message. */
function located(e: unknown): string | undefined {
  if (e instanceof NftSyntaxError) {
    if (!(e.line >= 1 && e.col >= 1)) return `NftSyntaxError without a position: ${e.message.slice(0, 200)}`
  } else if (!(e instanceof NftValidationError)) return `raw ${(e as Error)?.name}: ${String((e as Error)?.message).slice(0, 200)}`
  if ((e as Error).message.length > MESSAGE_MAX) return `a message of ${(e as Error).message.length} characters`
  return undefined
}

function mutate(r: ReturnType<typeof fuzzRng>, text: string): string {
  let t = text
  for (let k = 1 + r.int(4); k > 0; k--) {
    const at = r.int(t.length + 1)
    switch (r.int(5)) {
      case 0: // delete a span
        t = t.slice(0, at) + t.slice(at + r.int(40))
        break
      case 1: // insert a piece
        t = t.slice(0, at) + r.pick(PIECES) + t.slice(at)
        break
      case 2: // duplicate a span
        t = t.slice(0, at) + t.slice(at, at + r.int(200)) + t.slice(at)
        break
      case 3: // truncate
        t = t.slice(0, at)
        break
      default: // splice in a line of another corpus text
        {
          const other = r.pick(corpus).split('\n')
          t = `${t.slice(0, at)}\n${r.pick(other)}\n${t.slice(at)}`
        }
    }
  }
  return t
}

/** Hostile shapes: deep nesting, huge tokens and lines, runs of blank lines. */
function hostile(r: ReturnType<typeof fuzzRng>): string {
  const n = 1000 + r.int(20000)
  switch (r.int(8)) {
    case 0:
      return `table ip t { set s { type ipv4_addr; elements = ${'{ '.repeat(n)}`
    case 1:
      return `table ip t { chain c { tcp dport ${'{'.repeat(n)} } }`
    case 2:
      return `${'table ip t {\n'.repeat(n)}`
    case 3:
      return `table ip t { chain c { ip saddr ${'x'.repeat(n * 50)} } }`
    case 4:
      return `table ip t { comment "${'a'.repeat(n * 50)}`
    case 5:
      return `${'\n'.repeat(n * 100)}table ip t {${'\n \t\n'.repeat(n * 10)}}\n`
    case 6:
      return `table ip t { chain c { tcp dport vmap ${'{ 1 : '.repeat(n)}accept } } }`
    default:
      return `add element ip t s ${'{ '.repeat(n)}${'} '.repeat(r.int(n))}`
  }
}

function fuzz(cases: number): number {
  const r = fuzzRng(FUZZ_SEED)
  let n = 0
  for (let i = 0; i < cases; i++) {
    const text = r.chance(0.05) ? hostile(r) : mutate(r, r.pick(corpus))
    const asRule = r.chance(0.3)
    checkCase(`case ${i} (seed ${FUZZ_SEED}, ${asRule ? 'parseRule' : 'parseNft'}) ${JSON.stringify(text.slice(0, 120))}`, () => (asRule ? parseRule(text.split('\n')[0]) : parseNft(text)), located)
    n++
  }
  return n
}

describe('fuzz: nft parser', () => {
  it(`mutated corpus and hostile text: a result or a located syntax error, each within the hang bound (CASE_MS) (${fuzzCases(1500)} cases)`, () => {
    expect(corpus.length).toBeGreaterThan(10)
    expect(fuzz(fuzzCases(1500))).toBe(fuzzCases(1500))
    // Afterwards the parser still works.
    expect(parseNft('table ip t {\n chain c {\n  tcp dport 22 accept\n }\n}\n').operations.length).toBe(3)
    expect(rule`tcp dport ${[22, 80]} accept`.exprs.length).toBe(2)
  }, 120_000)

  it('can fail: the harness refuses a raw error, an unbounded message and a slow case', () => {
    expect(() => checkCase('raw', () => [].map.call(null, () => 0), located)).toThrow(/raw TypeError/)
    expect(() => checkCase('long', () => {
      throw new NftSyntaxError('x'.repeat(5000), '', 1, 1)
    }, located)).toThrow(/a message of/)
    expect(() => checkCase('slow', () => {
      const t = performance.now()
      while (performance.now() - t < 120);
    }, located, 100)).toThrow(/took/)
  })

  it('regression: 50 MB of blank lines parse in linear time, a long line is quoted by an excerpt', () => {
    const t0 = performance.now()
    expect(parseNft(`${'\n'.repeat(50_000_000)}table ip t {\n}\n`).operations.length).toBe(1)
    expect(performance.now() - t0).toBeLessThan(20_000)
    try {
      parseNft(`table ip t { ${'x'.repeat(10_000_000)} }`)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(NftSyntaxError)
      expect((e as Error).message.length).toBeLessThan(500)
    }
  }, 60_000)
})
