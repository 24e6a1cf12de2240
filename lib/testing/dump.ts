/**
 * The Fake's state as a native dump: the records the addon's dump reader
 * (native/core/dump_reader.cc) makes from the kernel's answers, so that
 * lib/listing.ts decodes them exactly as it decodes the kernel's.
 * @module
 */
import type { NativeDump, NativeDumpRequest, NativeRecord } from '../../types/native.js'
import type { FakeElement, FakeSet, FakeState, FakeTable } from './model.js'

const buf = (b: Uint8Array): Buffer => Buffer.from(b)
/** A copy of an expression (byte values copied too: nothing in a dump aliases the state). */
const copyExpr = (x: object): Record<string, unknown> =>
  Object.fromEntries(Object.entries(x).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v) : v]))
const opt = <T>(k: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [k]: v })
const bytes = (k: string, v: Uint8Array | undefined): Record<string, Buffer> => (v === undefined ? {} : { [k]: buf(v) })

function elementRecord(e: FakeElement): Record<string, unknown> {
  return {
    key: buf(e.key),
    ...bytes('keyEnd', e.keyEnd),
    ...bytes('data', e.data),
    ...bytes('userdata', e.userdata),
    ...(e.flags ? { flags: e.flags } : {}),
    ...opt('verdict', e.verdict),
    ...opt('chain', e.chain),
    ...opt('objref', e.objref),
    // The Fake's elements never age: the time left is the whole timeout.
    ...(e.timeout !== undefined ? { timeout: e.timeout, expiration: e.timeout } : {}),
    ...(e.exprs ? { exprs: e.exprs.map(copyExpr) } : {}),
  }
}

/** Elements as the dump reader returns them: packed when every one is a plain key (and flags), else records. */
function elementFields(s: FakeSet): Record<string, unknown> {
  // The kernel's interval tree dumps from the greatest bound down.
  const els = s.flags & 0x4 && !(s.flags & 0x80) ? [...s.elements].reverse() : s.elements
  const plain = els.length > 0 && els.every((e) => Object.keys(elementRecord(e)).every((k) => k === 'key' || k === 'flags') && e.flags <= 255 && e.key.length === els[0].key.length)
  if (!plain) return { elements: els.map(elementRecord) }
  const n = els[0].key.length
  const keys = Buffer.alloc(n * els.length)
  els.forEach((e, i) => {
    keys.set(e.key, i * n)
  })
  return { elementKeys: keys, elementKeyLen: n, elementFlags: Buffer.from(els.map((e) => e.flags)) }
}

function setRecord(t: FakeTable, s: FakeSet, elements: boolean): NativeRecord {
  return {
    kind: 'set',
    family: t.family,
    table: t.name,
    name: s.name,
    handle: s.handle,
    flags: s.flags,
    keyType: s.keyType,
    keyLen: s.keyLen,
    ...(s.dataType !== undefined ? { dataType: s.dataType, dataLen: s.dataLen } : {}),
    ...opt('objType', s.objType),
    ...opt('setPolicy', s.setPolicy),
    ...opt('size', s.size),
    ...opt('timeout', s.timeout),
    ...opt('gcInterval', s.gcInterval),
    ...(s.concat ? { concat: [...s.concat] } : {}),
    ...bytes('userdata', s.userdata),
    ...(s.exprs ? { exprs: s.exprs.map(copyExpr) } : {}),
    ...(elements ? elementFields(s) : {}),
  }
}

/** A native dump of the Fake's state, filtered as the request asks. */
export function nativeDump(state: FakeState, req: NativeDumpRequest = {}): NativeDump {
  const out = { genId: state.genId, tables: [] as NativeRecord[], chains: [] as NativeRecord[], sets: [] as NativeRecord[], rules: [] as NativeRecord[], objects: [] as NativeRecord[] }
  for (const t of state.tables) {
    if (req.family && t.family !== req.family) continue
    if (req.table !== undefined && t.name !== req.table) continue
    const base = { family: t.family, table: t.name }
    const use = t.chains.length + t.sets.length + t.objects.length
    out.tables.push({ kind: 'table', ...base, name: t.name, handle: t.handle, flags: t.flags, use, ...bytes('userdata', t.userdata) })
    for (const c of t.chains) {
      out.chains.push({
        kind: 'chain',
        ...base,
        name: c.name,
        handle: c.handle,
        use: c.rules.length,
        ...(c.hook !== undefined ? { hook: c.hook, priority: c.priority, type: c.type, policy: c.policy } : {}),
        ...(c.flags ? { flags: c.flags } : {}),
        ...(c.devices ? { devices: [...c.devices] } : {}),
        ...bytes('userdata', c.userdata),
      })
      for (const r of c.rules)
        out.rules.push({ kind: 'rule', ...base, chain: c.name, handle: r.handle, ...bytes('userdata', r.userdata), exprs: r.exprs.map(copyExpr) })
    }
    for (const s of t.sets) out.sets.push(setRecord(t, s, req.elements !== false))
    for (const o of t.objects)
      out.objects.push({ kind: 'object', ...base, name: o.name, handle: o.handle, objType: o.objType, ...bytes('userdata', o.userdata), ...o.attrs })
  }
  return out
}
