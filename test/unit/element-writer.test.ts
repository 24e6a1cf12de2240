/**
 * `client.elementWriter(set)` over the Fake: every change sends the batch a
 * transaction with the same element operation sends (decoded and compared),
 * leaves the same state, and fails with the same errors; the async calls keep
 * the client's order and go inline once the set's kernel time is known. The
 * kernel side is test/kernel/element-writer.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { Client } from '../../lib/io/client.js'
import { NftError, NftValidationError } from '../../lib/kernel/errors.js'
import { decodeOps, encodeOps, PackedElementsWire } from '../../lib/batch/wire.js'
import { FakeKernel } from '../../lib/testing/index.js'
import type { Element } from '../../lib/model/element-types.js'
import { rejection, thrown } from '../helpers/rejection.js'
import type { NativeBinding, NativeCommitReturn, NativeOp } from '../../types/native.js'

interface Recorded {
  client: Client
  kernel: FakeKernel
  /** Each batch the client sent, decoded, and the socket method it went through. */
  sent: Array<{ via: 'commit' | 'commitSync'; ops: NativeOp[] }>
}

/** A client of a fresh Fake whose socket records every batch. */
function recorded(kernel = new FakeKernel()): Recorded {
  const sent: Recorded['sent'] = []
  const Base = kernel.binding.Socket as unknown as new (path?: string) => {
    commitSync(b: Uint8Array, g?: number): NativeCommitReturn
    commit(b: Uint8Array, g?: number): Promise<NativeCommitReturn>
  }
  class Socket extends Base {
    commitSync(b: Uint8Array, g?: number) {
      sent.push({ via: 'commitSync', ops: decodeOps(b) })
      return super.commitSync(b, g)
    }
    commit(b: Uint8Array, g?: number) {
      sent.push({ via: 'commit', ops: decodeOps(b) })
      return super.commit(b, g)
    }
  }
  const binding = { ...kernel.binding, Socket } as unknown as NativeBinding
  const client = new Client({ binding, family: 'inet', table: 't' })
  const tx = client.transaction()
  tx.add({ kind: 'table' })
  tx.add({ kind: 'set', name: 'iv', type: 'ipv4_addr', flags: ['interval'] })
  tx.add({ kind: 'set', name: 'h', type: 'ipv4_addr' })
  tx.add({ kind: 'set', name: 'ports', type: 'inet_service' })
  client.commitSync(tx)
  sent.length = 0
  return { client, kernel, sent }
}

/** What the transaction path sends for the same change (encoded and decoded as the wire carries it). */
function viaTransaction(client: Client, verb: 'add' | 'delete', set: string, elements: readonly Element[]): NativeOp[] {
  const tx = client.transaction()
  tx[verb]({ kind: 'element', set, elements: elements as Element[] })
  return decodeOps(encodeOps(tx.prepare().ops))
}

