/**
 * Chain bindings in a listing: the kernel lists a bound chain (`jump { ... }`)
 * as a chain flagged NFT_CHAIN_BINDING named `__chain%llu`, and the rule that
 * binds it as `jump __chainN`. nft hides the chain and prints its rules inline;
 * so does the listing: binding chains are left out, their rules become the
 * `rules` of the jump statement that names them.
 * @module
 */
import { CHAIN_BINDING } from '../kernel/constants.js'
import type { BoundRule, RuleExpr } from '../model/rule-types.js'
import type { RawExpr } from '../expr/decode.js'
import type { NativeRecord } from '../../types/native.js'

interface Listed {
  readonly family: string
  readonly table: string
  readonly chain: string
  readonly exprs: ReadonlyArray<RuleExpr | RawExpr>
  readonly comment?: string
}

const key = (family: string, table: string, chain: string) => `${family}\0${table}\0${chain}`

/** Names (family, table, name keys) of the dumped chains that are chain bindings; empty when there are none. */
export function bindingChains(chains: readonly NativeRecord[], familyOf: (n: number) => string): Set<string> {
  const out = new Set<string>()
  for (const c of chains) if (Number(c.flags ?? 0) & CHAIN_BINDING) out.add(key(familyOf(Number(c.family)), c.table, String(c.name)))
  return out
}

/**
 * Moves the rules of binding chains into the jump statements that bind them
 * (nested bindings too). Returns the rules of the other chains, in order.
 */
export function inlineBindings<R extends Listed>(rules: readonly R[], bound: ReadonlySet<string>): R[] {
  if (bound.size === 0) return rules as R[]
  const inner = new Map<string, R[]>()
  const top: R[] = []
  for (const r of rules) {
    const k = key(r.family, r.table, r.chain)
    if (!bound.has(k)) top.push(r)
    else {
      const list = inner.get(k)
      if (list) list.push(r)
      else inner.set(k, [r])
    }
  }
  const seen = new Set<string>()
  const expand = (r: R): R => {
    if (!r.exprs.some((e) => 'stmt' in e && (e.stmt === 'jump' || e.stmt === 'goto') && 'chain' in e && bound.has(key(r.family, r.table, e.chain)))) return r
    const exprs = r.exprs.map((e): RuleExpr | RawExpr => {
      if (!('stmt' in e) || (e.stmt !== 'jump' && e.stmt !== 'goto') || !('chain' in e)) return e
      const k = key(r.family, r.table, e.chain)
      // A chain is bound to one rule; a second jump to it (impossible in the kernel) stays a plain jump.
      if (!bound.has(k) || seen.has(k)) return e
      seen.add(k)
      const rs: BoundRule[] = (inner.get(k) ?? []).map((x) => {
        const y = expand(x)
        return { exprs: y.exprs as RuleExpr[], ...(y.comment !== undefined ? { comment: y.comment } : {}) }
      })
      return { stmt: e.stmt, rules: rs }
    })
    return { ...r, exprs }
  }
  return top.map(expand)
}
