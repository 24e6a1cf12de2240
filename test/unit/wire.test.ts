/**
 * The batch wire format (lib/wire.ts, native/core/wire.h): every kind of
 * operation a transaction produces survives encodeOps → decodeOps unchanged,
 * malformed descriptors are refused with their field path, and the addon
 * refuses malformed bytes before anything is sent.
 */
import { describe, expect, it } from 'vitest'
import { loadBinding } from '../../lib/io/native.js'
import { Transaction } from '../../lib/batch/transaction.js'
import { decodeOps, ELEM_FIELDS, encodeOps, OP_FIELDS } from '../../lib/batch/wire.js'
import type { NativeOp } from '../../types/native.js'

/** What decodeOps gives back for `op`: kinds canonical, bytes as Buffers, absent fields dropped. */
const replacer = (_k: string, v: unknown) =>
  typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array && !Buffer.isBuffer(v) ? { type: 'Buffer', data: [...v] } : v
function canonical(op: NativeOp): unknown {
  const kind = op.kind === ('map' as string) ? 'set' : ['counter', 'quota', 'limit'].includes(op.kind) ? 'object' : op.kind
  return JSON.parse(JSON.stringify({ ...op, kind }, replacer))
}
const plain = (ops: NativeOp[]) => JSON.parse(JSON.stringify(ops, replacer))

function everyKind(): NativeOp[] {
  const tx = new Transaction({ family: 'inet', table: 't' })
  tx.add({ kind: 'table', flags: ['dormant'], comment: 'ünïcödé table' })
  tx.add({ kind: 'chain', name: 'in', type: 'filter', hook: 'input', priority: -150, policy: 'drop', comment: 'c' })
  tx.add({ kind: 'chain', family: 'netdev', name: 'eg', hook: 'egress', priority: 0, devices: ['eth0', 'eth1'] })
  tx.add({ kind: 'set', name: 'pods', type: 'ipv4_addr', flags: ['interval', 'timeout'], timeout: 60000, gcInterval: 5000, size: 1000, policy: 'memory', counter: true, elements: ['10.0.0.1', '10.1.0.0/16'] })
  tx.add({ kind: 'set', name: 'pairs', type: ['ipv4_addr', 'inet_service'], flags: ['interval'], elements: [['10.0.0.1', 80]] })
  tx.add({ kind: 'map', name: 'vm', type: 'ipv4_addr', map: 'verdict', flags: ['timeout'], elements: [{ key: '10.0.0.2', value: 'drop' }, { key: '10.0.0.3', value: { jump: 'in' }, timeout: 5000, comment: 'x', counter: true }] })
  tx.add({ kind: 'counter', name: 'hits', packets: 5, bytes: 2 ** 40 })
  tx.add({
    kind: 'rule',
    chain: 'in',
    comment: 'r',
    exprs: [{ match: 'ip saddr', value: { set: 'pods' } }, { match: 'tcp dport', value: [22, 80] }, { stmt: 'counter' }, { stmt: 'jump', chain: 'in' }],
  })
  tx.insert({ kind: 'rule', chain: 'in', position: 2 ** 40, exprs: [{ stmt: 'ct mark set', value: 0xffffffff }, { stmt: 'return' }] })
  tx.replace({ kind: 'rule', chain: 'in', handle: 7, exprs: [{ stmt: 'reject', with: 'tcp reset' }] })
  tx.delete({ kind: 'element', set: 'pods', elements: ['10.0.0.1'] })
  tx.delete({ kind: 'rule', chain: 'in', handle: 9 })
  tx.destroy({ kind: 'set', name: 'pods' })
  tx.flush({ kind: 'ruleset' })
  return tx.prepare().ops.slice()
}

