/**
 * Kernel refusals as NftError: errno and its name, the index of the failing
 * operation in the transaction, its object and verb, the netlink message type
 * and a readable message. A failed batch must leave the ruleset untouched.
 * Also the client's own errors: busy connection, closed connection, stale
 * generation.
 */
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type Client,
  type CommitResult,
  createClient,
  isAlreadyExists,
  isGenerationMismatch,
  isNotFound,
  NftError,
  type Transaction,
} from '../../lib/index.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

let ns: Netns
let nft: Client

/** nft list ruleset, one line, handles and element expiry countdowns removed. */
function rulesetText(): string {
  return ns
    .nft('list', 'ruleset')
    .replace(/\s*# handle \d+/g, '')
    .replace(/ expires [0-9dhms]+/g, '')
    .replace(/\s+/g, ' ')
    .trim()
}

/** The base ruleset every test starts from (recreated before each test). */
async function baseRuleset(): Promise<void> {
  const tx = nft.transaction()
  tx.destroy({ kind: 'table', name: 't' })
  tx.add({ kind: 'table', name: 't' })
  tx.add({ kind: 'chain', name: 'in', type: 'filter', hook: 'input', priority: 0 })
  tx.add({ kind: 'chain', name: 'pre', type: 'filter', hook: 'prerouting', priority: 0 })
  tx.add({ kind: 'chain', name: 'post', type: 'filter', hook: 'postrouting', priority: 0 })
  tx.add({ kind: 'chain', name: 'j' })
  tx.add({ kind: 'set', name: 'used', type: 'ipv4_addr', elements: ['10.0.0.1'] })
  tx.add({ kind: 'set', name: 'free', type: 'inet_service', elements: [22] })
  tx.add({ kind: 'counter', name: 'cnt' })
  tx.add({ kind: 'rule', chain: 'in', exprs: [{ stmt: 'jump', chain: 'j' }] })
  tx.add({ kind: 'rule', chain: 'in', exprs: [{ match: 'ip saddr', value: { set: 'used' } }, { stmt: 'accept' }] })
  await nft.commit(tx)
}

beforeAll(() => {
  ns = makeNetns('errors')
  nft = createClient({ netns: ns.name, table: 't' })
})

beforeEach(async () => {
  await baseRuleset()
})

afterAll(() => {
  nft?.close()
  ns?.remove()
})

interface Expected {
  code: string
  errno: number
  index: number | undefined
  op: string | undefined
  verb?: string
  object?: unknown
  message: RegExp
  /** Whether the message ends its first part with `[CODE]` (kernel errors do; the busy-connection message does not). */
  codeInMessage?: boolean
}

/** Asserts every field of an NftError. */
function check(err: unknown, want: Expected): NftError {
  expect(err).toBeInstanceOf(NftError)
  const e = err as NftError
  expect(e.name).toBe('NftError')
  expect(e.code).toBe(want.code)
  expect(e.errno).toBe(want.errno)
  expect(e.index).toBe(want.index)
  expect(e.op).toBe(want.op)
  if (want.verb !== undefined) expect(e.verb).toBe(want.verb)
  if (want.object !== undefined) expect(e.object).toEqual(want.object)
  expect(e.message).toMatch(want.message)
  if (want.codeInMessage !== false) expect(e.message).toContain(`[${want.code}]`)
  return e
}

/** Commits (async) and returns the error; fails the test if the commit succeeds. */
async function failing(build: (tx: Transaction) => void, client: Client = nft, opts: { genId?: number } = {}): Promise<NftError> {
  const tx = client.transaction()
  build(tx)
  let res: CommitResult | undefined
  try {
    res = await client.commit(tx, opts)
  } catch (e) {
    return e as NftError
  }
  throw new Error(`commit succeeded (handles ${JSON.stringify(res?.handles)}) but was expected to fail`)
}

/** Same with commitSync. */
function failingSync(build: (tx: Transaction) => void): NftError {
  const tx = nft.transaction()
  build(tx)
  try {
    nft.commitSync(tx)
  } catch (e) {
    return e as NftError
  }
  throw new Error('commitSync succeeded but was expected to fail')
}

const microtasks = async (n: number) => {
  for (let i = 0; i < n; i++) await Promise.resolve()
}

// ------------------------------------------------------------------- ENOENT

describe('ENOENT', () => {
  it('delete a missing table: index of the failing operation, DELTABLE, nothing applied', async () => {
    const before = rulesetText()
    const err = await failing((tx) => {
      tx.add({ kind: 'chain', name: 'added' })
      tx.delete({ kind: 'table', name: 'nope' })
    })
    const e = check(err, {
      code: 'ENOENT',
      errno: 2,
      index: 1,
      op: 'DELTABLE',
      verb: 'delete',
      object: { kind: 'table', family: 'inet', name: 'nope' },
      message: /^delete table inet\/nope: table inet nope does not exist \[ENOENT\]/,
    })
    expect(isNotFound(e)).toBe(true)
    expect(e.others).toEqual([])
    expect(rulesetText()).toBe(before)
  })

  it('add a rule to a missing chain, after operations that expand to several netlink messages', async () => {
    const before = rulesetText()
    const err = await failing((tx) => {
      tx.add({ kind: 'set', name: 'x', type: 'ipv4_addr', flags: ['interval'], elements: ['10.0.0.0/8', '192.168.0.1'] })
      tx.add({ kind: 'rule', chain: 'in', exprs: [{ match: 'tcp dport', value: [22, 80, 443] }, { stmt: 'accept' }] })
      tx.add({ kind: 'rule', chain: 'nochain', exprs: [{ stmt: 'accept' }], comment: 'lost' })
      tx.add({ kind: 'chain', name: 'after' })
    })
    check(err, {
      code: 'ENOENT',
      errno: 2,
      index: 2,
      op: 'NEWRULE',
      verb: 'add',
      object: { kind: 'rule', family: 'inet', table: 't', chain: 'nochain', exprs: [{ stmt: 'accept' }], comment: 'lost' },
      message: /^add rule in chain inet\/t\/nochain: .*does not exist.* \[ENOENT\]/,
    })
    expect(isNotFound(err)).toBe(true)
    expect(rulesetText()).toBe(before)
  })
})

// ------------------------------------------------------------------- EEXIST

describe('EEXIST', () => {
  it('create an existing table', async () => {
    const err = await failing((tx) => tx.create({ kind: 'table', name: 't' }))
    check(err, { code: 'EEXIST', errno: 17, index: 0, op: 'NEWTABLE', verb: 'create', object: { kind: 'table', family: 'inet', name: 't' }, message: /^create table inet\/t: already exists \[EEXIST\]/ })
    expect(isAlreadyExists(err)).toBe(true)
  })

  it('create an existing chain', async () => {
    const err = await failing((tx) => {
      tx.create({ kind: 'chain', name: 'new1' })
      tx.create({ kind: 'chain', name: 'j' })
    })
    check(err, { code: 'EEXIST', errno: 17, index: 1, op: 'NEWCHAIN', verb: 'create', object: { kind: 'chain', family: 'inet', table: 't', name: 'j' }, message: /^create chain inet\/t\/j: already exists \[EEXIST\]/ })
    expect(isAlreadyExists(err)).toBe(true)
  })

  it('create an existing set', async () => {
    const err = await failing((tx) => tx.create({ kind: 'set', name: 'used', type: 'ipv4_addr' }))
    check(err, { code: 'EEXIST', errno: 17, index: 0, op: 'NEWSET', verb: 'create', object: { kind: 'set', family: 'inet', table: 't', name: 'used', type: 'ipv4_addr' }, message: /^create set inet\/t\/used: already exists \[EEXIST\]/ })
  })

  it('create an existing element', async () => {
    await nft.list() // the client learns the key type of set `used`
    const before = rulesetText()
    const err = await failing((tx) => {
      tx.add({ kind: 'element', set: 'used', elements: ['10.0.0.2'] })
      tx.create({ kind: 'element', set: 'used', elements: ['10.0.0.3', '10.0.0.1'] })
    })
    check(err, {
      code: 'EEXIST',
      errno: 17,
      index: 1,
      op: 'NEWSETELEM',
      verb: 'create',
      object: { kind: 'element', family: 'inet', table: 't', set: 'used', elements: ['10.0.0.3', '10.0.0.1'] },
      message: /^create elements of set inet\/t\/used: already exists \[EEXIST\]/,
    })
    expect(rulesetText()).toBe(before)
  })
})

// -------------------------------------------------------------------- EBUSY

describe('EBUSY', () => {
  it('delete a chain that is a jump target', async () => {
    const err = await failing((tx) => tx.delete({ kind: 'chain', name: 'j' }))
    check(err, { code: 'EBUSY', errno: 16, index: 0, op: 'DELCHAIN', verb: 'delete', object: { kind: 'chain', family: 'inet', table: 't', name: 'j' }, message: /^delete chain inet\/t\/j: .*jump target.* \[EBUSY\]/ })
    expect(rulesetText()).toContain('chain j {')
  })

  it('delete a set used by a rule', async () => {
    const err = await failing((tx) => {
      tx.delete({ kind: 'set', name: 'free', type: 'inet_service' })
      tx.delete({ kind: 'set', name: 'used', type: 'ipv4_addr' })
    })
    check(err, { code: 'EBUSY', errno: 16, index: 1, op: 'DELSET', verb: 'delete', message: /^delete set inet\/t\/used: .*referenced by a rule.* \[EBUSY\]/ })
    // The first delete was valid but the batch is all or nothing.
    expect(rulesetText()).toContain('set free {')
  })

  it('delete a named counter used by a rule', async () => {
    await nft.commit(nft.transaction().add({ kind: 'rule', chain: 'in', exprs: [{ stmt: 'counter', name: 'cnt' }] }))
    const err = await failing((tx) => tx.delete({ kind: 'counter', name: 'cnt' }))
    check(err, { code: 'EBUSY', errno: 16, index: 0, op: 'DELOBJ', verb: 'delete', message: /^delete counter inet\/t\/cnt: .*in use.* \[EBUSY\]/ })
  })
})

// --------------------------------------------------------------- EOPNOTSUPP

describe('EOPNOTSUPP', () => {
  it('reject in a chain hooked at postrouting (reject is for prerouting/input/forward/output)', async () => {
    const err = await failing((tx) => {
      tx.add({ kind: 'rule', chain: 'in', exprs: [{ stmt: 'reject' }] })
      tx.add({ kind: 'rule', chain: 'post', exprs: [{ match: 'tcp dport', value: 25 }, { stmt: 'reject', with: 'tcp reset' }] })
    })
    check(err, {
      code: 'EOPNOTSUPP',
      errno: 95,
      index: 1,
      op: 'NEWRULE',
      verb: 'add',
      object: { kind: 'rule', family: 'inet', table: 't', chain: 'post', exprs: [{ match: 'tcp dport', value: 25 }, { stmt: 'reject', with: 'tcp reset' }] },
      message: /^add rule in chain inet\/t\/post: not supported .*\[EOPNOTSUPP\]/,
    })
    expect(rulesetText()).not.toContain('reject')
  })

  it('masquerade in a filter chain (nat statements need a nat chain)', async () => {
    const err = await failing((tx) => tx.add({ kind: 'rule', chain: 'post', exprs: [{ stmt: 'masquerade' }] }))
    check(err, { code: 'EOPNOTSUPP', errno: 95, index: 0, op: 'NEWRULE', verb: 'add', message: /\[EOPNOTSUPP\]/ })
  })
})

// ------------------------------------------------------------------- EINVAL

describe('EINVAL', () => {
  it('a set with a GC interval but no timeout flag passes validation and the kernel refuses it', async () => {
    const tx = nft.transaction()
    tx.add({ kind: 'chain', name: 'ok' })
    expect(() => tx.add({ kind: 'set', name: 'gc', type: 'ipv4_addr', gcInterval: 1000 })).not.toThrow()
    let err: unknown
    await nft.commit(tx).catch((e) => {
      err = e
    })
    check(err, {
      code: 'EINVAL',
      errno: 22,
      index: 1,
      op: 'NEWSET',
      verb: 'add',
      object: { kind: 'set', family: 'inet', table: 't', name: 'gc', type: 'ipv4_addr', gcInterval: 1000 },
      message: /^add set inet\/t\/gc: .*invalid \[EINVAL\]/,
    })
    expect(rulesetText()).not.toContain('chain ok')
  })
})

// ------------------------------------------------------------------- ERANGE

describe('ERANGE', () => {
  it('a default set timeout too large for the kernel', async () => {
    const err = await failing((tx) => tx.add({ kind: 'set', name: 'huge', type: 'ipv4_addr', timeout: Number.MAX_SAFE_INTEGER }))
    check(err, { code: 'ERANGE', errno: 34, index: 0, op: 'NEWSET', verb: 'add', message: /^add set inet\/t\/huge: .*\[ERANGE\]/ })
  })
})

// ------------------------------------------------------------------- ENFILE

describe('full set', () => {
  it('adding past the size of a set fails with ENFILE on the element operation', async () => {
    const err = await failing((tx) => tx.add({ kind: 'set', name: 'small', type: 'ipv4_addr', size: 2, elements: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] }))
    check(err, { code: 'ENFILE', errno: 23, index: 0, op: 'NEWSETELEM', verb: 'add', message: /^add set inet\/t\/small: .*\[ENFILE\]/ })
    expect(rulesetText()).not.toContain('set small')
  })

  // Regression test (found as a bug, fixed): lib/errors.ts explain() maps ENOSPC to "set or map is full", but the
  // kernel reports a full set with ENFILE, which has no explanation: the message
  // is "add set inet/t/small: ENFILE [ENFILE]".
  it('a full set gets a readable reason in the message', async () => {
    const err = await failing((tx) => tx.add({ kind: 'set', name: 'small', type: 'ipv4_addr', size: 1, elements: ['10.0.0.1', '10.0.0.2'] }))
    expect(err).toBeInstanceOf(NftError)
    expect(err.code).toBe('ENFILE')
    expect(err.message).toMatch(/full/)
  })
})

