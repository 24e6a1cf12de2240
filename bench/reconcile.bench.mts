/**
 * Reconcile latency for a pod-IP allow-list (one IP replaced per reconcile), at
 * 1k/10k/100k elements: the one-shot reconcile (list + plan + commit) and the
 * long-lived Reconciler (plan from memory + commit). Run inside a throwaway
 * namespace: `unshare -n npx tsx bench/reconcile.bench.mts`.
 */
import { createClient } from '../lib/index.js'
import { applyToModel } from '../lib/nft/model.js'
import { parseNft } from '../lib/nft/parser.js'
import { Reconciler, reconcileSync } from '../lib/reconcile.js'
const fw = (pods: string[]) => `table inet fw {\n set pods { type ipv4_addr; elements = { ${pods.join(', ')} } }\n chain fwd {\n type filter hook forward priority filter; policy drop;\n ct state established,related accept comment "est"\n ip daddr @pods accept comment "pods"\n }\n}\n`
const nft = createClient()
for (const n of [1000, 10000, 100000]) {
  const pods = Array.from({ length: n }, (_, i) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`)
  reconcileSync(nft, applyToModel(parseNft(fw(pods)).operations))
  const times: number[] = []
  for (let k = 0; k < 20; k++) {
    pods[k] = `10.250.${k >> 8}.${k & 255}`
    const desired = applyToModel(parseNft(fw(pods)).operations)
    const t0 = performance.now()
    const r = reconcileSync(nft, desired)
    times.push(performance.now() - t0)
    if (r.messages !== 4) throw new Error(`messages ${r.messages}`)
  }
  times.sort((a, b) => a - b)
  console.log(`N=${n}: reconcile one pod IP replaced (list + plan + commit): p50 ${times[10].toFixed(2)} ms, max ${times[19].toFixed(2)} ms, 4 messages per batch`)
}
nft.close()
{
  const nft2 = createClient()
  for (const n of [1000, 10000, 100000]) {
    const pods = Array.from({ length: n }, (_, i) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`)
    const rec = new Reconciler(nft2)
    rec.reconcileSync(applyToModel(parseNft(fw(pods)).operations))
    pods[0] = '10.251.0.0'
    rec.reconcileSync(applyToModel(parseNft(fw(pods)).operations))
    const times: number[] = []
    for (let k = 1; k <= 20; k++) {
      pods[k] = `10.251.${k >> 8}.${k & 255}`
      const desired = applyToModel(parseNft(fw(pods)).operations)
      const t0 = performance.now()
      rec.reconcileSync(desired)
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    console.log(`N=${n}: long-lived Reconciler, one pod IP replaced (plan from memory + commit): p50 ${times[10].toFixed(2)} ms, max ${times[19].toFixed(2)} ms, kernel reads ${rec.reads}`)
  }
  nft2.close()
}
