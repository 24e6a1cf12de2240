/**
 * The client with no kernel: over the public Fake (nftkit/testing) for what a
 * kernel would answer (refusals and their index, object and explanation,
 * handles, generations, queueing, the set shapes the client remembers), and
 * over a scripted binding only for answers the Fake cannot give because no
 * kernel in a namespace gives them on demand: EPERM, a missing ack (EIO), an
 * extended-ack message, a failing system call, the kernel time of a batch
 * (which drives inline commits), and the netns path and bytes the addon
 * receives.
 */
import { describe, expect, it } from 'vitest'
import { Client, netnsPath } from '../../lib/io/client.js'
import { isGenerationMismatch, isNotFound, NftError, NftValidationError } from '../../lib/kernel/errors.js'
import type { Transaction } from '../../lib/batch/transaction.js'
import { decodeOps } from '../../lib/batch/wire.js'
import { createFakeClient, createFakeKernel } from '../../lib/testing/index.js'
import { prepareElements, prepareIPv4Elements } from '../../lib/batch/prepared.js'
import { DATATYPES } from '../../lib/kernel/datatypes.js'
import type {
  NativeBinding,
  NativeCommitResult,
  NativeDump,
  NativeDumpRequest,
  NativeOp,
  NativeOpError,
} from '../../types/native.js'

/** A scripted binding: records what it is sent and answers what the test says. */
interface Fake {
  binding: NativeBinding
  sent: Array<{ ops: readonly NativeOp[]; genId?: number }>
  paths: Array<string | undefined>
  /** What the socket reports as the kernel time of each batch (written to its stats, as the addon does). */
  kernelUs: number
  /** Which native method each commit went through. */
  calls: Array<'commit' | 'commitSync'>
}

function fake(answer: (ops: readonly NativeOp[]) => Partial<NativeCommitResult> = () => ({})): Fake {
  const f: Fake = { binding: undefined as unknown as NativeBinding, sent: [], paths: [], kernelUs: 0, calls: [] }
  class Socket {
    closed = false
    busy = false
    constructor(path?: string) {
      f.paths.push(path)
    }
    stats = new Float64Array(1)
    commitSync(batch: Uint8Array, genId?: number): NativeCommitResult {
      f.calls.push('commitSync')
      return this.#commit(batch, genId)
    }
    #commit(batch: Uint8Array, genId?: number): NativeCommitResult {
      this.stats[0] = f.kernelUs
      const ops = decodeOps(batch)
      f.sent.push({ ops, genId })
      return { ok: true, messages: ops.length + 2, bytes: 100, handles: [], errors: [], ...answer(ops) }
    }
    async commit(batch: Uint8Array, genId?: number) {
      f.calls.push('commit')
      return this.#commit(batch, genId)
    }
    dumpSync(_req: NativeDumpRequest = {}): NativeDump {
      return { genId: 1, tables: [], chains: [], sets: [], rules: [], objects: [] }
    }
    async dump(req?: NativeDumpRequest) {
      return this.dumpSync(req)
    }
    getGenSync() {
      return 42
    }
    close() {
      this.closed = true
    }
  }
  f.binding = { Socket, encode: () => Buffer.alloc(0) } as unknown as NativeBinding
  return f
}

const failing = (errors: NativeOpError[]) => () => ({ ok: false, errors })
const err = (index: number, code: string, errno: number, msgType: number, extMessage?: string): NativeOpError => ({
  index,
  code,
  errno,
  msgType,
  ...(extMessage ? { extMessage } : {}),
})

async function rejectionOf(p: Promise<unknown>): Promise<NftError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(NftError)
    return e as NftError
  }
  throw new Error('expected the commit to fail')
}

