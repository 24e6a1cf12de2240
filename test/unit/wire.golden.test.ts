/**
 * The C++ reader decodes what the TypeScript writer encodes, for every kind of
 * operation (lib/batch/wire.ts -> native/core/wire.cc -> core/batch_builder.cc):
 *
 * 1. the addon's `readBatch` (the C++ reader's structs) equals `decodeOps` (the
 *    TS reader of the same table) field by field;
 * 2. `encode()` (the netlink bytes libnftnl would send) equals the golden hex
 *    in test/fixtures/wire/<case>.hex (4 bytes a line; `UPDATE_GOLDEN=1` rewrites them);
 * 3. those netlink bytes, parsed here independently, carry the key attributes
 *    of each operation (message type, family, names, hook, keys, verdicts...),
 *    so the golden files are checked, not just whatever the addon printed.
 *
 * Needs the addon, not root.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Transaction } from '../../lib/batch/transaction.js'
import { decodeOps, ELEM_FIELDS, encodeOps, OP_FIELDS } from '../../lib/batch/wire.js'
import { loadBinding } from '../../lib/io/native.js'
import type { NativeOp } from '../../types/native.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/wire')
const UPDATE = process.env.UPDATE_GOLDEN === '1'
const binding = loadBinding()

const NFPROTO_INET = 1
const NFPROTO_IPV4 = 2
const NFPROTO_NETDEV = 5

// netlink / nf_tables numbers (include/uapi/linux/netfilter/nf_tables.h), written out
// here rather than imported so that this test does not share the library's mistakes.
const BATCH_BEGIN = 0x10
const BATCH_END = 0x11
const NFT = 10 << 8
const MSG = { NEWTABLE: 0, DELTABLE: 2, NEWCHAIN: 3, NEWRULE: 6, DELRULE: 8, NEWSET: 9, NEWSETELEM: 12, DELSETELEM: 14, NEWOBJ: 18, DESTROYSET: 29 }
const NLM_F_CREATE = 0x400
const NLM_F_EXCL = 0x200
const NLM_F_APPEND = 0x800
const NLM_F_REPLACE = 0x100
const NLM_F_ECHO = 0x8

/** One case: a few operations as a transaction compiles them (or as a fast path writes them). */
function tx(build: (t: Transaction) => void): () => NativeOp[] {
  return () => {
    const t = new Transaction({ family: 'inet', table: 't' })
    build(t)
    return t.prepare().ops.slice()
  }
}

