/**
 * What a transaction records: nft's verbs, the references to existing rules
 * and sets, and one operation (verb + object). Plain types and the verb table;
 * no encoding.
 * @module
 */
import type { Family } from '../kernel/constants.js'
import type { SetShape } from './element-types.js'
import type { NftObject } from './objects.js'

/** nft's verbs. */
export type Verb = 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'destroy' | 'flush'

/** A reference to an existing rule, for delete/destroy. */
export interface RuleRef {
  readonly kind: 'rule'
  readonly family?: Family
  readonly table?: string
  readonly chain: string
  readonly handle: number
}

/** A reference to an existing set or map (delete/destroy/flush), or named object (delete/destroy), by name (or handle). */
export interface SetRef {
  /** A set, map, or a named quota, limit, synproxy, ct helper or ct expectation (whose settings a delete does not need). */
  readonly kind: 'set' | 'map' | 'quota' | 'limit' | 'synproxy' | 'ct helper' | 'ct expectation'
  readonly family?: Family
  readonly table?: string
  readonly name: string
  readonly handle?: number
}

/** One operation as recorded: the verb and the object with family/table filled in. */
export interface Operation {
  readonly verb: Verb
  readonly object: NftObject | RuleRef | SetRef
}

/** A set as the encoder needs it: its shape and, if created in this batch, its id. */
export interface KnownSet {
  readonly shape: SetShape
  readonly id?: number
  /** Whether the set has the dynamic flag (known for sets declared in the transaction). */
  readonly dynamic?: boolean
}

/** Supplies the shape of sets that exist in the kernel (e.g. from the client's last listing). */
export type SetResolver = (family: Family, table: string, name: string) => KnownSet | undefined

/** Which verbs apply to each object kind (the one list; everything else derives from it). */
const VERBS: Record<NftObject['kind'], readonly Verb[]> = {
  table: ['add', 'create', 'delete', 'destroy', 'flush'],
  chain: ['add', 'create', 'delete', 'destroy', 'flush'],
  rule: ['add', 'insert', 'replace', 'delete', 'destroy'],
  set: ['add', 'create', 'delete', 'destroy', 'flush'],
  map: ['add', 'create', 'delete', 'destroy', 'flush'],
  element: ['add', 'create', 'delete', 'destroy'],
  counter: ['add', 'create', 'delete', 'destroy'],
  quota: ['add', 'create', 'delete', 'destroy'],
  limit: ['add', 'create', 'delete', 'destroy'],
  synproxy: ['add', 'create', 'delete', 'destroy'],
  'ct helper': ['add', 'create', 'delete', 'destroy'],
  'ct expectation': ['add', 'create', 'delete', 'destroy'],
  ruleset: ['flush'],
}

export const VERBS_BY_KIND: Readonly<Record<NftObject['kind'], readonly Verb[]>> = VERBS

/** Where an operation was written: file (if known), line and column, 1-based. */
export interface SourcePosition {
  readonly file?: string
  readonly line: number
  readonly col: number
}

const SOURCES = new WeakMap<Operation, SourcePosition>()

/** Where a parsed operation came from (nft text), or undefined for operations built in code. */
export function sourceOf(op: Operation): SourcePosition | undefined {
  return SOURCES.get(op)
}

/** Records where an operation was written (the parser does, once per operation). */
export function recordSource(op: Operation, at: SourcePosition): void {
  if (!SOURCES.has(op)) SOURCES.set(op, at)
}