describe('commit errors', () => {
  it('explains EBUSY on a chain as a non-empty chain or jump target', async () => {
    const nft = createFakeClient({ table: 't' })
    nft.commitSync(nft.transaction().add({ kind: 'table' }).add({ kind: 'chain', name: 'c' }).add({ kind: 'chain', name: 'in' }))
    nft.commitSync(nft.transaction().add({ kind: 'rule', chain: 'in', exprs: [{ stmt: 'jump', chain: 'c' }] }))
    const tx = nft.transaction().delete({ kind: 'chain', name: 'c' })
    const e = await rejectionOf(nft.commit(tx))
    expect(e.message).toBe('delete chain inet/t/c: chain is not empty or is still a jump target [EBUSY]')
    expect([e.code, e.errno, e.op, e.index, e.verb]).toEqual(['EBUSY', 16, 'DELCHAIN', 0, 'delete'])
    expect(e.object).toEqual({ kind: 'chain', name: 'c', family: 'inet', table: 't' })
  })

  it('explains EBUSY on a set as a set still referenced by a rule', async () => {
    const nft = createFakeClient({ table: 't' })
    nft.commitSync(nft.transaction().add({ kind: 'table' }).add({ kind: 'chain', name: 'c' }).add({ kind: 'set', name: 'allow', type: 'ipv4_addr' }))
    nft.commitSync(nft.transaction().add({ kind: 'rule', chain: 'c', exprs: [{ match: 'ip saddr', value: { set: 'allow' } }, { stmt: 'accept' }] }))
    const tx = nft.transaction().add({ kind: 'table' }).delete({ kind: 'set', name: 'allow', type: 'ipv4_addr' })
    const e = await rejectionOf(nft.commit(tx))
    expect(e.message).toBe('delete set inet/t/allow: set is still referenced by a rule [EBUSY]')
    expect(e.op).toBe('DELSET')
    expect(e.index).toBe(1)
  })

  it('maps native op indexes back to transaction operations (anonymous sets expand one rule)', async () => {
    // ops: 0 table, 1 anon set, 2 anon elements, 3 rule, 4 chain
    const f = fake(failing([err(3, 'ENOENT', 2, 0x0a06, 'chain not found')]))
    const nft = new Client({ binding: f.binding, table: 't' })
    const tx = nft
      .transaction()
      .add({ kind: 'table' })
      .add({ kind: 'rule', chain: 'nope', exprs: [{ match: 'tcp dport', value: [22, 80] }, { stmt: 'accept' }] })
      .add({ kind: 'chain', name: 'c' })
    const e = await rejectionOf(nft.commit(tx))
    expect(e.index).toBe(1)
    expect(isNotFound(e)).toBe(true)
    expect(e.extMessage).toBe('chain not found')
    // The client reads the table after the refusal and names what is missing.
    expect(e.message).toBe('add rule in chain inet/t/nope: chain inet t nope does not exist [ENOENT] (kernel: chain not found)')
  })

  it('reports the first failure and keeps the rest in others', async () => {
    const nft = createFakeClient()
    nft.commitSync(nft.transaction().add({ kind: 'table', name: 'a' }))
    const tx = nft.transaction().create({ kind: 'table', name: 'a' }).delete({ kind: 'table', name: 'b' })
    const e = await rejectionOf(nft.commit(tx))
    expect(e.code).toBe('EEXIST')
    expect(e.message).toBe('create table inet/a: already exists [EEXIST] (+1 more)')
    expect(e.others).toHaveLength(1)
    expect(e.others[0]).toMatchObject({ code: 'ENOENT', index: 1, op: 'DELTABLE', message: 'delete table inet/b: does not exist [ENOENT]' })
  })

  it('reports a generation mismatch on the batch as the commit', async () => {
    const kernel = createFakeKernel()
    const nft = createFakeClient({ kernel })
    const { genId } = nft.listSync()
    createFakeClient({ kernel }).commitSync(nft.transaction().add({ kind: 'table', name: 'other' }))
    const e = await rejectionOf(nft.commit(nft.transaction().add({ kind: 'table', name: 'a' }), { genId }))
    expect(isGenerationMismatch(e)).toBe(true)
    expect(e.index).toBeUndefined()
    expect(e.message).toBe('commit: the ruleset changed since it was read (generation mismatch): re-read and retry [ERESTART]')
    expect(nft.listSync().tables.map((t) => t.name)).toEqual(['other'])
  })

  it('reports EIO when the kernel did not acknowledge', async () => {
    const f = fake(failing([]))
    const nft = new Client({ binding: f.binding })
    const e = await rejectionOf(nft.commit(nft.transaction().add({ kind: 'table', name: 'a' })))
    expect(e.code).toBe('EIO')
  })

  it('commitSync throws the same errors', () => {
    const f = fake(failing([err(0, 'EPERM', 1, 0x0a00)]))
    const nft = new Client({ binding: f.binding })
    expect(() => nft.commitSync(nft.transaction().add({ kind: 'table', name: 'a' }))).toThrow(
      'add table inet/a: needs CAP_NET_ADMIN in this network namespace (or the table is owned by another process) [EPERM]',
    )
  })

  it('wraps system errors of the addon', async () => {
    const f = fake()
    const nft = new Client({ binding: f.binding })
    const busy = Object.assign(new Error('busy'), { errno: 16, code: 'EBUSY' })
    ;(f.binding as unknown as { Socket: { prototype: { commitSync: unknown } } }).Socket.prototype.commitSync = () => {
      throw busy
    }
    let e: unknown
    try {
      nft.commitSync(nft.transaction().add({ kind: 'table', name: 'a' }))
    } catch (x) {
      e = x
    }
    expect(e).toBeInstanceOf(NftError)
    expect((e as NftError).message).toBe('commit: connection busy: another commit or list is in flight (await it first)')
  })
})

