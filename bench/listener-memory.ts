/**
 * `npm run bench:listener`: the kernel memory a large batch takes while
 * something listens to nf_tables notifications. Commits N elements to a hash
 * set in a fresh namespace, with and without `nft monitor` running there, and
 * reports the largest drop of MemAvailable seen during the commit (sampled
 * every 2 ms by a separate process, since the commit blocks this one). A
 * sample can miss the peak, never exceed it by much, so the largest of several
 * runs is reported; the machine's other activity adds noise.
 *
 * Options: `--n 100000`, `--runs 3`.
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createClient } from './nftkit.js'

const args = process.argv.slice(2)
const opt = (name: string, dflt: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt)
const n = Number(opt('n', '100000'))
const runs = Number(opt('runs', '3'))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const SAMPLER = `while :; do grep MemAvailable /proc/meminfo; sleep 0.002; done`

/** Peak MemAvailable drop (KiB) while committing n elements, with or without a listener. */
async function once(listener: boolean): Promise<number> {
  const ns = `nftkit-bench-lis-${process.pid}-${randomBytes(3).toString('hex')}`
  execFileSync('ip', ['netns', 'add', ns])
  let mon: ChildProcess | undefined
  const client = createClient({ netns: ns, onWarning: () => {} })
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'nft', 'add table ip t; add set ip t s { type ipv4_addr; size 4000000; }'])
    client.listSync()
    const tx = client.transaction({ family: 'ip', table: 't' })
    const elements: string[] = []
    for (let i = 0; i < n; i++) elements.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
    tx.add({ kind: 'element', set: 's', elements })
    const prepared = tx.prepare()
    if (listener) {
      mon = spawn('ip', ['netns', 'exec', ns, 'nft', 'monitor'], { stdio: 'ignore' })
      await sleep(300)
    }
    const base = Number(/(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8').split('\n').find((l) => l.startsWith('MemAvailable')) ?? '')?.[1])
    const sampler = spawn('sh', ['-c', SAMPLER], { stdio: ['ignore', 'pipe', 'ignore'] })
    let text = ''
    sampler.stdout?.on('data', (d) => {
      text += d
    })
    await sleep(50)
    client.commitSync(prepared)
    await sleep(100)
    sampler.kill()
    const min = Math.min(...[...text.matchAll(/(\d+) kB/g)].map((m) => Number(m[1])))
    return base - min
  } finally {
    mon?.kill()
    client.close()
    execFileSync('ip', ['netns', 'del', ns])
  }
}

async function main(): Promise<void> {
  for (const listener of [false, true]) {
    const kib: number[] = []
    for (let r = 0; r < runs; r++) kib.push(await once(listener))
    const m = Math.max(...kib)
    console.log(
      `n=${n} listener=${listener ? 'nft monitor' : 'none'}: peak kernel memory ${(m / 1024).toFixed(0)} MiB (largest of ${runs}: ${kib.map((k) => (k / 1024).toFixed(0)).join(', ')} MiB), ${((m * 1024) / n / 1024).toFixed(2)} KiB per element`,
    )
  }
}

await main()
