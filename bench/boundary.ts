/**
 * The cost of the N-API boundary alone, for the bench README: W2's
 * one-element add/delete on the W1 state at N=1000, committed straight through
 * the addon's Socket.commitSync with native descriptors built once up front.
 * No transaction, no validation, no encoding. What remains over the C floor is
 * the call into the addon, reading the encoded batch, building it with
 * libnftnl, and the result object.
 * Run: `unshare -n node --import tsx bench/boundary.ts`.
 */
import { loadBinding } from './nftkit.js'
import { encodeOps } from '../lib/batch/wire.js'
import { Runner, SET, w1Input, w1Tx, w2Element, w2Tx } from './workloads.js'

const run = new Runner('sync')
await run.reset()
run.client.commitSync(w1Tx(run, w1Input(1000, 100)))
// Encoded once up front (copies: encodeOps reuses its buffer).
const ops = [0, 1].map((i) => encodeOps(w2Tx(run.client, SET, i, w2Element(0)).prepare().ops).slice())
const sock = new (loadBinding().Socket)(undefined)
const n = Number(process.env.N ?? 20000)
const samples: number[] = []
for (let i = 0; i < n; i++) {
  const t = performance.now()
  sock.commitSync(ops[i & 1])
  samples.push((performance.now() - t) * 1000)
}
samples.sort((a, b) => a - b)
console.log(`W2 N=1000 through the addon only: p50 ${samples[Math.ceil(n / 2) - 1].toFixed(1)} µs over ${n} ops`)
sock.close()
run.client.close()
