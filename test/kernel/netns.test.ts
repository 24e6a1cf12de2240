/**
 * Choosing the network namespace: by name (/run/netns), by path and by pid;
 * namespaces are isolated from each other; a missing namespace is a
 * validation error naming options.netns; many connections can be open at once.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Client, createClient, NftError, NftValidationError } from '../../lib/index.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

let a: Netns
let b: Netns
const clients: Client[] = []
const children: ChildProcess[] = []

/** A client that afterAll closes. */
function open(netns: string | number): Client {
  const c = createClient({ netns })
  clients.push(c)
  return c
}

/** Starts `sleep` inside the namespace and resolves once the process has entered it. */
async function processIn(ns: Netns): Promise<number> {
  const child = spawn('ip', ['netns', 'exec', ns.name, 'sleep', '30'], { stdio: 'ignore' })
  children.push(child)
  const pid = child.pid
  if (pid === undefined) throw new Error('could not spawn ip netns exec')
  const want = statSync(`/run/netns/${ns.name}`).ino
  // `ip netns exec` enters the namespace, then execs sleep under the same pid.
  for (let i = 0; i < 500; i++) {
    try {
      if (statSync(`/proc/${pid}/ns/net`).ino === want) return pid
    } catch {
      /* not started yet */
    }
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`process ${pid} never entered namespace ${ns.name}`)
}

function tableNames(text: string): string[] {
  return [...text.matchAll(/^table (\S+ \S+)/gm)].map((m) => m[1])
}

beforeAll(() => {
  a = makeNetns('nsa')
  b = makeNetns('nsb')
})

afterAll(() => {
  for (const c of clients) c.close()
  for (const ch of children) ch.kill('SIGKILL')
  a?.remove()
  b?.remove()
})

describe('connecting', () => {
  it('by namespace name', async () => {
    const c = open(a.name)
    expect(c.netnsPath).toBe(`/run/netns/${a.name}`)
    const r = await c.commit(c.transaction().add({ kind: 'table', name: 'by_name' }))
    expect(tableNames(a.nft('list', 'tables'))).toContain('inet by_name')
    expect((await c.list()).tables.map((t) => [t.name, t.handle])).toEqual([['by_name', r.handles[0]]])
  })

  it('by path /run/netns/NAME: same namespace as by name', async () => {
    const c = open(`/run/netns/${a.name}`)
    expect(c.netnsPath).toBe(`/run/netns/${a.name}`)
    expect((await c.list()).tables.map((t) => t.name)).toContain('by_name')
    await c.commit(c.transaction().add({ kind: 'table', name: 'by_path' }))
    expect(tableNames(a.nft('list', 'tables'))).toEqual(expect.arrayContaining(['inet by_name', 'inet by_path']))
  })

  it('by pid of a process inside the namespace', async () => {
    const pid = await processIn(a)
    const c = open(pid)
    expect(c.netnsPath).toBe(`/proc/${pid}/ns/net`)
    expect((await c.list()).tables.map((t) => t.name)).toEqual(expect.arrayContaining(['by_name', 'by_path']))
    c.commitSync(c.transaction().add({ kind: 'table', family: 'ip', name: 'by_pid' }))
    expect(tableNames(a.nft('list', 'tables'))).toContain('ip by_pid')
    // Keeps working after the process is gone: the socket holds the namespace.
    const child = children[children.length - 1]
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
    expect(c.listSync().tables.map((t) => `${t.family} ${t.name}`)).toContain('ip by_pid')
  })
})

describe('isolation', () => {
  it('a client on namespace A does not see namespace B, and its commits stay in A', async () => {
    const ca = open(a.name)
    const cb = open(b.name)
    await cb.commit(cb.transaction().add({ kind: 'table', name: 'only_b' }).add({ kind: 'chain', table: 'only_b', name: 'c' }))
    const la = await ca.list()
    const lb = await cb.list()
    expect(la.tables.map((t) => t.name)).not.toContain('only_b')
    expect(la.chains.filter((c) => c.table === 'only_b')).toEqual([])
    expect(lb.tables.map((t) => t.name)).toEqual(['only_b'])
    expect(tableNames(b.nft('list', 'tables'))).toEqual(['inet only_b'])
    expect(tableNames(a.nft('list', 'tables'))).not.toContain('inet only_b')

    await ca.commit(ca.transaction().add({ kind: 'table', name: 'only_a' }))
    expect((await cb.list()).tables.map((t) => t.name)).toEqual(['only_b'])
    expect(tableNames(b.nft('list', 'tables'))).toEqual(['inet only_b'])
    // The same table name in both namespaces is two tables.
    await cb.commit(cb.transaction().add({ kind: 'table', name: 'only_a', comment: 'in b' }))
    expect((await ca.list({ table: 'only_a' })).tables[0].comment).toBeUndefined()
    expect((await cb.list({ table: 'only_a' })).tables[0].comment).toBe('in b')
  })
})

