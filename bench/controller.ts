/**
 * The controller's costs, measured: `nftkit controller` (dist/cli.js when
 * built, else lib/ through tsx) as its own process against the API server
 * stand-in and a throwaway namespace.
 *
 * - per event: API calls (from the stand-in's request log; the open watch
 *   stream not counted), batches and netlink messages (the controller's
 *   `reconciled` log lines);
 * - idle: CPU time and RSS of the controller process over 30 s with 10
 *   objects applied and nothing changing;
 * - latency: from the stand-in writing a watch event to the kernel's
 *   notification of the resulting commit (a Monitor in this process), over
 *   50 changes one after another.
 *
 * Run: `unshare -n node --import tsx bench/controller.ts` (root). IDLE_S=30 CHANGES=50.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createMonitor } from '../lib/io/monitor.js'
import { fwc, type KubeObject, startApiServer } from '../test/helpers/apiserver.js'
import { makeNetns } from '../test/helpers/netns.js'
import { until } from '../test/helpers/wait.js'

const ROOT = resolve(import.meta.dirname, '..')
const IDLE_S = Number(process.env.IDLE_S ?? 30)
const CHANGES = Number(process.env.CHANGES ?? 50)
const rules = (o: KubeObject) => (o.spec as { table: { chains: Array<{ rules: { filterRules: unknown[] } }> } }).table.chains[0].rules.filterRules

const api = await startApiServer()
const ns = makeNetns('bench-ctl')
const dist = join(ROOT, 'dist', 'cli.js')
const cmd = existsSync(dist) ? [dist] : ['--import', 'tsx', join(ROOT, 'lib', 'cli', 'main.ts')]
for (let i = 0; i < 10; i++) api.create(fwc(`fw${i}`, `t${i}`, [1000 + i, 2000 + i]))
const child = spawn(process.execPath, [...cmd, 'controller', '--kubeconfig', api.kubeconfig(), '--netns', ns.name, '--host', 'bench', '--log-format', 'json', '--selector', 'networking.liqo.io/firewall-category=gateway'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
const lines: Array<Record<string, unknown>> = []
let buf = ''
child.stderr.on('data', (d) => {
  buf += d
  for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
    try {
      lines.push(JSON.parse(buf.slice(0, i)))
    } catch {}
    buf = buf.slice(i + 1)
  }
})
const pid = child.pid!
const reconciled = () => lines.filter((l) => l.msg === 'reconciled')
const t0 = performance.now()
await until(() => reconciled().length >= 1 && [...api.objects.values()].every((o) => o.status), 60_000, 20)
console.log(`start to first reconcile of 10 objects: ${(performance.now() - t0).toFixed(0)} ms (${cmd[0].endsWith('cli.js') ? 'dist/cli.js' : 'tsx'})`)
console.log(`first reconcile: ${JSON.stringify(pick(reconciled()[0]))}; API calls: ${JSON.stringify(verbs(0))}`)

/** Runs one event and reports the API calls and reconciles it caused (after things settle). */
async function event(name: string, f: () => void): Promise<void> {
  await new Promise((r) => setTimeout(r, 300))
  const calls = api.calls.length
  const n = reconciled().length
  f()
  await new Promise((r) => setTimeout(r, 700))
  const recs = reconciled().slice(n).map(pick)
  console.log(`${name.padEnd(34)} API calls ${JSON.stringify(verbs(calls))}, reconciles ${JSON.stringify(recs)}`)
}
function verbs(from: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const c of api.calls.slice(from)) if (c.verb !== 'watch' || c.status !== 200) out[c.verb] = (out[c.verb] ?? 0) + 1
  for (const c of api.calls.slice(from)) if (c.verb === 'watch') out.watch = (out.watch ?? 0) + 1
  return out
}
function pick(l: Record<string, unknown>) {
  return { operations: l.operations, batches: l.batches, messages: l.messages, statusWrites: l.statusWrites, events: l.events }
}

await event('add (new object)', () => api.create(fwc('new', 'tnew', [1, 2, 3])))
await event('modify (one rule added)', () => api.update('liqo', 'new', (o) => rules(o).push(rules(fwc('x', 'x', [4]))[0])))
await event('modify (labels only)', () => api.update('liqo', 'new', (o) => (o.metadata.labels = { ...o.metadata.labels, extra: 'x' })))
await event('status by another host', () => api.setStatus('liqo', 'new', { conditions: [...((api.objects.get('liqo/new')!.status as { conditions: unknown[] }).conditions ?? []), { host: 'other', type: 'Applied', status: 'True', lastTransitionTime: new Date().toISOString() }] }))
await event('invalid spec', () => api.update('liqo', 'new', (o) => ((rules(o)[0] as { action: string }).action = 'bogus')))
await event('fixed again', () => api.update('liqo', 'new', (o) => ((rules(o)[0] as { action: string }).action = 'accept')))
await event('deselect (label removed)', () => api.update('liqo', 'new', (o) => (o.metadata.labels = {})))
await event('delete', () => api.delete('liqo', 'fw9'))
await event('watch closed by the server', () => api.closeWatches())
await event('410 Gone', () => api.expireWatches())
await event('drift (nft deletes a rule)', () => ns.nft('flush', 'chain', 'ip', 't0', 'in'))

// Idle.
await new Promise((r) => setTimeout(r, 2000))
const cpu = () => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) / 100 // utime + stime, in clock ticks of 1/100 s
}
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
const c0 = cpu()
const idleCalls = api.calls.length
const rssStart = rss()
await new Promise((r) => setTimeout(r, IDLE_S * 1000))
const c1 = cpu()
console.log(`idle ${IDLE_S} s: CPU ${((c1 - c0) * 1000).toFixed(0)} ms (${(((c1 - c0) / IDLE_S) * 100).toFixed(2)} % of a core), RSS ${rssStart.toFixed(1)} -> ${rss().toFixed(1)} MiB, API calls ${api.calls.length - idleCalls}`)

// Latency: watch event written -> kernel notification of the commit.
const mon = createMonitor({ netns: ns.name })
let seen: number | undefined
mon.on('commit', (c) => {
  if (c.changes.some((x) => x.table === 't1')) seen = performance.now()
})
const lat: number[] = []
for (let i = 0; i < CHANGES; i++) {
  seen = undefined
  const o = api.update('liqo', 'fw1', (x) => {
    const r = rules(x)
    if (r.length > 2) r.pop()
    else r.push(rules(fwc('x', 'x', [3000 + i]))[0])
  })
  const sent = api.emittedAt.get(Number(o.metadata.resourceVersion))!
  await until(() => seen !== undefined, 5000, 1)
  if (seen !== undefined) lat.push(seen - sent)
  await new Promise((r) => setTimeout(r, 20))
}
lat.sort((a, b) => a - b)
const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2)
console.log(`object change -> kernel change over ${lat.length} changes: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms, min ${lat[0].toFixed(2)} ms`)
mon.close()
child.kill('SIGTERM')
const code = await new Promise((r) => child.on('exit', r))
console.log(`SIGTERM: exit ${code}; last log line: ${JSON.stringify(lines.at(-1)?.msg)}`)
await api.stop()
ns.remove()
