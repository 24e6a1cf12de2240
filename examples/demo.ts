/**
 * `npm run demo`: a small provider-protection firewall programmed through
 * nftkit in a sandbox network namespace (never the host's), read back, changed
 * one pod IP at a time, then removed. The full multi-cluster datapath demo
 * arrives with the provider-protection issue.
 */
import { execFileSync } from 'node:child_process'
import { createClient, NftError, renderRuleBody } from '../lib/index.js'

const ns = `nftkit-demo-${process.pid}`
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)
const cleanup = () => {
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
  } catch {
    /* already gone */
  }
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130))

execFileSync('ip', ['netns', 'add', ns])
console.log(bold(`sandbox network namespace: ${ns}`))

const nft = createClient({ netns: ns, family: 'inet', table: 'liqo-gw' })

// 1. One atomic batch: table, default-deny chain, allow-list set, rules.
const tx = nft.transaction()
tx.add({ kind: 'table' })
tx.add({ kind: 'chain', name: 'forward', type: 'filter', hook: 'forward', priority: 'filter', policy: 'drop' })
tx.add({ kind: 'set', name: 'offloaded-pods', type: 'ipv4_addr', flags: ['interval'], elements: ['10.200.1.10', '10.200.1.11', '10.200.2.0/28'] })
tx.add({ kind: 'rule', chain: 'forward', comment: 'return traffic', exprs: [{ match: 'ct state', value: ['established', 'related'] }, { stmt: 'accept' }] })
tx.add({
  kind: 'rule',
  chain: 'forward',
  comment: 'consumer-a to its offloaded pods',
  exprs: [
    { match: 'meta iifname', value: 'liqo-tunnel' },
    { match: 'ip saddr', value: '10.70.0.0/16' },
    { match: 'ip daddr', value: { set: 'offloaded-pods' } },
    { stmt: 'counter' },
    { stmt: 'accept' },
  ],
})
tx.add({ kind: 'rule', chain: 'forward', comment: 'everything else', exprs: [{ stmt: 'counter' }, { stmt: 'reject', with: { icmpx: 'admin-prohibited' } }] })
console.log(bold('\n1. transaction (one netlink batch):'))
console.log(String(tx))
const res = nft.commitSync(tx)
console.log(`committed: ${res.messages} netlink messages, ${res.bytes} bytes; rule handles ${res.handles.slice(3).join(', ')}`)

// 2. Read back through our own netlink dump, and through the nft binary.
const listing = nft.listSync()
console.log(bold(`\n2. read back with nftkit (generation ${listing.genId}):`))
for (const r of listing.rules) console.log(`  [handle ${r.handle}] ${renderRuleBody(r)}`)
console.log(`  set offloaded-pods = { ${listing.sets[0].elements.join(', ')} }`)
console.log(bold('\n   and with `nft list ruleset`:'))
console.log(execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).trimEnd())

// 3. A pod comes and goes: one element per batch, never a reload.
console.log(bold('\n3. pod churn: one element per commit'))
const times: number[] = []
for (let i = 0; i < 200; i++) {
  const pod = `10.200.3.${(i % 250) + 1}`
  const add = nft.transaction().add({ kind: 'element', set: 'offloaded-pods', elements: [pod] })
  let t = process.hrtime.bigint()
  nft.commitSync(add)
  times.push(Number(process.hrtime.bigint() - t) / 1000)
  const del = nft.transaction().delete({ kind: 'element', set: 'offloaded-pods', elements: [pod] })
  t = process.hrtime.bigint()
  nft.commitSync(del)
  times.push(Number(process.hrtime.bigint() - t) / 1000)
}
times.sort((a, b) => a - b)
console.log(`  400 single-element commits: p50 ${times[199].toFixed(0)} µs, p99 ${times[395].toFixed(0)} µs`)

// 4. Errors name the operation and keep the kernel unchanged.
console.log(bold('\n4. a refused batch changes nothing:'))
const bad = nft.transaction()
bad.add({ kind: 'element', set: 'offloaded-pods', elements: ['10.200.9.9'] })
bad.delete({ kind: 'chain', name: 'does-not-exist' })
try {
  nft.commitSync(bad)
} catch (e) {
  if (!(e instanceof NftError)) throw e
  console.log(`  NftError ${e.code} at operation ${e.index}: ${e.message}`)
}
const still = nft.listSync().sets[0].elements
console.log(`  10.200.9.9 in the set afterwards: ${still.includes('10.200.9.9')}`)

// 5. Validation happens before anything reaches the kernel.
console.log(bold('\n5. bad input is rejected with its field path:'))
try {
  nft.transaction().add({ kind: 'rule', chain: 'forward', exprs: [{ match: 'ip saddr', value: '10.0.0.5/24' }, { stmt: 'accept' }] })
} catch (e) {
  console.log(`  ${(e as Error).message}`)
}

nft.close()
cleanup()
console.log(bold(`\nremoved ${ns}; the host ruleset was never touched.`))