describe('a namespace that does not exist', () => {
  const missing = `nftkit-t-missing-${process.pid}`

  it('by name: NftValidationError naming options.netns', () => {
    let err: unknown
    try {
      createClient({ netns: missing })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(NftValidationError)
    const e = err as NftValidationError
    expect(e.path).toBe('options.netns')
    expect(e.value).toBe(missing)
    expect(e.message).toContain('options.netns')
    expect(e.message).toContain(`/run/netns/${missing}`)
  })

  it('by path: NftValidationError naming options.netns', () => {
    expect(() => createClient({ netns: `/run/netns/${missing}` })).toThrow(NftValidationError)
    expect(() => createClient({ netns: `/run/netns/${missing}` })).toThrow(/options\.netns/)
  })

  it('by an invalid pid (0, negative, fractional): NftValidationError naming options.netns', () => {
    for (const pid of [0, -1, 1.5]) {
      let err: unknown
      try {
        createClient({ netns: pid })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(NftValidationError)
      expect((err as NftValidationError).path).toBe('options.netns')
    }
  })

  // Regression test (found as a bug, fixed): lib/client.ts netnsPath() checks that a name or path exists but not a
  // pid: for a pid with no process it returns /proc/PID/ns/net unchecked, and
  // the addon then fails with NftError ENOENT ("open netlink socket in
  // /proc/PID/ns/net: ... No such file or directory") instead of an
  // NftValidationError naming options.netns.
  it('by the pid of no process: NftValidationError naming options.netns', () => {
    const pid = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1
    let err: unknown
    try {
      createClient({ netns: pid })
    } catch (e) {
      err = e
    }
    expect(err).not.toBeInstanceOf(NftError)
    expect(err).toBeInstanceOf(NftValidationError)
    expect((err as NftValidationError).path).toBe('options.netns')
  })
})

describe('many connections', () => {
  it('several connections open at once, to two namespaces, by name, path and pid, all usable concurrently', async () => {
    const pidA = await processIn(a)
    const inA = [open(a.name), open(a.name), open(`/run/netns/${a.name}`), open(pidA), open(pidA)]
    const inB = [open(b.name), open(`/run/netns/${b.name}`), open(b.name)]
    const all = [...inA, ...inB]
    expect(all.every((c) => !c.closed)).toBe(true)
    await Promise.all(
      all.map((c, i) => {
        const tx = c.transaction()
        tx.add({ kind: 'table', name: 'many' })
        tx.add({ kind: 'chain', table: 'many', name: `c${i}` })
        return c.commit(tx)
      }),
    )
    const listings = await Promise.all(all.map((c) => c.list({ table: 'many' })))
    const chainsA = inA.map((_, i) => `c${i}`)
    const chainsB = inB.map((_, i) => `c${inA.length + i}`)
    listings.forEach((l, i) => {
      expect(l.chains.map((c) => c.name).sort()).toEqual(i < inA.length ? chainsA.sort() : chainsB.sort())
    })
    expect(a.nft('list', 'table', 'inet', 'many').match(/chain c\d+/g)?.sort()).toEqual(chainsA.map((c) => `chain ${c}`).sort())
    expect(b.nft('list', 'table', 'inet', 'many').match(/chain c\d+/g)?.sort()).toEqual(chainsB.map((c) => `chain ${c}`).sort())
    // Closing one does not disturb the others.
    inA[0].close()
    expect(inA[0].closed).toBe(true)
    expect((await inA[1].list({ table: 'many' })).chains).toHaveLength(inA.length)
  })
})
