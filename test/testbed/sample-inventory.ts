/**
 * The inventory of the demo and the datapath tests: a provider shared by two
 * consumer clusters. Consumer A offloaded two namespaces, consumer B one; each
 * consumer keeps one local namespace at home; the provider runs one namespace
 * of its own.
 */
import type { Inventory } from '../../lib/policies/inventory.js'

/** Provider pods live in 10.200.0.0/16, consumer A in 10.101.0.0/16, consumer B in 10.102.0.0/16. */
export const SAMPLE_INVENTORY: Inventory = {
  provider: {
    name: 'provider',
    podCIDR: '10.200.0.0/16',
    namespaces: [{ name: 'prov-local', pods: [{ name: 'p-local', ip: '10.200.0.10' }] }],
  },
  consumers: [
    {
      name: 'consumer-a',
      podCIDR: '10.101.0.0/16',
      gateway: { tunnelInterface: 'liqo-tun-a' },
      offloaded: [
        { name: 'a-web', pods: [{ name: 'a-web-1', ip: '10.200.1.10' }, { name: 'a-web-2', ip: '10.200.1.11' }] },
        { name: 'a-db', pods: [{ name: 'a-db-1', ip: '10.200.1.20' }] },
      ],
      local: [{ name: 'a-home', pods: [{ name: 'a-client', ip: '10.101.0.10' }] }],
    },
    {
      name: 'consumer-b',
      podCIDR: '10.102.0.0/16',
      gateway: { tunnelInterface: 'liqo-tun-b' },
      offloaded: [{ name: 'b-app', pods: [{ name: 'b-app-1', ip: '10.200.2.10' }] }],
      local: [{ name: 'b-home', pods: [{ name: 'b-client', ip: '10.102.0.10' }] }],
    },
  ],
}
