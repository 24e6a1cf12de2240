/**
 * The prepared batch: what `Client.commit` sends. A `Transaction` prepares one
 * (`tx.prepare()`); the reconciler's delta path prepares one for element
 * changes of a set whose shape it knows ({@link prepareElements},
 * {@link prepareIPv4Elements}) without building a Transaction. Every commit
 * goes through the same client path whichever made its batch.
 * @module
 */
import { type Family, FAMILY_NUMBER } from '../kernel/constants.js'
import { encodeElementFields } from '../elements/elements.js'
import { compileElementStmts } from '../expr/set-stateful.js'
import { put32 } from '../kernel/ipv4.js'
import type { Element, ElementFields, SetShape } from '../model/element-types.js'
import type { Elements } from '../model/objects.js'
import type { Operation, Verb } from '../model/operations.js'
import type { NativeOp } from '../../types/native.js'

/**
 * One atomic batch, ready to commit: the operations it stands for, their
 * kernel form, and what the client needs to map the kernel's answer back.
 *
 * Build one with `Transaction.prepare()` (validated operations) or, for
 * element changes of a set of known shape, {@link prepareElements}. A
 * hand-built batch is checked only by the wire encoder (a malformed native
 * operation is refused before anything is sent), not by the transaction's
 * field-path validation. Treat it as immutable once made.
 */
export interface PreparedBatch {
  /** The operations, in order: errors name them, `CommitResult.handles` is indexed by them. */
  readonly operations: readonly Operation[]
  /** The kernel operations in batch order (one operation may need several, e.g. a rule and its anonymous sets). */
  readonly ops: readonly NativeOp[]
  /** For each kernel operation, the index in `operations` it came from; undefined when the two correspond one to one. */
  readonly owner: readonly number[] | undefined
  /**
   * True if an operation creates or deletes sets, maps, tables or the
   * ruleset: the client then updates the set shapes it remembers (so later
   * transactions can add elements without a listing).
   */
  readonly touchesSets: boolean
  /** Shapes of the sets and maps the batch declares, keyed by `setKey(family, table, name)`; undefined if none. */
  readonly declaredSets: ReadonlyMap<string, SetShape> | undefined
}

/**
 * The kernel operation of an element change. One object shape for every
 * element op (absent fields undefined): this is the hot path of a controller
 * updating sets, and spreads made V8 build hidden classes per operation.
 */
export function elementOp(verb: Verb, family: Family, table: string, set: string, setId: number | undefined, f: ElementFields): NativeOp {
  return {
    verb,
    kind: 'element',
    family: FAMILY_NUMBER[family],
    table,
    set,
    setId,
    elements: f.elements,
    packedKeys: f.packedKeys,
    keyLen: f.keyLen,
    packedFlags: f.packedFlags,
  }
}

/** The recorded operation of an element change (one literal shape). */
function elementsOperation(verb: Verb, family: Family, table: string, set: string, elements: readonly Element[]): Operation {
  const object: Elements = { kind: 'element', family, table, set, elements }
  return { verb, object }
}

/** A batch of element operations, one kernel operation each. */
function elementBatch(operations: Operation[], ops: NativeOp[]): PreparedBatch {
  return { operations, ops, owner: undefined, touchesSets: false, declaredSets: undefined }
}

/**
 * Element changes to one set of known shape as one batch: a delete of
 * `remove` (if any), then an add of `add` (if any). The elements must be
 * valid and canonical for the shape (the reconciler's, planned from a
 * listing); they skip the transaction's per-operation checks, which are the
 * hot spot of a controller's delta. Names are not checked either.
 * @throws NftValidationError (path `elements[i]`) for an element the shape does not accept.
 */
export function prepareElements(
  family: Family,
  table: string,
  set: string,
  shape: SetShape,
  remove: readonly Element[],
  add: readonly Element[],
): PreparedBatch {
  const operations: Operation[] = []
  const ops: NativeOp[] = []
  if (remove.length) {
    operations.push(elementsOperation('delete', family, table, set, remove))
    ops.push(elementOp('delete', family, table, set, undefined, encodeElementFields(shape, remove, 'elements', { forDelete: true })))
  }
  if (add.length) {
    operations.push(elementsOperation('add', family, table, set, add))
    ops.push(elementOp('add', family, table, set, undefined, encodeElementFields(shape, add, 'elements', { stmts: compileElementStmts })))
  }
  return elementBatch(operations, ops)
}

/**
 * {@link prepareElements} for a plain IPv4 hash set when the caller already
 * holds each address's 32-bit value (`removeValues[i]` of `remove[i]`): the
 * keys are packed from the values, nothing is parsed again.
 */
export function prepareIPv4Elements(
  family: Family,
  table: string,
  set: string,
  remove: readonly string[],
  removeValues: readonly number[],
  add: readonly string[],
  addValues: readonly number[],
): PreparedBatch {
  const operations: Operation[] = []
  const ops: NativeOp[] = []
  if (remove.length) {
    operations.push(elementsOperation('delete', family, table, set, remove))
    ops.push(elementOp('delete', family, table, set, undefined, packedValues(removeValues)))
  }
  if (add.length) {
    operations.push(elementsOperation('add', family, table, set, add))
    ops.push(elementOp('add', family, table, set, undefined, packedValues(addValues)))
  }
  return elementBatch(operations, ops)
}

/** 32-bit address values as 4-byte big-endian keys back to back (no flags: a hash set). */
function packedValues(values: readonly number[]): ElementFields {
  const keys = new Uint8Array(4 * values.length)
  for (let i = 0; i < values.length; i++) put32(keys, 4 * i, values[i])
  return { elements: undefined, packedKeys: keys, keyLen: 4, packedFlags: undefined }
}