describe('commit results and what is sent', () => {
  it('asks for handles of created objects (not anonymous sets) and maps them to operations', async () => {
    const f = fake((ops) => ({ handles: [[0, 5], [3, 9n]] as Array<[number, number | bigint]>, messages: ops.length + 2 }))
    const nft = new Client({ binding: f.binding, table: 't' })
    const tx = nft
      .transaction()
      .add({ kind: 'table' })
      .add({ kind: 'rule', chain: 'c', exprs: [{ match: 'tcp dport', value: [22, 80] }] })
      .delete({ kind: 'chain', name: 'x' })
    const res = await nft.commit(tx)
    expect(res).toEqual({ handles: [5, 9, undefined], messages: 7, bytes: 100 })
    expect(f.sent[0].ops.map((o) => o.echo === true)).toEqual([true, false, false, true, false])
  })

  it('returns the handles the kernel gave, or none with handles: false', () => {
    const nft = createFakeClient({ table: 't' })
    const tx = () => nft.transaction().add({ kind: 'chain', name: 'c' }).add({ kind: 'rule', chain: 'c', exprs: [{ match: 'tcp dport', value: [22, 80] }] })
    nft.commitSync(nft.transaction().add({ kind: 'table' }))
    expect(nft.commitSync(tx()).handles).toEqual([1, 3])
    expect(nft.commitSync(nft.transaction().add({ kind: 'chain', name: 'd' }), { handles: false }).handles).toEqual([undefined])
  })

  it('sends no echo flags with handles: false', () => {
    const f = fake()
    const nft = new Client({ binding: f.binding })
    nft.commitSync(nft.transaction().add({ kind: 'table', name: 'a' }), { handles: false })
    expect(f.sent[0].ops[0].echo).toBeUndefined()
    expect(f.sent[0].genId).toBeUndefined()
  })

  it('refuses anything but a Transaction or a prepared batch', () => {
    const nft = new Client({ binding: fake().binding })
    expect(() => nft.commitSync({} as Transaction)).toThrow(NftValidationError)
  })

  it('commits a prepared batch exactly as the transaction it came from', async () => {
    const f = fake((ops) => ({ handles: [[0, 5]] as Array<[number, number | bigint]>, messages: ops.length + 2 }))
    const nft = new Client({ binding: f.binding, table: 't' })
    const tx = nft.transaction().add({ kind: 'table' }).add({ kind: 'rule', chain: 'c', exprs: [{ match: 'tcp dport', value: [22, 80] }] })
    const viaTx = await nft.commit(tx)
    const viaBatch = nft.commitSync(tx.prepare())
    expect(viaBatch).toEqual(viaTx)
    expect(f.sent[1]).toEqual(f.sent[0])
  })

  it('commits an element batch prepared without a transaction, and maps its refusal to its operations', () => {
    const f = fake()
    const nft = new Client({ binding: f.binding })
    const batch = prepareIPv4Elements('inet', 't', 'pods', ['10.0.0.1'], [0x0a000001], ['10.0.0.2', '10.0.0.3'], [0x0a000002, 0x0a000003])
    expect(batch.operations).toEqual([
      { verb: 'delete', object: { kind: 'element', family: 'inet', table: 't', set: 'pods', elements: ['10.0.0.1'] } },
      { verb: 'add', object: { kind: 'element', family: 'inet', table: 't', set: 'pods', elements: ['10.0.0.2', '10.0.0.3'] } },
    ])
    expect(nft.commitSync(batch, { genId: 7 })).toEqual({ handles: [undefined, undefined], messages: 4, bytes: 100 })
    expect(f.sent[0].genId).toBe(7)
    expect(f.sent[0].ops.map((o) => [o.verb, o.set, Buffer.from(o.packedKeys ?? []).toString('hex')])).toEqual([
      ['delete', 'pods', '0a000001'],
      ['add', 'pods', '0a0000020a000003'],
    ])
    const refused = new Client({ binding: fake(failing([err(0, 'ENOENT', 2, 0x0a0c), err(1, 'ENOENT', 2, 0x0a0c)])).binding })
    const e = (() => {
      try {
        refused.commitSync(prepareElements('inet', 't', 'pods', { name: 'pods', key: [DATATYPES.ipv4_addr], interval: false }, [], ['10.0.0.9']))
      } catch (x) {
        return x as NftError
      }
    })()
    expect(e?.index).toBe(0)
    expect(e?.object).toEqual({ kind: 'element', family: 'inet', table: 't', set: 'pods', elements: ['10.0.0.9'] })
  })

  it('runs async calls one at a time, in order', async () => {
    const nft = createFakeClient()
    const a = nft.commit(nft.transaction().add({ kind: 'table', name: 'a' }))
    const b = nft.list({ family: 'inet', elements: false })
    const c = nft.commit(nft.transaction().add({ kind: 'table', name: 'c' }))
    const [, listed] = await Promise.all([a, b, c])
    expect(listed.tables.map((t) => t.name)).toEqual(['a'])
    expect(nft.listSync().tables.map((t) => t.name)).toEqual(['a', 'c'])
    expect(nft.generationSync()).toBe(listed.genId + 1)
    nft.close()
    expect(nft.closed).toBe(true)
  })
})