const CASES: Record<string, () => NativeOp[]> = {
  table: tx((t) => t.add({ kind: 'table', flags: ['dormant'], comment: 'ünïcödé table' })),
  'table-create-echo': () => [{ verb: 'create', kind: 'table', family: NFPROTO_IPV4, name: 'fw', echo: true }],
  'chain-base': tx((t) => t.add({ kind: 'chain', name: 'in', type: 'filter', hook: 'input', priority: -150, policy: 'drop', comment: 'c' })),
  'chain-regular': tx((t) => t.add({ kind: 'chain', name: 'sub' })),
  'chain-netdev': tx((t) => t.add({ kind: 'chain', family: 'netdev', name: 'eg', hook: 'egress', priority: 0, devices: ['eth0', 'eth1'] })),
  rule: tx((t) =>
    t.add({
      kind: 'rule',
      chain: 'in',
      comment: 'r',
      exprs: [{ match: 'ip saddr', value: '10.0.0.0/8' }, { match: 'tcp dport', value: 22 }, { stmt: 'ct mark set', value: 7 }, { stmt: 'counter' }, { stmt: 'jump', chain: 'sub' }],
    }),
  ),
  'rule-anonymous-set': tx((t) => t.add({ kind: 'rule', chain: 'in', exprs: [{ match: 'tcp dport', value: [22, 80] }, { stmt: 'accept' }] })),
  'rule-insert-position': tx((t) => t.insert({ kind: 'rule', chain: 'in', position: 2 ** 40, exprs: [{ stmt: 'return' }] })),
  'rule-replace': tx((t) => t.replace({ kind: 'rule', chain: 'in', handle: 7, exprs: [{ stmt: 'reject', with: 'tcp reset' }] })),
  'rule-id': () => [{ verb: 'add', kind: 'rule', family: NFPROTO_INET, table: 't', chain: 'in', id: 42, exprs: [{ type: 'counter' }] }],
  'rule-delete-handle': tx((t) => t.delete({ kind: 'rule', chain: 'in', handle: 9 })),
  'rule-chain-binding': tx((t) =>
    t.add({ kind: 'rule', chain: 'in', exprs: [{ match: 'tcp dport', value: 22 }, { stmt: 'jump', rules: [{ exprs: [{ stmt: 'counter' }, { stmt: 'accept' }], comment: 'i' }] }] }),
  ),
  set: tx((t) => t.add({ kind: 'set', name: 'pods', type: 'ipv4_addr', flags: ['interval', 'timeout'], timeout: 60000, gcInterval: 5000, size: 1000, policy: 'memory', counter: true })),
  'set-concat': tx((t) => t.add({ kind: 'set', name: 'pairs', type: ['ipv4_addr', 'inet_service'], flags: ['interval'] })),
  map: tx((t) =>
    t.add({ kind: 'map', name: 'vm', type: 'ipv4_addr', map: 'verdict', flags: ['timeout'], elements: [{ key: '10.0.0.2', value: 'drop' }, { key: '10.0.0.3', value: { jump: 'in' }, timeout: 5000, comment: 'x', counter: true }] }),
  ),
  'element-unpacked': tx((t) => {
    // Elements with options travel unpacked (plain ones go packed, as in element-packed).
    t.add({ kind: 'set', name: 'pods', type: 'ipv4_addr', flags: ['timeout'] })
    t.add({ kind: 'element', set: 'pods', elements: [{ key: '10.0.0.1', timeout: 5000, comment: 'x' }, '10.0.0.2'] })
  }),
  'element-packed': () => [
    { verb: 'add', kind: 'element', family: NFPROTO_INET, table: 't', set: 'pods', keyLen: 4, packedKeys: Buffer.from([10, 0, 0, 7, 10, 0, 0, 8]), packedFlags: Buffer.from([0, 1]) },
    { verb: 'delete', kind: 'element', family: NFPROTO_INET, table: 't', set: 'pods', keyLen: 4, packedKeys: Buffer.from([10, 0, 0, 9]) },
  ],
  'element-fields': () => [
    {
      verb: 'add',
      kind: 'element',
      family: NFPROTO_INET,
      table: 't',
      set: 'm',
      elements: [
        { key: Buffer.from([10, 0, 0, 1]), keyEnd: Buffer.from([10, 0, 0, 9]), flags: 0, data: Buffer.from([0, 0, 0, 7]) },
        { key: Buffer.from([10, 0, 0, 20]), objref: 'hits' },
      ],
    },
  ],
  counter: tx((t) => t.add({ kind: 'counter', name: 'hits', packets: 5, bytes: 2 ** 40 })),
  'flush-ruleset': tx((t) => t.flush({ kind: 'ruleset' })),
  'flush-chain': tx((t) => t.flush({ kind: 'chain', name: 'in' })),
  'delete-table-handle': () => [{ verb: 'delete', kind: 'table', family: NFPROTO_INET, handle: 2n ** 63n + 5n }],
  'destroy-set': tx((t) => t.destroy({ kind: 'set', name: 'pods' })),
}

// --- the C++ reader's view against decodeOps -------------------------------------------------

const VERBS = ['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush']
const KINDS = ['table', 'chain', 'rule', 'set', 'element', 'object', 'ruleset']
/** Fields the C++ struct keeps without a presence flag: it shows them only when not empty or 0. */
const NO_PRESENCE = new Set(['table', 'chain', 'set', 'type', 'priority', 'keyType', 'keyLen', 'dataLen', 'devices', 'concat', 'exprs', 'elements', 'packedKeys', 'packedFlags'])
const isDefault = (v: unknown) => v === '' || v === 0 || (Array.isArray(v) && v.length === 0) || (v instanceof Uint8Array && v.length === 0)

/** decodeOps' operation as the C++ reader would hold it. */
function asReaderSees(op: NativeOp): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(op)) {
    if (NO_PRESENCE.has(k) && isDefault(v)) continue
    if (k === 'verb') out[k] = VERBS.indexOf(v as string)
    else if (k === 'kind') out[k] = KINDS.indexOf(v as string)
    else if (k === 'echo') out[k] = 1
    else if (k === 'exprs') out[k] = (v as Record<string, unknown>[]).map(exprAsReaderSees)
    else if (k === 'elements') out[k] = (v as Record<string, unknown>[]).map((e) => Object.fromEntries(Object.entries(e).map(([ek, ev]) => [ek, ek === 'exprs' ? (ev as Record<string, unknown>[]).map(exprAsReaderSees) : ev])))
    else out[k] = v
  }
  return out
}

