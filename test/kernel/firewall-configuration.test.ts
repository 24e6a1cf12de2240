/**
 * Liqo FirewallConfigurations through nftkit: the shipped manifests apply, the
 * mapping fixes Liqo's known defects, and bad input names file, document and
 * field path without touching the kernel.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apply, render } from '../../lib/cli/main.js'
import { createClient, loadBinding } from '../../lib/index.js'
import { readDocuments, validate } from '../../lib/liqo/firewall-configuration.js'
import { mssClamp, notrack } from '../helpers/helm-lite.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

const ROOT = join(import.meta.dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'nftkit-fwc-'))
const file = (name: string, text: string) => {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}
const norm = (t: string) => t.replace(/,\s*\n\s*/g, ', ').replace(/\s+/g, ' ').trim()

/** A FirewallConfiguration with one chain of the given rules. */
function fwc(opts: { family?: string; name?: string; chain?: Record<string, unknown>; rules: unknown[]; kind?: 'filterRules' | 'natRules'; sets?: unknown[] }): string {
  const chain = { name: 'c', type: 'filter', hook: 'forward', policy: 'accept', priority: 0, ...opts.chain }
  return JSON.stringify({
    apiVersion: 'networking.liqo.io/v1beta1',
    kind: 'FirewallConfiguration',
    metadata: { name: 'test', labels: { 'networking.liqo.io/firewall-category': 'gateway' } },
    spec: { table: { name: opts.name ?? 't', family: opts.family ?? 'INET', ...(opts.sets ? { sets: opts.sets } : {}), chains: [{ ...chain, rules: { [opts.kind ?? 'filterRules']: opts.rules } }] } },
  })
}

