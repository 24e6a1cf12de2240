// The TypeScript share of W2: the same transactions through Client.commitSync
// over a binding whose commit returns at once (no kernel, no addon).
import { Client } from '../lib/client.js'
import { SET, w2Element, w2Tx, w1Tx, w1Input, Runner } from './workloads.js'
import type { NativeBinding } from '../types/native.js'
class Socket { closed = false; busy = false; portId = 1
  commitSync(b: Uint8Array) { return b.length * 2 ** 21 + 3 }
  dumpSync() { return { genId: 1, tables: [], chains: [], sets: [], rules: [], objects: [] } }
  close() {} }
const client = new Client({ family: 'inet', table: 'bench', binding: { Socket } as unknown as NativeBinding })
// teach the client the set shape: commit the W1 setup through the fake
client.commitSync(w1Tx({ client } as Runner, w1Input(10, 4)))
const n = Number(process.env.N ?? 200000)
const els = Array.from({ length: 1024 }, (_, p) => w2Element(p))
for (let i = 0; i < 20000; i++) client.commitSync(w2Tx(client, SET, i, els[(i >> 1) & 1023]))
const t = performance.now()
for (let i = 0; i < n; i++) client.commitSync(w2Tx(client, SET, i, els[(i >> 1) & 1023]))
console.log(`W2 JS path: ${(((performance.now() - t) * 1000) / n).toFixed(2)} µs per op (mean of ${n})`)