describe('sync calls do not overtake queued async ones', () => {
  it('refuses commitSync, listSync, generationSync and close with EBUSY while async calls are pending', async () => {
    const nft = createFakeClient()
    const pending = nft.commit(nft.transaction().add({ kind: 'table', name: 'a' }))
    for (const call of [
      () => nft.commitSync(nft.transaction().add({ kind: 'table', name: 'b' })),
      () => nft.listSync(),
      () => nft.generationSync(),
      () => nft.close(),
    ]) {
      let e: unknown
      try {
        call()
      } catch (x) {
        e = x
      }
      expect(e).toBeInstanceOf(NftError)
      expect((e as NftError).code).toBe('EBUSY')
    }
    await pending
    expect(nft.listSync().tables.map((t) => t.name)).toEqual(['a'])
    nft.close()
  })

  it('is idle again after a failed async call', async () => {
    const nft = createFakeClient()
    await expect(nft.commit(nft.transaction().delete({ kind: 'table', name: 'a' }))).rejects.toBeInstanceOf(NftError)
    expect(nft.generationSync()).toBe(1)
  })
})

describe('set shapes the client remembers', () => {
  it('after a commit, elements of a set declared earlier can be added in a new transaction', () => {
    const nft = createFakeClient({ table: 't' })
    expect(() => nft.transaction().add({ kind: 'element', set: 's', elements: ['10.0.0.1'] })).toThrow(NftValidationError)
    nft.commitSync(nft.transaction().add({ kind: 'table' }).add({ kind: 'set', name: 's', type: 'ipv4_addr' }))
    const tx = nft.transaction().add({ kind: 'element', set: 's', elements: ['10.0.0.1'] })
    expect(tx.prepare().ops[0]).toEqual({
      verb: 'add',
      kind: 'element',
      family: 1,
      table: 't',
      set: 's',
      packedKeys: new Uint8Array(Buffer.from('0a000001', 'hex')),
      keyLen: 4,
      packedFlags: new Uint8Array([0]),
    })
    // Still typed: an IPv6 address is refused.
    expect(() => nft.transaction().add({ kind: 'element', set: 's', elements: ['::1'] })).toThrow(NftValidationError)
  })

  it('forgets sets deleted directly or with their table', () => {
    const nft = createFakeClient({ table: 't' })
    nft.commitSync(nft.transaction().add({ kind: 'table' }).add({ kind: 'set', name: 's', type: 'ipv4_addr' }).add({ kind: 'set', name: 'u', type: 'inet_service' }))
    nft.commitSync(nft.transaction().delete({ kind: 'set', name: 's', type: 'ipv4_addr' }))
    expect(() => nft.transaction().add({ kind: 'element', set: 's', elements: ['10.0.0.1'] })).toThrow(NftValidationError)
    expect(() => nft.transaction().add({ kind: 'element', set: 'u', elements: [22] })).not.toThrow()
    nft.commitSync(nft.transaction().delete({ kind: 'table' }))
    expect(() => nft.transaction().add({ kind: 'element', set: 'u', elements: [22] })).toThrow(NftValidationError)
  })

  // Regression test (found as a bug, fixed): #finish forgets the sets of a deleted table, but not after
  // `flush ruleset` (which deletes every table, and so every set): the client
  // keeps validating elements against shapes of sets that no longer exist.
  it('forgets sets after a flush ruleset', () => {
    const nft = createFakeClient({ table: 't' })
    nft.commitSync(nft.transaction().add({ kind: 'table' }).add({ kind: 'set', name: 'u', type: 'inet_service' }))
    nft.commitSync(nft.transaction().flush({ kind: 'ruleset' }))
    expect(() => nft.transaction().add({ kind: 'element', set: 'u', elements: [22] })).toThrow(NftValidationError)
  })

  it('does not remember sets of a failed commit', () => {
    const nft = createFakeClient({ table: 't' })
    // No table t: the kernel refuses the set with ENOENT.
    expect(() => nft.commitSync(nft.transaction().add({ kind: 'set', name: 's', type: 'ipv4_addr' }))).toThrow(NftError)
    expect(() => nft.transaction().add({ kind: 'element', set: 's', elements: ['10.0.0.1'] })).toThrow(NftValidationError)
  })

  it('learns set shapes from a listing', () => {
    const kernel = createFakeKernel()
    const other = createFakeClient({ kernel, table: 't' })
    other.commitSync(other.transaction().add({ kind: 'table' }).add({ kind: 'set', name: 'ports', type: 'inet_service', elements: [22] }))
    const nft = createFakeClient({ kernel, table: 't' })
    expect(() => nft.transaction().add({ kind: 'element', set: 'ports', elements: [443] })).toThrow(NftValidationError)
    const l = nft.listSync()
    expect(l.genId).toBe(2)
    expect(l.sets).toEqual([{ kind: 'set', family: 'inet', table: 't', name: 'ports', handle: 1, type: 'inet_service', elements: [22] }])
    expect(() => nft.transaction().add({ kind: 'element', set: 'ports', elements: [443] })).not.toThrow()
    expect(() => nft.transaction().add({ kind: 'element', set: 'ports', elements: ['10.0.0.1'] })).toThrow(NftValidationError)
  })
})

