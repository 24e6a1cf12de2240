/**
 * Node policies through the CLI: `nftkit render|apply --node NAME` with
 * Antrea ClusterNetworkPolicies in the files (examples/node-policies), the
 * `--interfaces` and `--privileged` options, and the errors a user meets.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeNetns, type Netns } from '../helpers/netns.js'

const ROOT = join(import.meta.dirname, '..', '..')
const EXAMPLE = join(ROOT, 'examples', 'node-policies', 'cluster.yaml')
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'lib', 'cli', 'main.ts'), ...args], { encoding: 'utf8', cwd: ROOT })

describe('nftkit CLI with node policies', () => {
  let ns: Netns
  beforeAll(() => {
    ns = makeNetns('nodecli')
  })
  afterAll(() => ns?.remove())

  it('render needs --node, and names the option when it is missing', () => {
    const r = cli('render', EXAMPLE)
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/ClusterNetworkPolicies apply to Nodes: give --node NAME/)
    const ok = cli('render', EXAMPLE, '--node', 'worker-1', '--interfaces', 'eth*,ens160', '--privileged', '10.0.0.1:6443,[fd00::1]:10250/tcp')
    expect(ok.stderr).toBe('')
    expect(ok.status).toBe(0)
    expect(ok.stdout).toContain('table inet nftkit-nodepol')
    expect(ok.stdout).toMatch(/iifname "eth\*"/)
    expect(ok.stdout).toMatch(/ip saddr 10\.0\.0\.1 meta l4proto tcp th dport 6443 .*accept comment "privileged\/endpoint\[0\]"/)
    expect(ok.stdout).toMatch(/ip6 saddr fd00::1 meta l4proto tcp th dport 10250 .*accept/)
  })

  it('apply loads the table (read back by nft and by nftkit list); plan is then empty', () => {
    const r = cli('apply', EXAMPLE, '--node', 'worker-1', '--netns', ns.name, '--privileged', '10.0.0.1:6443')
    expect(r.stderr).toMatch(/^applied \d+ operations in one batch/)
    expect(r.status).toBe(0)
    const text = ns.nft('list', 'table', 'inet', 'nftkit-nodepol')
    expect(text).toContain('hook input')
    expect(text).toContain('hook output')
    const listed = cli('list', '--netns', ns.name)
    expect(listed.status).toBe(0)
    expect(listed.stdout).toContain('table inet nftkit-nodepol')
    const plan = cli('plan', EXAMPLE, '--node', 'worker-1', '--netns', ns.name, '--privileged', '10.0.0.1:6443')
    expect(plan.status).toBe(0)
    expect(plan.stdout.trim()).toMatch(/^(# no change.*|)$/i)
  })

  it('refuses a bad --privileged endpoint and an unknown node with the option named', () => {
    const bad = cli('render', EXAMPLE, '--node', 'worker-1', '--privileged', '10.0.0.1:99999')
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/--privileged\[0\]/)
    const empty = cli('render', EXAMPLE, '--node', 'worker-1', '--interfaces', 'eth0,')
    expect(empty.status).toBe(1)
    expect(empty.stderr).toMatch(/--interfaces needs/)
    const unknown = cli('render', EXAMPLE, '--node', 'nope')
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toMatch(/node/i)
  })
})
