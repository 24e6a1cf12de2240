/**
 * The TypeScript monitor over a fake native binding: how native event batches
 * become typed change/commit/overrun events, what close() and a receive error
 * do, and the async iterator. No kernel involved.
 */
import { describe, expect, it } from 'vitest'
import { createMonitor, type Monitor, type MonitorCommit, type MonitorEvent } from '../../lib/io/monitor.js'
import { NftError } from '../../lib/kernel/errors.js'
import type { NativeBinding, NativeMonitorEvent, NativeMonitorOptions } from '../../types/native.js'

interface FakeNative {
  push: (events: NativeMonitorEvent[]) => void
  calls: string[]
  opts?: NativeMonitorOptions
}

function fake(opts: { throws?: Error } = {}): { binding: NativeBinding; native: FakeNative } {
  const native: FakeNative = { push: () => undefined, calls: [] }
  class Monitor {
    closed = false
    portId = 77
    constructor(_path: string | undefined, onEvents: (e: NativeMonitorEvent[]) => void, o?: NativeMonitorOptions) {
      if (opts.throws) throw opts.throws
      native.push = (e) => {
        if (!this.closed) onEvents(e)
      }
      native.opts = o
    }
    close() {
      native.calls.push('close')
      this.closed = true
    }
    ref() {
      native.calls.push('ref')
    }
    unref() {
      native.calls.push('unref')
    }
  }
  return { binding: { Monitor } as unknown as NativeBinding, native }
}

const table = (name: string, op: 'new' | 'del' = 'new', portId = 5): NativeMonitorEvent => ({ type: 'table', op, family: 1, table: name, name, handle: 3, portId })
const rule = (chain: string, handle: number | bigint, portId = 5): NativeMonitorEvent => ({ type: 'rule', op: 'del', family: 2, table: 't', chain, handle, portId })
const elems = (n: number, portId = 5): NativeMonitorEvent => ({ type: 'element', op: 'new', family: 10, table: 't', set: 's', elements: n, portId })
const gen = (genId: number, portId = 5): NativeMonitorEvent => ({ type: 'gen', op: 'new', genId, pid: 123, procName: 'nft', portId })
const overrun: NativeMonitorEvent = { type: 'overrun' }

function open(): { m: Monitor; native: FakeNative; changes: MonitorEvent[]; commits: MonitorCommit[]; overruns: () => number } {
  const { binding, native } = fake()
  const m = createMonitor({ binding })
  const changes: MonitorEvent[] = []
  const commits: MonitorCommit[] = []
  let overruns = 0
  m.on('change', (e) => changes.push(e))
  m.on('commit', (c) => commits.push(c))
  m.on('overrun', () => overruns++)
  return { m, native, changes, commits, overruns: () => overruns }
}

describe('Monitor (fake binding)', () => {
  it('turns native events into typed changes (family names, numeric handles) and one commit per gen', () => {
    const { native, changes, commits } = open()
    native.push([table('a'), rule('in', 2n ** 40n), elems(3)])
    native.push([gen(7), table('a', 'del', 9), gen(8, 9)])
    expect(changes).toEqual([
      { type: 'table', op: 'new', family: 'inet', table: 'a', name: 'a', handle: 3, portId: 5 },
      { type: 'rule', op: 'del', family: 'ip', table: 't', chain: 'in', handle: 2 ** 40, portId: 5 },
      { type: 'element', op: 'new', family: 'ip6', table: 't', set: 's', elements: 3, portId: 5 },
      { type: 'gen', op: 'new', genId: 7, pid: 123, procName: 'nft', portId: 5 },
      { type: 'table', op: 'del', family: 'inet', table: 'a', name: 'a', handle: 3, portId: 9 },
      { type: 'gen', op: 'new', genId: 8, pid: 123, procName: 'nft', portId: 9 },
    ])
    expect(commits.map((c) => [c.genId, c.portId, c.changes.map((x) => x.type)])).toEqual([
      [7, 5, ['table', 'rule', 'element']],
      [8, 9, ['table']],
    ])
  })

  it('an overrun drops the batch being received and the next commit; later commits are reported again', () => {
    const { native, changes, commits, overruns } = open()
    native.push([table('a'), overrun, table('b'), gen(2), table('c'), gen(3)])
    expect(overruns()).toBe(1)
    expect(changes.map((e) => e.type)).toEqual(['table', 'overrun', 'table', 'gen', 'table', 'gen'])
    expect(commits.map((c) => [c.genId, c.changes.map((x) => (x as { name: string }).name)])).toEqual([[3, ['c']]])
  })

  it('close() stops delivery at once, even within one native batch; close is emitted once', () => {
    const { m, native, changes, commits } = open()
    let closes = 0
    m.on('close', () => closes++)
    m.once('change', () => m.close())
    native.push([table('a'), table('b'), gen(2)])
    expect(changes.map((e) => e.type)).toEqual(['table'])
    expect(commits).toEqual([])
    expect(m.closed).toBe(true)
    m.close()
    expect(closes).toBe(1)
    expect(native.calls).toEqual(['close'])
    // ref/unref after close are no-ops.
    m.ref().unref()
    expect(native.calls).toEqual(['close'])
  })

  it('a receive error emits error (NftError with errno and code), then close', () => {
    const { m, native } = open()
    const seen: string[] = []
    m.on('error', (e) => seen.push(`error ${e instanceof NftError} ${e.code} ${e.errno}`))
    m.on('close', () => seen.push('close'))
    const err = Object.assign(new Error('monitor: receive failed: Bad file descriptor'), { errno: 9, code: 'EBADF' })
    native.push([{ type: 'error', error: err }, table('late')])
    expect(seen).toEqual(['error true EBADF 9', 'close'])
    expect(m.closed).toBe(true)
  })

  it('events() yields in order, ends on close, and throws a receive error', async () => {
    const { m, native } = open()
    const it = m.events()
    native.push([table('a'), gen(2)])
    expect((await it.next()).value).toMatchObject({ type: 'table', name: 'a' })
    expect((await it.next()).value).toMatchObject({ type: 'gen', genId: 2 })
    const pending = it.next()
    m.close()
    expect(await pending).toEqual({ value: undefined, done: true })

    const b = open()
    const it2 = b.m.events()
    const failed = it2.next()
    b.native.push([{ type: 'error', error: Object.assign(new Error('x'), { errno: 5, code: 'EIO' }) }])
    await expect(failed).rejects.toMatchObject({ code: 'EIO' })
  })

  it('options: receive buffer (default 16 MiB, validated), unref; constructor errors become NftError', () => {
    const a = fake()
    createMonitor({ binding: a.binding, unref: true })
    expect(a.native.opts).toEqual({ receiveBuffer: 16 << 20 })
    expect(a.native.calls).toEqual(['unref'])
    expect(() => createMonitor({ binding: a.binding, receiveBuffer: -1 })).toThrow(/receiveBuffer/)
    const b = fake({ throws: Object.assign(new Error('subscribe to NFNLGRP_NFTABLES: Operation not permitted'), { errno: 1, code: 'EPERM' }) })
    expect(() => createMonitor({ binding: b.binding })).toThrow(NftError)
    expect(() => createMonitor({ binding: b.binding })).toThrow(/open monitor: subscribe to NFNLGRP_NFTABLES: Operation not permitted \[EPERM\]/)
  })
})