describe('encodeOps / decodeOps', () => {
  it('round-trips every kind of operation a transaction produces', () => {
    const ops = everyKind()
    expect(plain(decodeOps(encodeOps(ops)))).toEqual(ops.map(canonical))
    // Negative verdicts (jump, return) travel as signed values.
    const verdicts = decodeOps(encodeOps(ops)).flatMap((o) => o.exprs ?? []).filter((e) => e.type === 'immediate').map((e) => e.verdict)
    expect(verdicts).toContain(-3)
    expect(verdicts).toContain(-5)
  })

  it('the generated writer sets, for each row of the field tables, the bit of that row', () => {
    const one = Buffer.from([1])
    const sample: Record<string, unknown> = { userdata: one, packedKeys: one, packedFlags: one, devices: ['eth0'], concat: [4], exprs: [{ type: 'counter' }], elements: [{}], echo: true }
    const sampleOf = (name: string) => sample[name] ?? (['table', 'name', 'chain', 'set', 'type'].includes(name) ? 'x' : 3)
    const mask = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true)
    for (const f of OP_FIELDS) {
      if (f.name === 'objAttrs') continue
      const b = encodeOps([{ verb: 'add', kind: 'rule', family: 1, [f.name]: sampleOf(f.name) } as unknown as NativeOp])
      expect([f.name, mask(b, 12)]).toEqual([f.name, 2 ** f.bit])
      expect(Object.keys(decodeOps(b)[0])).toContain(f.name)
    }
    const counter = encodeOps([{ verb: 'add', kind: 'counter', family: 1, packets: 1 } as unknown as NativeOp])
    expect(mask(counter, 12)).toBe(2 ** OP_FIELDS.find((f) => f.name === 'objAttrs')!.bit)
    for (const f of ELEM_FIELDS) {
      const v = ['key', 'keyEnd', 'data', 'userdata'].includes(f.name) ? Buffer.from([1]) : f.name === 'chain' || f.name === 'objref' ? 'x' : f.name === 'exprs' ? [{ type: 'counter' }] : 3
      const b = encodeOps([{ verb: 'add', kind: 'element', family: 1, elements: [{ [f.name]: v }] } as unknown as NativeOp])
      expect([f.name, mask(b, 20)]).toEqual([f.name, 2 ** f.bit])
    }
  })

  it('keeps 64-bit values above 2^53 as bigints, and echo flags', () => {
    const op: NativeOp = { verb: 'delete', kind: 'rule', family: 1, table: 't', chain: 'c', handle: 2n ** 63n + 5n, echo: true }
    expect(decodeOps(encodeOps([op]))).toEqual([op])
  })

  it('writes names that are not ASCII as UTF-8', () => {
    const op: NativeOp = { verb: 'add', kind: 'table', family: 2, name: 'tâblé-😀' }
    const bytes = encodeOps([op])
    expect(Buffer.from(bytes).includes(Buffer.from('tâblé-😀'))).toBe(true)
    expect(decodeOps(bytes)).toEqual([op])
  })

  it('refuses malformed descriptors with their path', () => {
    const base = { verb: 'add', kind: 'rule', family: 1, table: 't', chain: 'c' } as const
    const bad = (op: unknown) => () => encodeOps([{ verb: 'add', kind: 'table', family: 1, name: 'ok' }, op as NativeOp])
    expect(bad({ ...base, verb: 'merge' })).toThrow(/ops\[1\]\.verb: expected a verb \(got "merge"\)/)
    expect(bad({ ...base, kind: 'toString' })).toThrow(/ops\[1\]\.kind: expected a kind/)
    expect(bad({ ...base, family: 300 })).toThrow(/ops\[1\]\.family/)
    expect(bad({ ...base, handle: -1 })).toThrow(/ops\[1\]\.handle: expected a non-negative safe integer \(got -1\)/)
    expect(bad({ ...base, handle: 2n ** 64n })).toThrow(/ops\[1\]\.handle: expected a bigint in the 64-bit range/)
    expect(bad({ ...base, flags: 1.5 })).toThrow(/ops\[1\]\.flags: expected an integer/)
    expect(bad({ ...base, chain: 5 })).toThrow(/ops\[1\]\.chain: expected a string \(got 5\)/)
    expect(bad({ ...base, exprs: [{ type: 'cmp', data: 'x', sreg: 1.5 }] })).toThrow(/ops\[1\]\.exprs\[0\]\.sreg/)
    expect(bad({ ...base, exprs: [{ type: 'cmp', data: true }] })).toThrow(/ops\[1\]\.exprs\[0\]\.data: expected a number or bigint \(got true\)/)
    expect(bad({ ...base, kind: 'element', elements: [{ key: 'x' }] })).toThrow(/ops\[1\]\.elements\[0\]\.key: expected a Buffer/)
    expect(bad({ ...base, userdata: [1, 2] })).toThrow(/ops\[1\]\.userdata: expected a Buffer or Uint8Array/)
  })

  it('grows its buffer for large batches and stays correct afterwards', () => {
    const keys = Buffer.alloc(4 * 300000, 7)
    const big: NativeOp = { verb: 'add', kind: 'element', family: 1, table: 't', set: 's', keyLen: 4, packedKeys: keys, packedFlags: Buffer.alloc(300000) }
    expect((decodeOps(encodeOps([big]))[0].packedKeys as Buffer).equals(keys)).toBe(true)
    const small: NativeOp = { verb: 'add', kind: 'table', family: 1, name: 'x' }
    expect(decodeOps(encodeOps([small]))).toEqual([small])
  })
})

