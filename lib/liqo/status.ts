/**
 * FirewallConfiguration status in Liqo's shape: one `Applied` condition per
 * host (agent), with the time of the last transition and, on failure, the
 * reason; plus per-rule counters (an nftkit extension).
 * @module
 */
import type { Listing } from '../io/listing.js'

/** One condition, as Liqo writes it. */
export interface Condition {
  readonly host: string
  readonly type: 'Applied'
  readonly status: 'True' | 'False'
  readonly lastTransitionTime: string
  /** Why it failed (nftkit extension; Liqo only logs it). */
  readonly reason?: string
  readonly message?: string
}

/** Counters of one rule, by chain and rule name. */
export interface RuleCounters {
  readonly chain: string
  readonly name: string
  readonly packets: number
  readonly bytes: number
}

/** The status object. */
export interface FirewallConfigurationStatus {
  readonly conditions: readonly Condition[]
  readonly rules?: readonly RuleCounters[]
}

/**
 * The next status after an apply by `host`: its condition is replaced (the
 * transition time changes only when `status` flips), other hosts' conditions
 * are kept.
 */
export function nextStatus(
  previous: FirewallConfigurationStatus | undefined,
  host: string,
  outcome: { ok: true } | { ok: false; error: { code?: string; message: string } },
  now: Date,
  counters?: readonly RuleCounters[],
): FirewallConfigurationStatus {
  const conditions = previous?.conditions ?? []
  const old = conditions.find((c) => c.host === host && c.type === 'Applied')
  const status = outcome.ok ? 'True' : 'False'
  const cond: Condition = {
    host,
    type: 'Applied',
    status,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now.toISOString(),
    ...(outcome.ok ? {} : { reason: outcome.error.code ?? 'Error', message: outcome.error.message }),
  }
  return {
    conditions: [...conditions.filter((c) => !(c.host === host && c.type === 'Applied')), cond],
    ...(counters ? { rules: counters } : {}),
  }
}

/** Per-rule counters of one table from a listing (rules without a name are skipped). */
export function ruleCounters(l: Listing, family: string, table: string): RuleCounters[] {
  const out: RuleCounters[] = []
  for (const r of l.rules) {
    if (r.family !== family || r.table !== table || r.comment === undefined) continue
    const c = r.exprs.find((e) => 'stmt' in e && e.stmt === 'counter' && e.name === undefined && !('key' in e)) as { packets?: number; bytes?: number } | undefined
    if (c) out.push({ chain: r.chain, name: r.comment, packets: c.packets ?? 0, bytes: c.bytes ?? 0 })
  }
  return out
}
