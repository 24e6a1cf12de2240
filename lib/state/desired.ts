/**
 * Desired state from declared operations: checked as a transaction would
 * check them, built into table contents, and limited to the tables that were
 * declared. The one path from "what the files or the generator say" to "what
 * the reconciler makes true", used by the CLI and by the agents alike.
 * @module
 */
import type { InterfaceNames } from '../model/interfaces.js'
import { Transaction } from '../batch/transaction.js'
import type { Family } from '../kernel/constants.js'
import { NftValidationError } from '../kernel/errors.js'
import { type Operation, sourceOf } from '../model/operations.js'
import { applyToModel } from './model.js'
import type { TableContents } from './tables.js'

/** Operations and the tables they declare (what `parseNft` returns, or a generator's output). */
export interface Declaration {
  readonly operations: readonly Operation[]
  /** The tables the reconciler owns: only these are made to match. */
  readonly tables: ReadonlyArray<{ readonly family: Family; readonly name: string }>
}

/** Interface names for checks made without a namespace: every name exists (as index 0). */
const ANY_INTERFACE: InterfaceNames = { index: () => 0, name: () => undefined }

/**
 * The declared state of the declared tables. Every operation is checked as
 * {@link Transaction.add} would (an error names the file, line and column of
 * operations parsed from nft text), and every rule's chain must be declared.
 * @throws NftValidationError for a bad operation or a rule in an undeclared chain.
 */
export function desiredTables(d: Declaration): TableContents[] {
  // Interface names (`meta iif "lo"`) are resolved in the target namespace
  // when the plan is committed; this offline check takes any name.
  const check = new Transaction({ interfaces: ANY_INTERFACE })
  for (const op of d.operations) {
    try {
      check.apply(op)
    } catch (e) {
      const at = sourceOf(op)
      if (e instanceof NftValidationError && at) e.message = `${at.file ?? '<input>'}:${at.line}:${at.col}: ${e.message}`
      throw e
    }
  }
  const model = applyToModel(d.operations)
  for (const t of model)
    for (const r of t.rules)
      if (!t.chains.some((c) => c.name === r.chain)) {
        const e = new NftValidationError(`rule.chain`, 'Expected a chain declared in the same table', r.chain)
        e.message = `rule in chain ${t.table.family}/${t.table.name}/${r.chain}: the chain is not declared`
        throw e
      }
  return model.filter((t) => d.tables.some((x) => x.family === t.table.family && x.name === t.table.name))
}
