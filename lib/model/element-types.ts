/**
 * Set elements as users write them (a bare key or a spec with options) and
 * the shape of a set as the encoder needs it. Types only, and one guard.
 * @module
 */
import type { Datatype } from '../kernel/datatypes.js'
import type { AnonymousSetElement, SetStatefulStmt, Verdict } from './rule-types.js'
import type { NativeElement } from '../../types/native.js'

/** The named objects a map can map to (nft's object maps). */
export type ObjectMapType = 'counter' | 'quota' | 'limit' | 'synproxy'

/** Kernel object types (NFT_OBJECT_*) of the object maps nftkit supports. */
export const OBJECT_MAP_TYPE: Readonly<Record<ObjectMapType, number>> = { counter: 1, quota: 2, limit: 4, synproxy: 10 }

/** A key: one value, or one value per field for a concatenation. */
export type ElementKey = string | number | ReadonlyArray<string | number>

/** An element with options. */
export interface ElementSpec {
  readonly key: ElementKey
  /** Map value: a datatype value, one value per type for a map to a concatenation, or a verdict for verdict maps. */
  readonly value?: string | number | Verdict | ReadonlyArray<string | number>
  /** Timeout in milliseconds (set needs the timeout flag). */
  readonly timeout?: number
  /** Comment (up to 128 bytes). */
  readonly comment?: string
  /**
   * Attach a counter to this element; read back as its values
   * (`{ packets, bytes }`), which are also accepted as starting values.
   */
  readonly counter?: boolean | { readonly packets: number; readonly bytes: number }
  /**
   * The element's own stateful statements, nft's `10.0.0.1 limit rate
   * 1/second counter`: counter (optionally with starting values), limit,
   * quota and ct count, at most two (the kernel's NFT_SET_EXPR_MAX), without
   * object names. A counter alone is written `counter` (the canonical form;
   * give `counter` or `stmts`, not both). nft sends one statement as
   * NFTA_SET_ELEM_EXPR and two as NFTA_SET_ELEM_EXPRESSIONS; the set
   * declaration carries nothing for them. In a set that declares statements
   * an element without its own gets copies of the set's (the kernel's doing),
   * and one with its own needs the same kinds in the same order (else the
   * kernel refuses with EOPNOTSUPP).
   *
   * Read back, this is every statement the element holds (its own or its
   * set's copies, when more than a lone counter), counters with their values
   * and quotas with the bytes used. The reconciler compares elements without
   * those live values: a counter that counted or a quota that was used does
   * not make an element differ, a changed limit does.
   */
  readonly stmts?: readonly SetStatefulStmt[]
}

/** An element as given by a user: a bare key or a spec. */
export type Element = ElementKey | ElementSpec

/** What the encoder needs to know about the set. */
export interface SetShape {
  readonly name: string
  /** One datatype per key field (more than one = concatenation). */
  readonly key: readonly Datatype[]
  readonly interval: boolean
  /** Map data type; 'verdict' for verdict maps. */
  readonly data?: Datatype | 'verdict'
  /** Object maps (`type ipv4_addr : counter`): the object type; element values name objects. */
  readonly object?: ObjectMapType
  readonly timeout?: boolean
}

/** True if the element is given with options. */
export function isSpec(e: Element): e is ElementSpec {
  return typeof e === 'object' && e !== null && !Array.isArray(e)
}

/** True for an anonymous set's element given with statements (`{ key, counter?, stmts? }`), not a bare key. */
export function isAnonymousSetElement(e: unknown): e is AnonymousSetElement {
  return typeof e === 'object' && e !== null && !Array.isArray(e) && 'key' in e
}


/**
 * The element fields of a native operation: a list of elements, or plain keys
 * packed back to back. Every field is always present (undefined when unused),
 * so all element operations share one object shape.
 */
export interface ElementFields {
  readonly elements: readonly NativeElement[] | undefined
  /** Fixed-size keys back to back. */
  readonly packedKeys: Uint8Array | undefined
  /** Size of each key in `packedKeys`. */
  readonly keyLen: number | undefined
  /** One flags byte per packed key (e.g. 1 = interval end). */
  readonly packedFlags: Uint8Array | undefined
}
