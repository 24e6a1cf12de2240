/**
 * The datapath testbed for provider protection: namespaces and veth pairs
 * built from an inventory, servers in every pod, and a prober sending real
 * packets. Shared by `npm run demo` and `test/datapath`.
 * @module
 */
export { Testbed, testPrefix, nftIn, nftCmd } from './topology.js'
export type { TestbedOptions } from './topology.js'
export { POD_GATEWAY, HOME_TUNNEL, GATEWAY_UPLINK, nsName, linkAddresses } from './plan.js'
export type { PodPlacement, TestbedPod, TestbedRouter } from './plan.js'
export { PROTOS, isReachable, verdictOf, matrixSpecs, monotonicMs, formatResults } from './probe.js'
export type { Proto, Outcome, ProbeTarget, ProbeSpec, ProbeResult, IcmpError, ProbeOptions, StreamOptions, StreamResult, ProbeStream } from './probe.js'
export { listNamespaces } from './exec.js'
