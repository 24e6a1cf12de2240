/**
 * `npm run demo` as a user runs it (a child process): exit 0, the matrices
 * and the move in its output, an HTML report, and no namespace left behind.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { listNamespaces } from '../testbed/index.js'

it('the demo builds the testbed, matches the intended matrix, writes its report and cleans up', async () => {
  const report = join(mkdtempSync(join(tmpdir(), 'nftkit-demo-')), 'report.html')
  const root = join(import.meta.dirname, '..', '..')
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'examples', 'demo.ts'), '--report', report], { encoding: 'utf8', cwd: root })
  expect(r.status, r.stdout + r.stderr).toBe(0)
  expect(r.stdout).toContain('result: every probe matched the intended policy')
  expect(r.stdout).toMatch(/delta update, 4 netlink messages in one batch/)
  expect(r.stdout).toMatch(/old IP 10\.200\.1\.11: \d+ probes after the commit, 0 got through/)
  expect(r.stdout).toMatch(/NetworkPolicy: \d+ probes \(3 matrices; IPv4 and IPv6 after the policies\), 0 differ from the NetworkPolicy v1 truth table/)
  expect(r.stdout).toMatch(/namespace z labelled team=blue: delta/)
  expect(existsSync(report)).toBe(true)
  const html = readFileSync(report, 'utf8')
  expect(html.match(/class="matrix"/g)).toHaveLength(2)
  expect(html).toContain('liqo-provider-protection')
  expect(html).toContain('NetworkPolicy on one node')
  expect((await listNamespaces()).filter((n) => n.startsWith(`nftkit-demo-${r.pid}-`))).toEqual([])
})
