/**
 * The nftkit side of `bench/netpol-rate.ts`: N NetworkPolicies selecting the
 * server pod, each allowing one peer pod on TCP port 80 (the client is the peer
 * of the last), as the table nftkit enforces them.
 * @module
 */

/** nft text of the set-based table for n policies (PLACEHOLDER until the compiler lands). */
export function nftkitRuleset(n: number, at: { client: string; server: string }): string {
  const peers: string[] = []
  for (let i = 1; i < n; i++) peers.push(`10.20.${i >> 8}.${i & 255} . 80`)
  peers.push(`${at.client} . 80`)
  return `table inet np {
  set allow { type ipv4_addr . inet_service; elements = { ${peers.join(', ')} }; }
  chain pod { ip saddr . tcp dport @allow accept; drop; }
  chain forward { type filter hook forward priority filter; policy accept; ct state established,related accept; ip daddr vmap { ${at.server} : jump pod }; }
}
`
}