describe('client.elementWriter', () => {
  const cases: Array<[string, readonly Element[]]> = [
    ['iv', ['10.0.0.1']],
    ['iv', ['10.1.0.0/16', '10.0.0.7', '192.168.1.10-192.168.1.20']],
    ['iv', ['255.255.255.255']],
    ['h', ['10.0.0.1']],
    ['h', ['10.0.0.3', '10.0.0.2']],
  ]
  for (const [set, elements] of cases) {
    it(`sends what a transaction sends: ${set} ${elements.join(' ')}`, () => {
      const { client, kernel, sent } = recorded()
      const w = client.elementWriter(set)
      const before = kernel.dump()
      expect(w.addSync(elements)).toEqual({ handles: [undefined], messages: 3, bytes: expect.any(Number) })
      expect(sent.map((s) => s.ops)).toEqual([viaTransaction(client, 'add', set, elements)])
      const added = kernel.dump()
      expect(added).not.toBe(before)
      w.deleteSync(elements)
      expect(sent[1].ops).toEqual(viaTransaction(client, 'delete', set, elements))
      expect(kernel.dump()).toBe(before)
      // The same changes through transactions leave the same state.
      client.commitSync(client.transaction().add({ kind: 'element', set, elements: elements as Element[] }))
      expect(kernel.dump()).toBe(added)
    })
  }

  it('takes what the short path does not handle through the transaction path: other key types, 16 and more keys, overlaps', () => {
    const { client, sent } = recorded()
    client.elementWriter('ports').addSync([80, 443])
    expect(sent[0].ops).toEqual(viaTransaction(client, 'add', 'ports', [80, 443]))
    const many = Array.from({ length: 20 }, (_, i) => `10.9.0.${i}`)
    client.elementWriter('h').addSync(many)
    expect(sent[1].ops).toEqual(viaTransaction(client, 'add', 'h', many))
    // Overlapping intervals: the transaction path merges them.
    client.elementWriter('iv').addSync(['10.2.0.0/24', '10.2.0.5'])
    expect(sent[2].ops).toEqual(viaTransaction(client, 'add', 'iv', ['10.2.0.0/24', '10.2.0.5']))
  })

  it('refuses bad input with the transaction path field paths, sending nothing', () => {
    const { client, sent } = recorded()
    const w = client.elementWriter('iv')
    const bad = rejection(() => w.addSync(['10.0.0.300']))
    expect(bad.path).toBe('add(0).elements[0]')
    expect(rejection(() => w.deleteSync([])).path).toBe('delete(0).elements')
    expect(rejection(() => w.addSync('10.0.0.1' as never)).path).toBe('add(0).elements')
    const unknown = rejection(() => client.elementWriter('nope').addSync(['10.0.0.1']))
    expect(unknown.path).toBe('add(0).set')
    expect(unknown.message).toMatch(/Expected a set whose key type is known/)
    expect(rejection(() => client.elementWriter('')).path).toBe('elementWriter.set')
    expect(rejection(() => client.elementWriter('iv', { table: '' })).path).toBe('options.table')
    expect(rejection(() => client.elementWriter('iv', 5 as never)).path).toBe('options')
    expect(rejection(() => client.elementWriter('iv', { family: 'ipx' as never })).path).toBe('options.family')
    expect(sent).toEqual([])
  })

  it('a kernel refusal is the same NftError as the transaction path gives, and nothing is applied', () => {
    const { client, kernel } = recorded()
    const w = client.elementWriter('h')
    w.addSync(['10.0.0.1'])
    const before = kernel.dump()
    const mine = thrown(() => w.deleteSync(['10.0.0.2', '10.0.0.1']), NftError)
    const theirs = thrown(() => client.commitSync(client.transaction().delete({ kind: 'element', set: 'h', elements: ['10.0.0.2', '10.0.0.1'] })), NftError)
    expect(mine.code).toBe('ENOENT')
    expect(mine.index).toBe(0)
    expect(mine.message).toBe(theirs.message)
    expect(mine.op).toBe(theirs.op)
    expect(mine.object).toEqual(theirs.object)
    expect(kernel.dump()).toBe(before)
  })

  it('follows the set when it is declared again with another key type', () => {
    const { client, sent } = recorded()
    const w = client.elementWriter('h')
    w.addSync(['10.0.0.1'])
    const tx = client.transaction()
    tx.delete({ kind: 'set', name: 'h' })
    tx.add({ kind: 'set', name: 'h', type: 'inet_service' })
    client.commitSync(tx)
    w.addSync([22])
    expect(sent.at(-1)?.ops).toEqual(viaTransaction(client, 'add', 'h', [22]))
  })

  it('async calls keep the order of the client queue, and go inline once the set is known to be fast', async () => {
    const { client, kernel, sent } = recorded()
    const w = client.elementWriter('h')
    const first = w.add(['10.0.0.1']) // nothing learned yet: the worker
    const list = client.list()
    const second = w.add(['10.0.0.2']) // queued behind the list
    await Promise.all([first, list, second])
    expect(sent.map((s) => s.via)).toEqual(['commit', 'commit'])
    expect(kernel.dump()).toMatch(/10\.0\.0\.1, 10\.0\.0\.2/)
    await w.delete(['10.0.0.1']) // idle client, kernel time learned: inline
    expect(sent.at(-1)?.via).toBe('commitSync')
    await expect(w.delete(['10.0.0.1'])).rejects.toMatchObject({ code: 'ENOENT', index: 0 })
    await expect(w.add(['x'])).rejects.toBeInstanceOf(NftValidationError)
    const pending = client.list()
    expect(() => w.addSync(['10.0.0.8'])).toThrow(/connection busy/) // a sync call may not overtake a queued async one
    await pending
  })
})

describe('PackedElementsWire', () => {
  it('writes what encodeOps writes for the same operation', () => {
    const op = { verb: 'add', kind: 'element', family: 1, table: 'tbl', set: 'pods', keyLen: 4 } as const
    const t = new PackedElementsWire(op, 4)
    const keys = Uint8Array.of(10, 0, 0, 1, 10, 0, 0, 2)
    const flags = Uint8Array.of(0, 1)
    for (const verb of ['add', 'delete'] as const)
      expect(decodeOps(t.write(verb, keys, flags, 2))).toEqual(decodeOps(encodeOps([{ ...op, verb, packedKeys: keys, packedFlags: flags }])))
    expect(() => t.write('add', new Uint8Array(400), new Uint8Array(100), 100)).toThrow(RangeError)
    expect(() => new PackedElementsWire({ ...op, kind: 'rule' } as never, 1)).toThrow(/element operation/)
  })
})
