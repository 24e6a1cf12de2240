import { NetpolBed } from '/work/wt-npbed/test/testbed/netpol/bed.js'
const t0 = performance.now()
const bed = await NetpolBed.build('np')
console.log('built', (performance.now()-t0).toFixed(0), 'ms', bed.namespaces().length)
try {
  for (let i = 0; i < 2; i++) {
    const t1 = performance.now()
    const r = await bed.matrix({ timeoutMs: 600 })
    const by: Record<string, number> = {}
    for (const x of r) { const k = `${x.proto}/${x.to.endsWith('@6') ? 6 : 4}/${x.outcome}`; by[k] = (by[k] ?? 0) + 1 }
    console.log('matrix', r.length, (performance.now()-t1).toFixed(0), 'ms', by)
    const bad = r.filter(x => x.outcome !== 'open').slice(0, 5)
    console.log(bad)
  }
  await bed.nft(`table inet t {
 chain f {
 type filter hook forward priority 0; policy drop;
 ct state established,related accept
 ip daddr 10.10.1.0/24 drop
 ip6 daddr fd00:10:10:1::/64 drop
 accept
 }
}
`)
  const t2 = performance.now()
  const r = await bed.matrix({ timeoutMs: 600 })
  const by: Record<string, number> = {}
  for (const x of r) { const dst = x.to.split('/')[0]; const k = `${dst==='x'?'to-x':'other'}/${x.proto}/${x.outcome}`; by[k] = (by[k] ?? 0) + 1 }
  console.log('deny to x', r.length, (performance.now()-t2).toFixed(0), 'ms', by)
} finally { await bed.destroy() }