/** Expression attributes stored as U32 keep the low 32 bits of a negative (verdict) value. */
function exprAsReaderSees(e: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, typeof v === 'number' && v < 0 ? v >>> 0 : v]))
}

// --- netlink, parsed independently -----------------------------------------------------------

interface Attr {
  type: number
  data: Buffer
}
interface Msg {
  type: number
  flags: number
  seq: number
  family: number
  resId: number
  attrs: Attr[]
}

function attrs(b: Buffer): Attr[] {
  const out: Attr[] = []
  for (let p = 0; p + 4 <= b.length; ) {
    const len = b.readUInt16LE(p)
    expect(len).toBeGreaterThanOrEqual(4)
    out.push({ type: b.readUInt16LE(p + 2) & 0x3fff, data: b.subarray(p + 4, p + len) })
    p += (len + 3) & ~3
  }
  return out
}

function messages(b: Buffer): Msg[] {
  const out: Msg[] = []
  for (let p = 0; p < b.length; ) {
    const len = b.readUInt32LE(p)
    expect(len % 4).toBe(0)
    out.push({ type: b.readUInt16LE(p + 4), flags: b.readUInt16LE(p + 6), seq: b.readUInt32LE(p + 8), family: b[p + 16], resId: b.readUInt16BE(p + 18), attrs: attrs(b.subarray(p + 20, p + len)) })
    p += len
  }
  return out
}

const get = (as: Attr[], type: number) => as.find((a) => a.type === type)?.data
const all = (as: Attr[], type: number) => as.filter((a) => a.type === type).map((a) => a.data)
const text = (d: Buffer | undefined) => d?.subarray(0, d.indexOf(0) < 0 ? d.length : d.indexOf(0)).toString()
const be32 = (d: Buffer | undefined) => d?.readUInt32BE(0)
const be64 = (d: Buffer | undefined) => d?.readBigUInt64BE(0)
/** Names of the expressions in an NFTA_*_EXPRESSIONS nest. */
const exprNames = (d: Buffer | undefined) => (d ? all(attrs(d), 1).map((e) => text(get(attrs(e), 1))) : [])
/** The elements of an NFTA_SET_ELEM_LIST_ELEMENTS nest (libnftnl numbers them 1, 2, ...; the kernel ignores the type). */
const elems = (d: Buffer | undefined) => (d ? attrs(d).map((a) => a.data) : [])
/** Key bytes of the elements of an NFTA_SET_ELEM_LIST_ELEMENTS nest (NFTA_SET_ELEM_KEY -> NFTA_DATA_VALUE). */
const elemKeys = (d: Buffer | undefined) => (d ? elems(d).map((e) => get(attrs(get(attrs(e), 1)!), 1)!.toString('hex')) : [])

