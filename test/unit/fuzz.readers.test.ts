/**
 * Fuzzes the YAML/JSON readers (FirewallConfiguration readDocuments/validate,
 * readInventory, the Kubernetes manifests of NetworkPolicies and node
 * policies: readClusterManifests, nodePolicyDeclaration) with mutated
 * fixtures and hostile text: anchors and aliases,
 * deep flow sequences, odd scalars and tags. Every case yields documents and
 * problems (each with a path), or an InventoryError, within the hang bound (CASE_MS); never a
 * raw error. `NFTKIT_FUZZ=50000` runs more cases.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readDocuments, validate } from '../../lib/liqo/firewall-configuration.js'
import { InventoryError, readInventory } from '../../lib/policies/validate-inventory.js'
import { NftValidationError } from '../../lib/kernel/errors.js'
import { readClusterManifests } from '../../lib/netpol/manifests.js'
import { nodePolicyDeclaration } from '../../lib/netpol/node-policy.js'
import { networkPolicies } from '../../lib/policies/generate.js'
import { stringify } from 'yaml'
import { SAMPLE_INVENTORY } from '../testbed/sample-inventory.js'
import { checkCase, FUZZ_SEED, fuzzCases, fuzzRng, MESSAGE_MAX } from '../helpers/fuzz.js'

const DIR = join(import.meta.dirname, '../fixtures/liqo')
const INVENTORY = 'provider: {name: p, podCIDR: 10.0.0.0/8, namespaces: [{name: a, pods: [{name: x, ip: 10.0.0.5}]}]}\nconsumers: []\n'
const CLUSTER = readFileSync(join(import.meta.dirname, '../../examples/node-policies/cluster.yaml'), 'utf8')
const corpus = [
  ...readdirSync(DIR).filter((f) => f.endsWith('.yaml') && !f.includes('crd')).map((f) => readFileSync(join(DIR, f), 'utf8')),
  INVENTORY,
  CLUSTER,
  networkPolicies(SAMPLE_INVENTORY).map((p) => stringify(p)).join('---\n'),
]
const PIECES = ['&a ', '*a', '[', ']', '{', '}', ': ', '- ', '\n', '  ', '"', "'", '#', '!!binary ', '!!str ', '!!int ', '!!map ', '!custom ', '? ', '|', '>', '---\n', '...\n', '__proto__: 1\n', 'toString: x\n', '.inf', '.nan', '0x1F', '1e999', '~', 'null', '<<: *a\n', '%YAML 1.1\n']

type R = ReturnType<typeof fuzzRng>

function mutate(r: R, text: string): string {
  let t = text
  for (let k = 1 + r.int(4); k > 0; k--) {
    const at = r.int(t.length + 1)
    const c = r.int(4)
    if (c === 0) t = t.slice(0, at) + t.slice(at + r.int(30))
    else if (c === 1) t = t.slice(0, at) + t.slice(at, at + r.int(200)) + t.slice(at)
    else t = t.slice(0, at) + r.pick(PIECES) + t.slice(at)
  }
  return t
}

function hostile(r: R): string {
  const n = 100 + r.int(20000)
  switch (r.int(6)) {
    case 0:
      return `spec: ${'['.repeat(n)}${']'.repeat(r.int(n))}`
    case 1:
      return `spec: ${'{a: '.repeat(n)}1${'}'.repeat(n)}`
    case 2: {
      // An alias bomb: one anchor, referenced many times.
      const size = 100 + r.int(3000)
      return `kind: FirewallConfiguration\nspec:\n  x:\n    - &a [${Array.from({ length: size }, (_, i) => i).join(',')}]\n${'    - *a\n'.repeat(50 + r.int(200))}`
    }
    case 3: {
      // Billion laughs, a few levels.
      let t = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n'
      for (let i = 1; i < 8; i++) t += `a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]\n`
      return t
    }
    case 4:
      return `a: &x [*x]\nb: &y {k: *y}\n`
    default:
      return `${'a:\n'.repeat(1)}${Array.from({ length: 200 }, (_, i) => `${' '.repeat(i + 2)}k${i}:`).join('\n')} 1\n`
  }
}

function accepted(e: unknown): string | undefined {
  if (e instanceof InventoryError) return e.message.length > 100 * MESSAGE_MAX ? `a message of ${e.message.length} characters` : undefined
  if (e instanceof NftValidationError) return !e.path ? 'an NftValidationError without a path' : e.message.length > MESSAGE_MAX ? `a message of ${e.message.length} characters` : undefined
  return `raw ${(e as Error)?.name}: ${String((e as Error)?.message).slice(0, 200)}`
}

function readBoth(text: string): void {
  const { documents, problems } = readDocuments(text, 'f.yaml')
  for (const p of problems) if (typeof p.path !== 'string' || !p.path || p.message.length > MESSAGE_MAX) throw new Error(`a problem without a path or with a long message: ${JSON.stringify(p).slice(0, 200)}`)
  for (const d of documents) for (const p of validate(d.value)) if (typeof p.path !== 'string' || p.message.length > MESSAGE_MAX) throw new Error(`a bad problem: ${JSON.stringify(p).slice(0, 200)}`)
  // The cluster readers throw NftValidationError with a path (accepted below); the inventory reader, InventoryError.
  try {
    const state = readClusterManifests(documents.map((d) => d.value), 'f.yaml')
    if (state.clusterPolicies.length) nodePolicyDeclaration(state, { node: state.nodes[0]?.name ?? 'worker-1' })
  } catch (e) {
    const bad = accepted(e)
    if (bad) throw e
  }
  readInventory(text, 'inv.yaml')
}

describe('fuzz: YAML/JSON readers', () => {
  it(`mutated fixtures and hostile text: documents and located problems, each within the hang bound (CASE_MS) (${fuzzCases(500)} cases)`, () => {
    const r = fuzzRng(FUZZ_SEED)
    for (let i = 0; i < fuzzCases(500); i++) {
      const text = r.chance(0.1) ? hostile(r) : mutate(r, r.pick(corpus))
      checkCase(`case ${i} (seed ${FUZZ_SEED}) ${JSON.stringify(text.slice(0, 120))}`, () => readBoth(text), accepted)
    }
    // Afterwards the readers still work.
    expect(readInventory(INVENTORY, 'inv.yaml').provider.name).toBe('p')
    const { documents, problems } = readDocuments(corpus[0], 'f.yaml')
    expect(problems).toEqual([])
    expect(documents.length).toBeGreaterThan(0)
    // ... and the cluster manifests the fuzzer mutated read and compile when intact.
    const cluster = readClusterManifests(readDocuments(CLUSTER, 'cluster.yaml').documents.map((d) => d.value), 'cluster.yaml')
    expect(cluster.pods.length).toBeGreaterThan(0)
    expect(nodePolicyDeclaration(cluster, { node: 'worker-1' }).operations.length).toBeGreaterThan(0)
    expect(readClusterManifests(readDocuments(corpus[corpus.length - 1], 'np.yaml').documents.map((d) => d.value)).policies.length).toBeGreaterThan(0)
  }, 120_000)

  it('regressions: deep flow sequences, alias bombs and cycles are problems with a place, at once', () => {
    const t0 = performance.now()
    expect(readDocuments('['.repeat(100_000), 'f.yaml').problems[0]).toMatchObject({ path: 'line 1', message: expect.stringMatching(/nested more than 64 deep/) })
    const bomb = `spec:\n  x:\n    - &a [${Array.from({ length: 2000 }, (_, i) => i).join(',')}]\n${'    - *a\n'.repeat(90)}`
    expect(readDocuments(bomb, 'f.yaml').problems[0].message).toMatch(/alias bomb/)
    expect(readDocuments('a: &x [*x]', 'f.yaml').problems[0]).toMatchObject({ path: 'document 0: a[0]' })
    expect(validate(JSON.parse('{"__proto__": 1}'))[0].path).toBe('__proto__')
    expect(performance.now() - t0).toBeLessThan(5000)
  })

  it('can fail: the harness refuses a raw RangeError', () => {
    expect(() => checkCase('raw', () => {
      throw new RangeError('Maximum call stack size exceeded')
    }, accepted)).toThrow(/raw RangeError/)
  })
})
