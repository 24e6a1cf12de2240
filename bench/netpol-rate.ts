/**
 * `npm run bench:netpol-rate`: the per-connection cost of NetworkPolicy
 * enforcement as the number of policies grows — the node-policy proposal's
 * measurement (a linear iptables-style chain lost 9 % of its TCP connection
 * rate at 50 rules and 13.6 % at 100) reproduced with nftkit beside it.
 *
 * Three namespaces: a client pod, the node (forwarding, where the rules are),
 * a server pod. N policies each select their own server pod and allow one
 * peer pod on TCP port 80; the measured server and client are the last pair
 * (the worst case for a list walked in order; bench/netpol/policies.ts).
 * Variants, for N = 10, 100, 1000:
 * - `none`: no ruleset (the floor);
 * - `linear`: one rule per allowed peer and port in a forward chain, after
 *   `ct state established,related accept` (the iptables style);
 * - `nftkit`: the table nftkit's NetworkPolicy compiler makes of the same N
 *   policies (dispatch by address through a verdict map, peers in sets).
 * The client connects and closes one connection at a time for `--secs`
 * seconds (bench/netpol/connrate.c); the rate is the inverse of the cost of a
 * connection. Writes the table to stdout and the chart to
 * bench/netpol-rate.svg. Options: `--secs 3`, `--rounds 2`, `--ns 10,100,1000`.
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connRateChart, type RatePoint } from './netpol/chart.js'
import { benchCluster, linearRuleset } from './netpol/policies.js'
import { compileNetworkPolicies, createClient, desiredTables, reconcileSync } from './nftkit.js'

const args = process.argv.slice(2)
const opt = (name: string, dflt: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt)
const secs = Number(opt('secs', '3'))
const rounds = Number(opt('rounds', '2'))
const sizes = opt('ns', '10,100,1000').split(',').map(Number)
const HERE = import.meta.dirname

const tag = `${process.pid}-${randomBytes(2).toString('hex')}`
const NS = { cli: `nftkit-bench-cli-${tag}`, node: `nftkit-bench-node-${tag}`, srv: `nftkit-bench-srv-${tag}` }
const CLIENT = '10.10.1.2'
const SERVER = '10.10.2.2'

const sh = (cmd: string, ...a: string[]) => execFileSync(cmd, a, { encoding: 'utf8' })
const inNs = (ns: string, ...a: string[]) => sh('ip', 'netns', 'exec', ns, ...a)

function topology(): void {
  for (const ns of Object.values(NS)) sh('ip', 'netns', 'add', ns)
  sh('ip', 'link', 'add', 'c0', 'netns', NS.cli, 'type', 'veth', 'peer', 'name', 'nc', 'netns', NS.node)
  sh('ip', 'link', 'add', 's0', 'netns', NS.srv, 'type', 'veth', 'peer', 'name', 'ns', 'netns', NS.node)
  inNs(NS.cli, 'ip', 'addr', 'add', `${CLIENT}/24`, 'dev', 'c0')
  inNs(NS.srv, 'ip', 'addr', 'add', `${SERVER}/24`, 'dev', 's0')
  inNs(NS.node, 'ip', 'addr', 'add', '10.10.1.1/24', 'dev', 'nc')
  inNs(NS.node, 'ip', 'addr', 'add', '10.10.2.1/24', 'dev', 'ns')
  for (const [ns, devs] of [[NS.cli, ['lo', 'c0']], [NS.srv, ['lo', 's0']], [NS.node, ['lo', 'nc', 'ns']]] as const)
    for (const d of devs) inNs(ns, 'ip', 'link', 'set', d, 'up')
  inNs(NS.cli, 'ip', 'route', 'add', 'default', 'via', '10.10.1.1')
  inNs(NS.srv, 'ip', 'route', 'add', 'default', 'via', '10.10.2.1')
  inNs(NS.node, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
}

/** Loads nft text with `nft -f`, or the NetworkPolicies of n pairs through nftkit's compiler and reconciler. */
function load(text: string | number): void {
  inNs(NS.node, 'nft', 'flush', 'ruleset')
  if (typeof text === 'number') {
    const client = createClient({ netns: NS.node })
    try {
      reconcileSync(client, desiredTables(compileNetworkPolicies(benchCluster(text, { client: CLIENT, server: SERVER }))))
    } finally {
      client.close()
    }
    return
  }
  if (!text) return
  const dir = mkdtempSync(join(tmpdir(), 'nftkit-rate-'))
  writeFileSync(join(dir, 'r.nft'), text)
  inNs(NS.node, 'nft', '-f', join(dir, 'r.nft'))
}

function measure(): { rate: number; p50: number } {
  const out = inNs(NS.cli, join(HERE, '..', 'build', 'connrate'), 'client', SERVER, '80', String(secs))
  const m = /rate (\d+) p50_us ([\d.]+)/.exec(out)
  if (!m) throw new Error(`connrate said: ${out}`)
  return { rate: Number(m[1]), p50: Number(m[2]) }
}

async function main(): Promise<void> {
  sh('gcc', '-O2', '-o', join(HERE, '..', 'build', 'connrate'), join(HERE, 'netpol', 'connrate.c'))
  topology()
  let server: ChildProcess | undefined
  try {
    server = spawn('ip', ['netns', 'exec', NS.srv, join(HERE, '..', 'build', 'connrate'), 'server', '80'], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve) => server?.stdout?.once('data', () => resolve()))
    const points: RatePoint[] = []
    const run = (variant: string, n: number, text: string | number) => {
      load(text)
      const got = Array.from({ length: rounds }, () => measure())
      const rate = Math.max(...got.map((g) => g.rate)) // the least disturbed round
      const p50 = Math.min(...got.map((g) => g.p50))
      points.push({ variant, n, rate, p50 })
      console.log(`| ${variant} | ${n} | ${rate} | ${p50.toFixed(1)} |`)
    }
    console.log(`connection rate through the node's forward hook, ${secs} s x ${rounds} rounds (best), ${new Date().toISOString()}`)
    console.log('| variant | policies | connections/s | p50 µs |\n|---|---|---|---|')
    run('none', 0, '')
    for (const n of sizes) {
      run('linear', n, linearRuleset(n, { client: CLIENT, server: SERVER }))
      run('nftkit', n, n)
    }
    writeFileSync(join(HERE, 'netpol-rate.svg'), connRateChart(points))
    console.log('chart: bench/netpol-rate.svg')
  } finally {
    server?.kill()
    for (const ns of Object.values(NS)) {
      try {
        sh('ip', 'netns', 'del', ns)
      } catch {
        /* gone */
      }
    }
  }
}

await main()
