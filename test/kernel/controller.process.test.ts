/**
 * `nftkit controller` as a process: JSON log lines, /readyz and /metrics,
 * SIGTERM (the reconcile in flight finishes, exit 0, the kernel holds one
 * whole state), the refusal of plain http without insecure-skip-tls-verify,
 * and the command line's errors.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiServer, fwc, type KubeObject, startApiServer } from '../helpers/apiserver.js'
import { makeNetns, type Netns } from '../helpers/netns.js'
import { until } from '../helpers/wait.js'

const ROOT = resolve(import.meta.dirname, '..', '..')
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'lib', 'cli', 'main.ts')] as const
const rules = (o: KubeObject) => (o.spec as { table: { chains: Array<{ rules: { filterRules: unknown[] } }> } }).table.chains[0].rules.filterRules

let api: ApiServer
let ns: Netns
beforeAll(async () => {
  api = await startApiServer()
  ns = makeNetns('ctl-proc')
})
afterAll(async () => {
  await api.stop()
  ns.remove()
})

interface Running {
  readonly child: ChildProcess
  readonly lines: Array<Record<string, unknown>>
  readonly exited: Promise<number | null>
}

function start(args: string[]): Running {
  const child = spawn(CLI[0], [...CLI.slice(1), 'controller', ...args], { cwd: ROOT })
  const lines: Array<Record<string, unknown>> = []
  let buf = ''
  child.stderr!.on('data', (d) => {
    buf += d
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const l = buf.slice(0, i)
      buf = buf.slice(i + 1)
      try {
        lines.push(JSON.parse(l))
      } catch {
        lines.push({ msg: 'not json', text: l })
      }
    }
  })
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  return { child, lines, exited }
}

describe('nftkit controller (process)', () => {
  it('serves /readyz and /metrics, logs JSON lines, and on SIGTERM finishes and exits 0 leaving one whole state', async () => {
    api.create(fwc('a', 'ta', [22, 80]))
    const p = start(['--kubeconfig', api.kubeconfig(), '--netns', ns.name, '--host', 'gw-proc', '--listen', '127.0.0.1:0', '--log-format', 'json'])
    try {
      expect(await until(() => p.lines.some((l) => l.msg === 'reconciled') && p.lines.some((l) => l.msg === 'serving /healthz /readyz /metrics'), 30_000, 50)).toBe(true)
      expect(p.lines.every((l) => typeof l.time === 'string' && typeof l.level === 'string')).toBe(true)
      const port = p.lines.find((l) => l.msg === 'serving /healthz /readyz /metrics')!.port as number
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
      expect(ready.status).toBe(200)
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      expect(metrics).toMatch(/nftkit_rule_packets_total\{[^}]*rule="port-22"[^}]*\} 0/)
      expect(metrics).toMatch(/nftkit_reconciles_total\{outcome="ok"\} 1/)
      expect(metrics).toMatch(/nftkit_applied_generation \d+/)
      expect(ns.ruleset()).toContain('comment "port-80"')
      expect(api.objects.get('liqo/a')!.status).toEqual({ conditions: [{ host: 'gw-proc', type: 'Applied', status: 'True', lastTransitionTime: expect.any(String) }] })
      // A change and SIGTERM at once: the kernel ends up with the old or the new table, whole.
      api.update('liqo', 'a', (o) => {
        rules(o).push(rules(fwc('x', 'x', [8080]))[0])
        rules(o).shift()
      })
      p.child.kill('SIGTERM')
      expect(await p.exited).toBe(0)
      const text = ns.ruleset()
      const old = text.includes('port-22') && text.includes('port-80') && !text.includes('port-8080')
      const now = !text.includes('port-22') && text.includes('port-80') && text.includes('port-8080')
      expect(old || now).toBe(true)
      expect(p.lines.at(-1)).toMatchObject({ level: 'info', msg: 'controller stopped' })
      // Stopping does not remove the tables (a restart adopts them).
      expect(text).toContain('table ip ta')
    } finally {
      p.child.kill('SIGKILL')
      api.delete('liqo', 'a')
    }
  })

  it('refuses a plain http:// API server unless the kubeconfig sets insecure-skip-tls-verify', () => {
    const before = api.calls.length
    const r = spawnSync(CLI[0], [...CLI.slice(1), 'controller', '--kubeconfig', api.kubeconfig({ skipTlsVerify: false }), '--netns', ns.name, '--networkpolicies'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('plain http is refused unless the cluster entry sets insecure-skip-tls-verify: true')
    expect(r.stderr).toContain(api.url)
    expect(api.calls.length).toBe(before) // refused before any request
  })

  it('explains its command line: help, unknown options, --node without --networkpolicies', () => {
    const run = (...a: string[]) => spawnSync(CLI[0], [...CLI.slice(1), 'controller', ...a], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    const help = run('--help')
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('usage: nftkit controller [--kubeconfig FILE]')
    expect(help.stdout).toContain('insecure-skip-tls-verify')
    expect(run('--bogus').stderr).toContain('unknown option --bogus')
    expect(run('--node', 'n1').stderr).toContain('--node NAME only applies with --networkpolicies')
    expect(run('--log-format', 'xml').stderr).toContain('--log-format expects json or text')
    expect(help.stdout).toContain('--networkpolicies')
  })
})
