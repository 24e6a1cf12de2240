/**
 * The CLI with Kubernetes manifests (a child process, as a user runs it):
 * `render` prints what nft itself loads, `apply --node` enforces one node's
 * pods beside a FirewallConfiguration and an nft file from the same command,
 * `plan` shows only the change of a policy edit, `status` names rules after
 * their NetworkPolicy, `delete` removes the tables, and a bad manifest names
 * its file and field.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { list, netpol, ns as namespace, pod } from '../helpers/netpol.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

const ROOT = join(import.meta.dirname, '..', '..')
const CLI = join(ROOT, 'lib', 'cli', 'main.ts')
const dir = mkdtempSync(join(tmpdir(), 'nftkit-netpol-cli-'))

function nftkit(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

function file(name: string, text: string): string {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

const FWC = `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata: { name: gw }
spec:
  table:
    name: gw
    family: INET
    chains:
      - { name: c, type: filter, hook: input, policy: accept, priority: 0, rules: { filterRules: [ { name: r, action: accept, match: [ { op: eq, ip: { value: 10.0.0.1, position: src } } ] } ] } }
`

const web = (port: number) =>
  netpol('x', 'web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'b' } } }], ports: [{ port }, { port: 'metrics' }] }] })

const clusterYaml = (port: number) =>
  `${stringify(
    list(
      namespace('x', { team: 'a' }),
      namespace('y', { team: 'b' }),
      pod('x', 'a', ['10.1.0.5', 'fd00:1::5'], { app: 'web' }, { node: 'n1', ports: [{ name: 'metrics', containerPort: 9100 }] }),
      pod('x', 'b', ['10.1.1.5'], { app: 'web' }, { node: 'n2' }),
      pod('y', 'c', ['10.1.1.9'], { app: 'client' }, { node: 'n2' }),
      web(port),
    ),
  )}---\n${FWC}`

describe('nftkit CLI with NetworkPolicies', () => {
  let ns: Netns
  let cluster: string
  let nft: string
  beforeAll(() => {
    ns = makeNetns('npcli')
    cluster = file('cluster.yaml', clusterYaml(80))
    nft = file('extra.nft', 'table ip extra {\n  chain c {\n    type filter hook input priority 10; policy accept;\n    counter comment "all"\n  }\n}\n')
  })
  afterAll(() => ns?.remove())

  it('render prints the compiled table (and the others), and nft loads it as is', () => {
    const r = nftkit('render', cluster, nft, '--node', 'n1')
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out).toContain('table inet nftkit-netpol {')
    expect(r.out).toContain('table inet gw {')
    expect(r.out).toContain('table ip extra {')
    expect(r.out).toMatch(/elements = \{ 10\.1\.0\.5 : goto grp-in-/)
    expect(r.out).not.toMatch(/10\.1\.1\.5 : goto/) // x/b runs on n2
    expect(r.out).toContain('elements = { 10.1.0.5 . tcp . 9100 }')
    const other = makeNetns('nprender')
    try {
      other.nftFile(r.out)
      expect(other.ruleset()).toContain('comment "x/web#ingress[0] pods4 tcp"')
      expect(nftkit('plan', cluster, nft, '--node', 'n1', '--netns', other.name)).toMatchObject({ code: 0, out: '' })
    } finally {
      other.remove()
    }
  })

  it('apply --node enforces every table of the files in one batch; plan is then empty', () => {
    const r = nftkit('apply', cluster, nft, '--node', 'n1', '--netns', ns.name)
    expect(r.err).toMatch(/^applied \d+ operations in one batch/)
    expect(r.code).toBe(0)
    const text = ns.ruleset()
    expect(text).toContain('table inet nftkit-netpol')
    expect(text).toContain('table inet gw')
    expect(text).toContain('table ip extra')
    expect(nftkit('plan', cluster, nft, '--node', 'n1', '--netns', ns.name)).toMatchObject({ code: 0, out: '' })
    // Without --node every pod is a target: a different table, so a pending change.
    expect(nftkit('plan', cluster, '--netns', ns.name).code).toBe(2)
  })

  it('a policy edit plans as the replacement of its own rules only', () => {
    const edited = file('cluster2.yaml', clusterYaml(8080))
    const p = nftkit('plan', edited, nft, '--node', 'n1', '--netns', ns.name)
    expect(p.code).toBe(2)
    const lines = p.out.trim().split('\n')
    expect(lines.length).toBeGreaterThan(0)
    for (const l of lines) expect(l).toMatch(/^\+ replace rule inet nftkit-netpol np-[0-9a-f]{10}-in handle \d+ .*8080/)
    expect(nftkit('apply', edited, nft, '--node', 'n1', '--netns', ns.name).code).toBe(0)
    expect(ns.ruleset()).toContain('tcp dport 8080')
  })

  it('status names rules after namespace/policy and rule index', () => {
    const r = nftkit('status', cluster, '--node', 'n1', '--netns', ns.name, '--json')
    expect(r.code).toBe(0)
    const rows = JSON.parse(r.out).rows as Array<{ table: string; rule: string; packets: number }>
    const names = rows.filter((x) => x.table === 'inet nftkit-netpol').map((x) => x.rule)
    expect(names).toEqual(expect.arrayContaining(['x/web#ingress[0] pods4 tcp', 'x/web#ingress[0] pods4 named', 'x/web#ingress[0] pods6 named', 'x/web', 'default-deny', 'node-to-pods']))
    expect(nftkit('status', cluster, '--node', 'n1', '--netns', ns.name).out).toMatch(/x\/web#ingress\[0\] pods4 tcp\s+0\s+0/)
  })

  it('a bad manifest names its file and field; nothing is applied', () => {
    const before = ns.ruleset()
    const bad = file('bad.yaml', stringify(list(namespace('x'), netpol('x', 'p', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }] }] }))))
    const r = nftkit('apply', bad, '--netns', ns.name)
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/bad\.yaml: documents\[0\]\.items\[1\]\.spec\.ingress\[0\]\.from\[0\]\.ipBlock\.except\[0\]/)
    expect(ns.ruleset()).toBe(before)
  })

  it('delete removes exactly the tables of the files', () => {
    const r = nftkit('delete', cluster, '--netns', ns.name)
    expect(r.code).toBe(0)
    const text = ns.ruleset()
    expect(text).not.toContain('nftkit-netpol')
    expect(text).not.toContain('table inet gw')
    expect(text).toContain('table ip extra')
  })
})
