/**
 * The long-lived side of NetworkPolicy enforcement: {@link NetworkPolicyAgent}
 * keeps one node's compiled table in the kernel as the cluster changes. Every
 * change recompiles; when only set and map elements differ from what was
 * last applied (pods created, deleted, relabelled into an existing policy
 * group, addresses changed), the agent sends just those element deltas, all
 * sets in one batch, planned from the reconciler's in-memory indexes;
 * anything else (a policy added, changed or removed, a new policy group)
 * goes through a full reconcile, which replaces only the rules that changed.
 * @module
 */
import type { Client } from '../io/client.js'
import { NftValidationError } from '../kernel/errors.js'
import type { Element } from '../model/element-types.js'
import type { NamedMap, NamedSet } from '../model/objects.js'
import type { ReconcileResult } from '../reconcile/apply.js'
import type { SetDelta, SetDeltaRef } from '../reconcile/delta.js'
import { Reconciler, type ReconcilerOptions } from '../reconcile/reconciler.js'
import { type Declaration, desiredTables } from '../state/desired.js'
import { type CompileOptions, compileNetworkPolicies, NETPOL_TABLE, sortPolicies } from './compile.js'
import { type PodContext, podElements } from './pod-elements.js'
import { readClusterManifests } from './manifests.js'
import type { ClusterState, NamespaceObject, NetworkPolicyObject, NodeObject, PodObject } from './types.js'

/** What one agent call sent: a full reconcile, or element deltas only. */
export interface NetworkPolicyResult extends ReconcileResult {
  /** `reconcile`: the whole table was planned; `delta`: only set elements changed (one batch, element messages only). */
  readonly mode: 'reconcile' | 'delta'
}

/** Kinds {@link NetworkPolicyAgent.remove} takes. */
export type ClusterKind = 'Namespace' | 'Pod' | 'Node' | 'NetworkPolicy' | 'ClusterNetworkPolicy'

/** Options of a {@link NetworkPolicyAgent}: the compiler's and the reconciler's. */
export interface NetworkPolicyAgentOptions extends CompileOptions, ReconcilerOptions {}

type SetDecl = NamedSet | NamedMap

const elementKey = (e: Element): string => (typeof e === 'string' ? e : JSON.stringify(e))

/** The declaration without set elements (what decides between a delta and a reconcile), and the elements by set. */
function split(d: Declaration): { shape: string; sets: Map<string, Map<string, Element>> } {
  const sets = new Map<string, Map<string, Element>>()
  const ops = d.operations.map((op) => {
    const o = op.object as SetDecl
    if (op.verb !== 'add' || (o.kind !== 'set' && o.kind !== 'map')) return op
    sets.set(o.name, new Map((o.elements ?? []).map((e) => [elementKey(e), e])))
    return { verb: op.verb, object: { ...o, elements: [] } }
  })
  return { shape: JSON.stringify({ ops, tables: d.tables }), sets }
}

/**
 * Enforces NetworkPolicies in one node's network namespace (the client's):
 * takes the whole cluster state ({@link NetworkPolicyAgent.apply}) or
 * single-object events ({@link NetworkPolicyAgent.upsert},
 * {@link NetworkPolicyAgent.remove}) and keeps the kernel in line. Not safe
 * for concurrent use: call one method at a time.
 */
export class NetworkPolicyAgent {
  readonly #reconciler: Reconciler
  readonly #opts: CompileOptions
  readonly #namespaces = new Map<string, NamespaceObject>()
  readonly #pods = new Map<string, PodObject>()
  readonly #policies = new Map<string, NetworkPolicyObject>()
  readonly #nodes = new Map<string, NodeObject>()
  readonly #clusterPolicies = new Map<string, unknown>()
  /** What was last applied (undefined before the first apply or after an error). */
  #applied?: { shape: string; sets: Map<string, Map<string, Element>> }
  /** Dispatch-map elements per policy group chain, as applied (a group with none is deleted by a full compile). */
  #groups = new Map<string, number>()
  /** Pods per address (an address two pods claim takes the full path). */
  #ipUse = new Map<string, number>()
  /** Policies in compiler order, for pod contributions (undefined after a policy change). */
  #sorted?: NetworkPolicyObject[]

