/**
 * The nftkit command as a user runs it (a child process): exit codes, messages,
 * and that a failed apply leaves the kernel exactly as it was.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SAMPLE_INVENTORY } from '../testbed/sample-inventory.js'
import { makeNetns, type Netns } from '../helpers/netns.js'
import { until } from '../helpers/wait.js'

const ROOT = join(import.meta.dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'nftkit-cli-'))

function nftkit(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'lib', 'cli', 'main.ts'), ...args], { encoding: 'utf8', cwd: ROOT })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

function file(name: string, text: string): string {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

const FW = `table inet fw {
  set allow { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1-192.168.1.9 } }
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    ip saddr @allow tcp dport 22 counter accept comment "ssh"
  }
}
`

describe('nftkit CLI', () => {
  let ns: Netns
  beforeAll(() => {
    ns = makeNetns('cli')
    ns.nftFile('table ip keep {\n  chain c {\n    counter\n  }\n}\n')
  })
  afterAll(() => ns?.remove())

  it('apply makes the declared table hold what the file says, leaves other tables alone, exit 0', () => {
    const r = nftkit('apply', file('fw.nft', FW), '--netns', ns.name)
    expect(r.code).toBe(0)
    expect(r.err).toMatch(/applied \d+ operations in one batch/)
    const text = ns.ruleset()
    expect(text).toContain('table inet fw {')
    expect(text).toContain('ip saddr @allow tcp dport 22 counter packets 0 bytes 0 accept comment "ssh"')
    expect(text).toContain('table ip keep {')
  })

  it('apply again replaces the table exactly (no duplicates)', () => {
    expect(nftkit('apply', file('fw.nft', FW), '--netns', ns.name).code).toBe(0)
    expect(ns.ruleset().match(/tcp dport 22/g)).toHaveLength(1)
  })

  it('list prints what nft list ruleset prints', () => {
    const r = nftkit('list', '--netns', ns.name)
    expect(r.code).toBe(0)
    const norm = (t: string) => t.replace(/\s+/g, ' ').trim()
    expect(norm(r.out)).toBe(norm(ns.nft('list', 'ruleset')))
    expect(norm(nftkit('list', '--netns', ns.name, 'keep').out)).toBe(norm(ns.nft('list', 'table', 'ip', 'keep')))
  })

  it('render prints nft text without touching the kernel, and nft accepts it', () => {
    const r = nftkit('render', file('fw2.nft', FW.replaceAll('fw', 'fw2')))
    expect(r.code).toBe(0)
    expect(r.out).toContain('table inet fw2 {')
    expect(ns.ruleset()).not.toContain('fw2')
    const other = makeNetns('cli2')
    try {
      other.nftFile(r.out)
      expect(other.ruleset()).toContain('ip saddr @allow tcp dport 22 counter packets 0 bytes 0 accept comment "ssh"')
    } finally {
      other.remove()
    }
  })

  it('a syntax error names file, line and column, exits 1 and changes nothing', () => {
    const before = ns.ruleset()
    const bad = file('bad.nft', FW.replace('tcp dport 22', 'tcp dport 22 acept'))
    const r = nftkit('apply', bad, '--netns', ns.name)
    expect(r.code).toBe(1)
    expect(r.err).toContain(`${bad}:6:`)
    expect(r.err).toContain("'acept'")
    expect(r.err).toContain('^')
    expect(ns.ruleset()).toBe(before)
  })

  it('a kernel refusal exits 1 with the reason and changes nothing', () => {
    const before = ns.ruleset()
    // The kernel refuses reject outside input/forward/output.
    const r = nftkit('apply', file('k.nft', `${FW}add chain inet fw post { type filter hook postrouting priority 0; }\nadd rule inet fw post reject\n`), '--netns', ns.name)
    expect(r.code).toBe(1)
    expect(r.err).toContain('EOPNOTSUPP')
    expect(ns.ruleset()).toBe(before)
    const u = nftkit('apply', file('u.nft', `${FW}add rule inet fw nosuchchain accept\n`), '--netns', ns.name)
    expect(u.code).toBe(1)
    expect(u.err).toContain('nosuchchain: the chain is not declared')
    expect(ns.ruleset()).toBe(before)
  })

  it('status prints per-rule counters (table and --json)', () => {
    nftkit('apply', file('fw.nft', FW), '--netns', ns.name)
    const r = nftkit('status', file('fw.nft', FW), '--netns', ns.name)
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/TABLE\s+CHAIN\s+RULE\s+PACKETS\s+BYTES/)
    expect(r.out).toMatch(/inet fw\s+input\s+ssh\s+0\s+0/)
    const j = JSON.parse(nftkit('status', 'fw', '--netns', ns.name, '--json').out)
    expect(j.rows.find((x: { rule: string }) => x.rule === 'ssh')).toMatchObject({ table: 'inet fw', chain: 'input', packets: 0, bytes: 0 })
    expect(JSON.parse(nftkit('status', 'nope', '--netns', ns.name, '--json').out).missing).toEqual(['* nope'])
  })

  it('delete removes exactly the declared table of the declared family', () => {
    ns.nftFile('table ip fw {\n  chain c {\n    counter\n  }\n}\n')
    const r = nftkit('delete', file('fw.nft', FW), '--netns', ns.name)
    expect(r.code).toBe(0)
    const text = ns.ruleset()
    expect(text).not.toContain('table inet fw')
    expect(text).toContain('table ip fw')
    expect(text).toContain('table ip keep')
    ns.nft('delete', 'table', 'ip', 'fw')
  })

  it('watch applies, re-applies on file change, and repairs drift promptly (under 3 s under any load; nf_tables monitor events, one re-apply per foreign batch)', async () => {
    const f = file('watch.nft', FW)
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'lib', 'cli', 'main.ts'), 'watch', f, '--netns', ns.name], { cwd: ROOT })
    let log = ''
    child.stderr.on('data', (d) => {
      log += String(d)
    })
    const applied = () => log.split('\n').filter((l) => l.includes('ruleset changed: applied')).length
    const healthy = () => ns.ruleset().includes('comment "ssh"') && ns.ruleset().includes('192.168.1.1-192.168.1.9')
    /** Lets another process break the table, then times the repair. */
    const repairTime = async (script: string) => {
      const before = applied()
      ns.nftFile(script)
      const t0 = Date.now()
      // (No check that it is broken now: the watcher, another process, may have repaired it already.
      // The re-apply count below proves there was something to repair.)
      expect(await until(healthy, 5000)).toBe(true)
      const ms = Date.now() - t0
      expect(await until(() => applied() > before, 2000)).toBe(true)
      return { ms, reapplies: () => applied() - before }
    }
    const handle = () => /comment "ssh" # handle (\d+)/.exec(ns.nft('-a', 'list', 'chain', 'inet', 'fw', 'input'))?.[1]
    try {
      expect(await until(() => ns.ruleset().includes('comment "ssh"'), 15000)).toBe(true)
      expect(await until(() => log.includes('start: '), 5000)).toBe(true)

      // One foreign batch deleting a rule and an element: repaired promptly, by one re-apply.
      const a = await repairTime(`delete rule inet fw input handle ${handle()}\ndelete element inet fw allow { 192.168.1.1-192.168.1.9 }\n`)
      expect(a.ms).toBeLessThan(3000)
      expect(log).toMatch(/drift: nft\[\d+\] changed inet fw \(rule deleted, element deleted; generation \d+\)/)
      // Its own repair does not make it re-apply again.
      await new Promise((r) => setTimeout(r, 300))
      expect(a.reapplies()).toBe(1)

      // The whole table deleted: recreated promptly.
      const b = await repairTime('delete table inet fw\n')
      expect(b.ms).toBeLessThan(3000)

      // Changes to other tables are not drift.
      const quiet = applied()
      ns.nft('add', 'table', 'ip', 'someone_else')
      await new Promise((r) => setTimeout(r, 300))
      expect(applied()).toBe(quiet)
      expect(log).not.toContain('someone_else')

      // A file change is applied.
      writeFileSync(f, FW.replace('tcp dport 22', 'tcp dport 2222'))
      expect(await until(() => ns.ruleset().includes('tcp dport 2222'), 5000)).toBe(true)
      expect(log).not.toContain('error:')
    } finally {
      child.kill('SIGTERM')
      if (ns.nft('list', 'tables').includes('someone_else')) ns.nft('delete', 'table', 'ip', 'someone_else')
    }
  })

  it('bad usage exits 1 with the usage text', () => {
    expect(nftkit().code).toBe(1)
    expect(nftkit('frobnicate').err).toContain('usage:')
    expect(nftkit('apply').code).toBe(1)
    expect(nftkit('apply', file('x.yaml', 'a: 1')).err).toContain('expected kind FirewallConfiguration')
    expect(nftkit('apply', file('x.txt', 'a')).err).toContain('expected a .nft, .yaml, .yml or .json file')
    expect(nftkit('list', '--netns', 'no-such-namespace').code).toBe(1)
  })
  it('policies: generated YAML (FirewallConfigurations beside NetworkPolicies) applies per gateway with --selector', () => {
    const inv = file('inv.json', JSON.stringify(SAMPLE_INVENTORY))
    const gen = nftkit('policies', inv)
    expect(gen.code).toBe(0)
    expect(gen.out.match(/^kind: FirewallConfiguration$/gm)).toHaveLength(2)
    expect(gen.out.match(/^kind: NetworkPolicy$/gm)).toHaveLength(3)
    const yaml = file('policies.yaml', gen.out)
    const r = nftkit('apply', yaml, '--netns', ns.name, '--selector', 'networking.liqo.io/firewall-unique=consumer-b')
    expect(r.code, r.err).toBe(0)
    const listed = ns.nft('list', 'table', 'ip', 'liqo-provider-protection')
    expect(listed).toContain('elements = { 10.200.2.10 }')
    expect(listed).toContain('iifname "liqo-tun-b" ip daddr @offloaded-pods counter packets 0 bytes 0 accept comment "allow-consumer-to-offloaded"')
    expect(nftkit('delete', yaml, '--netns', ns.name, '--selector', 'networking.liqo.io/firewall-unique=consumer-b').code).toBe(0)
    expect(nftkit('policies', inv, 'consumer-protection').out).toContain('name: liqo-consumer-protection')
  })

  it('policies: a bad inventory names file and field path, exit 1; an unknown kind is a usage error', () => {
    const bad = structuredClone(SAMPLE_INVENTORY) as unknown as { consumers: { podCIDR: string; local: { pods: { ip: string }[] }[] }[] }
    bad.consumers[1].podCIDR = '10.102.0.7/16'
    bad.consumers[0].local[0].pods[0].ip = '10.101.0.256'
    const r = nftkit('policies', file('bad-inv.json', JSON.stringify(bad)))
    expect(r.code).toBe(1)
    // file:line:col of the value (JSON on one line: line 1).
    expect(r.err).toMatch(/bad-inv\.json:1:\d+: consumers\[1\]\.podCIDR: host bits set: did you mean 10\.102\.0\.0\/16\?/)
    expect(r.err).toMatch(/bad-inv\.json:1:\d+: consumers\[0\]\.local\[0\]\.pods\[0\]\.ip: expected an IPv4 address, got "10\.101\.0\.256"/)
    const u = nftkit('policies', file('inv2.json', JSON.stringify(SAMPLE_INVENTORY)), 'everything')
    expect(u.code).toBe(1)
    expect(u.err).toContain('unknown policy kind everything')
  })
})
