/**
 * Rule expressions as the kernel keeps them: references resolved (a set named
 * by its batch id gets its real name, a jump target must exist and be a
 * regular chain) and the attributes the kernel always reports filled in, so a
 * dump of the Fake reads like a dump of the kernel.
 * @module
 */
import type { NativeExpr } from '../../types/native.js'
import { refuse } from './errno.js'
import { CHAIN_BINDING, type FakeChain, type FakeObject, type FakeSet, type FakeTable, GOTO, JUMP } from './model.js'

/** How expressions find what they refer to, in the table being changed. */
export interface Resolver {
  readonly table: FakeTable
  /** A set by name, or by its id in the current batch. */
  set(name: string | undefined, id: number | undefined): FakeSet | undefined
  /** A chain created in the current batch, by its id (NFTA_CHAIN_ID). */
  chain?(id: number): FakeChain | undefined
  /**
   * Binds a chain binding to the rule being added (nf_tables_bind_chain):
   * EOPNOTSUPP from a rule of a bound chain, EBUSY if already bound.
   */
  bind?(chain: FakeChain): void
}

/** NFT_LOGLEVEL_WARNING: the level the kernel gives a log statement that names none. */
const LOG_LEVEL_DEFAULT = 4

/** The chain a verdict jumps or goes to, which must exist and be a regular chain. */
export function verdictTarget(table: FakeTable, verdict: number | undefined, chain: string | undefined): FakeChain | undefined {
  if (verdict !== JUMP && verdict !== GOTO) return undefined
  const target = table.chains.find((c) => c.name === chain)
  if (!target) refuse('ENOENT', `chain ${chain} not found`)
  if (target.hook !== undefined) refuse('EOPNOTSUPP', `cannot jump to base chain ${chain}`)
  return target
}

function setOf(r: Resolver, e: NativeExpr): FakeSet {
  const s = r.set(e.set as string | undefined, e.setId as number | undefined)
  if (!s) refuse('ENOENT', `set ${String(e.set)} not found`)
  return s
}

/**
 * The expressions of a new rule as the kernel stores and dumps them.
 * @throws Refusal ENOENT for a missing set, chain or object; EOPNOTSUPP for a jump to a base chain.
 */
export function storeExprs(r: Resolver, exprs: readonly NativeExpr[]): NativeExpr[] {
  return exprs.map((e) => {
    const x: Record<string, unknown> = { ...e }
    switch (e.type) {
      case 'counter':
        x.packets ??= 0
        x.bytes ??= 0
        break
      case 'lookup':
        x.set = setOf(r, e).name
        delete x.setId
        x.flags ??= 0
        break
      case 'dynset':
        x.set = setOf(r, e).name
        delete x.setId
        break
      case 'objref':
        if (e.set !== undefined || e.setId !== undefined) {
          x.set = setOf(r, e).name
          delete x.setId
        } else if (!r.table.objects.some((o) => o.name === e.name && o.objType === e.objType)) refuse('ENOENT', `object ${String(e.name)} not found`)
        break
      case 'immediate': {
        let target: FakeChain | undefined
        if (e.chainId !== undefined && (e.verdict === JUMP || e.verdict === GOTO)) {
          // A jump to a chain of this batch by id (a chain binding): stored and dumped by name.
          target = r.chain?.(Number(e.chainId))
          if (!target) refuse('ENOENT', `chain id ${String(e.chainId)} not found`)
          x.chain = target.name
          delete x.chainId
        } else target = verdictTarget(r.table, e.verdict as number | undefined, e.chain as string | undefined)
        if (target && target.flags & CHAIN_BINDING) {
          if (!r.bind) refuse('EINVAL', `chain ${target.name} is a chain binding`)
          r.bind(target)
        }
        break
      }
      case 'log':
        if (e.group === undefined && e.level === undefined) x.level = LOG_LEVEL_DEFAULT
        break
    }
    return x as NativeExpr
  })
}

/** Names of the sets a rule refers to (lookup, dynset, objref maps). */
export function setsUsed(exprs: readonly NativeExpr[]): string[] {
  const out: string[] = []
  for (const e of exprs) if ((e.type === 'lookup' || e.type === 'dynset' || e.type === 'objref') && typeof e.set === 'string') out.push(e.set)
  return out
}

/** True if the expressions jump or go to chain `name`. */
export function jumpsTo(exprs: readonly NativeExpr[], name: string): boolean {
  return exprs.some((e) => e.type === 'immediate' && (e.verdict === JUMP || e.verdict === GOTO) && e.chain === name)
}

/** True if the expressions use named object `o` directly. */
export function usesObject(exprs: readonly NativeExpr[], o: FakeObject): boolean {
  return exprs.some((e) => e.type === 'objref' && e.set === undefined && e.name === o.name && e.objType === o.objType)
}