  /**
   * @param client a connection to the node's network namespace
   * @param options table name, node name (enforce for its pods only), and the reconciler's monitor
   */
  constructor(client: Client, options: NetworkPolicyAgentOptions = {}) {
    this.#opts = { ...(options.table !== undefined ? { table: options.table } : {}), ...(options.node !== undefined ? { node: options.node } : {}) }
    this.#reconciler = new Reconciler(client, { ...(options.monitor ? { monitor: options.monitor } : {}), onDrift: (d) => {
      this.#applied = undefined
      options.onDrift?.(d)
    } })
  }

  /** The cluster state the agent enforces now. */
  get state(): ClusterState {
    return {
      namespaces: [...this.#namespaces.values()],
      pods: [...this.#pods.values()],
      policies: [...this.#policies.values()],
      nodes: [...this.#nodes.values()],
      clusterPolicies: [...this.#clusterPolicies.values()],
    }
  }

  /** The declaration the agent's state compiles to (what the next call makes true). */
  declaration(): Declaration {
    return compileNetworkPolicies(this.state, this.#opts)
  }

  /** Makes the kernel enforce exactly `state` (replacing what the agent held). */
  apply(state: ClusterState): NetworkPolicyResult {
    this.#namespaces.clear()
    this.#pods.clear()
    this.#policies.clear()
    this.#nodes.clear()
    this.#clusterPolicies.clear()
    for (const n of state.namespaces) this.#namespaces.set(n.name, n)
    for (const p of state.pods) this.#pods.set(`${p.namespace}/${p.name}`, p)
    this.#ipUse.clear()
    for (const p of this.#pods.values()) this.#useIPs(p, 1)
    for (const p of state.policies) this.#policies.set(`${p.namespace}/${p.name}`, p)
    this.#sorted = undefined
    for (const n of state.nodes) this.#nodes.set(n.name, n)
    for (const [i, c] of state.clusterPolicies.entries()) this.#clusterPolicies.set(cnpName(c) ?? `#${i}`, c)
    return this.sync()
  }

  /**
   * Adds or replaces one object, given as its manifest (a Namespace, Pod,
   * Node, NetworkPolicy or ClusterNetworkPolicy, checked as the manifest
   * reader checks it), and brings the kernel in line.
   * @throws NftValidationError for a bad manifest (nothing changes); NftError when the kernel refuses.
   */
  upsert(manifest: unknown): NetworkPolicyResult {
    const kind = (manifest as { kind?: unknown } | null)?.kind
    const s = readClusterManifests([manifest])
    if (kind === 'Namespace') for (const n of s.namespaces) this.#namespaces.set(n.name, n)
    else if (kind === 'Pod') {
      const p = s.pods[0]
      return this.#podChange(this.#pods.get(`${p.namespace}/${p.name}`), p)
    } else if (kind === 'NetworkPolicy') for (const p of s.policies) this.#policies.set(`${p.namespace}/${p.name}`, p)
    else if (kind === 'Node') for (const n of s.nodes) this.#nodes.set(n.name, n)
    else if (kind === 'ClusterNetworkPolicy') for (const c of s.clusterPolicies) this.#clusterPolicies.set(cnpName(c) ?? '', c)
    else throw new NftValidationError('manifest.kind', 'Expected Namespace, Pod, Node, NetworkPolicy or ClusterNetworkPolicy', kind)
    return this.sync()
  }

  /**
   * Removes one object (`namespace` is ignored for cluster-scoped kinds) and
   * brings the kernel in line. Removing an object the agent does not hold
   * changes nothing.
   */
  remove(kind: ClusterKind, namespace: string | undefined, name: string): NetworkPolicyResult {
    const key = `${namespace ?? 'default'}/${name}`
    if (kind === 'Namespace') this.#namespaces.delete(name)
    else if (kind === 'Pod') return this.#podChange(this.#pods.get(key), undefined)
    else if (kind === 'NetworkPolicy') {
      this.#policies.delete(key)
      this.#sorted = undefined
    }
    else if (kind === 'Node') this.#nodes.delete(name)
    else if (kind === 'ClusterNetworkPolicy') this.#clusterPolicies.delete(name)
    else throw new NftValidationError('kind', 'Expected Namespace, Pod, Node, NetworkPolicy or ClusterNetworkPolicy', kind)
    return this.sync()
  }

  /**
   * Brings the kernel in line with the agent's state: element deltas when
   * only elements changed since the last call, a full reconcile otherwise.
   * @throws NftError when the kernel refuses (nothing applied; the next call reconciles in full).
   */
  sync(): NetworkPolicyResult {
    const decl = this.declaration()
    const next = split(decl)
    try {
      const prev = this.#applied
      if (prev && prev.shape === next.shape) {
        const r = this.#reconciler.updateSetsSync(deltas(prev.sets, next.sets, decl.tables[0]))
        this.#applied = next
        // Someone else wrote in between (the delta was re-planned on a fresh read): repair the whole table.
        if (r.retries === 0) return { ...r, mode: 'delta' }
      }
      const r = this.#reconciler.reconcileSync(desiredTables(decl))
      this.#applied = next
      return { ...r, mode: 'reconcile' }
    } catch (e) {
      this.#applied = undefined
      throw e
    } finally {
      this.#countGroups()
    }
  }

  /** Group chains by the number of dispatch elements going to them, from the applied elements. */
  #countGroups(): void {
    this.#groups.clear()
    for (const [name, els] of this.#applied?.sets ?? []) {
      if (!/^(ingress|egress)[46]$/.test(name)) continue
      for (const e of els.values()) {
        const g = (e as { value?: { goto?: string } }).value?.goto
        if (g !== undefined) this.#groups.set(g, (this.#groups.get(g) ?? 0) + 1)
      }
    }
  }

  #useIPs(p: PodObject, by: 1 | -1): void {
    if (p.hostNetwork) return
    for (const ip of p.ips) {
      const n = (this.#ipUse.get(ip) ?? 0) + by
      if (n > 0) this.#ipUse.set(ip, n)
      else this.#ipUse.delete(ip)
    }
  }

  /**
   * A pod added, changed or removed. When the table is applied, the pod's
   * addresses are its own and its policy groups exist before and after, the
   * change is the difference of its contributions (no compile of the
   * cluster): one batch of element deltas. Otherwise a full {@link sync}.
   */
  #podChange(before: PodObject | undefined, after: PodObject | undefined): NetworkPolicyResult {
    if (before) this.#useIPs(before, -1)
    if (after) this.#useIPs(after, 1)
    const key = (p: PodObject) => `${p.namespace}/${p.name}`
    if (after) this.#pods.set(key(after), after)
    else if (before) this.#pods.delete(key(before))
    const applied = this.#applied
    const shared = [...(before?.ips ?? []), ...(after?.ips ?? [])].some((ip) => (this.#ipUse.get(ip) ?? 0) > 1)
    if (!applied || shared) return this.sync()
    this.#sorted ??= sortPolicies([...this.#policies.values()])
    const ctx: PodContext = { policies: this.#sorted, namespaceLabels: (n) => this.#namespaces.get(n)?.labels, ...(this.#opts.node !== undefined ? { node: this.#opts.node } : {}) }
    const old = before ? podElements(ctx, before) : { sets: new Map<string, Element[]>(), groups: [] }
    const now = after ? podElements(ctx, after) : { sets: new Map<string, Element[]>(), groups: [] }
    // A group that does not exist yet, or one this change empties, changes chains: the full path.
    if (now.groups.some((g) => !this.#groups.has(g))) return this.sync()
    const counts = new Map(this.#groups)
    const dispatch = (els: readonly Element[]) => els.map((e) => (e as { value?: { goto?: string } }).value?.goto).filter((g): g is string => g !== undefined)
    for (const [name, els] of old.sets) if (/^(ingress|egress)[46]$/.test(name)) for (const g of dispatch(els)) counts.set(g, (counts.get(g) ?? 0) - 1)
    for (const [name, els] of now.sets) if (/^(ingress|egress)[46]$/.test(name)) for (const g of dispatch(els)) counts.set(g, (counts.get(g) ?? 0) + 1)
    if ([...counts.values()].some((n) => n <= 0)) return this.sync()
    const table = this.#table()
    const out: Array<{ ref: SetDeltaRef; delta: SetDelta }> = []
    for (const name of new Set([...old.sets.keys(), ...now.sets.keys()])) {
      const was = new Map((old.sets.get(name) ?? []).map((e) => [elementKey(e), e]))
      const is = new Map((now.sets.get(name) ?? []).map((e) => [elementKey(e), e]))
      const remove = [...was].filter(([k]) => !is.has(k)).map(([, e]) => e)
      const add = [...is].filter(([k]) => !was.has(k)).map(([, e]) => e)
      if (!applied.sets.has(name)) return this.sync() // a set the applied table does not have: be exact
      if (remove.length || add.length) out.push({ ref: { family: table.family, table: table.name, set: name }, delta: { remove, add } })
    }
    try {
      const r = this.#reconciler.updateSetsSync(out)
      for (const { ref, delta } of out) {
        const set = applied.sets.get(ref.set) as Map<string, Element>
        for (const e of delta.remove ?? []) set.delete(elementKey(e))
        for (const e of delta.add ?? []) set.set(elementKey(e), e)
      }
      this.#groups = counts
      // Someone else wrote in between (the delta was re-planned on a fresh read): repair the whole table.
      return r.retries === 0 ? { ...r, mode: 'delta' } : this.sync()
    } catch (e) {
      this.#applied = undefined
      throw e
    }
  }

  /** The table the agent keeps. */
  #table(): { family: 'inet'; name: string } {
    return { family: 'inet', name: this.#opts.table ?? NETPOL_TABLE }
  }

  /** Makes the kernel hold exactly the agent's table, whatever the in-memory state says (e.g. after a drift). */
  repair(): NetworkPolicyResult {
    this.#reconciler.invalidate()
    this.#applied = undefined
    return this.sync()
  }

  /** Stops listening to the monitor given at construction. */
  detach(): void {
    this.#reconciler.detach()
  }
}

function cnpName(c: unknown): string | undefined {
  const n = (c as { metadata?: { name?: unknown } } | null)?.metadata?.name
  return typeof n === 'string' ? n : undefined
}

/** Per set, the elements to remove and to add between two applied states (sets with no change left out). */
function deltas(
  prev: ReadonlyMap<string, ReadonlyMap<string, Element>>,
  next: ReadonlyMap<string, ReadonlyMap<string, Element>>,
  table: Declaration['tables'][number],
): Array<{ ref: SetDeltaRef; delta: SetDelta }> {
  const out: Array<{ ref: SetDeltaRef; delta: SetDelta }> = []
  for (const [name, want] of next) {
    const have = prev.get(name) ?? new Map<string, Element>()
    const remove: Element[] = []
    const add: Element[] = []
    for (const [k, e] of have) if (!want.has(k)) remove.push(e)
    for (const [k, e] of want) if (!have.has(k)) add.push(e)
    if (remove.length || add.length) out.push({ ref: { family: table.family, table: table.name, set: name }, delta: { remove, add } })
  }
  return out
}