describe('async commits of cheap batches run on the calling thread', () => {
  const setup = (kernelUs: number, opts: { inlineCommitBudgetUs?: number } = {}) => {
    const f = fake()
    f.kernelUs = kernelUs
    const nft = new Client({ binding: f.binding, table: 't', ...opts })
    nft.commitSync(nft.transaction().add({ kind: 'set', name: 's', type: 'ipv4_addr' }))
    f.calls.length = 0
    const add = (...els: string[]) => nft.transaction().add({ kind: 'element', set: 's', elements: els })
    return { f, nft, add }
  }

  it('learns the kernel time of a set from a first commit, then commits its small changes inline', async () => {
    const { f, nft, add } = setup(12)
    await nft.commit(add('10.0.0.1'))
    await nft.commit(add('10.0.0.2'))
    await nft.commit(add('10.0.0.3', '10.0.0.4'))
    expect(f.calls).toEqual(['commit', 'commitSync', 'commitSync'])
    expect(f.sent.at(-1)?.ops[0]).toMatchObject({ kind: 'element', set: 's' })
  })

  it('learns from commitSync too, and an empty transaction is always inline', async () => {
    const { f, nft, add } = setup(12)
    nft.commitSync(add('10.0.0.1'))
    await nft.commit(add('10.0.0.2'))
    await nft.commit(nft.transaction())
    expect(f.calls).toEqual(['commitSync', 'commitSync', 'commitSync'])
  })

  it('keeps slow sets, big changes, other kinds of operations and a zero budget on the worker', async () => {
    const slow = setup(800)
    await slow.nft.commit(slow.add('10.0.0.1'))
    await slow.nft.commit(slow.add('10.0.0.2'))
    expect(slow.f.calls).toEqual(['commit', 'commit'])

    const big = setup(12)
    await big.nft.commit(big.add('10.0.0.1'))
    await big.nft.commit(big.add(...Array.from({ length: 65 }, (_, i) => `10.1.0.${i}`)))
    expect(big.f.calls).toEqual(['commit', 'commit'])

    const mixed = setup(12)
    await mixed.nft.commit(mixed.add('10.0.0.1'))
    await mixed.nft.commit(mixed.add('10.0.0.2').add({ kind: 'chain', name: 'c' }))
    expect(mixed.f.calls).toEqual(['commit', 'commit'])

    const off = setup(12, { inlineCommitBudgetUs: 0 })
    await off.nft.commit(off.add('10.0.0.1'))
    await off.nft.commit(off.add('10.0.0.2'))
    await off.nft.commit(off.nft.transaction())
    expect(off.f.calls).toEqual(['commit', 'commit', 'commit'])
  })

  it('goes back to the worker once a commit to the set measured slow', async () => {
    const { f, nft, add } = setup(12)
    await nft.commit(add('10.0.0.1'))
    f.kernelUs = 4000 // the set grew (a large interval set): this inline commit measures slow
    await nft.commit(add('10.0.0.2'))
    await nft.commit(add('10.0.0.3'))
    expect(f.calls).toEqual(['commit', 'commitSync', 'commit'])
  })

  it('never overtakes queued async calls: behind one, a cheap batch waits its turn', async () => {
    const { f, nft, add } = setup(12)
    await nft.commit(add('10.0.0.1'))
    f.calls.length = 0
    const first = nft.commit(add('10.0.0.2').add({ kind: 'chain', name: 'c' }))
    const second = nft.commit(add('10.0.0.3'))
    await Promise.all([first, second])
    expect(f.calls).toEqual(['commit', 'commit'])
    expect(f.sent.slice(-2).map((s) => s.ops[0].packedKeys?.[3])).toEqual([2, 3])
  })

  it('rejects (does not throw) when an inline candidate fails validation or the kernel refuses it', async () => {
    const { f, nft, add } = setup(12)
    await nft.commit(add('10.0.0.1'))
    const bad = nft.commit({} as Transaction)
    await expect(bad).rejects.toBeInstanceOf(NftValidationError)
    // The kernel refuses a batch committed inline: the promise rejects with the NftError.
    const refused = fake((ops) => (ops[0]?.verb === 'delete' ? { ok: false, errors: [err(0, 'ENOENT', 2, 0x0e)] } : {}))
    refused.kernelUs = 5
    const c = new Client({ binding: refused.binding, table: 't' })
    c.commitSync(c.transaction().add({ kind: 'set', name: 's', type: 'ipv4_addr' }))
    await c.commit(c.transaction().add({ kind: 'element', set: 's', elements: ['10.9.9.8'] }))
    refused.calls.length = 0
    const e = c.commit(c.transaction().delete({ kind: 'element', set: 's', elements: ['10.9.9.9'] }))
    await expect(e).rejects.toMatchObject({ code: 'ENOENT', index: 0 })
    expect(refused.calls).toEqual(['commitSync'])
    expect(f.calls).toEqual(['commit'])
  })

  it('learns rule batches per chain: a small one to a chain measured fast runs inline, the rest stays on the worker', async () => {
    const { f, nft } = setup(12)
    const replace = (chain: string) =>
      nft.transaction().delete({ kind: 'rule', chain, handle: 7 }).add({ kind: 'rule', chain, exprs: [{ match: 'tcp dport', value: 22 }, { stmt: 'accept' }] })
    await nft.commit(replace('c')) // a chain not measured yet: the worker, which measures it
    await nft.commit(replace('c'))
    await nft.commit(replace('d')) // each chain is measured on its own
    f.kernelUs = 900 // chain d grew: this inline commit measures slow
    await nft.commit(replace('d'))
    await nft.commit(replace('d'))
    expect(f.calls).toEqual(['commit', 'commitSync', 'commit', 'commitSync', 'commit'])
  })

  it('keeps a chain and a set of one name apart, and more than 16 rules on the worker', async () => {
    const { f, nft, add } = setup(12)
    const rules = (chain: string, n: number) => {
      const tx = nft.transaction()
      for (let i = 0; i < n; i++) tx.add({ kind: 'rule', chain, exprs: [{ match: 'tcp dport', value: 1000 + i }, { stmt: 'drop' }] })
      return tx
    }
    await nft.commit(rules('s', 1))
    await nft.commit(rules('s', 16))
    await nft.commit(add('10.0.0.1')) // set s is not chain s: not measured yet
    await nft.commit(rules('s', 17))
    expect(f.calls).toEqual(['commit', 'commitSync', 'commit', 'commit'])
  })

  it('keeps a set inline up to the default budget of 500 µs, and sends it to the worker above', async () => {
    const under = setup(450)
    await under.nft.commit(under.add('10.0.0.1'))
    await under.nft.commit(under.add('10.0.0.2'))
    expect(under.f.calls).toEqual(['commit', 'commitSync'])
    const over = setup(550)
    await over.nft.commit(over.add('10.0.0.1'))
    await over.nft.commit(over.add('10.0.0.2'))
    expect(over.f.calls).toEqual(['commit', 'commit'])
  })

  it('refuses a budget that is not a number of microseconds', () => {
    expect(() => new Client({ binding: fake().binding, inlineCommitBudgetUs: -1 })).toThrow(/options.inlineCommitBudgetUs/)
    expect(() => new Client({ binding: fake().binding, inlineCommitBudgetUs: 'x' as never })).toThrow(/options.inlineCommitBudgetUs/)
  })
})

