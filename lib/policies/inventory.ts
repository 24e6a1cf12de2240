/**
 * The inventory a security agent keeps for provider protection: which consumer
 * clusters offloaded which namespaces and pods to this provider, the provider's
 * own pods, and the addresses involved. Policies are generated from it
 * (`providerProtection`, `consumerProtection`, `leafIsolation`), and the
 * datapath testbed is built from it.
 * @module
 */

/** One pod: a name unique in the inventory and its IPv4 address. */
export interface PodInventory {
  readonly name: string
  readonly ip: string
}

/** One Kubernetes namespace and the pods it holds. */
export interface NamespaceInventory {
  readonly name: string
  readonly pods: readonly PodInventory[]
}

/** One consumer cluster as the provider sees it. */
export interface ConsumerInventory {
  /** Cluster id, e.g. `consumer-a` (lowercase letters, digits, `-`). */
  readonly name: string
  /** The consumer's pod CIDR as it appears at the provider (after any remapping). */
  readonly podCIDR: string
  /** The provider-side gateway that terminates this consumer's tunnel. */
  readonly gateway: {
    /** Interface the consumer's traffic arrives on (the tunnel), e.g. `liqo-tunnel`. */
    readonly tunnelInterface: string
    /**
     * Addresses the gateway itself must keep talking to whatever the policy says
     * (tunnel peer, health checks): always allowed, before every generated rule.
     */
    readonly controlPlane?: readonly string[]
  }
  /** Namespaces offloaded to the provider: their pods run there, with provider IPs. */
  readonly offloaded: readonly NamespaceInventory[]
  /** Pods that stay in the consumer cluster (reachable through its tunnel). */
  readonly local: readonly NamespaceInventory[]
}

/** The provider cluster: its pod CIDR and its own (not offloaded) namespaces. */
export interface ProviderInventory {
  readonly name: string
  readonly podCIDR: string
  readonly namespaces: readonly NamespaceInventory[]
}

/** Everything the policy generator and the testbed need. */
export interface Inventory {
  readonly provider: ProviderInventory
  readonly consumers: readonly ConsumerInventory[]
}
