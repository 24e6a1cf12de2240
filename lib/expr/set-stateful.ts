/**
 * Stateful statements of a set declaration (`set s { type ipv4_addr; limit
 * rate 1/second; counter; }`, `ct count over 20`): the kernel gives every
 * element its own copy of them. nft sends one as `NFTA_SET_EXPR`, several as
 * `NFTA_SET_EXPRESSIONS` with the set flag `NFT_SET_EXPR`, and lists them on
 * one line (`limit rate 1/second counter`); elements list their own copies.
 * @module
 */
import { invalid } from '../kernel/errors.js'
import type { SetStatefulStmt } from '../model/rule-types.js'
import type { NativeExpr } from '../../types/native.js'
import { compileCtStatement, ctStatementText, decodeCtCount } from './ct.js'
import { compileLimit, compileQuota, decodeLimit, decodeQuota, limitText, quotaText } from './stmt-stateful.js'

/** The statements a set declaration may carry. */
const KINDS = ['counter', 'limit', 'quota', 'ct count'] as const

/** A counter alone is the declaration's `counter: true` (nftkit's canonical form). */
export function isLoneCounter(stmts: readonly SetStatefulStmt[] | undefined): boolean {
  return stmts?.length === 1 && stmts[0].stmt === 'counter'
}

/**
 * The kernel expressions of a declaration's statements (`counter: true` is a
 * counter); undefined when there are none.
 * @throws NftValidationError for another statement or a named reference.
 */
export function compileSetStateful(s: { readonly counter?: boolean; readonly stmts?: readonly SetStatefulStmt[] }, path: string): NativeExpr[] | undefined {
  const stmts = s.stmts ?? []
  if (!Array.isArray(stmts)) invalid(`${path}.stmts`, 'Expected a list of statements', stmts)
  if (s.counter && stmts.length) invalid(`${path}.counter`, "Expected counter or stmts, not both (a counter in stmts is the same as counter: true)", s.counter)
  if (stmts.length > 2) invalid(`${path}.stmts`, 'Expected at most two statements (the kernel keeps at most two per set, NFT_SET_EXPR_MAX)', stmts)
  const out = stmts.map((st, i): NativeExpr => {
    const p = `${path}.stmts[${i}]`
    const kind = (st as { stmt?: unknown })?.stmt
    if (!(KINDS as readonly unknown[]).includes(kind)) invalid(`${p}.stmt`, `Expected a stateful statement (${KINDS.join(', ')})`, kind)
    if ((st as { name?: unknown }).name !== undefined) invalid(`${p}.name`, 'Expected no object name: each element gets its own copy of the statement', (st as { name?: unknown }).name)
    switch (st.stmt) {
      case 'limit':
        return compileLimit(st, p)
      case 'quota':
        return compileQuota(st, p)
      case 'ct count': {
        const x: NativeExpr[] = []
        compileCtStatement(x, st, p)
        return x[0]
      }
      default:
        return { type: 'counter' }
    }
  })
  if (s.counter) out.push({ type: 'counter' })
  return out.length ? out : undefined
}

/**
 * The kernel expressions of one element's own statements (an element spec's
 * `stmts`) as the element's expressions: as a declaration's, but counters
 * keep their starting values and quotas their bytes used. `path` is the
 * element's. The elements encoder calls it (it sits below this layer and
 * takes it as `opts.stmts`).
 * @throws NftValidationError naming `path.stmts[i]` for a statement an element cannot carry.
 */
export function compileElementStmts(stmts: readonly SetStatefulStmt[], path: string): NativeExpr[] {
  if (!Array.isArray(stmts) || stmts.length === 0) invalid(`${path}.stmts`, 'Expected a non-empty list of stateful statements', stmts)
  if (stmts.length > 2) invalid(`${path}.stmts`, 'Expected at most two statements (the kernel keeps at most two per element, NFT_SET_EXPR_MAX)', stmts)
  const out = compileSetStateful({ stmts }, path) as NativeExpr[]
  stmts.forEach((st, i) => {
    if (st.stmt !== 'counter') return
    const c = counterValues(st, `${path}.stmts[${i}]`)
    if (c) out[i] = { type: 'counter', ...c }
  })
  return out
}

