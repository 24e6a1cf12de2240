/**
 * What provider protection means, written down independently of the rules
 * that implement it: for any two pods of an inventory, should a connection
 * attempt succeed, be refused (reject: the client hears about it at once), or
 * vanish (drop: the client times out)? The datapath tests and the demo
 * compare real packets against this.
 */
import type { Inventory } from '../../lib/policies/inventory.js'

/** Where a pod runs and for whom. */
export type PodRole = { kind: 'home'; consumer: string } | { kind: 'offloaded'; consumer: string } | { kind: 'provider' }

/** The fate of a connection attempt. */
export type Verdict = 'allow' | 'reject' | 'drop'

/** Every pod of the inventory with its role and IP, in a stable order (consumers' homes, offloaded, provider). */
export function podsOf(inv: Inventory): { name: string; ip: string; role: PodRole }[] {
  const out: { name: string; ip: string; role: PodRole }[] = []
  for (const c of inv.consumers) for (const ns of c.local) for (const p of ns.pods) out.push({ ...p, role: { kind: 'home', consumer: c.name } })
  for (const c of inv.consumers) for (const ns of c.offloaded) for (const p of ns.pods) out.push({ ...p, role: { kind: 'offloaded', consumer: c.name } })
  for (const ns of inv.provider.namespaces) for (const p of ns.pods) out.push({ ...p, role: { kind: 'provider' } })
  return out
}

/**
 * The intended verdict for a connection from `from` to `to` once provider
 * protection (gateway tables, reject mode) and its NetworkPolicies are in place:
 * - a consumer's home pods reach only the pods that consumer offloaded; the
 *   gateway refuses everything else they try (reject);
 * - offloaded pods reach the pods of the same consumer (offloaded or at home);
 *   anything else is dropped by their NetworkPolicy;
 * - provider pods reach provider and offloaded pods, but cannot open
 *   connections into a consumer's cluster (the gateway drops them).
 */
export function intendedVerdict(from: PodRole, to: PodRole): Verdict {
  if (from.kind === 'home') return to.kind === 'offloaded' && to.consumer === from.consumer ? 'allow' : 'reject'
  if (from.kind === 'offloaded') return to.kind !== 'provider' && to.consumer === from.consumer ? 'allow' : 'drop'
  return to.kind === 'home' ? 'drop' : 'allow'
}
