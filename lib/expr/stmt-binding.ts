/**
 * Chain bindings: `jump { ... }` / `goto { ... }`. nft creates the anonymous
 * chain in the rule's batch: a NEWCHAIN with flags NFT_CHAIN_BINDING and a
 * chain id but no name (the kernel names it `__chain%llu`), the chain's rules
 * by that id (NFTA_RULE_CHAIN_ID), then the rule whose verdict jumps to it by
 * id (NFTA_VERDICT_CHAIN_ID). The kernel destroys the chain with the rule.
 * @module
 */
import { CHAIN_BINDING, FAMILY_NUMBER, type Family, VERDICT_CODE } from '../kernel/constants.js'
import { invalid } from '../kernel/errors.js'
import { commentUserdata } from '../kernel/udata.js'
import { checkComment } from '../model/validate.js'
import type { BindingStmt, BoundRule, RuleExpr, Statement } from '../model/rule-types.js'
import type { NativeExpr, NativeOp } from '../../types/native.js'

/** True for `jump { ... }` / `goto { ... }` (a chain binding), false for `jump CHAIN`. */
export function isBinding(s: Statement): s is BindingStmt {
  return (s.stmt === 'jump' || s.stmt === 'goto') && 'rules' in s
}

/** What {@link compileBinding} needs of the rule compiler (passed in: compile.ts imports this file). */
export interface BindingHost {
  readonly family: Family
  readonly table: string
  /** A fresh id in this batch (the kernel keeps chain ids apart from set ids: one counter serves both). */
  nextId(): number
  /** Compiles one inner rule: its expressions and the operations it needs first. */
  compile(exprs: readonly RuleExpr[], path: string): { exprs: NativeExpr[]; sets: NativeOp[] }
}

/**
 * Compiles a chain binding: pushes the bound chain and its rules onto `ops`
 * (each rule after the operations it needs, as nft orders them) and returns
 * the verdict expression of the binding rule.
 */
export function compileBinding(host: BindingHost, st: BindingStmt, ops: NativeOp[], path: string): NativeExpr {
  const rules = st.rules as readonly BoundRule[] | unknown
  if (!Array.isArray(rules) || rules.length === 0) invalid(`${path}.rules`, `Expected the rules of the chain to ${st.stmt} to (at least one)`, rules)
  if ((st as { chain?: unknown }).chain !== undefined) invalid(`${path}.chain`, `Expected either a chain name or rules to ${st.stmt} to, not both`, (st as { chain?: unknown }).chain)
  const family = FAMILY_NUMBER[host.family]
  const chainId = host.nextId()
  ops.push({ verb: 'add', kind: 'chain', family, table: host.table, flags: CHAIN_BINDING, chainId })
  ;(rules as readonly BoundRule[]).forEach((r, i) => {
    const p = `${path}.rules[${i}]`
    if (typeof r !== 'object' || r === null || !Array.isArray(r.exprs)) invalid(p, 'Expected a rule ({ exprs, comment? })', r)
    for (const k of Object.keys(r)) if (k !== 'exprs' && k !== 'comment') invalid(`${p}.${k}`, `Expected only exprs and comment on a rule of a bound chain`, (r as unknown as Record<string, unknown>)[k])
    const comment = checkComment(r.comment, `${p}.comment`)
    // The kernel binds no chain from a bound chain (nf_tables_bind_chain: EOPNOTSUPP).
    r.exprs.forEach((e, j) => {
      if (typeof e === 'object' && e !== null && 'stmt' in e && isBinding(e as Statement))
        invalid(`${p}.exprs[${j}]`, `Expected no chain binding inside a chain binding (the kernel refuses to bind a chain from a bound chain: EOPNOTSUPP); jump to a named chain instead`, e)
    })
    const c = host.compile(r.exprs, `${p}.exprs`)
    ops.push(...c.sets)
    ops.push({ verb: 'add', kind: 'rule', family, table: host.table, chainId, exprs: c.exprs, ...(comment !== undefined ? { userdata: commentUserdata(comment) } : {}) })
  })
  return { type: 'immediate', dreg: 0, verdict: VERDICT_CODE[st.stmt], chainId }
}