/**
 * {@link compileElementStmts} for the elements of a set that declares
 * `setExprs`: an element's own statements must be of the same kinds, in the
 * same order (the kernel refuses others with EOPNOTSUPP, nft with "statement mismatch").
 */
export function compileElementStmtsFor(setExprs: readonly NativeExpr[] | undefined): (stmts: readonly SetStatefulStmt[], path: string) => NativeExpr[] {
  if (!setExprs?.length) return compileElementStmts
  const kinds = setExprs.map((x) => x.type)
  return (stmts, path) => {
    const out = compileElementStmts(stmts, path)
    if (out.length !== kinds.length || out.some((x, i) => x.type !== kinds[i]))
      invalid(`${path}.stmts`, `Expected statements of the kinds the set declares, in order (${kinds.join(', ')}): the kernel refuses others`, stmts)
    return out
  }
}

/** A counter's starting values (both default to 0), or undefined when it gives none. */
export function counterValues(c: { readonly packets?: unknown; readonly bytes?: unknown }, path: string): { packets: number; bytes: number } | undefined {
  if (c.packets === undefined && c.bytes === undefined) return undefined
  for (const k of ['packets', 'bytes'] as const)
    if (c[k] !== undefined && !(Number.isSafeInteger(c[k]) && (c[k] as number) >= 0)) invalid(`${path}.${k}`, `Expected a starting ${k === 'packets' ? 'packet' : 'byte'} count (a non-negative integer)`, c[k])
  return { packets: (c.packets as number | undefined) ?? 0, bytes: (c.bytes as number | undefined) ?? 0 }
}

/**
 * An element's statements without what traffic changes (counter values, a
 * quota's bytes used): what the reconciler compares.
 */
export function stmtsWithoutValues(stmts: readonly SetStatefulStmt[]): SetStatefulStmt[] {
  return stmts.map((st) => (st.stmt === 'counter' ? { stmt: 'counter' } : st.stmt === 'quota' ? { stmt: 'quota', bytes: st.bytes, ...(st.over ? { over: true } : {}) } : st))
}

/**
 * The statements of a dumped set's (or, `values`, an element's) expressions,
 * or undefined for one nftkit cannot name. An element's counter keeps its values.
 */
export function decodeSetStateful(exprs: readonly NativeExpr[], values = false): SetStatefulStmt[] | undefined {
  const out: SetStatefulStmt[] = []
  for (const e of exprs) {
    if (e.type === 'counter') out.push(values ? { stmt: 'counter', packets: Number(e.packets ?? 0), bytes: Number(e.bytes ?? 0) } : { stmt: 'counter' })
    else if (e.type === 'limit') {
      const l = decodeLimit(e)
      if (!l) return undefined
      out.push(l)
    } else if (e.type === 'quota') {
      const q = decodeQuota(e)
      if (!q) return undefined
      // The set's template has no usage; an element's is listed (`used`), as nft does.
      out.push(values ? q : { stmt: 'quota', bytes: q.bytes, ...(q.over ? { over: true } : {}) })
    } else if (e.type === 'connlimit') {
      const c = decodeCtCount(Number(e.count ?? 0), Number(e.flags ?? 0))
      if (!c) return undefined
      out.push(c)
    } else return undefined
  }
  return out
}

/** nft text of the statements, as nft lists them (one line). */
export function setStatefulText(stmts: readonly SetStatefulStmt[]): string {
  return stmts
    .map((st) => {
      switch (st.stmt) {
        case 'counter':
          return st.packets !== undefined ? `counter packets ${st.packets} bytes ${st.bytes ?? 0}` : 'counter'
        case 'limit':
          return limitText(st)
        case 'quota':
          return quotaText(st)
        default:
          return ctStatementText(st, (x) => JSON.stringify(x), () => '') // ct count: no map value
      }
    })
    .join(' ')
}