describe('warmUp', () => {
  it('runs the commit path, sending only empty batches, and forgets the sets it pretended to know', async () => {
    const f = fake()
    const nft = new Client({ binding: f.binding, table: 't', warmUp: 20 })
    nft.commitSync(nft.transaction().add({ kind: 'set', name: 'known', type: 'ipv4_addr' }))
    f.calls.length = 0
    f.sent.length = 0
    nft.warmUp(10)
    // Every round sends an empty batch for real (it changes nothing); the
    // flush and declarations of round 2 are dry like the rest.
    expect(f.calls).toEqual(Array(10).fill('commitSync'))
    expect(f.sent.map((b) => b.ops.length)).toEqual(Array(10).fill(0))
    f.calls.length = 0
    expect(() => nft.transaction({ table: '__nftkit_warmup' }).add({ kind: 'element', set: 'interval', elements: ['10.0.0.1'] })).toThrow(/key type is known/)
    expect(() => nft.transaction({ table: '__nftkit_warmup' }).add({ kind: 'element', set: 'declared', elements: ['10.0.0.1'] })).toThrow(/key type is known/)
    // The dry flush did not make the client forget a set it knew.
    expect(() => nft.transaction().add({ kind: 'element', set: 'known', elements: ['10.0.0.1'] })).not.toThrow()
    // The client works as before: a set it learns is used, the inline path still learns.
    nft.commitSync(nft.transaction().add({ kind: 'set', name: 's', type: 'ipv4_addr' }))
    f.kernelUs = 12
    await nft.commit(nft.transaction().add({ kind: 'element', set: 's', elements: ['10.0.0.1'] }))
    await nft.commit(nft.transaction().add({ kind: 'element', set: 's', elements: ['10.0.0.2'] }))
    expect(f.calls).toEqual(['commitSync', 'commit', 'commitSync'])
  })

  it('refuses a warmUp option that is not true, false or a number of rounds', () => {
    expect(() => new Client({ binding: fake().binding, warmUp: -1 })).toThrow(/options.warmUp/)
    expect(() => new Client({ binding: fake().binding, warmUp: 'yes' as never })).toThrow(/options.warmUp/)
    expect(() => new Client({ binding: fake().binding, warmUp: false })).not.toThrow()
  })

  it('throws EBUSY while an async call is in flight', async () => {
    const f = fake()
    const nft = new Client({ binding: f.binding, table: 't' })
    const p = nft.list()
    expect(() => nft.warmUp(1)).toThrow(/busy/)
    await p
  })
})

describe('options', () => {
  it('validates netns, family and table', () => {
    expect(netnsPath(undefined)).toBeUndefined()
    expect(netnsPath(process.pid)).toBe(`/proc/${process.pid}/ns/net`)
    expect(netnsPath('/proc/self/ns/net')).toBe('/proc/self/ns/net')
    for (const bad of [0, -3, 1.5, 2 ** 30, '', 'nftkit-no-such-namespace-xyz'])
      expect(() => netnsPath(bad as never), String(bad)).toThrow(NftValidationError)
    const f = fake()
    expect(() => new Client({ binding: f.binding, family: 'ipx' as never })).toThrow(NftValidationError)
    expect(() => new Client({ binding: f.binding, table: '' })).toThrow(NftValidationError)
    new Client({ binding: f.binding, netns: '/proc/self/ns/net' })
    expect(f.paths).toEqual(['/proc/self/ns/net'])
  })

  it('passes its defaults to transactions', () => {
    const nft = new Client({ binding: fake().binding, family: 'ip', table: 'fw' })
    const tx = nft.transaction()
    expect([tx.family, tx.table]).toEqual(['ip', 'fw'])
    expect(nft.transaction({ family: 'ip6', table: 'x' }).family).toBe('ip6')
  })
})
