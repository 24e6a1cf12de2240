/**
 * `--networkpolicies`: Namespaces, Pods and NetworkPolicies watched
 * cluster-wide (list-watch loops like the FirewallConfigurations'), read
 * with the NetworkPolicy compiler's reader and enforced by one
 * {@link NetworkPolicyAgent} in the controller's network namespace (its own
 * table, `nftkit-netpol`; pod churn moves as element deltas). A state the
 * reader refuses leaves the kernel as it is, as does the API server going
 * away; drift of the table is repaired from the cache.
 * @module
 */
import { createClient, type Client } from '../io/client.js'
import type { Monitor } from '../io/monitor.js'
import { NftError, NftValidationError } from '../kernel/errors.js'
import { NetworkPolicyAgent } from '../netpol/agent.js'
import { readClusterManifests } from '../netpol/manifests.js'
import { ListWatch } from './informer.js'
import type { CLUSTER_RESOURCES, KubeApi } from './kube.js'
import type { ControllerLogger } from './types.js'

/** Options of {@link NetworkPolicyEnforcer}. */
export interface NetworkPolicyEnforcerOptions {
  readonly netns?: string
  /** Enforce for the pods of this node only (`spec.nodeName`); default every pod. */
  readonly node?: string
  readonly monitor?: Monitor
  readonly log: ControllerLogger
  readonly backoffMs?: number
  readonly maxBackoffMs?: number
  /** After each sync (tests). */
  readonly onSync?: (r: { mode?: string; operations: number; messages: number; error?: string }) => void
}

/** Keeps the NetworkPolicies of the cluster enforced; see the module comment. */
export class NetworkPolicyEnforcer {
  readonly #opts: NetworkPolicyEnforcerOptions
  readonly #client: Client
  readonly #agent: NetworkPolicyAgent
  readonly #watches: ListWatch[]
  #timer?: NodeJS.Timeout
  #stopped = false
  #force = false
  #last = ''

  constructor(api: KubeApi, opts: NetworkPolicyEnforcerOptions) {
    this.#opts = opts
    this.#client = createClient(opts.netns ? { netns: opts.netns } : {})
    this.#agent = new NetworkPolicyAgent(this.#client, {
      ...(opts.node ? { node: opts.node } : {}),
      ...(opts.monitor ? { monitor: opts.monitor } : {}),
      onDrift: () => {
        this.#force = true
        this.#schedule()
      },
    })
    const kinds: Array<keyof typeof CLUSTER_RESOURCES> = ['namespaces', 'pods', 'networkpolicies']
    this.#watches = kinds.map(
      (k) =>
        new ListWatch(api.source(k), {
          backoffMs: opts.backoffMs,
          maxBackoffMs: opts.maxBackoffMs,
          onChange: () => this.#schedule(),
          onError: (err, ms) => opts.log.warn('API server', { resource: k, error: err.message, status: err.status, retryInMs: ms }),
          onRestart: (what, why) => opts.log.info(what === 'relist' ? 'relisting' : 'watching again', { resource: k, why }),
        }),
    )
  }

  start(): void {
    for (const w of this.#watches) w.start()
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    for (const w of this.#watches) w.stop()
    this.#client.close()
  }

  #schedule(): void {
    if (this.#stopped || this.#timer) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#sync()
    }, 0)
  }

  #sync(): void {
    if (this.#stopped || !this.#watches.every((w) => w.synced)) return
    const docs = this.#watches.flatMap((w) => [...w.objects.values()])
    // Pod status churn that changes nothing the compiler reads is cheap anyway (planned from memory).
    const fingerprint = JSON.stringify(docs.map((d) => [d.metadata.namespace, d.metadata.name, d.metadata.resourceVersion]))
    if (fingerprint === this.#last && !this.#force) return
    this.#force = false
    try {
      const state = readClusterManifests(docs)
      const r = this.#agent.apply(state)
      this.#last = fingerprint
      if (r.operations.length) this.#opts.log.info('network policies enforced', { mode: r.mode, operations: r.operations.length, messages: r.messages, policies: state.policies.length, pods: state.pods.length })
      this.#opts.onSync?.({ mode: r.mode, operations: r.operations.length, messages: r.messages })
    } catch (e) {
      // The kernel keeps what it had; the next change tries again.
      const message = e instanceof Error ? e.message : String(e)
      if (e instanceof NftValidationError || e instanceof NftError) this.#opts.log.warn('network policies not applied', { error: message })
      else this.#opts.log.error('internal error enforcing network policies, please report', { error: e })
      this.#opts.onSync?.({ operations: 0, messages: 0, error: message })
    }
  }
}
