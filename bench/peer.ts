/**
 * nftkit as a peer of ../shared/peers: reads CASE lines on stdin, runs the
 * workload, answers RESULT lines (see ../shared/peers/README.md).
 * NFTKIT_BENCH_API=sync|async selects the API (default sync).
 */
import { createInterface } from 'node:readline'
import { type Api, elem, Runner, SET, verifyW1, w1Input, w1Tx, w2Element, w3Setup, churnRule } from './workloads.js'

const api: Api = process.env.NFTKIT_BENCH_API === 'async' ? 'async' : 'sync'
const now = () => Number(process.hrtime.bigint()) / 1000

async function runCase(kv: Record<string, string>): Promise<string> {
  const w = kv.w
  const n = Number(kv.n)
  const r = Number(kv.r)
  const ops = Number(kv.ops)
  const budget = Number(kv.budget_ms) * 1000
  const run = new Runner(api)
  const samples: number[] = []
  let verified = false
  let note = '-'
  try {
    await run.reset()
    const start = now()
    const more = (i: number) => i < ops && (i === 0 || now() - start < budget)
    if (w === 'W0') {
      for (let i = 0; more(i); i++) {
        const t = now()
        const tx = run.client.transaction()
        await run.commit(tx)
        samples.push(now() - t)
      }
      verified = (await run.list()).tables.length === 0
    } else if (w === 'W1') {
      const input = w1Input(n, r)
      for (let i = 0; more(i); i++) {
        if (i > 0) await run.reset()
        const t = now()
        await run.commit(w1Tx(run, input))
        samples.push(now() - t)
      }
      verified = await verifyW1(run, n, r)
    } else if (w === 'W2') {
      const input = w1Input(n, r)
      run.client.commitSync(w1Tx(run, input))
      for (let i = 0; ; i++) {
        const p = i >> 1
        const el = w2Element(p) // prepared input; building the transaction is timed (WORKLOADS.md)
        const t = now()
        const tx = run.client.transaction()
        if (i % 2 === 0) tx.add({ kind: 'element', set: SET, elements: [el] })
        else tx.delete({ kind: 'element', set: SET, elements: [el] })
        await run.commit(tx)
        samples.push(now() - t)
        if (i % 2 === 1 && !more(i + 1)) break
      }
      verified = await verifyW1(run, n, r)
    } else if (w === 'W3') {
      const handles = await w3Setup(run, n)
      for (let k = 0; more(k) && k < handles.length; k++) {
        const exprs = churnRule(((10 << 24) | (41 << 16)) + k) // prepared input; the transaction is timed
        const t = now()
        const tx = run.client.transaction()
        tx.delete({ kind: 'rule', chain: 'churn', handle: handles[k] })
        tx.add({ kind: 'rule', chain: 'churn', exprs })
        await run.commit(tx)
        samples.push(now() - t)
      }
      const l = await run.list()
      const k = samples.length
      const want = [...Array.from({ length: n - k }, (_, i) => ((10 << 24) | (40 << 16)) + k + i), ...Array.from({ length: k }, (_, i) => ((10 << 24) | (41 << 16)) + i)]
      verified =
        l.rules.length === n &&
        l.rules.every((x, i) => JSON.stringify(x.exprs) === JSON.stringify(churnRule(want[i]).map((e) => e)))
    } else if (w === 'W4') {
      run.client.commitSync(w1Tx(run, w1Input(n, r)))
      let ok = true
      for (let i = 0; more(i); i++) {
        const t = now()
        const l = await run.list()
        samples.push(now() - t)
        const set = l.sets[0]
        ok &&= l.tables.length === 1 && l.chains.length === 1 && l.sets.length === 1 && set.elements.length === n && l.rules.length === r
      }
      verified = ok && (await run.list()).sets[0].elements[n - 1] === elem(n - 1)
    } else {
      return `SKIP w=${w} n=${kv.n} reason=unknown-workload`
    }
  } catch (e) {
    note = String((e as { code?: string }).code ?? 'error')
    process.stderr.write(`${(e as Error).stack}\n`)
  } finally {
    run.close()
  }
  return `RESULT w=${w} n=${kv.n} verified=${verified ? 'yes' : 'no'} note=${note} samples_us=${samples.map((s) => s.toFixed(1)).join(',')}`
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
    console.log(await runCase(kv))
  })
})