describe('FirewallConfiguration', () => {
  let ns: Netns
  beforeAll(() => {
    ns = makeNetns('fwc')
  })
  afterAll(() => ns?.remove())

  const listed = () => norm(ns.nft('list', 'ruleset'))

  it('the shipped MSS clamping manifest applies and prints as nft would', () => {
    const f = file('mss.yaml', mssClamp())
    apply([f], ns.name)
    const text = listed()
    expect(text).toContain('table ip mss-clamping { chain mss-clamping { type filter hook forward priority filter; policy accept;')
    // Per match entry: proto, dev, ip, port; then the counter, then the action.
    expect(text).toContain('meta l4proto tcp oifname "liqo-tunnel" counter packets 0 bytes 0 tcp flags syn tcp option maxseg size set rt mtu comment "mss-clamping-out"')
    expect(norm(render([f]))).toBe(norm(ns.nft('list', 'table', 'ip', 'mss-clamping')))
  })

  it('the shipped notrack manifest applies for the agent its labels select', () => {
    const f = file('notrack.yaml', notrack())
    apply([f], ns.name, { 'networking.liqo.io/firewall-category': 'gateway' })
    const text = norm(ns.nft('list', 'table', 'ip', 'liqo-notrack-geneve'))
    expect(text).toContain('chain prerouting { type filter hook prerouting priority raw; policy accept; udp dport 6091 counter packets 0 bytes 0 notrack comment "notrack-geneve-dport" udp sport 6091 counter packets 0 bytes 0 notrack comment "notrack-geneve-sport" }')
    expect(text.match(/notrack comment/g)).toHaveLength(4)
  })

  it('op neq is honoured for proto and port ranges (Liqo ignores it)', () => {
    apply([file('neq.json', fwc({ rules: [{ name: 'r', match: [{ op: 'neq', proto: { value: 'udp' } }, { op: 'neq', port: { value: '100-200', position: 'dst' } }], action: 'drop' }] }))], ns.name)
    expect(listed()).toContain('meta l4proto != udp th dport != 100-200 counter packets 0 bytes 0 drop comment "r"')
  })

  it('IPv4 matches in inet tables are guarded by meta nfproto, as nft does', () => {
    apply([file('guard.json', fwc({ rules: [{ name: 'r', match: [{ op: 'eq', ip: { value: '10.0.0.0/8', position: 'src' } }], action: 'accept', counter: false }] }))], ns.name)
    expect(listed()).toContain('ip saddr 10.0.0.0/8 accept comment "r"')
    const raw = new (loadBinding().Socket)(`/run/netns/${ns.name}`).dumpSync({ table: 't' }).rules[0].exprs as Array<Record<string, unknown>>
    expect(raw[0]).toMatchObject({ type: 'meta', key: 15 })
  })

  it('address snat/dnat works in inet tables (Liqo fails with EAFNOSUPPORT)', () => {
    apply(
      [
        file(
          'nat.json',
          fwc({
            kind: 'natRules',
            chain: { type: 'nat', hook: 'postrouting', priority: 100 },
            rules: [
              { name: 's', match: [{ op: 'eq', ip: { value: '10.1.0.0/16', position: 'src' } }], natType: 'snat', to: '192.168.0.1' },
              { name: 'p', match: [], natType: 'snat', to: '10.70.0.0/16' },
              { name: 'm', match: [{ op: 'eq', dev: { value: 'eth0', position: 'out' } }], natType: 'masquerade' },
            ],
          }),
        ),
      ],
      ns.name,
    )
    const text = listed()
    expect(text).toContain('ip saddr 10.1.0.0/16 snat ip to 192.168.0.1 comment "s"')
    expect(text).toContain('snat ip prefix to 10.70.0.0/16 comment "p"')
    expect(text).toContain('oifname "eth0" masquerade comment "m"')
  })

  it('reject defaults to what nft does, and a type/code or tcp reset can be chosen', () => {
    apply(
      [
        file(
          'reject.json',
          fwc({
            family: 'IPV4',
            rules: [
              { name: 'a', match: [], action: 'reject', counter: false },
              { name: 'b', match: [{ op: 'eq', proto: { value: 'tcp' } }], action: 'reject', value: 'tcp reset', counter: false },
              { name: 'c', match: [], action: 'reject', value: 'icmp host-unreachable', counter: false },
            ],
          }),
        ),
      ],
      ns.name,
    )
    const text = listed()
    expect(text).toContain('reject comment "a"')
    expect(text).toContain('reject with tcp reset comment "b"') // nft hides the tcp dependency of tcp reset in ip tables
    expect(text).toContain('reject with icmp host-unreachable comment "c"')
  })

  it('a changed ctmark value reaches the kernel; order is the declared order', () => {
    const v = (mark: string, order: string[]) =>
      fwc({ rules: order.map((n) => ({ name: n, match: [], action: n === 'mark' ? 'ctmark' : 'accept', value: n === 'mark' ? mark : undefined, counter: false })) })
    apply([file('v1.json', v('1', ['mark', 'x', 'y']))], ns.name)
    apply([file('v2.json', v('2', ['y', 'mark', 'x']))], ns.name)
    const text = listed()
    expect(text).toContain('chain c { type filter hook forward priority filter; policy accept; accept comment "y" ct mark set 0x00000002 comment "mark" accept comment "x" }')
  })

  it('named sets (extension) hold the allowed pod IPs, referenced as @name', () => {
    apply(
      [
        file(
          'sets.json',
          fwc({
            sets: [{ name: 'pods', keyType: 'ipv4_addr', elements: [{ key: '10.200.0.10' }, { key: '10.200.0.11' }] }],
            rules: [
              { name: 'est', match: [{ op: 'eq', ctstate: { value: ['established', 'related'] } }], action: 'accept', counter: false },
              { name: 'pods', match: [{ op: 'eq', ip: { value: '@pods', position: 'dst' } }], action: 'accept' },
            ],
          }),
        ),
      ],
      ns.name,
    )
    const text = listed()
    expect(text).toContain('set pods { type ipv4_addr elements = { 10.200.0.10, 10.200.0.11 } }')
    expect(text).toContain('ct state established,related accept comment "est"')
    expect(text).toContain('ip daddr @pods counter packets 0 bytes 0 accept comment "pods"')
  })

  it('bad input names file, document and field path, exits 1 and changes nothing', () => {
    const before = listed()
    const bad = file(
      'bad.yaml',
      `${mssClamp()}\n---\n${fwc({
        rules: [
          { name: 'r', match: [{ op: 'eq', ip: { value: '10.0.0.5/24', position: 'src' } }], action: 'accept' },
          { name: 'r', match: [{ op: 'eq', port: { value: '200-100', position: 'dst' } }], action: 'drop', colour: 'red' },
          { name: 'm', match: [], action: 'tcpmssclamp' },
        ],
        chain: { name: 'a'.repeat(300) },
      })}\n`,
    )
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'lib', 'cli', 'main.ts'), 'apply', bad, '--netns', ns.name], { encoding: 'utf8', cwd: ROOT })
    expect(r.status).toBe(1)
    // file:line:col of the bad value itself.
    const lines = readFileSync(bad, 'utf8').split('\n')
    const line = lines.findIndex((l) => l.includes('10.0.0.5/24')) + 1
    const col = lines[line - 1].search(/["']?10\.0\.0\.5\/24/) + 1
    expect(line).toBeGreaterThan(0)
    expect(r.stderr).toContain(`${bad}:${line}:${col}: document 1 (test): spec.table.chains[0].rules.filterRules[0].match[0].ip.value: expected a CIDR with no host bits set (did you mean 10.0.0.0/24?)`)
    // A missing or unknown field is placed at the closest field that exists.
    expect(r.stderr).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: document 1 \\(test\\): spec\\.table\\.chains\\[0\\]\\.rules\\.filterRules\\[1\\]\\.colour: unknown field`))
    expect(r.stderr).toContain('spec.table.chains[0].rules.filterRules[1].name: duplicate rule name')
    expect(r.stderr).toContain('spec.table.chains[0].rules.filterRules[1].match[0].port.value: expected a port 0-65535 or a range N-M with N <= M')
    expect(r.stderr).toContain("spec.table.chains[0].rules.filterRules[1].colour: unknown field 'colour'")
    expect(r.stderr).toContain('spec.table.chains[0].rules.filterRules[2].match: tcpmssclamp needs a match with proto tcp')
    expect(r.stderr).toContain('spec.table.chains[0].name: expected at most 255 bytes')
    expect(listed()).toBe(before)
  })

  it('malformed YAML is reported with its document', () => {
    const { problems } = readDocuments('a: [1, 2\n', 'x.yaml')
    expect(problems.length).toBeGreaterThan(0)
    expect(problems[0].path).toBe('document 0')
  })

  it('validation covers the webhook checks and what it misses', () => {
    const doc = (o: Parameters<typeof fwc>[0]) => JSON.parse(fwc(o))
    const paths = (o: Parameters<typeof fwc>[0]) => validate(doc(o)).map((p) => p.path)
    expect(paths({ rules: [], chain: { hook: 'ingress' } })).toContain('spec.table.chains[0].hook')
    expect(paths({ family: 'NETDEV', rules: [], chain: { type: 'nat', hook: 'ingress' } })).toContain('spec.table.chains[0].type')
    expect(paths({ kind: 'natRules', chain: { type: 'nat', hook: 'prerouting' }, rules: [{ name: 's', match: [], natType: 'snat', to: '1.2.3.4' }] })).toContain(
      'spec.table.chains[0].rules.natRules[0].natType',
    )
    expect(paths({ kind: 'natRules', chain: { type: 'nat', hook: 'postrouting' }, rules: [{ name: 's', match: [], natType: 'snat' }] })).toContain(
      'spec.table.chains[0].rules.natRules[0].to',
    )
    expect(paths({ kind: 'natRules', chain: { type: 'nat', hook: 'postrouting' }, rules: [{ name: 'm', match: [], natType: 'masquerade', to: '1.2.3.4' }] })).toContain(
      'spec.table.chains[0].rules.natRules[0].to',
    )
    expect(paths({ rules: [{ name: 'r', match: [], action: 'reject' }], chain: { hook: 'postrouting' } })).toContain('spec.table.chains[0].rules.filterRules[0].action')
    expect(paths({ rules: [{ name: 'r', match: [{ op: 'eq', dev: { value: 'x'.repeat(16), position: 'in' } }], action: 'accept' }] })).toContain(
      'spec.table.chains[0].rules.filterRules[0].match[0].dev.value',
    )
    expect(paths({ rules: [{ name: 'r', match: [], action: 'ctmark', value: 'blue' }] })).toContain('spec.table.chains[0].rules.filterRules[0].value')
    expect(paths({ rules: [{ name: 'r', match: [{ op: 'eq', ip: { value: '10.0.0.9-10.0.0.1', position: 'src' } }], action: 'accept' }] })).toContain(
      'spec.table.chains[0].rules.filterRules[0].match[0].ip.value',
    )
    expect(paths({ rules: [{ name: 'r', match: [{ op: 'eq', ip: { value: '@nope', position: 'src' } }], action: 'accept' }] })).toContain(
      'spec.table.chains[0].rules.filterRules[0].match[0].ip.value',
    )
    expect(paths({ rules: [{ name: 'ok', match: [{ op: 'eq', ip: { value: '2001:db8::/32', position: 'src' } }], action: 'accept' }] })).toEqual([])
  })

  it('an interface that does not exist yet is not an error', () => {
    apply([file('dev.json', fwc({ rules: [{ name: 'r', match: [{ op: 'eq', dev: { value: 'not-yet-there', position: 'in' } }], action: 'accept' }] }))], ns.name)
    expect(listed()).toContain('iifname "not-yet-there" counter packets 0 bytes 0 accept comment "r"')
  })

  it('deleting by applying another table leaves other families alone', () => {
    createClient({ netns: ns.name }).commitSync(createClient({ netns: ns.name }).transaction().add({ kind: 'table', family: 'ip6', name: 't' }))
    apply([file('again.json', fwc({ rules: [] }))], ns.name)
    expect(listed()).toContain('table ip6 t')
  })
})
