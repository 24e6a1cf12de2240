/**
 * Permission errors as an unprivileged user meets them: list and commit say
 * the same thing and name CAP_NET_ADMIN; joining another namespace names
 * CAP_SYS_ADMIN (a child process run as nobody with setpriv).
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeNetns, type Netns } from '../helpers/netns.js'

const ROOT = join(import.meta.dirname, '..', '..')

describe('permission errors name the capability', () => {
  let ns: Netns
  beforeAll(() => {
    ns = makeNetns('perm')
  })
  afterAll(() => ns?.remove())

  it('list and commit: CAP_NET_ADMIN, the same words; joining a namespace: CAP_SYS_ADMIN', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftkit-perm-'))
    const file = join(dir, 'p.mts')
    writeFileSync(
      file,
      `import { createClient } from ${JSON.stringify(join(ROOT, 'lib', 'index.ts'))}
const c = createClient({ family: 'inet', table: 'x' })
for (const [what, f] of [['list', () => c.listSync()], ['commit', () => c.commitSync(c.transaction().add({ kind: 'table' }))], ['join', () => createClient({ netns: ${JSON.stringify(ns.name)} })]]) {
  try { f(); console.log(what, 'ok') } catch (e) { console.log(what, e.code, e.message) }
}
`,
    )
    chmodSync(dir, 0o755)
    chmodSync(file, 0o644)
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
    expect(r.stderr).toBe('')
    const lines = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.split(' ')[0], l]))
    expect(lines.list).toMatch(/^list EPERM list: needs CAP_NET_ADMIN in this network namespace/)
    expect(lines.commit).toMatch(/^commit EPERM batch: needs CAP_NET_ADMIN in this network namespace/)
    expect(lines.list.split(': ').slice(-1)[0]).toBe(lines.commit.split(': ').slice(-1)[0])
    expect(lines.join).toMatch(/^join EPERM open netlink socket in \/run\/netns\/nftkit-t-perm-.*: joining another network namespace needs CAP_SYS_ADMIN/)
  })
})
