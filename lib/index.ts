/**
 * nftkit: nftables for Node.js over netlink.
 * @packageDocumentation
 */
import { packageVersion } from './io/version.js'

/** This package's version (from its package.json), e.g. `0.1.0`. */
export const version: string = packageVersion()
export { Client, createClient, LISTENER_WARN_ELEMENTS, netnsPath } from './io/client.js'
export type { ClientOptions, CommitOptions, CommitResult, ListOptions } from './io/client.js'
export { ElementWriter } from './io/element-writer.js'
export type { ElementCommitResult, ElementVerb } from './io/element-writer.js'
export { Transaction, keyDatatypes } from './batch/transaction.js'
export { VERBS_BY_KIND, sourceOf } from './model/operations.js'
export type { TransactionOptions } from './batch/transaction.js'
export type { PreparedBatch } from './batch/prepared.js'
export type { Operation, RuleRef, SetRef, Verb, SetResolver, KnownSet, SourcePosition } from './model/operations.js'
export type * from './model/objects.js'
export type * from './model/rule-types.js'
export type * from './model/exthdr-types.js'
export type { RawExpr } from './expr/decode.js'
export type { Element, ElementKey, ElementSpec } from './model/element-types.js'
export type { Listing, ListedRule, ListedTable, ListedChain, ListedSet, ListedCounter } from './io/listing.js'
export { decodeListing } from './io/listing.js'
export {
  NftError,
  NftValidationError,
  isNotFound,
  isAlreadyExists,
  isGenerationMismatch,
  errnoName,
} from './kernel/errors.js'
export type { Family, Hook, ChainType, Policy, NamedPriority } from './kernel/constants.js'
export type { KeyTypeName } from './kernel/datatypes.js'
export { renderExpr, renderRuleBody, renderOperation, renderElements } from './expr/render.js'
export { loadBinding } from './io/native.js'
export type { NativeBinding } from './io/native.js'
export { Monitor, createMonitor } from './io/monitor.js'
export type {
  MonitorOptions,
  MonitorEvent,
  MonitorEventMap,
  MonitorCommit,
  Change,
  TableChange,
  ChainChange,
  RuleChange,
  SetChange,
  ElementChange,
  ObjectChange,
  FlowtableChange,
  GenEvent,
  OverrunEvent,
} from './io/monitor.js'
export { compileRule } from './expr/compile.js'
export { decodeRule } from './expr/decode.js'
export { parseNft, parseRule, parseTime, rule, NftSyntaxError } from './nft/parser.js'
export type { ParsedFile, ParseOptions } from './nft/parser.js'
export { renderRuleset, renderTable } from './nft/ruleset.js'
export { tablesOf } from './state/tables.js'
export type { TableContents } from './state/tables.js'
export { applyToModel } from './state/model.js'
export { desiredTables } from './state/desired.js'
export type { Declaration } from './state/desired.js'
export {
  validate as validateFirewallConfiguration,
  toOperations as firewallConfigurationOperations,
  readDocuments,
  isFirewallConfiguration,
  matchesSelector,
} from './liqo/firewall-configuration.js'
export type { FirewallConfiguration, Problem, Document } from './liqo/firewall-configuration.js'
export { plan, canonicalExprs } from './reconcile/plan.js'
export { reconcile, reconcileSync } from './reconcile/apply.js'
export { Reconciler } from './reconcile/reconciler.js'
export type { SetDelta, SetDeltaRef } from './reconcile/delta.js'
export type { ReconcileResult } from './reconcile/apply.js'
export type { ReconcilerOptions, ReconcileOptions, Drift } from './reconcile/reconciler.js'
export type { RetryOptions } from './reconcile/retry.js'
export { nextStatus, ruleCounters } from './liqo/status.js'
export type { Condition, RuleCounters, FirewallConfigurationStatus } from './liqo/status.js'
export {
  providerProtection,
  consumerProtection,
  leafIsolation,
  networkPolicies,
  offloadedDeltas,
  offloadedIPs,
  OFFLOADED_SET,
  PROVIDER_TABLE,
  CONSUMER_TABLE,
  LEAF_TABLE,
  CATEGORY_LABEL,
  SUBCATEGORY_LABEL,
  UNIQUE_LABEL,
  ORIGIN_LABEL,
} from './policies/generate.js'
export type { ProviderProtectionOptions, ConsumerProtectionOptions, HubInventory, NetworkPolicy, OffloadedDelta } from './policies/generate.js'
export type { Inventory, ConsumerInventory, ProviderInventory, NamespaceInventory, PodInventory } from './policies/inventory.js'
export { validateInventory, readInventory, InventoryError } from './policies/validate-inventory.js'
export { GatewayAgent } from './policies/agent.js'
export type { AgentResult } from './policies/agent.js'
// The admission webhook, the endpoint server and the logger of `lib/controller`
// (ControllerMetrics is not re-exported here: prom-client takes ~0.3 s to load,
// so it is imported from the controller only when metrics are served).
export {
  admissionHandler,
  reviewAdmission,
  serveWebhook,
  AdmissionRequestError,
  ADMISSION_VALIDATORS,
  ADMISSION_API_VERSION,
  ADMISSION_BODY_MAX,
  ADMISSION_PROBLEMS_MAX,
} from './controller/webhook.js'
export type {
  AdmissionRequest,
  AdmissionResponse,
  AdmissionReviewReply,
  AdmissionValidator,
  AdmissionHandlerOptions,
  WebhookServerOptions,
} from './controller/webhook.js'
export { networkPolicyProblems, networkPolicyAdmissionProblems } from './controller/netpol-check.js'
export { serveControllerHttp, parseListen } from './controller/http.js'
export type { ControllerHttpOptions, HttpHandle, ListenAddress, MetricsSource } from './controller/http.js'
export { createLogger } from './controller/log.js'
export type { Logger, LogLevel, LogFormat, LogFields, LoggerOptions } from './controller/log.js'
// Kubernetes NetworkPolicies enforced in nftables (docs/network-policy.md).
export { readClusterManifests, readClusterObjects, isClusterKind, NAMESPACE_NAME_LABEL } from './netpol/manifests.js'
export { compileNetworkPolicies, NETPOL_TABLE, policyChain, ruleName, parseRuleName } from './netpol/compile.js'
export type { CompileOptions, Direction } from './netpol/compile.js'
export { NetworkPolicyAgent } from './netpol/agent.js'
export type { NetworkPolicyResult, NetworkPolicyAgentOptions, ClusterKind } from './netpol/agent.js'
export { selectorMatches } from './netpol/types.js'
export type {
  ClusterState,
  NamespaceObject,
  PodObject,
  NodeObject,
  NetworkPolicyObject,
  PolicyRule,
  PolicyPeer,
  PolicyPort,
  LabelSelector,
  LabelRequirement,
  ContainerPort,
  K8sProtocol,
} from './netpol/types.js'
// Node policies: Antrea-shaped ClusterNetworkPolicies applied to Nodes (docs/node-policies.md).
export {
  nodePolicyDeclaration,
  nodePolicyCounters,
  compileNodePolicies,
  readClusterNetworkPolicy,
  readNode,
  isClusterNetworkPolicy,
  isNode,
  policiesForNode,
  nodeRuleName,
  nodePeerSetName,
  NODE_POLICY_TABLE,
  NODE_POLICY_CHAINS,
  NODE_POLICY_TIERS,
} from './netpol/node-policy.js'
export type {
  NodePolicyOptions,
  PrivilegedEndpoint,
  NodePolicyObject,
  NodePolicyRule,
  NodePolicyPeer,
  NodePolicyPort,
  NodePolicyICMP,
  NodeIPBlock,
  NodePolicyTier,
  NodeRuleAction,
  NodeRuleCounters,
} from './netpol/node-policy.js'
// The cluster controller (docs/controller.md). @kubernetes/client-node is loaded only when a controller starts.
export { FirewallController, runController } from './controller/controller.js'
export type { ControllerOptions, RunControllerOptions, ReconcileSummary, ControllerStats, ControllerLogger, ControllerMetricsSink } from './controller/controller.js'
export { connectKube, ApiError } from './controller/kube.js'
export type { KubeApi, KubeObject, WatchEvent, KubeConnectOptions } from './controller/kube.js'
