/**
 * The monitor against the kernel: nf_tables notifications of changes made by
 * nft and by nftkit inside throwaway namespaces, their names and generations,
 * who committed, namespace isolation, closing (idle, busy, process exit),
 * bursts and overruns, and drift repair by a subscribed Reconciler.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type Change,
  type Client,
  createClient,
  createMonitor,
  type GenEvent,
  type Monitor,
  type MonitorCommit,
  type MonitorEvent,
  Reconciler,
} from '../../lib/index.js'
import { applyToModel } from '../../lib/state/model.js'
import { parseNft } from '../../lib/nft/parser.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

const ROOT = join(import.meta.dirname, '..', '..')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits (without blocking the loop) until `cond` holds; false after `ms`. */
async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (cond()) return true
    await sleep(5)
  }
  return cond()
}

/** Everything a monitor reports, and the commits it groups. */
function record(m: Monitor) {
  const events: MonitorEvent[] = []
  const commits: MonitorCommit[] = []
  let overruns = 0
  m.on('change', (e) => events.push(e))
  m.on('commit', (c) => commits.push(c))
  m.on('overrun', () => overruns++)
  return {
    events,
    commits,
    get overruns() {
      return overruns
    },
    gens: () => events.filter((e): e is GenEvent => e.type === 'gen'),
    changes: () => events.filter((e): e is Change => e.type !== 'gen' && e.type !== 'overrun'),
    elements: () => events.reduce((n, e) => n + (e.type === 'element' ? e.elements : 0), 0),
  }
}

/** Runs nft in the namespace as a child whose pid is nft's own (ip netns exec execs it). */
function nftChild(ns: Netns, script: string): Promise<{ pid: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns.name, 'nft', '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => {
      err += String(d)
    })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve({ pid: child.pid as number, code }) : reject(new Error(`nft exited ${code}: ${err}`))))
    child.stdin.end(script)
  })
}

/** Runs a script (with createMonitor imported) in a child node process. */
function child(body: string, ms: number, onLine?: (line: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'nftkit-mon-'))
  const file = join(dir, 'child.mts')
  writeFileSync(file, `import { createMonitor } from ${JSON.stringify(join(ROOT, 'lib', 'index.ts'))}\n${body}\n`)
  const proc = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let partial = ''
  proc.stdout.on('data', (d) => {
    out += String(d)
    const lines = (partial + String(d)).split('\n')
    partial = lines.pop() ?? ''
    for (const l of lines) if (l) onLine?.(l)
  })
  proc.stderr.on('data', (d) => {
    out += String(d)
  })
  /** Exit code and output, or 'timeout' (then the child is killed). */
  const done = new Promise<{ code: number | null | 'timeout'; out: string }>((resolve) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL')
      resolve({ code: 'timeout', out })
    }, ms)
    proc.on('exit', (code) => {
      clearTimeout(t)
      resolve({ code, out })
    })
  })
  return { proc, done }
}

const monitors: Monitor[] = []
const open = (ns: Netns, opts: { receiveBuffer?: number } = {}) => {
  const m = createMonitor({ netns: ns.name, ...opts })
  monitors.push(m)
  return m
}

let ns: Netns
let other: Netns
let client: Client

beforeAll(() => {
  ns = makeNetns('mon')
  other = makeNetns('mon2')
  client = createClient({ netns: ns.name })
})
afterEach(() => {
  for (const m of monitors.splice(0)) m.close()
  ns.nft('flush', 'ruleset')
  other.nft('flush', 'ruleset')
})
afterAll(() => {
  client?.close()
  ns?.remove()
  other?.remove()
})

