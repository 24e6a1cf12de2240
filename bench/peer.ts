/**
 * nftkit as a peer of ../shared/peers: reads CASE lines on stdin, runs the
 * workload (bench/workloads.ts), answers RESULT lines (see
 * ../shared/peers/README.md). NFTKIT_BENCH_API=sync|async selects the API
 * (default sync).
 * @module
 */
import { createInterface } from 'node:readline'
import { type Api, runCase } from './workloads.js'

const api: Api = process.env.NFTKIT_BENCH_API === 'async' ? 'async' : 'sync'
const KNOWN = new Set(['W0', 'W1', 'W2', 'W3', 'W4'])

async function answer(kv: Record<string, string>): Promise<string> {
  if (!KNOWN.has(kv.w)) return `SKIP w=${kv.w} n=${kv.n} reason=unknown-workload`
  const res = await runCase(kv.w, Number(kv.n), Number(kv.r), { ops: Number(kv.ops), budgetMs: Number(kv.budget_ms) }, api)
  return `RESULT w=${kv.w} n=${kv.n} verified=${res.verified ? 'yes' : 'no'} note=${res.note} samples_us=${res.samples.map((s) => s.toFixed(1)).join(',')}`
}

console.log(`READY peer=nftkit-${api} version=0.1.0`)
const rl = createInterface({ input: process.stdin })
let chain = Promise.resolve()
rl.on('line', (line) => {
  chain = chain.then(async () => {
    if (line === 'QUIT') {
      rl.close()
      return
    }
    if (!line.startsWith('CASE')) return
    const kv = Object.fromEntries(line.split(' ').slice(1).map((f) => f.split('=')))
    console.log(await answer(kv))
  })
})