// ---------------------------------------------------------------- ERESTART

describe('ERESTART (generation mismatch)', () => {
  it('a commit planned from a stale listing is refused; with a fresh genId it succeeds', async () => {
    const l = await nft.list()
    expect(l.genId).toBe(nft.generationSync())
    // Someone else changes the ruleset.
    ns.nft('add', 'chain', 'inet', 't', 'from_nft')
    const tx = nft.transaction()
    tx.add({ kind: 'chain', name: 'planned' })
    tx.add({ kind: 'rule', chain: 'planned', exprs: [{ stmt: 'accept' }] })
    const before = rulesetText()
    let err: unknown
    await nft.commit(tx, { genId: l.genId }).catch((e) => {
      err = e
    })
    check(err, { code: 'ERESTART', errno: 85, index: undefined, op: 'BATCH_BEGIN', message: /^commit: .*generation mismatch.* \[ERESTART\]/ })
    expect(isGenerationMismatch(err)).toBe(true)
    expect((err as NftError).object).toBeUndefined()
    expect(rulesetText()).toBe(before)
    const fresh = await nft.list()
    expect(fresh.genId).not.toBe(l.genId)
    const res = await nft.commit(tx, { genId: fresh.genId })
    const after = await nft.list()
    expect(after.chains.find((c) => c.name === 'planned')?.handle).toBe(res.handles[0])
    expect(after.rules.find((r) => r.chain === 'planned')?.handle).toBe(res.handles[1])
  })

  it('another client changing the ruleset makes the genId stale too (commitSync)', async () => {
    const other = createClient({ netns: ns.name, table: 't' })
    try {
      const gen = nft.listSync().genId
      other.commitSync(other.transaction().add({ kind: 'chain', name: 'by_other' }))
      const tx = nft.transaction().add({ kind: 'chain', name: 'mine' })
      let err: unknown
      try {
        nft.commitSync(tx, { genId: gen })
      } catch (e) {
        err = e
      }
      expect(isGenerationMismatch(err)).toBe(true)
      expect((err as NftError).errno).toBe(85)
      nft.commitSync(tx, { genId: nft.generationSync() })
      expect(rulesetText()).toContain('chain mine {')
    } finally {
      other.close()
    }
  })
})