/** The key attributes of each case's messages (BATCH_BEGIN and BATCH_END stripped). */
const CHECKS: Record<string, (m: Msg[]) => void> = {
  table: ([m]) => {
    expect([m.type, m.family, text(get(m.attrs, 1)), be32(get(m.attrs, 2))]).toEqual([NFT | MSG.NEWTABLE, NFPROTO_INET, 't', 1])
    expect(get(m.attrs, 6)!.toString()).toContain('ünïcödé table')
  },
  'table-create-echo': ([m]) => {
    expect([m.type, m.family, text(get(m.attrs, 1))]).toEqual([NFT | MSG.NEWTABLE, NFPROTO_IPV4, 'fw'])
    expect(m.flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO)).toBe(NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO)
  },
  'chain-base': ([m]) => {
    expect([m.type, text(get(m.attrs, 1)), text(get(m.attrs, 3)), text(get(m.attrs, 7)), be32(get(m.attrs, 5))]).toEqual([NFT | MSG.NEWCHAIN, 't', 'in', 'filter', 0])
    const hook = attrs(get(m.attrs, 4)!)
    expect([be32(get(hook, 1)), be32(get(hook, 2))]).toEqual([1, -150 >>> 0]) // NF_INET_LOCAL_IN
  },
  'chain-regular': ([m]) => {
    expect([m.type, text(get(m.attrs, 3)), get(m.attrs, 4)]).toEqual([NFT | MSG.NEWCHAIN, 'sub', undefined])
  },
  'chain-netdev': ([m]) => {
    expect([m.type, m.family, text(get(m.attrs, 3))]).toEqual([NFT | MSG.NEWCHAIN, NFPROTO_NETDEV, 'eg'])
    const hook = attrs(get(m.attrs, 4)!)
    expect(be32(get(hook, 1))).toBe(1) // NF_NETDEV_EGRESS
    expect(all(attrs(get(hook, 4)!), 1).map(text)).toEqual(['eth0', 'eth1'])
  },
  rule: ([m]) => {
    expect([m.type, text(get(m.attrs, 1)), text(get(m.attrs, 2))]).toEqual([NFT | MSG.NEWRULE, 't', 'in'])
    expect(m.flags & (NLM_F_CREATE | NLM_F_APPEND)).toBe(NLM_F_CREATE | NLM_F_APPEND)
    const names = exprNames(get(m.attrs, 4))
    expect(names).toEqual(expect.arrayContaining(['meta', 'payload', 'cmp', 'ct', 'counter', 'immediate']))
    // The jump (the last immediate; the first loads the ct mark): immediate -> NFTA_IMMEDIATE_DATA -> NFTA_DATA_VERDICT -> code NFT_JUMP (-3), chain 'sub'.
    const imm = all(attrs(get(m.attrs, 4)!), 1).map((e) => attrs(e)).filter((e) => text(get(e, 1)) === 'immediate').at(-1)!
    const verdict = attrs(get(attrs(get(attrs(get(imm, 2)!), 2)!), 2)!)
    expect([be32(get(verdict, 1))! | 0, text(get(verdict, 2))]).toEqual([-3, 'sub'])
  },
  'rule-anonymous-set': ([set, els, rule]) => {
    expect([set.type, els.type, rule.type]).toEqual([NFT | MSG.NEWSET, NFT | MSG.NEWSETELEM, NFT | MSG.NEWRULE])
    expect(be32(get(set.attrs, 3))! & 3).toBe(3) // NFT_SET_ANONYMOUS | NFT_SET_CONSTANT
    expect(be32(get(set.attrs, 10))).toBe(be32(get(els.attrs, 4))) // the set id binds the elements
    expect(elemKeys(get(els.attrs, 3))).toEqual(['0016', '0050'])
    expect(exprNames(get(rule.attrs, 4))).toContain('lookup')
  },
  'rule-insert-position': ([m]) => {
    expect([m.type, be64(get(m.attrs, 6))]).toEqual([NFT | MSG.NEWRULE, 2n ** 40n])
    expect(m.flags & NLM_F_APPEND).toBe(0)
  },
  'rule-replace': ([m]) => {
    expect([m.type, be64(get(m.attrs, 3)), m.flags & NLM_F_REPLACE]).toEqual([NFT | MSG.NEWRULE, 7n, NLM_F_REPLACE])
    expect(exprNames(get(m.attrs, 4))).toContain('reject')
  },
  'rule-id': ([m]) => {
    expect([m.type, be32(get(m.attrs, 9)), exprNames(get(m.attrs, 4))]).toEqual([NFT | MSG.NEWRULE, 42, ['counter']]) // NFTA_RULE_ID
  },
  'rule-chain-binding': ([chain, inner, rule]) => {
    // The bound chain: NEWCHAIN without a name (NFTA_CHAIN_NAME 3), NFTA_CHAIN_FLAGS (10) NFT_CHAIN_BINDING, NFTA_CHAIN_ID (11).
    expect([chain.type, text(get(chain.attrs, 1)), get(chain.attrs, 3), be32(get(chain.attrs, 10))]).toEqual([NFT | MSG.NEWCHAIN, 't', undefined, 4])
    const id = be32(get(chain.attrs, 11))
    expect(id).toBeGreaterThan(0)
    // Its rule names it by id (NFTA_RULE_CHAIN_ID 11), not by name (NFTA_RULE_CHAIN 2).
    expect([inner.type, get(inner.attrs, 2), be32(get(inner.attrs, 11)), exprNames(get(inner.attrs, 4))]).toEqual([NFT | MSG.NEWRULE, undefined, id, ['counter', 'immediate']])
    expect(get(inner.attrs, 7)!.toString()).toContain('i')
    // The binding rule jumps to it by id: NFTA_VERDICT_CODE NFT_JUMP, no NFTA_VERDICT_CHAIN (2), NFTA_VERDICT_CHAIN_ID (3).
    expect([rule.type, text(get(rule.attrs, 2)), get(rule.attrs, 11)]).toEqual([NFT | MSG.NEWRULE, 'in', undefined])
    const imm = all(attrs(get(rule.attrs, 4)!), 1).map((e) => attrs(e)).filter((e) => text(get(e, 1)) === 'immediate').at(-1)!
    const verdict = attrs(get(attrs(get(attrs(get(imm, 2)!), 2)!), 2)!)
    expect([be32(get(verdict, 1))! | 0, get(verdict, 2), be32(get(verdict, 3))]).toEqual([-3, undefined, id])
  },
  'rule-delete-handle': ([m]) => {
    expect([m.type, text(get(m.attrs, 2)), be64(get(m.attrs, 3)), get(m.attrs, 4)]).toEqual([NFT | MSG.DELRULE, 'in', 9n, undefined])
  },
  set: ([m]) => {
    expect([m.type, text(get(m.attrs, 2)), be32(get(m.attrs, 4)), be32(get(m.attrs, 5))]).toEqual([NFT | MSG.NEWSET, 'pods', 7, 4])
    expect([be64(get(m.attrs, 11)), be32(get(m.attrs, 12)), be32(get(m.attrs, 8))]).toEqual([60000n, 5000, 1]) // NFT_SET_POL_MEMORY
    expect(be32(get(attrs(get(m.attrs, 9)!), 1))).toBe(1000) // NFTA_SET_DESC_SIZE
  },
  'set-concat': ([m]) => {
    expect([m.type, be32(get(m.attrs, 5))]).toEqual([NFT | MSG.NEWSET, 8])
    const fields = all(attrs(get(attrs(get(m.attrs, 9)!), 2)!), 1).map((f) => be32(get(attrs(f), 1))) // NFTA_SET_DESC_CONCAT
    expect(fields).toEqual([4, 2])
  },
  map: ([set, els]) => {
    expect([set.type, be32(get(set.attrs, 6))]).toEqual([NFT | MSG.NEWSET, 0xffffff00]) // NFT_DATA_VERDICT
    expect(elemKeys(get(els.attrs, 3))).toEqual(['0a000002', '0a000003'])
    const second = attrs(elems(get(els.attrs, 3))[1])
    const verdict = attrs(get(attrs(get(second, 2)!), 2)!)
    expect([be32(get(verdict, 1))! | 0, text(get(verdict, 2)), be64(get(second, 4))]).toEqual([-3, 'in', 5000n])
  },
  'element-unpacked': ([, els]) => {
    expect([els.type, text(get(els.attrs, 2))]).toEqual([NFT | MSG.NEWSETELEM, 'pods'])
    expect(elemKeys(get(els.attrs, 3))).toEqual(['0a000001', '0a000002'])
    const [first, second] = elems(get(els.attrs, 3)).map(attrs)
    expect([be64(get(first, 4)), get(first, 6)?.toString()]).toEqual([5000n, expect.stringContaining('x')]) // timeout, userdata
    expect([get(second, 4), get(second, 6)]).toEqual([undefined, undefined])
  },
  'element-packed': ([add, del]) => {
    expect([add.type, text(get(add.attrs, 2)), del.type]).toEqual([NFT | MSG.NEWSETELEM, 'pods', NFT | MSG.DELSETELEM])
    expect(elemKeys(get(add.attrs, 3))).toEqual(['0a000007', '0a000008'])
    const flags = elems(get(add.attrs, 3)).map((e) => be32(get(attrs(e), 3)) ?? 0)
    expect(flags).toEqual([0, 1]) // NFT_SET_ELEM_INTERVAL_END on the second
    expect(elemKeys(get(del.attrs, 3))).toEqual(['0a000009'])
  },
  'element-fields': ([m]) => {
    const [first, second] = elems(get(m.attrs, 3)).map(attrs)
    expect(get(attrs(get(first, 10)!), 1)!.toString('hex')).toBe('0a000009') // NFTA_SET_ELEM_KEY_END
    expect(get(attrs(get(first, 2)!), 1)!.toString('hex')).toBe('00000007') // NFTA_SET_ELEM_DATA -> NFTA_DATA_VALUE
    expect(text(get(second, 9))).toBe('hits') // NFTA_SET_ELEM_OBJREF
  },
  counter: ([m]) => {
    expect([m.type, text(get(m.attrs, 2)), be32(get(m.attrs, 3))]).toEqual([NFT | MSG.NEWOBJ, 'hits', 1]) // NFT_OBJECT_COUNTER
    const data = attrs(get(m.attrs, 4)!)
    expect([be64(get(data, 2)), be64(get(data, 1))]).toEqual([5n, 2n ** 40n]) // packets, bytes
  },
  'flush-ruleset': ([m]) => {
    expect([m.type, m.family, get(m.attrs, 1)]).toEqual([NFT | MSG.DELTABLE, 0, undefined]) // every family
  },
  'flush-chain': ([m]) => {
    expect([m.type, text(get(m.attrs, 2)), get(m.attrs, 3)]).toEqual([NFT | MSG.DELRULE, 'in', undefined])
  },
  'delete-table-handle': ([m]) => {
    expect([m.type, be64(get(m.attrs, 4)), get(m.attrs, 1)]).toEqual([NFT | MSG.DELTABLE, 2n ** 63n + 5n, undefined])
  },
  'destroy-set': ([m]) => {
    expect([m.type, text(get(m.attrs, 2))]).toEqual([NFT | MSG.DESTROYSET, 'pods'])
  },
}

