/**
 * kill -9 of an apply at random moments never leaves a partial state: the
 * batch is atomic in the kernel, so the namespace holds exactly the old
 * ruleset or exactly the new one, whenever the process dies (before, while
 * it builds the batch, while the kernel commits it, or after).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeNetns, type Netns } from '../helpers/netns.js'
import { rng } from '../helpers/rng.js'

const ROOT = join(import.meta.dirname, '..', '..')
const KILLS = 10

const OLD = `table inet k {
  set pods { type ipv4_addr; elements = { 10.0.0.1, 10.0.0.2 } }
  chain c {
    type filter hook input priority filter; policy accept;
    ip saddr @pods counter accept comment "old"
  }
}
`

/** The new ruleset: 20 000 elements, a changed rule and a new one (a batch that takes the kernel a while). */
function newText(): string {
  const els = Array.from({ length: 20_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
  return `table inet k {
  set pods { type ipv4_addr; elements = { ${els.join(', ')} } }
  chain c {
    type filter hook input priority filter; policy drop;
    ip saddr @pods counter accept comment "new"
    tcp dport 22 accept comment "ssh"
  }
}
`
}

describe('kill -9 during an apply', () => {
  let ns: Netns
  let dir: string
  beforeAll(() => {
    ns = makeNetns('kill')
    dir = mkdtempSync(join(tmpdir(), 'nftkit-kill-'))
    writeFileSync(join(dir, 'new.nft'), newText())
    writeFileSync(
      join(dir, 'child.mts'),
      `import { readFileSync } from 'node:fs'
import { applyToModel, createClient, parseNft, reconcileSync } from ${JSON.stringify(join(ROOT, 'lib', 'index.ts'))}
const client = createClient({ netns: ${JSON.stringify(ns.name)} })
const text = readFileSync(${JSON.stringify(join(dir, 'new.nft'))}, 'utf8')
process.stdout.write('go\\n')
reconcileSync(client, applyToModel(parseNft(text).operations))
process.stdout.write('done\\n')
`,
    )
  })
  afterAll(() => ns?.remove())

  it(`${KILLS} kills at random moments: always exactly the old or the new ruleset`, async () => {
    const state = () => ns.nft('list', 'table', 'inet', 'k')
    const reset = () => {
      ns.nftFile('table inet k\ndelete table inet k\n')
      ns.nftFile(OLD)
      return state()
    }
    // The new state, for comparison: one apply that is not killed.
    reset()
    const full = await runChild(undefined)
    const span = full.workMs
    expect(full.how).toBe('done')
    const wanted = state()
    expect(wanted).toContain('comment "new"')
    const next = rng(0x6b696c6c)
    const seen = { old: 0, new: 0 }
    for (let k = 0; k < KILLS; k++) {
      const old = reset()
      // Anywhere in the span of an unkilled run (and a little after): parsing, planning, encoding, the commit.
      await runChild((next() % 1000) * (span * 1.1) / 1000)
      const now = state()
      expect([old, wanted], `kill ${k}`).toContain(now)
      seen[now === old ? 'old' : 'new']++
    }
    console.log(`kill -9: ${seen.old} times the old ruleset, ${seen.new} times the new, never anything else`)
  })

  /**
   * Runs the child; kills it (SIGKILL) `killAfterMs` after it says go, or lets
   * it finish. Resolves how it ended and how long it worked after go.
   */
  function runChild(killAfterMs: number | undefined): Promise<{ how: 'done' | 'killed'; workMs: number }> {
    return new Promise((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', join(dir, 'child.mts')], { cwd: ROOT })
      let out = ''
      let go = 0
      p.stdout.on('data', (d) => {
        out += String(d)
        if (go === 0 && out.includes('go\n')) {
          go = performance.now()
          if (killAfterMs !== undefined) setTimeout(() => p.kill('SIGKILL'), killAfterMs)
        }
      })
      p.on('exit', () => resolve({ how: out.includes('done') ? 'done' : 'killed', workMs: performance.now() - go }))
    })
  }
})
