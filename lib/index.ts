/**
 * nftkit: nftables for Node.js over netlink.
 * @packageDocumentation
 */
import { createRequire } from 'node:module'

/** This package's version, read from its package.json (`../package.json` from both lib/ and dist/). */
export const version: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version
export { Client, createClient, netnsPath } from './client.js'
export type { ClientOptions, CommitOptions, CommitResult, ListOptions } from './client.js'
export { Transaction, VERBS_BY_KIND, keyDatatypes } from './transaction.js'
export type { Operation, RuleRef, SetRef, TransactionOptions, Verb, SetResolver, KnownSet } from './transaction.js'
export type * from './objects.js'
export type * from './expr/types.js'
export type { RawExpr } from './expr/decode.js'
export type { Element, ElementKey, ElementSpec } from './elements.js'
export type { Listing, ListedRule, ListedTable, ListedChain, ListedSet, ListedCounter } from './listing.js'
export { decodeListing } from './listing.js'
export {
  NftError,
  NftValidationError,
  isNotFound,
  isAlreadyExists,
  isGenerationMismatch,
} from './errors.js'
export type { Family, Hook, ChainType, Policy, NamedPriority } from './constants.js'
export type { KeyTypeName } from './datatypes.js'
export { renderExpr, renderRuleBody, renderOperation, renderElements } from './render.js'
export { loadBinding } from './native.js'
export type { NativeBinding } from './native.js'
export { Monitor, createMonitor } from './monitor.js'
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
} from './monitor.js'
export { compileRule } from './expr/compile.js'
export { decodeRule } from './expr/decode.js'
export { parseNft, parseRule, parseTime, rule, sourceOf, NftSyntaxError } from './nft/parser.js'
export type { ParsedFile, ParseOptions } from './nft/parser.js'
export { renderRuleset, renderTable, tablesOf } from './nft/ruleset.js'
export type { TableContents } from './nft/ruleset.js'
export { applyToModel } from './nft/model.js'
export {
  validate as validateFirewallConfiguration,
  toOperations as firewallConfigurationOperations,
  readDocuments,
  isFirewallConfiguration,
  matchesSelector,
} from './liqo/firewall-configuration.js'
export type { FirewallConfiguration, Problem, Document } from './liqo/firewall-configuration.js'
export { plan, reconcile, reconcileSync, canonicalExprs, Reconciler } from './reconcile.js'
export type { SetDelta, SetDeltaRef } from './reconcile.js'
export type { ReconcileResult, ReconcilerOptions, Drift } from './reconcile.js'
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