describe('the addon reads only well-formed batches', () => {
  // Nothing reaches the kernel: the batch is refused while it is read.
  const sock = () => new (loadBinding().Socket)(undefined)
  const good = () => encodeOps([{ verb: 'add', kind: 'rule', family: 1, table: 't', chain: 'c', exprs: [{ type: 'counter' }] }]).slice()

  it('refuses anything but a Uint8Array', () => {
    const s = sock()
    expect(() => s.commitSync([] as unknown as Uint8Array)).toThrow(/expected an encoded batch/)
    expect(() => s.commitSync(new Uint16Array(4) as unknown as Uint8Array)).toThrow(/expected an encoded batch/)
    s.close()
  })

  it('names the operation and the problem for corrupt bytes', () => {
    const s = sock()
    const b = good()
    expect(() => s.commitSync(b.subarray(0, b.length - 3))).toThrow(/invalid batch encoding: operation 0: truncated/)
    const version = good()
    version[1] = 9
    expect(() => s.commitSync(version)).toThrow(/not a version 1 batch/)
    const verb = good()
    verb[8] = 42
    expect(() => s.commitSync(verb)).toThrow(/operation 0: unknown verb 42/)
    const count = good()
    count[4] = 0xff
    count[5] = 0xff
    expect(() => s.commitSync(count)).toThrow(/count 65535 exceeds the data/)
    const unknown = Buffer.from(good())
    unknown.write('countxx', unknown.indexOf('counter'))
    expect(() => s.commitSync(unknown)).toThrow(/unknown kernel expression 'countxx'/)
    const attr = encodeOps([{ verb: 'add', kind: 'rule', family: 1, table: 't', chain: 'c', exprs: [{ type: 'cmp', sreg: 1, bogus: 3 }] }]).slice()
    expect(() => s.commitSync(attr)).toThrow(/'bogus' is not an attribute of 'cmp'/)
    const kind = encodeOps([{ verb: 'add', kind: 'rule', family: 1, table: 't', chain: 'c', exprs: [{ type: 'cmp', data: 5 }] }]).slice()
    expect(() => s.commitSync(kind)).toThrow(/data expects bytes/)
    expect(() => s.commitSync(Buffer.concat([good(), Buffer.from([0])]))).toThrow(/trailing bytes/)
    // Negative numbers only for verdicts (jump, return, ...): an offset of -4 is refused, not wrapped.
    const negative = encodeOps([{ verb: 'add', kind: 'rule', family: 1, table: 't', chain: 'c', exprs: [{ type: 'payload', base: 1, offset: -4, len: 4, dreg: 1 }] }]).slice()
    expect(() => s.commitSync(negative)).toThrow(/offset expects a non-negative number/)
    s.close()
  })
})
