/**
 * Size limits against the kernel, in a throwaway namespace.
 *
 * netlink lengths are 16 bits and libmnl truncates them silently: a netdev
 * chain with 8194 one-to-three-byte device names has a hook attribute of
 * 65576 bytes, whose length wraps to 40. The kernel then reads two devices as
 * the hook's and every later device name (type 1, NFTA_DEVICE_NAME) as a
 * chain attribute of type 1, NFTA_CHAIN_TABLE; the last one wins. Naming the
 * last device "vic" moved a chain declared in table `nd` into table `vic`,
 * and the commit succeeded. These tests build that exact batch past the
 * TypeScript checks and require the addon to refuse it with nothing applied,
 * and check the kernel's own limits come back named (EFBIG, EINVAL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Client, createClient } from '../../lib/io/client.js'
import { FAMILY_NUMBER } from '../../lib/kernel/constants.js'
import { NftError, NftValidationError } from '../../lib/kernel/errors.js'
import { loadBinding } from '../../lib/io/native.js'
import type { Operation } from '../../lib/model/operations.js'
import type { PreparedBatch } from '../../lib/batch/prepared.js'
import { encodeOps } from '../../lib/batch/wire.js'
import type { NativeOp, NativeSocket } from '../../types/native.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

let ns: Netns

/** What committing hand-built native operations throws (undefined if it succeeds). */
function commitError(ops: NativeOp[], operations: Operation[]): unknown {
  try {
    nft.commitSync(prepared(ops, operations), { handles: false })
  } catch (e) {
    return e
  }
  return undefined
}

/** Native operations built by hand, past every TypeScript check, as a batch the client sends as it is. */
const prepared = (ops: NativeOp[], operations: Operation[]): PreparedBatch => ({ operations, ops, owner: undefined, touchesSets: false, declaredSets: undefined })
let nft: Client
let sock: NativeSocket

const NETDEV = FAMILY_NUMBER.netdev
const EMSGSIZE = 90

beforeAll(() => {
  ns = makeNetns('limits')
  nft = createClient({ netns: ns.name, family: 'netdev' })
  sock = new (loadBinding().Socket)(`/run/netns/${ns.name}`)
})

afterAll(() => {
  sock?.close()
  ns?.remove()
})

/**
 * 8194 device names of at most three bytes (one 8-byte attribute each), "lo"
 * first and "vic" last: the names that, once the length wraps, put the chain
 * into table vic.
 */
function escapeDevices(): string[] {
  const names = ['lo']
  for (let i = 0; names.length < 8193; i++) {
    const n = i.toString(36)
    if (n !== 'lo' && n !== 'vic') names.push(n)
  }
  names.push('vic')
  return names
}

/** The batch of the report: tables nd and vic, and the chain declared in nd. */
function escapeBatch(): NativeOp[] {
  return [
    { verb: 'add', kind: 'table', family: NETDEV, name: 'nd' },
    { verb: 'add', kind: 'table', family: NETDEV, name: 'vic' },
    { verb: 'add', kind: 'chain', family: NETDEV, table: 'nd', name: 'c', hook: 0, priority: 0, type: 'filter', devices: escapeDevices() },
  ]
}

/** Nothing at all in the namespace, by our own listing and by nft. */
function expectEmpty(): void {
  const l = nft.listSync()
  expect(l.tables).toEqual([])
  expect(l.chains).toEqual([])
  expect(l.rules).toEqual([])
  expect(ns.nft('list', 'ruleset').trim()).toBe('')
}

