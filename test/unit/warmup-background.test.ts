/**
 * The background warm-up (`createClient()` without `warmUp`, or `warmUp:
 * 'background'`): nothing runs before the constructor returns; later, on the
 * event loop, the client runs the warm-up's rounds and sends only empty
 * batches; it runs once per process; a client closed before it finished
 * hands it to the next client made. The state is per process, and vitest
 * gives each test file fresh modules, so this file has it to itself.
 */
import { describe, expect, it } from 'vitest'
import { Client } from '../../lib/io/client.js'
import { decodeOps } from '../../lib/batch/wire.js'
import type { NativeBinding, NativeCommitResult, NativeOp } from '../../types/native.js'

/** A binding that records what reaches it (one list per binding). */
function recorder(): { binding: NativeBinding; sent: NativeOp[][] } {
  const sent: NativeOp[][] = []
  class Socket {
    closed = false
    busy = false
    stats = new Float64Array(1)
    commitSync(batch: Uint8Array): NativeCommitResult {
      const ops = decodeOps(batch)
      sent.push(ops)
      return { ok: true, messages: ops.length + 2, bytes: 40, handles: [], errors: [] }
    }
    close() {
      this.closed = true
    }
  }
  return { binding: { Socket } as unknown as NativeBinding, sent }
}

/** Waits until `sent` stops growing (the warm-up finished or never started), at most 20 s. */
async function settled(sent: unknown[]): Promise<void> {
  let last = -1
  for (let i = 0; i < 400 && sent.length !== last; i++) {
    last = sent.length
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('background warm-up', () => {
  it('runs on the event loop, not in the constructor, sends only empty batches, and hands over from a closed client', async () => {
    // Closed before its first slice: it sends nothing and leaves the warm-up to the next client.
    const a = recorder()
    const first = new Client({ binding: a.binding, warmUp: 'background' })
    first.close()
    await settled(a.sent)
    expect(a.sent).toEqual([])

    const b = recorder()
    const second = new Client({ binding: b.binding, warmUp: 'background' })
    expect(b.sent).toEqual([]) // nothing yet: the constructor returned first
    await settled(b.sent)
    // 1500 rounds, one empty batch each sent for real; nothing else.
    expect(b.sent.length).toBe(1500)
    expect(b.sent.every((ops) => ops.length === 0)).toBe(true)
    // The client works as before, and knows no set the warm-up pretended to know.
    expect(() => second.transaction({ table: '__nftkit_warmup' }).add({ kind: 'element', set: 'interval', elements: ['10.0.0.1'] })).toThrow(/key type is known/)
    second.commitSync(second.transaction().add({ kind: 'table', name: 't' }))
    expect(b.sent.at(-1)?.map((o) => o.kind)).toEqual(['table'])

    // Once per process: a later client starts no warm-up of its own.
    const c = recorder()
    const third = new Client({ binding: c.binding, warmUp: 'background' })
    await settled(c.sent)
    expect(c.sent).toEqual([])
    second.close()
    third.close()
  })

  it('refuses a warmUp option it does not know, naming the choices', () => {
    expect(() => new Client({ binding: recorder().binding, warmUp: 'later' as never })).toThrow(/'background', true, false or a number of rounds.*options\.warmUp/)
  })
})
