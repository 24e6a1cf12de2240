/**
 * Concurrent writers on one namespace: four processes reconcile their own
 * tables as fast as they can. The generation covers the whole namespace, so
 * they keep invalidating each other's plans; each must re-plan until it gets
 * in (lib/reconcile/retry.ts) and none may fail or lose an update.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeNetns, type Netns } from '../helpers/netns.js'

const ROOT = join(import.meta.dirname, '..', '..')
const WRITERS = 4
const ROUNDS = 60

function writer(ns: string, i: number): string {
  return `import { createClient, parseNft, applyToModel, reconcileSync } from ${JSON.stringify(join(ROOT, 'lib', 'index.ts'))}
const client = createClient({ netns: ${JSON.stringify(ns)} })
// All writers start together: ready on stdout, then wait for a line on stdin.
console.log('ready')
await new Promise((r) => process.stdin.once('data', r))
process.stdin.pause()
let retries = 0, failures = 0, maxRetries = 0
const t0 = performance.now()
for (let k = 1; k <= ${ROUNDS}; k++) {
  const text = 'table inet w${i} {\\n  set s { type ipv4_addr; elements = { 10.${i}.0.' + k + ' } }\\n  chain c {\\n    tcp dport ' + (1000 + k) + ' accept comment "r"\\n  }\\n}\\n'
  try {
    const r = reconcileSync(client, applyToModel(parseNft(text).operations))
    retries += r.retries
    maxRetries = Math.max(maxRetries, r.retries)
  } catch (e) {
    failures++
    console.error(String(e.message))
  }
}
console.log(JSON.stringify({ retries, maxRetries, failures, ms: Math.round(performance.now() - t0) }))
client.close()
`
}

type Run = { ready: Promise<void>; go: () => void; done: Promise<{ code: number | null; out: string; err: string }> }

function run(file: string): Run {
  const p = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT })
  let out = ''
  let err = ''
  let ready: () => void = () => {}
  const isReady = new Promise<void>((r) => {
    ready = r
  })
  p.stdout.on('data', (d) => {
    out += String(d)
    if (out.includes('ready\n')) ready()
  })
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    p.stderr.on('data', (d) => {
      err += String(d)
    })
    p.on('exit', (code) => resolve({ code, out: out.replace('ready\n', ''), err }))
  })
  return { ready: isReady, go: () => p.stdin.write('go\n'), done }
}

describe('concurrent writers', () => {
  let ns: Netns
  beforeAll(() => {
    ns = makeNetns('conc')
  })
  afterAll(() => ns?.remove())

  it(`${WRITERS} processes x ${ROUNDS} reconciles of their own tables: no failure, no lost update`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftkit-conc-'))
    const files = Array.from({ length: WRITERS }, (_, i) => {
      const f = join(dir, `w${i}.mts`)
      writeFileSync(f, writer(ns.name, i))
      return f
    })
    const runs = files.map(run)
    await Promise.all(runs.map((r) => r.ready))
    for (const r of runs) r.go()
    const results = await Promise.all(runs.map((r) => r.done))
    const stats = results.map((r) => {
      expect(r.err).toBe('')
      expect(r.code).toBe(0)
      return JSON.parse(r.out.trim().split('\n').pop() as string) as { retries: number; maxRetries: number; failures: number; ms: number }
    })
    console.log(`concurrent writers: ${JSON.stringify(stats)}`)
    for (const s of stats) expect(s.failures).toBe(0)
    const text = ns.ruleset()
    for (let i = 0; i < WRITERS; i++) {
      expect(text).toContain(`table inet w${i} {`)
      expect(text).toContain(`elements = { 10.${i}.0.${ROUNDS} }`)
      expect(text).toContain(`tcp dport ${1000 + ROUNDS} accept comment "r"`)
    }
  })
})
