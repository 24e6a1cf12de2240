/**
 * The Fake's in-memory kernel state: what nf_tables keeps per network
 * namespace, in the kernel's own terms (native expressions, key bytes,
 * handles), so that a dump of it reads back through the real listing code.
 * @module
 */
import type { NativeExpr } from '../../types/native.js'

/** One set element as the kernel stores it (an interval set keeps start and end bounds as separate elements). */
export interface FakeElement {
  key: Uint8Array
  keyEnd?: Uint8Array
  /** NFT_SET_ELEM_* flags (1 = interval end). */
  flags: number
  data?: Uint8Array
  verdict?: number
  chain?: string
  objref?: string
  userdata?: Uint8Array
  timeout?: number
  exprs?: NativeExpr[]
}

/** A rule: its handle and its expressions as the kernel dumps them. */
export interface FakeRule {
  handle: number
  exprs: NativeExpr[]
  userdata?: Uint8Array
}

/** A chain; `hook` is set for base chains. */
export interface FakeChain {
  name: string
  handle: number
  hook?: number
  priority?: number
  type?: string
  policy?: number
  devices?: string[]
  /** NFT_CHAIN_* flags (1 = base chain). */
  flags: number
  userdata?: Uint8Array
  rules: FakeRule[]
}

/** A set or map (anonymous sets included). */
export interface FakeSet {
  name: string
  handle: number
  flags: number
  keyType: number
  keyLen: number
  dataType?: number
  dataLen?: number
  objType?: number
  setPolicy?: number
  timeout?: number
  gcInterval?: number
  size?: number
  concat?: number[]
  userdata?: Uint8Array
  exprs?: NativeExpr[]
  elements: FakeElement[]
}

/** A named stateful object (counter, quota, limit). */
export interface FakeObject {
  name: string
  handle: number
  objType: number
  userdata?: Uint8Array
  attrs: Record<string, number | bigint | string | Uint8Array>
}

/** A table and everything in it, each list in creation order (the kernel's list order). */
export interface FakeTable {
  family: number
  name: string
  handle: number
  flags: number
  userdata?: Uint8Array
  /** Last handle given to an object of this table (nf_tables: one counter per table). */
  lastHandle: number
  chains: FakeChain[]
  sets: FakeSet[]
  objects: FakeObject[]
}

/** Everything nf_tables holds for one network namespace. */
export interface FakeState {
  /** Tables in creation order, every family in one list (as the kernel keeps them). */
  tables: FakeTable[]
  /** Last table handle given (nf_tables: one counter per namespace). */
  lastTableHandle: number
  /** The ruleset generation: +1 for every commit that changed something. */
  genId: number
}

/** A fresh namespace's state (the kernel's first generation is 1). */
export function emptyState(): FakeState {
  return { tables: [], lastTableHandle: 0, genId: 1 }
}

/** NFT_SET_* flags the Fake looks at. */
export const SET = { anonymous: 0x1, constant: 0x2, interval: 0x4, map: 0x8, timeout: 0x10, object: 0x40, concat: 0x80 } as const
/** NFT_SET_ELEM_INTERVAL_END. */
export const INTERVAL_END = 1
/** NFT_DATA_VERDICT: the data type of verdict maps. */
export const DATA_VERDICT = 0xffffff00
/** NFT_JUMP: a verdict that names a chain. */
export const JUMP = -3
/** NFT_GOTO: a verdict that names a chain. */
export const GOTO = -4
/** NFT_CHAIN_BINDING: a chain bound to the rule that jumps to it (`jump { ... }`), destroyed with that rule. */
export const CHAIN_BINDING = 4

/** The table `name` of `family`, or undefined. */
export function findTable(s: FakeState, family: number, name: string | undefined): FakeTable | undefined {
  return s.tables.find((t) => t.family === family && t.name === name)
}

