/**
 * Provider protection on the testbed. It deploys the generated policies
 * through nftkit: a GatewayAgent per consumer gateway, and the NetworkPolicy
 * stand-in on the provider router through a Reconciler. It then probes every
 * pair of pods and compares each outcome with the intended verdict. Shared by
 * `npm run demo` and `test/datapath`.
 */
import { type Client, createClient } from '../../lib/io/client.js'
import { toOperations } from '../../lib/liqo/firewall-configuration.js'
import { type RuleCounters, ruleCounters } from '../../lib/liqo/status.js'
import { applyToModel } from '../../lib/state/model.js'
import { renderRuleset } from '../../lib/nft/ruleset.js'
import { type AgentResult, GatewayAgent } from '../../lib/policies/agent.js'
import { networkPolicies, PROVIDER_TABLE, providerProtection } from '../../lib/policies/generate.js'
import type { Inventory } from '../../lib/policies/inventory.js'
import type { ReconcileResult } from '../../lib/reconcile/apply.js'
import { Reconciler } from '../../lib/reconcile/reconciler.js'
import { networkPolicyFirewall } from './cni.js'
import { intendedVerdict, type PodRole, podsOf, type Verdict } from './expected.js'
import { matrixSpecs, type ProbeResult, type Proto, PROTOS, verdictOf } from './probe.js'
import type { Testbed } from './topology.js'

/** Table of the NetworkPolicy stand-in on the provider router. */
export const CNI_TABLE = 'cni-network-policies'

/** The policies running on a testbed. */
export class Deployment {
  /** The gateway connections, by consumer name. */
  readonly #gateways = new Map<string, Client>()
  /** One agent per consumer gateway, by consumer name. */
  readonly agents = new Map<string, GatewayAgent>()
  readonly #cni: Reconciler
  readonly #cniClient: Client

  /** Applies the generated policies of `inv` to every gateway and to the provider router. */
  constructor(
    readonly testbed: Testbed,
    inv: Inventory,
  ) {
    for (const c of inv.consumers) {
      const client = createClient({ netns: testbed.gateway(c.name).netns, family: 'ip' })
      this.#gateways.set(c.name, client)
      this.agents.set(c.name, new GatewayAgent(client, c.name))
    }
    this.#cniClient = createClient({ netns: testbed.provider.netns, family: 'ip' })
    this.#cni = new Reconciler(this.#cniClient)
    this.sync(inv)
  }

  /**
   * Brings every gateway and the provider router to `inv`. Pod changes become
   * element deltas: one small batch per gateway whose consumer changed, and
   * one for the NetworkPolicy sets.
   */
  sync(inv: Inventory): { gateways: Map<string, AgentResult>; cni: ReconcileResult } {
    const gateways = new Map<string, AgentResult>()
    for (const [name, agent] of this.agents) gateways.set(name, agent.sync(inv))
    const cni = this.#cni.reconcileSync(applyToModel(toOperations(networkPolicyFirewall(inv, networkPolicies(inv)))))
    return { gateways, cni }
  }

  /** Per-rule counters of a consumer's gateway table. */
  gatewayCounters(consumer: string): RuleCounters[] {
    const client = this.#gateways.get(consumer)
    if (!client) throw new Error(`no gateway of ${consumer}`)
    return ruleCounters(client.listSync({ table: PROVIDER_TABLE }), 'ip', PROVIDER_TABLE)
  }

  /** Per-rule counters of the NetworkPolicy stand-in. */
  cniCounters(): RuleCounters[] {
    return ruleCounters(this.#cniClient.listSync({ table: CNI_TABLE }), 'ip', CNI_TABLE)
  }

  /** Closes every connection (the kernel state stays until the testbed goes). */
  close(): void {
    for (const c of this.#gateways.values()) c.close()
    this.#cniClient.close()
  }
}

/** The nft text every gateway enforces for `inv`, then the stand-in's, for reports. */
export function policyText(inv: Inventory): { where: string; text: string }[] {
  const gw = providerProtection(inv).map((f, i) => ({ where: `gateway of ${inv.consumers[i].name}`, text: renderRuleset(applyToModel(toOperations(f))) }))
  const cni = { where: 'provider router (NetworkPolicy stand-in)', text: renderRuleset(applyToModel(toOperations(networkPolicyFirewall(inv, networkPolicies(inv))))) }
  return [...gw, cni]
}

/** One probe of the matrix with what was intended. */
export interface Cell {
  readonly from: string
  readonly to: string
  readonly proto: Proto
  readonly expected: Verdict
  readonly actual: Verdict
  readonly result: ProbeResult
}

/**
 * Probes every ordered pair of pods with every protocol. `intended` says what
 * should happen: `'open'` (no policy: everything reaches everything) or the
 * provider-protection verdicts of `expected.ts`.
 */
export async function probeMatrix(tb: Testbed, inv: Inventory, intended: 'open' | 'protected', protos: readonly Proto[] = PROTOS): Promise<Cell[]> {
  const pods = podsOf(inv)
  const role = new Map<string, PodRole>(pods.map((p) => [p.name, p.role]))
  const results = await tb.probe(matrixSpecs(pods.map((p) => p.name), protos))
  return results.map((r) => ({
    from: r.from,
    to: r.to,
    proto: r.proto,
    expected: intended === 'open' ? 'allow' : intendedVerdict(role.get(r.from) as PodRole, role.get(r.to) as PodRole),
    actual: verdictOf(r),
    result: r,
  }))
}

/** Cells whose real outcome differs from the intended one. */
export function mismatches(cells: readonly Cell[]): Cell[] {
  return cells.filter((c) => c.expected !== c.actual)
}
