/**
 * Node policies: Antrea-shaped ClusterNetworkPolicies applied to Nodes,
 * compiled into one nftables table per Node (docs/node-policies.md). The
 * entry point for the CLI and agents is {@link nodePolicyDeclaration}; the
 * reader and the compiler are exported for callers that hold checked
 * objects already.
 * @module
 */
import type { Declaration } from '../state/desired.js'
import { compileNodePolicies, type NodePolicyOptions } from './node-policy-compile.js'
import { readClusterNetworkPolicy } from './node-policy-read.js'
import type { ClusterState } from './types.js'

export {
  compileNodePolicies,
  NODE_POLICY_CHAINS,
  NODE_POLICY_TABLE,
  nodePeerSetName,
  nodeRuleName,
  policiesForNode,
  type NodePolicyOptions,
  type PrivilegedEndpoint,
} from './node-policy-compile.js'
export {
  CLUSTER_NETWORK_POLICY,
  isClusterNetworkPolicy,
  NODE_POLICY_TIERS,
  readClusterNetworkPolicy,
  readLabelSelector,
  type NodeIPBlock,
  type NodePolicyICMP,
  type NodePolicyObject,
  type NodePolicyPeer,
  type NodePolicyPort,
  type NodePolicyRule,
  type NodePolicyTier,
  type NodeRuleAction,
} from './node-policy-read.js'
export { isNode, readNode } from './node-read.js'
export { nodePolicyCounters, type NodeRuleCounters } from './node-policy-status.js'

/**
 * The node-policy table for one Node from everything read out of the
 * manifests: reads every raw document of `state.clusterPolicies` with
 * {@link readClusterNetworkPolicy} (error paths start `clusterPolicies[i]`)
 * and compiles those whose appliedTo selects `opts.node` with
 * {@link compileNodePolicies}. Feed the result to `desiredTables()` and the
 * reconciler, like any other declaration.
 * @throws NftValidationError for an unsupported or invalid policy field (naming its path), an unknown Node or a bad option.
 */
export function nodePolicyDeclaration(state: ClusterState, opts: NodePolicyOptions): Declaration {
  const policies = state.clusterPolicies.map((d, i) => readClusterNetworkPolicy(d, `clusterPolicies[${i}]`))
  return compileNodePolicies(state, policies, opts)
}
