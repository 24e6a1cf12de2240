/**
 * Counters of node-policy rules read back from the kernel, summed per policy
 * rule (`cnp/POLICY/DIRECTION[INDEX]`): one Antrea rule may be several nft
 * rules (per family, protocol, Reject form), and `status` reports the rule
 * the user wrote. Privileged rules are reported under their own names.
 * @module
 */
import type { Listing } from '../io/listing.js'
import { NODE_POLICY_TABLE } from './node-policy-compile.js'

/** Packets and bytes of one policy rule (or one privileged rule, with `policy` undefined). */
export interface NodeRuleCounters {
  /** The rule name without qualifiers: `cnp/POLICY/ingress[0]`, or `privileged/established`, `gate/eth*`. */
  readonly name: string
  readonly policy?: string
  readonly direction?: 'ingress' | 'egress'
  readonly index?: number
  readonly packets: number
  readonly bytes: number
}

const POLICY_RULE = /^cnp\/([^/]+)\/(ingress|egress)\[(\d+)\]/

/**
 * Per-rule counters of the node-policy table in a listing, summed over the
 * nft rules of each policy rule, in kernel order (first appearance).
 * Rules without a counter (the interface gate's jumps) are left out.
 */
export function nodePolicyCounters(l: Listing, table: string = NODE_POLICY_TABLE): NodeRuleCounters[] {
  const out = new Map<string, { name: string; policy?: string; direction?: 'ingress' | 'egress'; index?: number; packets: number; bytes: number }>()
  for (const r of l.rules) {
    if (r.family !== 'inet' || r.table !== table || r.comment === undefined) continue
    const c = r.exprs.find((e) => 'stmt' in e && e.stmt === 'counter' && e.name === undefined && !('key' in e)) as { packets?: number; bytes?: number } | undefined
    if (!c) continue
    const m = POLICY_RULE.exec(r.comment)
    const key = m ? m[0] : `${r.chain} ${r.comment}`
    let agg = out.get(key)
    if (!agg) {
      agg = m ? { name: m[0], policy: m[1], direction: m[2] as 'ingress' | 'egress', index: Number(m[3]), packets: 0, bytes: 0 } : { name: r.comment, direction: r.chain === 'output' ? 'egress' : 'ingress', packets: 0, bytes: 0 }
      out.set(key, agg)
    }
    agg.packets += c.packets ?? 0
    agg.bytes += c.bytes ?? 0
  }
  return [...out.values()]
}
