/**
 * W7 taken apart (bench/README.md, "W7 taken apart"): the W7 schedule (W2's
 * one-element add or delete on the 1k interval set, 50 ms idle before each
 * operation) with each step of a commit timed on its own, beside the addon
 * alone and the C floor, each in its own fresh network namespace:
 *
 *   node --import tsx bench/w7-steps.ts [--ops 200] [--idle 50] [--warm]
 *
 * Steps: `client.transaction()` plus `tx.add`/`tx.delete` (build),
 * `tx.prepare()`, `client.commitSync(prepared)` (encode, addon, kernel,
 * result); then the same operations with the batches encoded beforehand and
 * only the addon's `Socket.commitSync(bytes)` timed (and, by the addon's own
 * clock, its sendmsg() until the END ack: the kernel's part); then
 * bench/c/floor. The
 * numbers say where a cold one-element commit spends its time, not how fast
 * it is: run it on a quiet machine and compare within one run.
 * @module
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { encodeOps } from '../lib/batch/wire.js'
import { loadBinding } from '../lib/io/native.js'
import { cFloorSamples } from './c/floor.js'
import { createClient } from './nftkit.js'
import { percentile, requireOwnNetns } from './table.js'
import { SET, TABLE, w2Element, w2Tx } from './workloads.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const args = process.argv.slice(2)
const opt = (name: string, dflt: string): string => (args.includes(name) ? (args[args.indexOf(name) + 1] ?? dflt) : dflt)
const OPS = Number(opt('--ops', '200'))
const IDLE_MS = Number(opt('--idle', '50'))
const WARM = args.includes('--warm')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const p50 = (xs: number[]) => percentile(xs, 0.5).toFixed(1)

/** Builds the W7 state (W1 at N = 1000) with bench/w7.ts's own setup, in another process of this namespace. */
function setup(): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${here}w7.ts`, '--setup', '--n', '1000'], { stdio: 'inherit' })
  if (r.status !== 0) throw new Error(`w7 setup failed (${r.status ?? r.signal})`)
}

/** The library's steps, timed one by one. */
async function steps(): Promise<void> {
  const client = createClient({ family: 'inet', table: TABLE, warmUp: WARM })
  client.listSync({ table: TABLE })
  const els = Array.from({ length: OPS }, (_, i) => w2Element(i >> 1))
  const build: number[] = []
  const prepare: number[] = []
  const commit: number[] = []
  const total: number[] = []
  for (let i = 0; i < OPS; i++) {
    if (i > 0) await sleep(IDLE_MS)
    const t0 = performance.now()
    const tx = w2Tx(client, SET, i, els[i])
    const t1 = performance.now()
    const p = tx.prepare()
    const t2 = performance.now()
    client.commitSync(p)
    const t3 = performance.now()
    build.push((t1 - t0) * 1000)
    prepare.push((t2 - t1) * 1000)
    commit.push((t3 - t2) * 1000)
    total.push((t3 - t0) * 1000)
  }
  client.close()
  console.log(JSON.stringify({ build: p50(build), prepare: p50(prepare), commit: p50(commit), total: p50(total) }))
}

/** The addon alone: the same batches encoded beforehand, only `Socket.commitSync(bytes)` timed. */
async function addon(): Promise<void> {
  const client = createClient({ family: 'inet', table: TABLE })
  client.listSync({ table: TABLE })
  // Each batch copied into one large buffer and passed as a view of it, as
  // encodeOps passes its scratch buffer: a typed array of 64 bytes or less made
  // on its own lives on V8's heap, and the addon reading it would first have to
  // move it off the heap (a cost the library's own path never pays).
  const scratch = new Uint8Array(OPS * 256)
  const wires = Array.from({ length: OPS }, (_, i) => {
    const w = encodeOps(w2Tx(client, SET, i, w2Element(i >> 1)).prepare().ops)
    scratch.set(w, i * 256)
    return scratch.subarray(i * 256, i * 256 + w.length)
  })
  client.close()
  const sock = new (loadBinding().Socket)()
  const samples: number[] = []
  const kernel: number[] = []
  for (let i = 0; i < OPS; i++) {
    if (i > 0) await sleep(IDLE_MS)
    const t = performance.now()
    sock.commitSync(wires[i])
    samples.push((performance.now() - t) * 1000)
    kernel.push(sock.stats[0]) // the addon's own clock: sendmsg() until the END ack was read
  }
  sock.close()
  console.log(JSON.stringify({ addon: p50(samples), kernel: p50(kernel) }))
}

/** The C floor (bench/c/floor), in this namespace. */
function floor(): void {
  console.log(JSON.stringify({ c: p50(cFloorSamples(OPS, IDLE_MS)) }))
}

/** One part in this (fresh) namespace: setup elsewhere, settle, then the part. */
async function part(which: string): Promise<void> {
  const probe = createClient()
  requireOwnNetns(() => probe.listSync({ elements: false }).tables.length > 0)
  probe.close()
  setup()
  await sleep(50)
  if (which === 'steps') await steps()
  else if (which === 'addon') await addon()
  else floor()
}

/** Every part in its own `unshare -n` process, one line of results. */
function all(): void {
  const out: Record<string, string> = {}
  for (const which of ['steps', 'addon', 'c']) {
    process.stderr.write(`w7-steps: ${which}\n`)
    const pass = ['--ops', String(OPS), '--idle', String(IDLE_MS), ...(WARM ? ['--warm'] : [])]
    const r = spawnSync('unshare', ['-n', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--part', which, ...pass], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    const line = r.stdout.split('\n').find((l) => l.startsWith('{'))
    if (!line) throw new Error(`w7-steps ${which} printed nothing (exit ${r.status ?? r.signal})`)
    Object.assign(out, JSON.parse(line))
  }
  console.log(`W7 steps, p50 µs (${OPS} operations, ${IDLE_MS} ms idle${WARM ? ', warmUp' : ''}):`)
  console.log(`  build ${out.build}  prepare ${out.prepare}  commit ${out.commit}  total ${out.total}  |  addon alone ${out.addon} (send to ack ${out.kernel})  |  C floor ${out.c}`)
}

if (args.includes('--part')) await part(opt('--part', 'steps'))
else all()
