/**
 * The TypeScript share of W2 and W3: the same transactions as bench/workloads.ts
 * through Client.commitSync, over a binding whose commit answers at once (no
 * addon, no kernel). What this prints is what nftkit adds in JS on top of
 * bench/boundary.ts (the addon alone). Mean per operation after a warm-up.
 * Run: `node --import tsx bench/js-share.ts` (no root needed).
 */
import { Client } from '../lib/io/client.js'
import type { NativeBinding } from '../types/native.js'
import { churnRule, SET, type Runner, w1Input, w1Tx, w2Element, w2Tx } from './workloads.js'

class Socket {
  closed = false
  busy = false
  portId = 1
  stats = new Float64Array(1)
  /** The compact success answer: bytes * 2^21 + messages. */
  commitSync(batch: Uint8Array) {
    return batch.length * 2 ** 21 + 3
  }
  dumpSync() {
    return { genId: 1, tables: [], chains: [], sets: [], rules: [], objects: [] }
  }
  close() {}
}

const client = new Client({ family: 'inet', table: 'bench', binding: { Socket } as unknown as NativeBinding })
// The client learns the set's shape from the (fake) commit that declares it.
client.commitSync(w1Tx({ client } as Runner, w1Input(10, 4)))
const n = Number(process.env.N ?? 200000)

function measure(name: string, op: (i: number) => void): void {
  for (let i = 0; i < 20000; i++) op(i)
  const t = performance.now()
  for (let i = 0; i < n; i++) op(i)
  console.log(`${name}: ${(((performance.now() - t) * 1000) / n).toFixed(2)} µs per operation (mean of ${n})`)
}

const addrs = Array.from({ length: 1024 }, (_, p) => w2Element(p))
measure('W2 one-element add/delete, TS share', (i) => client.commitSync(w2Tx(client, SET, i, addrs[(i >> 1) & 1023])))
const rules = Array.from({ length: 1000 }, (_, k) => churnRule(((10 << 24) | (41 << 16)) + k))
measure('W3 replace one rule, TS share', (i) => {
  const tx = client.transaction()
  tx.delete({ kind: 'rule', chain: 'churn', handle: 5 + (i % 1000) })
  tx.add({ kind: 'rule', chain: 'churn', exprs: rules[i % 1000] })
  client.commitSync(tx, { handles: false })
})
