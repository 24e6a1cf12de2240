/**
 * The CLI as a user meets it around files: help and version, refusals of
 * inputs that would otherwise apply nothing or merge silently, directories,
 * and `watch` following a file however it is saved (in place, rename-over,
 * a ConfigMap volume's symlink swap) until SIGTERM.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { makeNetns, type Netns } from '../helpers/netns.js'
import { until } from '../helpers/wait.js'

const ROOT = join(import.meta.dirname, '..', '..')
const CLI = join(ROOT, 'lib', 'cli', 'main.ts')

function nftkit(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

const table = (name: string, port: number) => `table inet ${name} {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport ${port} counter accept comment "port"
  }
}
`

const fwc = (name: string, table: string, labels: Record<string, string> = {}) => `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata:
  name: ${name}
  labels: ${JSON.stringify(labels)}
spec:
  table:
    name: ${table}
    family: INET
    chains:
      - name: c
        type: filter
        hook: input
        policy: accept
        priority: 0
        rules:
          filterRules:
            - name: r
              action: accept
              match:
                - op: eq
                  ip:
                    value: 10.0.0.1
                    position: src
`

describe('nftkit CLI: help, version and what it refuses', () => {
  let dir: string
  const file = (name: string, text: string) => {
    const p = join(dir, name)
    writeFileSync(p, text)
    return p
  }
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nftkit-cli-files-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('--version prints the package version; help COMMAND and COMMAND --help print that command', () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version
    expect(nftkit('--version')).toMatchObject({ code: 0, out: `nftkit ${version}\n` })
    const a = nftkit('help', 'apply')
    expect(a.code).toBe(0)
    expect(a.out).toMatch(/^usage: nftkit apply FILE\.\.\./)
    expect(a.out).toContain('--selector')
    expect(nftkit('apply', '--help').out).toBe(a.out)
    expect(nftkit('watch', '-h').out).toMatch(/ConfigMap/)
    const bad = nftkit('help', 'aply')
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/unknown command aply/)
  })

  it('an empty --netns or --selector is a usage error, never "this namespace"', () => {
    const f = file('t.nft', table('t', 1))
    for (const args of [['--netns='], ['--netns', ''], ['--selector='], ['--selector', '']]) {
      const r = nftkit('apply', f, ...args)
      expect(r.code, args.join(' ')).toBe(1)
      expect(r.err).toMatch(/needs (a namespace name or path|key=value)/)
    }
  })

  it('an empty file, a comment-only nft file and YAML without a FirewallConfiguration are errors saying what was found', () => {
    const empty = nftkit('render', file('empty.nft', '\n  \n'))
    expect(empty.code).toBe(1)
    expect(empty.err).toMatch(/empty\.nft: empty file/)
    const comments = nftkit('render', file('comments.nft', '# nothing here\n'))
    expect(comments.code).toBe(1)
    expect(comments.err).toMatch(/comments\.nft: no nft commands or tables/)
    const other = nftkit('render', file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: b }\n'))
    expect(other.code).toBe(1)
    expect(other.err).toMatch(/cm\.yaml: no FirewallConfiguration or cluster manifest \(found 2 ConfigMap\)/)
  })

  it('a selector that matches nothing is an error naming how many there were', () => {
    const f = file('sel.yaml', fwc('a', 'ta', { role: 'x' }))
    const r = nftkit('render', f, '--selector', 'role=y')
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/--selector role=y matches none of the 1 FirewallConfiguration/)
    expect(nftkit('render', f, '--selector', 'role=x').code).toBe(0)
  })

  it('two documents declaring one table is an error naming both (no silent merge)', () => {
    const r = nftkit('render', file('one.yaml', fwc('first', 'shared')), file('two.yaml', fwc('second', 'shared')))
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/table inet shared is declared by two documents: .*one\.yaml: document 0 \(first\) and .*two\.yaml: document 0 \(second\)/)
    const mixed = nftkit('render', file('three.nft', table('shared', 5)), file('four.yaml', fwc('x', 'shared')))
    expect(mixed.code).toBe(1)
    expect(mixed.err).toMatch(/declared by two documents: .*three\.nft and .*four\.yaml/)
  })

  it('a v1 List (kubectl get -o yaml) counts as its items', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [parseYaml(fwc('a', 'la')), parseYaml(fwc('b', 'lb'))] }
    const r = nftkit('render', file('list.yaml', stringifyYaml(list)))
    expect(r.err).toBe('')
    expect(r.out).toContain('table inet la {')
    expect(r.out).toContain('table inet lb {')
  })

  it('a directory stands for every .nft/.yaml/.yml/.json file in it; one with none is an error', () => {
    const d = join(dir, 'rules.d')
    mkdirSync(d)
    writeFileSync(join(d, 'a.nft'), table('da', 1))
    writeFileSync(join(d, 'b.yaml'), fwc('b', 'db'))
    writeFileSync(join(d, 'notes.txt'), 'not read')
    const r = nftkit('render', d)
    expect(r.code).toBe(0)
    expect(r.out).toContain('table inet da {')
    expect(r.out).toContain('table inet db {')
    const none = join(dir, 'none.d')
    mkdirSync(none)
    expect(nftkit('render', none).err).toMatch(/none\.d: no \.nft, \.yaml, \.yml or \.json file/)
  })
})

describe('nftkit watch follows files however they are saved', () => {
  let ns: Netns
  let dir: string
  let child: ChildProcess | undefined
  let log = ''
  beforeAll(() => {
    ns = makeNetns('watch')
    dir = mkdtempSync(join(tmpdir(), 'nftkit-watch-'))
  })
  afterAll(() => {
    child?.kill('SIGKILL')
    ns?.remove()
    rmSync(dir, { recursive: true, force: true })
  })

  const applies = () => log.split('\n').filter((l) => /files changed: applied/.test(l)).length

  it('in place, rename-over, ConfigMap ..data swap and a new file in a watched directory: each applied once; SIGTERM exits', async () => {
    // A ConfigMap volume: fw.nft -> ..data/fw.nft, ..data -> ..v1 (a directory).
    const cm = join(dir, 'cm')
    mkdirSync(join(cm, '..v1'), { recursive: true })
    writeFileSync(join(cm, '..v1', 'fw.nft'), table('cmt', 3001))
    symlinkSync('..v1', join(cm, '..data'))
    symlinkSync(join('..data', 'fw.nft'), join(cm, 'fw.nft'))
    const plain = join(dir, 'plain.nft')
    writeFileSync(plain, table('pt', 4001))
    const d = join(dir, 'conf.d')
    mkdirSync(d)
    writeFileSync(join(d, 'a.nft'), table('dt', 5001))

    child = spawn(process.execPath, ['--import', 'tsx', CLI, 'watch', join(cm, 'fw.nft'), plain, d, '--netns', ns.name], { cwd: ROOT })
    child.stderr?.on('data', (b) => {
      log += String(b)
    })
    const cmPort = () => /table inet cmt \{[^}]*tcp dport (\d+)/s.exec(ns.ruleset().replace(/\n/g, ' '))?.[1]
    const tablePort = (t: string) => new RegExp(`table inet ${t} \\{.*?tcp dport (\\d+)`).exec(ns.ruleset().replace(/\n/g, ' '))?.[1]
    expect(await until(() => tablePort('cmt') === '3001' && tablePort('pt') === '4001' && tablePort('dt') === '5001', 20000)).toBe(true)
    expect(cmPort()).toBe('3001')

    // 1. In place.
    let before = applies()
    writeFileSync(plain, table('pt', 4002))
    expect(await until(() => tablePort('pt') === '4002', 5000)).toBe(true)
    // 2. Rename-over (editors, sed -i): the old inode is gone.
    writeFileSync(`${plain}.tmp`, table('pt', 4003))
    renameSync(`${plain}.tmp`, plain)
    expect(await until(() => tablePort('pt') === '4003', 5000)).toBe(true)
    // 3. And again, proving the watch survived the rename.
    writeFileSync(`${plain}.tmp`, table('pt', 4004))
    renameSync(`${plain}.tmp`, plain)
    expect(await until(() => tablePort('pt') === '4004', 5000)).toBe(true)
    // 4. The ConfigMap swap: a new ..v2 directory, ..data re-pointed atomically.
    mkdirSync(join(cm, '..v2'))
    writeFileSync(join(cm, '..v2', 'fw.nft'), table('cmt', 3002))
    symlinkSync('..v2', join(cm, '..data_tmp'))
    renameSync(join(cm, '..data_tmp'), join(cm, '..data'))
    rmSync(join(cm, '..v1'), { recursive: true })
    expect(await until(() => tablePort('cmt') === '3002', 5000)).toBe(true)
    // 5. A new file in a watched directory.
    writeFileSync(join(d, 'b.nft'), table('dt2', 6001))
    expect(await until(() => tablePort('dt2') === '6001', 5000)).toBe(true)
    // Each change was applied once: five changes, five applies (a save that changes nothing applies nothing).
    await new Promise((r) => setTimeout(r, 300))
    expect(applies() - before).toBe(5)
    before = applies()
    writeFileSync(plain, readFileSync(plain))
    await new Promise((r) => setTimeout(r, 300))
    expect(applies()).toBe(before)

    // SIGTERM: it stops (the kernel keeps the last applied state).
    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)))
    child.kill('SIGTERM')
    expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 5000))])).toBe(0)
    child = undefined
    expect(tablePort('pt')).toBe('4004')
  })
})