// -------------------------------------------------------------------- EPERM

describe('EPERM (owned table)', () => {
  it('a table with the owner flag cannot be changed by another connection, and goes away with its owner', async () => {
    const owner = createClient({ netns: ns.name })
    const intruder = createClient({ netns: ns.name })
    try {
      const r = await owner.commit(owner.transaction().add({ kind: 'table', name: 'own', flags: ['owner'] }))
      const l = await owner.list({ table: 'own' })
      expect(l.tables).toEqual([{ kind: 'table', family: 'inet', name: 'own', handle: r.handles[0], flags: ['owner'] }])
      expect(ns.nft('list', 'table', 'inet', 'own')).toMatch(/flags owner/)

      const add = await failing((tx) => tx.add({ kind: 'chain', table: 'own', name: 'x' }), intruder)
      check(add, { code: 'EPERM', errno: 1, index: 0, op: 'NEWCHAIN', verb: 'add', object: { kind: 'chain', family: 'inet', table: 'own', name: 'x' }, message: /^add chain inet\/own\/x: .*owned by another process.* \[EPERM\]/ })
      const del = await failing((tx) => tx.delete({ kind: 'table', name: 'own' }), intruder)
      check(del, { code: 'EPERM', errno: 1, index: 0, op: 'DELTABLE', verb: 'delete', message: /\[EPERM\]/ })

      await owner.commit(owner.transaction().add({ kind: 'chain', table: 'own', name: 'x' }))
      expect(ns.nft('list', 'table', 'inet', 'own')).toMatch(/chain x \{/)
      owner.close()
      expect(ns.nft('list', 'tables')).not.toMatch(/inet own/)
    } finally {
      owner.close()
      intruder.close()
    }
  })
})

// ---------------------------------------------------------------- several

describe('several failures in one batch', () => {
  it('the first is the error, the rest are in others, each with its own index', async () => {
    const err = await failing((tx) => {
      tx.add({ kind: 'chain', name: 'fine' })
      tx.delete({ kind: 'table', name: 'nope1' })
      tx.delete({ kind: 'chain', name: 'nope2' })
    })
    check(err, { code: 'ENOENT', errno: 2, index: 1, op: 'DELTABLE', message: /^delete table inet\/nope1: table inet nope1 does not exist \[ENOENT\] \(\+1 more\)/ })
    expect(err.others).toHaveLength(1)
    check(err.others[0], { code: 'ENOENT', errno: 2, index: 2, op: 'DELCHAIN', verb: 'delete', object: { kind: 'chain', family: 'inet', table: 't', name: 'nope2' }, message: /^delete chain inet\/t\/nope2: does not exist/ })
  })
})

// ---------------------------------------------------------------- atomicity

describe('atomicity', () => {
  const build = (tx: Transaction, bad: (tx: Transaction) => void) => {
    tx.add({ kind: 'chain', name: 'a1', type: 'filter', hook: 'output', priority: 5 })
    tx.add({ kind: 'set', name: 's1', type: ['ipv4_addr', 'inet_service'], elements: [['10.0.0.1', 22]] })
    tx.add({ kind: 'rule', chain: 'a1', exprs: [{ match: ['ip daddr', 'tcp dport'], value: { set: 's1' } }, { stmt: 'accept' }] })
    tx.flush({ kind: 'chain', name: 'in' })
    tx.delete({ kind: 'counter', name: 'cnt' })
    bad(tx) // index 5
    tx.add({ kind: 'chain', name: 'a2' })
    tx.add({ kind: 'counter', name: 'c2', packets: 1 })
    tx.add({ kind: 'table', name: 't2' })
  }

  it('commit: one invalid operation in the middle leaves nft list ruleset exactly as before', async () => {
    const before = rulesetText()
    const listed = await nft.list()
    const err = await failing((tx) => build(tx, (t) => t.delete({ kind: 'chain', name: 'missing' })))
    check(err, { code: 'ENOENT', errno: 2, index: 5, op: 'DELCHAIN', verb: 'delete', message: /^delete chain inet\/t\/missing/ })
    expect(rulesetText()).toBe(before)
    const again = await nft.list()
    expect({ ...again, genId: 0 }).toEqual({ ...listed, genId: 0 })
    expect(again.genId).toBe(listed.genId)
  })

  it('commitSync: one invalid operation in the middle leaves nft list ruleset exactly as before', () => {
    const before = rulesetText()
    const err = failingSync((tx) => build(tx, (t) => t.create({ kind: 'set', name: 'used', type: 'ipv4_addr' })))
    check(err, { code: 'EEXIST', errno: 17, index: 5, op: 'NEWSET', verb: 'create', message: /^create set inet\/t\/used: already exists/ })
    expect(rulesetText()).toBe(before)
  })

  it('the same transactions without the invalid operation apply (the failures were not caused elsewhere)', async () => {
    const tx = nft.transaction()
    build(tx, (t) => t.add({ kind: 'chain', name: 'valid' }))
    await nft.commit(tx)
    const text = rulesetText()
    for (const s of ['chain a1 {', 'set s1 {', 'chain a2 {', 'counter c2 {', 'table inet t2 {', 'chain valid {']) expect(text).toContain(s)
    expect(text).not.toContain('counter cnt {')
  })
})

// ------------------------------------------------------------ the connection

describe('connection state', () => {
  it('a second async commit while one is in flight is queued: both succeed, in order', async () => {
    const done: string[] = []
    const p1 = nft.commit(nft.transaction().add({ kind: 'chain', name: 'q' })).then((r) => {
      done.push('first')
      return r
    })
    // Only valid once the first has been applied: the chain must exist.
    const p2 = nft.commit(nft.transaction().add({ kind: 'rule', chain: 'q', exprs: [{ stmt: 'accept' }] })).then((r) => {
      done.push('second')
      return r
    })
    const p3 = nft.list().then((l) => {
      done.push('list')
      return l
    })
    const [r1, r2, l] = await Promise.all([p1, p2, p3])
    expect(done).toEqual(['first', 'second', 'list'])
    expect(l.chains.find((c) => c.name === 'q')?.handle).toBe(r1.handles[0])
    expect(l.rules.find((r) => r.chain === 'q')?.handle).toBe(r2.handles[0])
  })

  it('commitSync and listSync while an async commit is in flight throw NftError EBUSY; the async commit still lands', async () => {
    const p = nft.commit(nft.transaction().add({ kind: 'chain', name: 'inflight' }))
    await microtasks(5) // the queued commit has been handed to the worker; its completion needs the event loop
    let err: unknown
    try {
      nft.commitSync(nft.transaction().add({ kind: 'chain', name: 'sync' }))
    } catch (e) {
      err = e
    }
    check(err, { code: 'EBUSY', errno: 16, index: undefined, op: undefined, message: /^commit: connection busy/, codeInMessage: false })
    let lerr: unknown
    try {
      nft.listSync()
    } catch (e) {
      lerr = e
    }
    check(lerr, { code: 'EBUSY', errno: 16, index: undefined, op: undefined, message: /^list: connection busy/, codeInMessage: false })
    await p
    const text = rulesetText()
    expect(text).toContain('chain inflight {')
    expect(text).not.toContain('chain sync {')
  })

  // Regression test (found as a bug, fixed): commit() only queues its work (it starts in a microtask), so a
  // commitSync() called right after it on the same client is not refused with
  // EBUSY: it runs first and overtakes the pending async commit. Here the sync
  // transaction depends on the async one and fails with ENOENT instead (and a
  // transaction that does not depend on it would be applied out of order).
  it('commitSync right after commit() (async still pending) throws EBUSY instead of overtaking it', async () => {
    const p = nft.commit(nft.transaction().add({ kind: 'chain', name: 'pending' }))
    let err: unknown
    try {
      nft.commitSync(nft.transaction().add({ kind: 'rule', chain: 'pending', exprs: [{ stmt: 'accept' }] }))
    } catch (e) {
      err = e
    }
    await p
    expect(err).toBeInstanceOf(NftError)
    expect((err as NftError).code).toBe('EBUSY')
  })

  // Regression test (found as a bug, fixed): Client.close() does not wrap the addon's error: closing while an async
  // commit is in flight throws a plain Error (code EBUSY, "cannot close: a
  // commit or dump is in flight"), not an NftError like every other call.
  it('close() while an async commit is in flight throws NftError EBUSY and the commit completes', async () => {
    const c = createClient({ netns: ns.name, table: 't' })
    try {
      const p = c.commit(c.transaction().add({ kind: 'chain', name: 'closing' }))
      await microtasks(5)
      let err: unknown
      try {
        c.close()
      } catch (e) {
        err = e
      }
      await p
      expect(err).toBeInstanceOf(NftError)
      expect((err as NftError).code).toBe('EBUSY')
    } finally {
      c.close()
    }
  })

  it('a closed client throws EBADF from every call; close is idempotent', async () => {
    const c = createClient({ netns: ns.name, table: 't' })
    c.listSync()
    expect(c.closed).toBe(false)
    c.close()
    c.close()
    expect(c.closed).toBe(true)
    const tx = c.transaction().add({ kind: 'chain', name: 'never' })
    const errs: unknown[] = []
    await c.commit(tx).catch((e) => errs.push(e))
    await c.list().catch((e) => errs.push(e))
    for (const f of [() => c.commitSync(tx), () => c.listSync(), () => c.generationSync()]) {
      try {
        f()
      } catch (e) {
        errs.push(e)
      }
    }
    expect(errs).toHaveLength(5)
    for (const e of errs) check(e, { code: 'EBADF', errno: 9, index: undefined, op: undefined, message: /closed \[EBADF\]/ })
    expect(rulesetText()).not.toContain('chain never')
  })
})

// Keep the kernel-side facts the tests above rely on visible in one place.
describe('sanity of the fixture', () => {
  it('the base ruleset is what the error tests assume', () => {
    const text = rulesetText()
    expect(text).toContain('chain j { }')
    expect(text).toContain('jump j')
    expect(text).toContain('ip saddr @used accept')
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toContain(ns.name)
  })
})