describe('monitor events', () => {
  it('reports table, chain, set, element, rule and object adds and deletes made by nft, with their names', async () => {
    const m = open(ns)
    const r = record(m)
    ns.nft('add', 'table', 'inet', 't1')
    ns.nft('add', 'chain', 'inet', 't1', 'c1', '{ type filter hook input priority 0; }')
    ns.nft('add', 'set', 'inet', 't1', 's1', '{ type ipv4_addr; }')
    ns.nft('add', 'element', 'inet', 't1', 's1', '{ 10.0.0.1, 10.0.0.2, 10.0.0.3 }')
    ns.nft('add', 'rule', 'inet', 't1', 'c1', 'ip saddr @s1 counter accept')
    ns.nft('add', 'counter', 'inet', 't1', 'k1')
    ns.nft('delete', 'element', 'inet', 't1', 's1', '{ 10.0.0.2 }')
    const handle = Number(/accept # handle (\d+)/.exec(ns.nft('-a', 'list', 'chain', 'inet', 't1', 'c1'))?.[1])
    ns.nft('delete', 'rule', 'inet', 't1', 'c1', 'handle', String(handle))
    ns.nft('delete', 'table', 'inet', 't1')
    expect(await until(() => r.gens().length === 9)).toBe(true)

    const brief = (e: MonitorEvent) => {
      if (e.type === 'gen' || e.type === 'overrun') return e.type
      const what = e.type === 'rule' ? `${e.chain}#${e.handle}` : e.type === 'element' ? `${e.set}x${e.elements}` : e.name
      return `${e.op} ${e.type} ${e.family} ${e.table} ${what}`
    }
    expect(r.events.map(brief)).toEqual([
      'new table inet t1 t1',
      'gen',
      'new chain inet t1 c1',
      'gen',
      'new set inet t1 s1',
      'gen',
      'new element inet t1 s1x3',
      'gen',
      `new rule inet t1 c1#${handle}`,
      'gen',
      'new object inet t1 k1',
      'gen',
      'del element inet t1 s1x1',
      'gen',
      `del rule inet t1 c1#${handle}`,
      'gen',
      // Deleting a table deletes its content first, each with a notification.
      'del set inet t1 s1',
      'del object inet t1 k1',
      'del chain inet t1 c1',
      'del table inet t1 t1',
      'gen',
    ])
    const obj = r.events.find((e) => e.type === 'object')
    expect(obj).toMatchObject({ objType: 1 }) // NFT_OBJECT_COUNTER
    // One commit per nft command, with exactly that command's changes.
    expect(r.commits.map((c) => c.changes.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 4])
    expect(r.commits.at(-1)?.changes.every((c) => c.op === 'del')).toBe(true)
    // Generations are consecutive; the last is what GETGEN reports now.
    const ids = r.gens().map((g) => g.genId)
    expect(ids).toEqual(ids.map((_, i) => ids[0] + i))
    expect(ids.at(-1)).toBe(client.generationSync())
  })

  it('handles in events are the kernel handles nft lists', async () => {
    const m = open(ns)
    const r = record(m)
    ns.nft('add', 'table', 'ip', 'h')
    ns.nft('add', 'chain', 'ip', 'h', 'c')
    ns.nft('add', 'rule', 'ip', 'h', 'c', 'counter')
    expect(await until(() => r.gens().length === 3)).toBe(true)
    const listed = ns.nft('-a', 'list', 'table', 'ip', 'h')
    const chain = r.changes().find((e) => e.type === 'chain')
    const rule = r.changes().find((e) => e.type === 'rule')
    expect(listed).toContain(`chain c { # handle ${(chain as { handle: number }).handle}`)
    expect(listed).toContain(`counter packets 0 bytes 0 # handle ${(rule as { handle: number }).handle}`)
  })

  it('names the committer: pid and name of nft; pid, thread and socket port of our own commits', async () => {
    const m = open(ns)
    const r = record(m)
    const { pid } = await nftChild(ns, 'add table ip who\n')
    expect(await until(() => r.commits.length === 1)).toBe(true)
    expect(r.commits[0]).toMatchObject({ pid, procName: 'nft' })
    expect(r.commits[0].changes).toMatchObject([{ type: 'table', name: 'who', op: 'new' }])
    expect(r.commits[0].portId).not.toBe(client.portId)

    // A sync commit runs on the main thread: the kernel reports process.pid.
    client.commitSync(client.transaction().add({ kind: 'chain', family: 'ip', table: 'who', name: 'c' }))
    expect(await until(() => r.commits.length === 2)).toBe(true)
    const comm = readFileSync('/proc/self/comm', 'utf8').trim()
    expect(r.commits[1]).toMatchObject({ pid: process.pid, procName: comm, portId: client.portId, genId: client.generationSync() })

    // An async commit runs on a libuv worker: the kernel reports that thread's id, the port is still ours.
    await client.commit(client.transaction().delete({ kind: 'table', family: 'ip', name: 'who' }))
    expect(await until(() => r.commits.length === 3)).toBe(true)
    expect(r.commits[2].portId).toBe(client.portId)
    expect(existsSync(`/proc/self/task/${r.commits[2].pid}`)).toBe(true)
  })

  it('sees a small async element change run on the main thread once the set measured fast, and on a worker otherwise', async () => {
    const m = open(ns)
    const r = record(m)
    client.commitSync(client.transaction().add({ kind: 'table', family: 'ip', name: 'inl' }).add({ kind: 'set', family: 'ip', table: 'inl', name: 's', type: 'ipv4_addr' }))
    const add = (c: Client, ip: string) => c.commit(c.transaction().add({ kind: 'element', family: 'ip', table: 'inl', set: 's', elements: [ip] }))
    // Unknown cost: the first change goes to a worker and is measured; the
    // next one is under budget (a generous one, so a loaded machine cannot
    // make this flaky; a set change takes the kernel some 10 µs).
    const fast = createClient({ netns: ns.name, inlineCommitBudgetUs: 1e6 })
    fast.listSync({ table: 'inl' })
    await add(fast, '10.0.0.1')
    await add(fast, '10.0.0.2')
    fast.close()
    // A budget no batch meets keeps every commit on a worker.
    const never = createClient({ netns: ns.name, inlineCommitBudgetUs: 0.001 })
    never.listSync({ table: 'inl' })
    await add(never, '10.0.0.3')
    await add(never, '10.0.0.4')
    never.close()
    expect(await until(() => r.commits.length === 5)).toBe(true)
    const threads = r.commits.slice(1).map((c) => c.pid === process.pid)
    expect(threads).toEqual([false, true, false, false])
    expect(ns.nft('list', 'set', 'ip', 'inl', 's')).toMatch(/elements = \{ 10\.0\.0\.1, 10\.0\.0\.2,\s+10\.0\.0\.3, 10\.0\.0\.4 \}/)
  })

  it('does not see changes made in another namespace', async () => {
    const m = open(ns)
    const r = record(m)
    other.nft('add', 'table', 'ip', 'elsewhere')
    const c2 = createClient({ netns: other.name })
    c2.commitSync(c2.transaction().add({ kind: 'table', family: 'ip', name: 'elsewhere2' }))
    c2.close()
    ns.nft('add', 'table', 'ip', 'here')
    expect(await until(() => r.changes().some((e) => e.table === 'here'))).toBe(true)
    await sleep(100)
    expect(r.changes().map((e) => e.table)).toEqual(['here'])
  })

  it('is an async iterator that ends when the monitor closes', async () => {
    const m = open(ns)
    const seen: string[] = []
    const done = (async () => {
      for await (const e of m) {
        seen.push(e.type)
        if (e.type === 'gen') m.close()
      }
    })()
    ns.nft('add', 'table', 'ip', 'iter')
    await done
    expect(seen).toEqual(['table', 'gen'])
  })
})

describe('closing', () => {
  it('close() while idle: idempotent, emits close once, and nothing after it', async () => {
    const m = open(ns)
    const r = record(m)
    let closes = 0
    m.on('close', () => closes++)
    expect(m.closed).toBe(false)
    m.close()
    m.close()
    expect(m.closed).toBe(true)
    expect(closes).toBe(1)
    ns.nft('add', 'table', 'ip', 'after_close')
    await sleep(200)
    expect(r.events).toEqual([])
  })

  it('close() while events flow: delivery stops at once, and monitors open and close safely under load', async () => {
    ns.nft('add', 'table', 'ip', 'flowing')
    ns.nft('add', 'set', 'ip', 'flowing', 's', '{ type inet_service; }')
    // Another process commits 400 batches as fast as it can.
    const loop: ChildProcess = spawn('sh', ['-c', `for i in $(seq 1 400); do ip netns exec ${ns.name} nft add element ip flowing s "{ $i }"; done`], { stdio: 'ignore' })
    try {
      const m = open(ns)
      const r = record(m)
      expect(await until(() => r.gens().length >= 5)).toBe(true)
      m.close()
      const atClose = r.events.length
      // Open and close more monitors while the batches keep coming.
      for (let i = 0; i < 30; i++) {
        const x = createMonitor({ netns: ns.name })
        const xr = record(x)
        await sleep(i % 3)
        x.close()
        const n = xr.events.length
        await sleep(1)
        expect(xr.events.length).toBe(n)
      }
      await sleep(100)
      expect(r.events.length).toBe(atClose)
    } finally {
      loop.kill()
    }
  })

  it('an open monitor keeps the process alive; after close() (or with unref) the process exits by itself', async () => {
    // Open: still running after 8 s (a loaded machine takes seconds just to start tsx).
    const kept = await child(`createMonitor({ netns: ${JSON.stringify(ns.name)} }); console.log('open')`, 8000).done
    expect(kept.code).toBe('timeout')
    expect(kept.out).toContain('open')
    // Closed from an event handler: exits.
    const closed = child(
      `const m = createMonitor({ netns: ${JSON.stringify(ns.name)} })
m.on('commit', (c) => { console.log('commit ' + c.changes.map((x) => x.table).join()); m.close() })
console.log('ready')`,
      30000, // exits long before; a loaded machine takes seconds to start tsx
      (l) => {
        if (l === 'ready') ns.nft('add', 'table', 'ip', 'exit_test')
      },
    )
    const res = await closed.done
    expect(res.out).toContain('commit exit_test')
    expect(res.code).toBe(0)
    // unref'd, never closed: exits.
    const unref = await child(`createMonitor({ netns: ${JSON.stringify(ns.name)}, unref: true }); console.log('open')`, 30000).done
    expect(unref).toMatchObject({ code: 0 })
  }, 120_000)
})

describe('bursts', () => {
  beforeEach(() => {
    client.commitSync(client.transaction().add({ kind: 'table', family: 'inet', name: 'burst' }).add({ kind: 'set', family: 'inet', table: 'burst', name: 's', type: 'ipv4_addr' }))
  })

  it('2000 separate commits: 2000 element events and 2000 consecutive generations, nothing lost', async () => {
    const m = open(ns)
    const r = record(m)
    const g0 = client.generationSync()
    for (let i = 0; i < 2000; i++)
      client.commitSync(client.transaction().add({ kind: 'element', family: 'inet', table: 'burst', set: 's', elements: [`10.1.${i >> 8}.${i & 255}`] }), { handles: false })
    expect(await until(() => r.gens().length === 2000)).toBe(true)
    expect(r.overruns).toBe(0)
    expect(r.gens().map((g) => g.genId)).toEqual(Array.from({ length: 2000 }, (_, i) => g0 + 1 + i))
    expect(r.commits).toHaveLength(2000)
    expect(r.commits.every((c) => c.changes.length === 1 && c.changes[0].type === 'element' && c.changes[0].elements === 1)).toBe(true)
  })

  it('2000 elements in one nft batch: one commit counting 2000 elements', async () => {
    const m = open(ns)
    const r = record(m)
    const els = Array.from({ length: 2000 }, (_, i) => `10.2.${i >> 8}.${i & 255}`).join(', ')
    await nftChild(ns, `add element inet burst s { ${els} }\n`)
    expect(await until(() => r.commits.length === 1)).toBe(true)
    expect(r.overruns).toBe(0)
    expect(r.elements()).toBe(2000)
    expect(r.commits[0].changes.every((c) => c.type === 'element' && c.set === 's' && c.op === 'new')).toBe(true)
  })

  it('100k elements committed by this process while its event loop is blocked: all of them arrive', async () => {
    // Unread, the notifications of this batch take ~13 MB of receive buffer
    // (measured on 6.18): the default 16 MiB (doubled by the kernel) holds
    // them even if the monitor thread gets no CPU while the kernel sends.
    const m = open(ns)
    const r = record(m)
    const elements = Array.from({ length: 100_000 }, (_, i) => `10.${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`)
    client.commitSync(client.transaction().add({ kind: 'set', family: 'inet', table: 'burst', name: 'big', type: 'ipv4_addr', elements }), { handles: false })
    expect(await until(() => r.commits.length === 1, 20000)).toBe(true)
    expect(r.overruns).toBe(0)
    expect(r.elements()).toBe(100_000)
  })

  it('a burst that overflows the receive buffer reports an overrun, drops that commit, and the monitor keeps working', async () => {
    // A child process holds the monitor (64 KiB buffer) and is stopped while
    // nft commits 20k elements (~1.8 MB of notifications): nothing reads the
    // socket meanwhile, so the kernel must drop and report ENOBUFS.
    const lines: Array<Record<string, unknown>> = []
    let ready = false
    const c = child(
      `const m = createMonitor({ netns: ${JSON.stringify(ns.name)}, receiveBuffer: 64 << 10 })
m.on('change', (e) => console.log(JSON.stringify(e)))
m.on('commit', (c) => console.log(JSON.stringify({ type: 'commit', genId: c.genId, changes: c.changes })))
console.log(JSON.stringify({ type: 'ready' }))`,
      60000,
      (l) => {
        const x = JSON.parse(l) as Record<string, unknown>
        if (x.type === 'ready') ready = true
        else lines.push(x)
      },
    )
    try {
      expect(await until(() => ready, 15000)).toBe(true)
      process.kill(c.proc.pid as number, 'SIGSTOP')
      const els = Array.from({ length: 20_000 }, (_, i) => `10.3.${i >> 8}.${i & 255}`).join(', ')
      await nftChild(ns, `add element inet burst s { ${els} }\n`)
      const burst = client.generationSync()
      process.kill(c.proc.pid as number, 'SIGCONT')
      expect(await until(() => lines.some((x) => x.type === 'overrun'))).toBe(true)
      const received = lines.reduce((n, x) => n + (x.type === 'element' ? (x.elements as number) : 0), 0)
      expect(received).toBeLessThan(20_000)
      // The batch the overrun fell into is not reported as a commit (the
      // kernel reports the loss before what it had queued earlier).
      await sleep(200)
      expect(lines.filter((x) => x.type === 'commit' && (x.genId as number) <= burst)).toEqual([])
      // Still listening: a later batch is reported whole.
      ns.nft('add', 'element', 'inet', 'burst', 's', '{ 10.4.0.1 }')
      ns.nft('add', 'element', 'inet', 'burst', 's', '{ 10.4.0.2 }')
      const last = client.generationSync()
      expect(await until(() => lines.some((x) => x.type === 'commit' && x.genId === last))).toBe(true)
      expect(lines.find((x) => x.type === 'commit' && x.genId === last)?.changes).toMatchObject([{ type: 'element', set: 's', elements: 1 }])
    } finally {
      c.proc.kill('SIGKILL')
    }
  })
})

describe('Reconciler subscribed to a monitor', () => {
  const desired = (pods: string[]) =>
    applyToModel(
      parseNft(`table inet fw {
  set pods { type ipv4_addr; elements = { ${pods.join(', ')} } }
  chain out {
    type filter hook output priority filter; policy accept;
    ip daddr @pods counter accept comment "pods"
    tcp dport 22 drop comment "ssh"
  }
}
`).operations,
    )

  it('a foreign commit to another table costs no kernel read; element changes still plan from memory', async () => {
    const m = open(ns)
    const rec = new Reconciler(client, { monitor: m })
    rec.reconcileSync(desired(['10.9.0.1']))
    rec.reconcileSync(desired(['10.9.0.1', '10.9.0.2'])) // element-only: state kept in memory
    const reads = rec.reads
    const gen = client.generationSync()
    ns.nft('add', 'table', 'ip', 'unrelated')
    expect(await until(() => rec.genId === gen + 1)).toBe(true)
    const r = rec.reconcileSync(desired(['10.9.0.2', '10.9.0.3']))
    expect(r.retries).toBe(0)
    expect(rec.reads).toBe(reads)
    expect(ns.ruleset()).toContain('elements = { 10.9.0.2, 10.9.0.3 }')
    rec.detach()
  })

  it('a table it starts to reconcile is read first, even if it kept its state through foreign commits to it', async () => {
    const m = open(ns)
    const rec = new Reconciler(client, { monitor: m })
    rec.reconcileSync(desired(['10.9.2.1']))
    rec.reconcileSync(desired(['10.9.2.1'])) // nothing to do: keeps what it read
    const gen = client.generationSync()
    ns.nftFile('table ip other {\n  chain c {\n    counter comment "foreign"\n  }\n}\n')
    expect(await until(() => rec.genId === gen + 1)).toBe(true) // not ours yet: the state moved along
    const both = [...desired(['10.9.2.1']), ...applyToModel(parseNft('table ip other {\n  chain c {\n  }\n}\n').operations)]
    rec.reconcileSync(both)
    expect(ns.ruleset()).not.toContain('foreign')
    rec.detach()
  })

  it('repairs drift promptly (bound 3 s: a hang guard; tens of ms when quiet) after another process deletes an owned rule, element or table', async () => {
    const m = open(ns)
    const want = desired(['10.9.1.1', '10.9.1.2'])
    const repairs: number[] = []
    let scheduled = false
    const rec: Reconciler = new Reconciler(client, {
      monitor: m,
      onDrift: () => {
        // A few ms of quiet so one foreign batch causes one repair.
        if (scheduled) return
        scheduled = true
        setTimeout(() => {
          scheduled = false
          const r = rec.reconcileSync(want)
          if (r.operations.length) repairs.push(Date.now())
        }, 5)
      },
    })
    rec.reconcileSync(want)
    const healthy = ns.ruleset()
    const handleOf = (comment: string) => {
      const line = ns.nft('-a', 'list', 'chain', 'inet', 'fw', 'out').split('\n').find((l) => l.includes(`comment "${comment}"`))
      return /# handle (\d+)/.exec(line ?? '')?.[1] ?? 'none'
    }
    const drifts: Array<[string, () => string[]]> = [
      ['rule', () => ['delete', 'rule', 'inet', 'fw', 'out', 'handle', handleOf('ssh')]],
      ['element', () => ['delete', 'element', 'inet', 'fw', 'pods', '{ 10.9.1.2 }']],
      ['table', () => ['delete', 'table', 'inet', 'fw']],
    ]
    for (const [what, args] of drifts) {
      const n = repairs.length
      ns.nft(...args())
      const deleted = Date.now()
      expect(ns.ruleset(), what).not.toBe(healthy)
      expect(await until(() => repairs.length > n, 5000), what).toBe(true)
      expect(repairs[n] - deleted, what).toBeLessThan(3000)
      expect(ns.ruleset(), what).toBe(healthy)
    }
    // Our own repairs did not trigger more repairs.
    await sleep(200)
    expect(repairs).toHaveLength(3)
    rec.detach()
  })
})
