/**
 * The layering rule of docs/architecture.md, checked: every file under lib/
 * imports only from its own layer or the layers below it, and no import
 * cycle exists (type-only imports count: a type that belongs higher up is in
 * the wrong layer).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const LIB = resolve(import.meta.dirname, '..', '..', 'lib')

/** Bottom to top; a layer may import its own folder and every folder before it. */
const LAYERS = [
  'kernel',
  'model',
  'elements',
  'expr',
  'batch',
  'io',
  'state',
  'reconcile',
  'nft',
  'testing',
  'liqo',
  'policies',
  'netpol',
  'sources',
  'controller',
  'cli',
  'index.ts',
] as const

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), m[1]).replace(/\.js$/, '.ts')
    if (target.startsWith(LIB)) out.push(target)
  }
  return out
}

const layerOf = (file: string) => relative(LIB, file).split('/')[0]

describe('lib/ layering', () => {
  const files = sources(LIB)
  const graph = new Map(files.map((f) => [f, importsOf(f)]))

  it('puts every file in a known layer', () => {
    const unknown = files.map(layerOf).filter((l) => !(LAYERS as readonly string[]).includes(l))
    expect(unknown).toEqual([])
  })

  it('imports only downward', () => {
    const up: string[] = []
    for (const [f, deps] of graph) {
      const from = LAYERS.indexOf(layerOf(f) as (typeof LAYERS)[number])
      for (const d of deps) {
        const to = LAYERS.indexOf(layerOf(d) as (typeof LAYERS)[number])
        if (to > from) up.push(`${relative(LIB, f)} -> ${relative(LIB, d)}`)
      }
    }
    expect(up).toEqual([])
  })

  it('has no import cycles', () => {
    const cycles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const stack: string[] = []
    const visit = (f: string) => {
      state.set(f, 'open')
      stack.push(f)
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => relative(LIB, x)).join(' -> '))
        else if (!state.has(d)) visit(d)
      }
      stack.pop()
      state.set(f, 'done')
    }
    for (const f of files) if (!state.has(f)) visit(f)
    expect(cycles).toEqual([])
  })
})