describe('the 16-bit attribute length', () => {
  it('refuses the table escape at tx.add() with the device list field', () => {
    const tx = nft.transaction()
    tx.add({ kind: 'table', name: 'nd' })
    tx.add({ kind: 'table', name: 'vic' })
    let err: unknown
    try {
      tx.add({ kind: 'chain', table: 'nd', name: 'c', type: 'filter', hook: 'ingress', priority: 0, devices: escapeDevices() })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(NftValidationError)
    expect((err as NftValidationError).path).toBe('add(2).devices')
    expect((err as Error).message).toContain('8194 devices need 65576 bytes (64.0 KiB) of netlink attributes, over the 64 KiB limit of one attribute')
    expect(tx.length).toBe(2)
  })

  it('refuses the table escape in the addon when TypeScript is bypassed (raw socket): EMSGSIZE, nothing applied', () => {
    let err: (Error & { errno?: number }) | undefined
    try {
      sock.commitSync(encodeOps(escapeBatch()))
    } catch (e) {
      err = e as Error & { errno?: number }
    }
    expect(err?.errno).toBe(EMSGSIZE)
    expect(err?.message).toBe(
      'operation 2: the chain message is 65624 bytes (8194 hook devices), over the 65535-byte netlink limit of one message or attribute (16-bit lengths); nothing was sent',
    )
    // Before the check the commit succeeded with chain c in table vic, devices { 0, lo }.
    expectEmpty()
    expect(ns.nft('list', 'tables').trim()).toBe('')
  })

  it('refuses it through the client native path as an NftError with code EMSGSIZE', () => {
    const ops = escapeBatch()
    const operations: Operation[] = [
      { verb: 'add', object: { kind: 'table', family: 'netdev', name: 'nd' } },
      { verb: 'add', object: { kind: 'table', family: 'netdev', name: 'vic' } },
      { verb: 'add', object: { kind: 'chain', family: 'netdev', table: 'nd', name: 'c' } },
    ]
    const err = commitError(ops, operations)
    expect(err).toBeInstanceOf(NftError)
    expect(err).toMatchObject({ errno: EMSGSIZE, code: 'EMSGSIZE' })
    expect((err as Error).message).toMatch(/^commit: operation 2: the chain message is 65624 bytes .* \[EMSGSIZE\]$/)
    expectEmpty()
  })

  it('refuses a rule over 64 KiB of expressions in the addon (the kernel answered a misleading ENOENT)', () => {
    const ops: NativeOp[] = [
      { verb: 'add', kind: 'table', family: NETDEV, name: 'r' },
      { verb: 'add', kind: 'chain', family: NETDEV, table: 'r', name: 'c' },
      { verb: 'add', kind: 'rule', family: NETDEV, table: 'r', chain: 'c', exprs: Array.from({ length: 4000 }, () => ({ type: 'counter' })) },
    ]
    let err: (Error & { errno?: number }) | undefined
    try {
      sock.commitSync(encodeOps(ops))
    } catch (e) {
      err = e as Error & { errno?: number }
    }
    expect(err?.errno).toBe(EMSGSIZE)
    expect(err?.message).toMatch(/^operation 2: the rule message is \d+ bytes \(4000 expressions\), over the 65535-byte netlink limit/)
    expectEmpty()
  })

  it('refuses single values over one attribute and its own element nests over 64 KiB, in encode() (no kernel)', () => {
    // libmnl's attribute put truncates too, and advances the message length by
    // the truncated length: a 70000-byte key would be cut, not wrap the message.
    const encode = (keyLen: number) => {
      const op: NativeOp = { verb: 'add', kind: 'element', family: NETDEV, table: 't', set: 's', keyLen, packedKeys: new Uint8Array(keyLen) }
      try {
        loadBinding().encode(encodeOps([op]))
      } catch (e) {
        return e as Error & { errno?: number }
      }
      throw new Error('encode() accepted it')
    }
    const value = encode(70000)
    expect(value.errno).toBe(EMSGSIZE)
    expect(value.message).toBe('operation 0: the packed element key is 70000 bytes, over the 65535-byte netlink limit of one attribute (16-bit lengths); nothing was sent')
    // A key that fits its attribute and its key nest, but not the element nest around them.
    const nest = encode(65524)
    expect(nest.errno).toBe(EMSGSIZE)
    expect(nest.message).toBe(
      'operation 0: the element of the set element is 65536 bytes (1 elements), over the 65535-byte netlink limit of one attribute (16-bit lengths); nothing was sent',
    )
    const chain: NativeOp = { verb: 'add', kind: 'chain', family: NETDEV, table: 'x'.repeat(70000), name: 'c' }
    expect(() => loadBinding().encode(encodeOps([chain]))).toThrow('operation 0: the table name is 70000 bytes')
  })

  it('refuses data values over 64 bytes in encode() (libnftnl 1.2.4 copies them into a 64-byte register unchecked)', () => {
    const data = new Uint8Array(200)
    const rule: NativeOp = { verb: 'add', kind: 'rule', family: NETDEV, table: 't', chain: 'c', exprs: [{ type: 'cmp', sreg: 1, op: 0, data }] }
    expect(() => loadBinding().encode(encodeOps([rule]))).toThrow(
      'operation 0: expression 0 (cmp) data is 200 bytes, over the 64-byte limit of a data value (NFT_DATA_VALUE_MAXLEN); nothing was sent',
    )
    const elem: NativeOp = { verb: 'add', kind: 'element', family: NETDEV, table: 't', set: 's', elements: [{ key: new Uint8Array(4) }, { key: data }] }
    expect(() => loadBinding().encode(encodeOps([elem]))).toThrow('operation 0: element 1 key is 200 bytes, over the 64-byte limit')
    const fits: NativeOp = { verb: 'add', kind: 'element', family: NETDEV, table: 't', set: 's', elements: [{ key: new Uint8Array(64) }] }
    expect(loadBinding().encode(encodeOps([fits])).length).toBeGreaterThan(64)
  })

  it('still sends the largest messages nftkit builds: element lists are split below the limit', () => {
    const tx = nft.transaction()
    tx.add({ kind: 'table', name: 'big', family: 'ip' })
    tx.add({ kind: 'set', table: 'big', family: 'ip', name: 's', type: 'ipv6_addr', elements: Array.from({ length: 20000 }, (_, i) => `2001:db8::${i.toString(16)}`) })
    nft.commitSync(tx)
    expect(nft.listSync().sets.find((s) => s.name === 's')?.elements?.length).toBe(20000)
    nft.commitSync(nft.transaction().delete({ kind: 'table', family: 'ip', name: 'big' }))
    expectEmpty()
  })
})

describe("the kernel's limits, named", () => {
  const devices = (n: number) => Array.from({ length: n }, (_, i) => `d${i}`)

  it('takes 255 devices on one hook', () => {
    const tx = nft.transaction()
    tx.add({ kind: 'table', name: 'many' })
    tx.add({ kind: 'chain', table: 'many', name: 'c', type: 'filter', hook: 'ingress', priority: 0, devices: devices(255) })
    nft.commitSync(tx)
    expect(nft.listSync().chains.find((c) => c.name === 'c')?.devices?.length).toBe(255)
    nft.commitSync(nft.transaction().delete({ kind: 'table', name: 'many' }))
  })

  it('reports 300 devices as EFBIG with the limit (was EUNKNOWN), when TypeScript is bypassed', () => {
    const ops: NativeOp[] = [
      { verb: 'add', kind: 'table', family: NETDEV, name: 'many' },
      { verb: 'add', kind: 'chain', family: NETDEV, table: 'many', name: 'c', hook: 0, priority: 0, type: 'filter', devices: devices(300) },
    ]
    const operations: Operation[] = [
      { verb: 'add', object: { kind: 'table', family: 'netdev', name: 'many' } },
      { verb: 'add', object: { kind: 'chain', family: 'netdev', table: 'many', name: 'c' } },
    ]
    const err = commitError(ops, operations)
    expect(err).toBeInstanceOf(NftError)
    expect(err).toMatchObject({ errno: 27, code: 'EFBIG', index: 1, op: 'NEWCHAIN' })
    expect((err as Error).message).toBe(
      "add chain netdev/many/c: too many devices: at most 255 devices per hook (the kernel's NFT_NETDEVICE_MAX is 256) [EFBIG]",
    )
    expectEmpty()
  })

  it('refuses the 256th device at tx.add() before the kernel does', () => {
    const tx = nft.transaction()
    tx.add({ kind: 'table', name: 'many' })
    expect(() => tx.add({ kind: 'chain', table: 'many', name: 'c', type: 'filter', hook: 'ingress', priority: 0, devices: devices(256) })).toThrow(
      /at most 255 devices per hook/,
    )
  })

  it('takes 128 expressions in a rule; 129 are refused at tx.add(), and by the kernel with EINVAL when bypassed', () => {
    const tx = nft.transaction()
    tx.add({ kind: 'table', name: 'r' })
    tx.add({ kind: 'chain', table: 'r', name: 'c' })
    tx.add({ kind: 'rule', table: 'r', chain: 'c', exprs: Array.from({ length: 128 }, () => ({ stmt: 'counter' as const })) })
    nft.commitSync(tx)
    expect(nft.listSync().rules).toHaveLength(1)
    expect(() => nft.transaction().add({ kind: 'rule', table: 'r', chain: 'c', exprs: Array.from({ length: 129 }, () => ({ stmt: 'counter' as const })) })).toThrow(
      /at most 128 kernel expressions per rule/,
    )
    const ops: NativeOp[] = [{ verb: 'add', kind: 'rule', family: NETDEV, table: 'r', chain: 'c', exprs: Array.from({ length: 129 }, () => ({ type: 'counter' })) }]
    const operations: Operation[] = [{ verb: 'add', object: { kind: 'rule', family: 'netdev', table: 'r', chain: 'c', exprs: [] } }]
    expect(() => nft.commitSync(prepared(ops, operations), { handles: false })).toThrow(expect.objectContaining({ code: 'EINVAL', index: 0 }))
    expect(nft.listSync().rules).toHaveLength(1)
    nft.commitSync(nft.transaction().delete({ kind: 'table', name: 'r' }))
    expectEmpty()
  })
})
