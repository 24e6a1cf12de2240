/**
 * The addon's batch reader under corrupted input, in a throwaway namespace:
 * valid batches of every kind with bytes flipped, counts and lengths
 * inflated, or cut short must either be refused with "invalid batch encoding"
 * or be sent (the kernel may then refuse them), never crash or read out of
 * bounds (`npm run asan` runs this file under AddressSanitizer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadBinding } from '../../lib/io/native.js'
import { Transaction } from '../../lib/batch/transaction.js'
import { encodeOps } from '../../lib/batch/wire.js'
import type { NativeSocket } from '../../types/native.js'
import { makeNetns, type Netns } from '../helpers/netns.js'
import { rng } from '../helpers/rng.js'

let ns: Netns
let sock: NativeSocket

beforeAll(() => {
  ns = makeNetns('fuzz')
  sock = new (loadBinding().Socket)(`/run/netns/${ns.name}`)
})

afterAll(() => {
  sock?.close()
  ns?.remove()
})

/** Valid batches covering every op kind and field type of the wire format. */
function seeds(): Uint8Array[] {
  const tx = new Transaction({ family: 'inet', table: 'fz' })
  tx.add({ kind: 'table', comment: 'fuzz' })
  tx.add({ kind: 'chain', name: 'in', type: 'filter', hook: 'input', priority: 0, policy: 'accept' })
  tx.add({ kind: 'set', name: 's', type: ['ipv4_addr', 'inet_service'], flags: ['interval'], elements: [['10.0.0.1', 80]] })
  tx.add({ kind: 'map', name: 'm', type: 'ipv4_addr', map: 'verdict', elements: [{ key: '10.0.0.2', value: 'drop', comment: 'c' }] })
  tx.add({ kind: 'counter', name: 'k', packets: 1, bytes: 2 })
  tx.add({ kind: 'rule', chain: 'in', exprs: [{ match: 'ip saddr', value: ['10.0.0.1', '10.0.0.9'] }, { stmt: 'counter' }, { stmt: 'jump', chain: 'in' }] })
  tx.add({ kind: 'element', set: 's', elements: [['10.0.0.3', 443]] })
  const all = encodeOps(tx.prepare().ops).slice()
  const one = (t: Transaction) => encodeOps(t.prepare().ops).slice()
  const packed = new Transaction({ family: 'ip', table: 'fz' })
  packed.add({ kind: 'set', name: 'p', type: 'ipv4_addr', elements: Array.from({ length: 40 }, (_, i) => `10.1.0.${i}`) })
  return [all, one(packed)]
}

describe('corrupted batches', () => {
  it('are refused cleanly or sent, 1200 mutations of valid batches', () => {
    const next = rng(20261121)
    let refused = 0
    let sent = 0
    for (const seed of seeds()) {
      for (let i = 0; i < 600; i++) {
        const b = Buffer.from(seed)
        const kind = next() % 4
        if (kind === 0) {
          // Flip a few random bytes.
          for (let k = 1 + (next() % 4); k > 0; k--) b[next() % b.length] ^= 1 << next() % 8
        } else if (kind === 1) {
          // Inflate a 32-bit little-endian count or length somewhere.
          b.writeUInt32LE(next() % 2 ? 0xffffffff : next() % 100000, 4 * (next() % Math.floor(b.length / 4)))
        } else if (kind === 3) {
          // Swap two 32-bit words (moves counts, lengths and codes around).
          const x = 4 * (next() % Math.floor(b.length / 4))
          const y = 4 * (next() % Math.floor(b.length / 4))
          const w = b.readUInt32LE(x)
          b.writeUInt32LE(b.readUInt32LE(y), x)
          b.writeUInt32LE(w, y)
        }
        // kind 2: cut the batch short.
        const input = kind === 2 ? b.subarray(0, next() % b.length) : b
        try {
          sock.commitSync(input)
          sent++
        } catch (e) {
          const msg = String((e as Error).message)
          if (/invalid batch encoding/.test(msg)) refused++
          else if (!('errno' in (e as object))) throw e // kernel-side errors carry an errno; anything else is a bug
        }
      }
    }
    expect(refused).toBeGreaterThan(300)
    expect(refused + sent).toBeGreaterThan(0)
  })
})