const hexLines = (b: Buffer) => (b.toString('hex').match(/.{1,8}/g) ?? []).join('\n') + '\n'

describe('wire golden: the C++ reader decodes what the TS writer encodes', () => {
  it('has a netlink check for every case', () => {
    expect(Object.keys(CHECKS).sort()).toEqual(Object.keys(CASES).sort())
  })

  it('covers every verb, kind and field bit of the table', () => {
    const ops = Object.values(CASES).flatMap((c) => decodeOps(encodeOps(c())))
    expect(new Set(ops.map((o) => o.verb))).toEqual(new Set(['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush']))
    expect(new Set(ops.map((o) => o.kind))).toEqual(new Set(KINDS))
    const seen = new Set(ops.flatMap((o) => Object.keys(o)))
    const opFields = OP_FIELDS.filter((f) => f.name !== 'objAttrs').map((f) => f.name)
    expect(opFields.filter((f) => !seen.has(f))).toEqual([])
    const seenElem = new Set(ops.flatMap((o) => o.elements ?? []).flatMap((e) => Object.keys(e)))
    expect(ELEM_FIELDS.map((f) => f.name).filter((f) => !seenElem.has(f))).toEqual([])
  })

  it('the field tables are in bit order', () => {
    expect(OP_FIELDS.map((f) => f.bit)).toEqual(OP_FIELDS.map((_, i) => i))
    expect(ELEM_FIELDS.map((f) => f.bit)).toEqual(ELEM_FIELDS.map((_, i) => i))
  })

  for (const [name, build] of Object.entries(CASES)) {
    it(name, () => {
      const batch = encodeOps(build()).slice()
      // 1. The C++ reader's structs equal the TS decoder's view of the same bytes.
      expect(binding.readBatch!(batch)).toEqual(decodeOps(batch).map(asReaderSees))
      // 2. The netlink bytes built from them equal the golden file.
      const nl = binding.encode(batch)
      const file = join(FIXTURES, `${name}.hex`)
      if (UPDATE) {
        mkdirSync(FIXTURES, { recursive: true })
        writeFileSync(file, hexLines(nl))
      }
      if (!existsSync(file)) throw new Error(`no golden file ${file}: run UPDATE_GOLDEN=1 npx vitest run test/unit/wire.golden.test.ts`)
      expect(hexLines(nl)).toBe(readFileSync(file, 'utf8'))
      // 3. Read independently, they say what the operations asked for.
      const msgs = messages(nl)
      expect(msgs[0].type).toBe(BATCH_BEGIN)
      expect(msgs[0].resId).toBe(10) // NFNL_SUBSYS_NFTABLES
      expect(msgs.at(-1)!.type).toBe(BATCH_END)
      expect(msgs.map((m) => m.seq)).toEqual(msgs.map((_, i) => i + 1))
      CHECKS[name](msgs.slice(1, -1))
    })
  }
})
