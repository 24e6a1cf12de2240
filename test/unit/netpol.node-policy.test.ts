/**
 * Node policies without a kernel: the reader takes Antrea's documented
 * ClusterNetworkPolicy examples and refuses every unsupported field by its
 * path; the compiler puts privileged rules first, then the interface gate,
 * then the applied policies in tier/priority/name order, fills peer sets
 * from the cluster, and a cluster change reconciles as element deltas only
 * (checked against the Fake).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { desiredTables, NftValidationError, reconcileSync, renderRuleset } from '../../lib/index.js'
import {
  compileNodePolicies,
  nodePolicyDeclaration,
  nodeRuleName,
  readClusterNetworkPolicy,
  readNode,
} from '../../lib/netpol/node-policy.js'
import { readClusterManifests } from '../../lib/netpol/manifests.js'
import { cidrRange, formatRange, mergeRanges, subtractRanges } from '../../lib/netpol/node-addresses.js'
import type { ClusterState, PodObject } from '../../lib/netpol/types.js'
import { createFakeClient } from '../../lib/testing/index.js'

const cnp = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'crd.antrea.io/v1beta1', kind: 'ClusterNetworkPolicy', metadata: { name }, spec })
const onNode = (host: string) => [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': host } } }]

/** Antrea's docs/antrea-node-network-policy.md, first example. */
const RESTRICT_HTTP = cnp('restrict-http-to-node', {
  priority: 5,
  tier: 'application',
  appliedTo: onNode('k8s-node-control-plane'),
  ingress: [
    { name: 'allow-cidr', action: 'Allow', from: [{ ipBlock: { cidr: '10.10.0.0/16' } }], ports: [{ protocol: 'TCP', port: 80 }] },
    { name: 'drop-other', action: 'Drop', ports: [{ protocol: 'TCP', port: 80 }] },
  ],
})

/** Antrea's docs/antrea-node-network-policy.md, second example. */
const EGRESS_DROP = cnp('egress-drop-node-to-node', {
  priority: 5,
  tier: 'application',
  appliedTo: onNode('k8s-node-control-plane'),
  egress: [
    {
      name: 'drop-22',
      action: 'Drop',
      to: [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'k8s-node-worker-1' } } }, { ipBlock: { cidr: '192.168.77.0/24' } }, { ipBlock: { cidr: '10.10.0.0/24' } }],
      ports: [{ protocol: 'TCP', port: 22 }],
    },
  ],
})

const node = (name: string, ips: string[], labels: Record<string, string> = {}) => ({ name, labels: { 'kubernetes.io/hostname': name, ...labels }, ips })
const pod = (namespace: string, name: string, labels: Record<string, string>, ips: string[], hostNetwork = false): PodObject => ({ namespace, name, labels, ips, hostNetwork, ports: [] })

function cluster(extra: Partial<ClusterState> = {}): ClusterState {
  return {
    namespaces: [
      { name: 'web', labels: { 'kubernetes.io/metadata.name': 'web', team: 'a' } },
      { name: 'ops', labels: { 'kubernetes.io/metadata.name': 'ops' } },
    ],
    pods: [pod('web', 'w1', { app: 'web' }, ['10.244.1.5', 'fd00::5']), pod('ops', 'o1', { app: 'web' }, ['10.244.2.7']), pod('web', 'h', { app: 'web' }, ['192.168.1.11'], true)],
    policies: [],
    nodes: [node('k8s-node-control-plane', ['192.168.1.10'], { role: 'cp' }), node('k8s-node-worker-1', ['192.168.1.11', '2001:db8::11'])],
    clusterPolicies: [],
    ...extra,
  }
}

/** Rule comments of one chain, in order, from the rendered table. */
function comments(text: string, chain: string): string[] {
  const body = text.split(`chain ${chain} {`)[1].split('\n\t}')[0]
  return [...body.matchAll(/comment "([^"]+)"/g)].map((m) => m[1])
}
const render = (d: ReturnType<typeof compileNodePolicies>) => renderRuleset(desiredTables(d))

/** The error a read throws (fails the test if none). */
function readError(doc: unknown, path = ''): NftValidationError {
  try {
    readClusterNetworkPolicy(doc, path)
  } catch (e) {
    expect(e).toBeInstanceOf(NftValidationError)
    return e as NftValidationError
  }
  throw new Error('expected the reader to refuse the document')
}

describe('readClusterNetworkPolicy', () => {
  it("reads Antrea's documented Node NetworkPolicy examples", () => {
    const a = readClusterNetworkPolicy(RESTRICT_HTTP, '')
    expect(a).toEqual({
      name: 'restrict-http-to-node',
      tier: 'application',
      tierPriority: 250,
      priority: 5,
      appliedTo: [{ matchLabels: { 'kubernetes.io/hostname': 'k8s-node-control-plane' } }],
      ingress: [
        { name: 'allow-cidr', action: 'Allow', peers: [{ kind: 'ipBlock', ipBlock: { cidr: '10.10.0.0/16', except: [] } }], ports: [{ protocol: 'TCP', port: 80 }], icmp: [], enableLogging: false },
        { name: 'drop-other', action: 'Drop', peers: [], ports: [{ protocol: 'TCP', port: 80 }], icmp: [], enableLogging: false },
      ],
      egress: [],
    })
    const b = readClusterNetworkPolicy(EGRESS_DROP, '')
    expect(b.egress[0].peers.map((p) => p.kind)).toEqual(['nodes', 'ipBlock', 'ipBlock'])
  })

  it('reads ICMP, port ranges, source ports, SCTP, logging, pod peers and the static tiers in any case', () => {
    const p = readClusterNetworkPolicy(
      cnp('x', {
        priority: 1.5,
        tier: 'SecurityOps',
        appliedTo: [{ nodeSelector: { matchExpressions: [{ key: 'role', operator: 'In', values: ['cp'] }] } }],
        ingress: [
          {
            action: 'Reject',
            enableLogging: true,
            logLabel: 'audit-1',
            from: [{ podSelector: { matchLabels: { app: 'web' } }, namespaceSelector: {} }, { namespaceSelector: { matchLabels: { team: 'a' } }, scope: 'Cluster' }],
            ports: [{ port: 8000, endPort: 9000 }, { protocol: 'SCTP', port: '5000', sourcePort: 1000, sourceEndPort: 2000 }],
            protocols: [{ icmp: { icmpType: 8, icmpCode: 0 } }, { icmp: {} }],
          },
        ],
      }),
      '',
    )
    expect(p.tier).toBe('securityops')
    expect(p.tierPriority).toBe(100)
    expect(p.priority).toBe(1.5)
    expect(p.ingress[0]).toMatchObject({
      action: 'Reject',
      enableLogging: true,
      logLabel: 'audit-1',
      peers: [{ kind: 'pods', podSelector: { matchLabels: { app: 'web' } }, namespaceSelector: {} }, { kind: 'pods', namespaceSelector: { matchLabels: { team: 'a' } } }],
      ports: [{ protocol: 'TCP', port: 8000, endPort: 9000 }, { protocol: 'SCTP', port: 5000, sourcePort: 1000, sourceEndPort: 2000 }],
      icmp: [{ icmpType: 8, icmpCode: 0 }, {}],
    })
  })

  const refused: Array<[string, Record<string, unknown>, string]> = [
    ['toServices', { ingress: [{ action: 'Allow', toServices: [{ name: 's', namespace: 'n' }] }] }, 'spec.ingress[0].toServices'],
    ['l7Protocols', { ingress: [{ action: 'Allow', l7Protocols: [{ http: {} }] }] }, 'spec.ingress[0].l7Protocols'],
    ['a rule-level appliedTo', { egress: [{ action: 'Drop', appliedTo: onNode('a') }] }, 'spec.egress[0].appliedTo'],
    ['Pass', { ingress: [{ action: 'Pass' }] }, 'spec.ingress[0].action'],
    ['a ClusterGroup peer', { ingress: [{ action: 'Drop', from: [{ group: 'g' }] }] }, 'spec.ingress[0].from[0].group'],
    ['an FQDN peer', { egress: [{ action: 'Drop', to: [{ fqdn: '*.example.com' }] }] }, 'spec.egress[0].to[0].fqdn'],
    ['namespaces: Self', { ingress: [{ action: 'Drop', from: [{ namespaces: { match: 'Self' } }] }] }, 'spec.ingress[0].from[0].namespaces'],
    ['a serviceAccount peer', { ingress: [{ action: 'Drop', from: [{ serviceAccount: { name: 'a', namespace: 'b' } }] }] }, 'spec.ingress[0].from[0].serviceAccount'],
    ['externalEntitySelector', { ingress: [{ action: 'Drop', from: [{ externalEntitySelector: {} }] }] }, 'spec.ingress[0].from[0].externalEntitySelector'],
    ['scope ClusterSet', { ingress: [{ action: 'Drop', from: [{ podSelector: {}, scope: 'ClusterSet' }] }] }, 'spec.ingress[0].from[0].scope'],
    ['a named port', { ingress: [{ action: 'Drop', ports: [{ port: 'http' }] }] }, 'spec.ingress[0].ports[0].port'],
    ['IGMP', { ingress: [{ action: 'Drop', protocols: [{ igmp: { igmpType: 17 } }] }] }, 'spec.ingress[0].protocols[0].igmp'],
    ['a custom tier', { tier: 'my-tier' }, 'spec.tier'],
    ['a policy for pods', { appliedTo: [{ podSelector: {} }] }, 'spec.appliedTo[0].podSelector'],
    ['a ClusterGroup appliedTo', { appliedTo: [{ group: 'nodes' }] }, 'spec.appliedTo[0].group'],
  ]
  for (const [what, spec, path] of refused)
    it(`refuses ${what}, naming ${path}`, () => {
      const e = readError(cnp('p', { priority: 1, appliedTo: onNode('a'), ...spec }))
      expect(e.path).toBe(path)
      expect(e.message.startsWith(`${path}: not supported by nftkit (`)).toBe(true)
    })

  const invalid: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['an unknown rule field, with a hint', { ingress: [{ action: 'Allow', prots: [] }] }, 'spec.ingress[0].prots', /Unknown field \(did you mean 'ports'\?\)/],
    ['`to` in an ingress rule', { ingress: [{ action: 'Allow', to: [] }] }, 'spec.ingress[0].to', /Expected 'from' in an ingress rule/],
    ['`from` in an egress rule', { egress: [{ action: 'Allow', from: [] }] }, 'spec.egress[0].from', /Expected 'to' in an egress rule/],
    ['a missing action', { ingress: [{}] }, 'spec.ingress[0].action', /Expected Allow, Drop or Reject/],
    ['priority 0', { priority: 0 }, 'spec.priority', /Expected a number 1-10000/],
    ['no appliedTo', { appliedTo: [] }, 'spec.appliedTo', /nodeSelector/],
    ['a malformed CIDR', { ingress: [{ action: 'Drop', from: [{ ipBlock: { cidr: '10.0.0.300/8' } }] }] }, 'spec.ingress[0].from[0].ipBlock.cidr', /Expected a CIDR/],
    ['an except of the other family', { ingress: [{ action: 'Drop', from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['fd00::/8'] } }] }] }, 'spec.ingress[0].from[0].ipBlock.except[0]', /same family/],
    ['an except outside the cidr', { ingress: [{ action: 'Drop', from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24'] } }] }] }, 'spec.ingress[0].from[0].ipBlock.except[0]', /inside 10.0.0.0\/16/],
    ['ipBlock with a selector', { ingress: [{ action: 'Drop', from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] }, 'spec.ingress[0].from[0]', /ipBlock alone/],
    ['an empty peer', { ingress: [{ action: 'Drop', from: [{}] }] }, 'spec.ingress[0].from[0]', /Expected one of ipBlock/],
    ['endPort below port', { ingress: [{ action: 'Drop', ports: [{ port: 90, endPort: 80 }] }] }, 'spec.ingress[0].ports[0].endPort', /endPort >= port/],
    ['protocol ICMP in ports', { ingress: [{ action: 'Drop', ports: [{ protocol: 'ICMP' }] }] }, 'spec.ingress[0].ports[0].protocol', /TCP, UDP or SCTP/],
    ['an icmpType over 255', { ingress: [{ action: 'Drop', protocols: [{ icmp: { icmpType: 256 } }] }] }, 'spec.ingress[0].protocols[0].icmp.icmpType', /0-255/],
    ['a bad selector operator', { appliedTo: [{ nodeSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] } }] }, 'spec.appliedTo[0].nodeSelector.matchExpressions[0].operator', /In, NotIn/],
    ['In without values', { appliedTo: [{ nodeSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }] }, 'spec.appliedTo[0].nodeSelector.matchExpressions[0].values', /at least one value/],
    ['an unknown spec field', { priorty: 3 }, 'spec.priorty', /did you mean 'priority'/],
  ]
  for (const [what, spec, path, message] of invalid)
    it(`refuses ${what} (${path})`, () => {
      const e = readError(cnp('p', { priority: 1, appliedTo: onNode('a'), ...spec }))
      expect(e.path).toBe(path)
      expect(e.message).toMatch(message)
    })

  it('prefixes error paths with where the document came from', () => {
    const e = readError(cnp('p', { priority: 1, appliedTo: onNode('a'), ingress: [{ action: 'Allow', toServices: [] }] }), 'cluster.yaml#3')
    expect(e.path).toBe('cluster.yaml#3.spec.ingress[0].toServices')
    expect(readError({ ...cnp('p', { priority: 1 }), apiVersion: 'crd.antrea.io/v1alpha1' }).path).toBe('apiVersion')
    expect(readError({ ...cnp('P_x', { priority: 1 }) }).path).toBe('metadata.name')
  })
})

describe('peer address arithmetic', () => {
  it('an ipBlock minus its excepts holds exactly the addresses in the cidr and in no except (random cases)', () => {
    let seed = 7
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    for (let round = 0; round < 200; round++) {
      const len = 20 + rnd(8)
      const base = (10 << 24) >>> 0
      const hostBits = 32 - len
      const excepts = Array.from({ length: rnd(4) }, () => {
        const l = len + 1 + rnd(hostBits - 1)
        const off = rnd(2 ** hostBits) & ~(2 ** (32 - l) - 1)
        return { lo: BigInt(base + off), hi: BigInt(base + off + 2 ** (32 - l) - 1) }
      })
      const block = { lo: BigInt(base), hi: BigInt(base + 2 ** hostBits - 1) }
      const parts = mergeRanges(subtractRanges(block, excepts))
      for (let k = 0; k < 64; k++) {
        const a = BigInt(base + rnd(2 ** hostBits))
        const want = !excepts.some((e) => a >= e.lo && a <= e.hi)
        expect(parts.some((r) => a >= r.lo && a <= r.hi)).toBe(want)
      }
      for (let i = 1; i < parts.length; i++) expect(parts[i].lo > parts[i - 1].hi).toBe(true)
    }
  })

  it('joins overlapping ranges and keeps adjacent ones apart', () => {
    const r = (lo: number, hi: number) => ({ lo: BigInt(lo), hi: BigInt(hi) })
    expect(mergeRanges([r(5, 9), r(1, 3), r(2, 6), r(10, 10)])).toEqual([r(1, 9), r(10, 10)])
    expect(formatRange('ip', r(0x0a000000, 0x0a0000ff))).toBe('10.0.0.0/24')
    expect(formatRange('ip', r(0x0a000001, 0x0a000002))).toBe('10.0.0.1-10.0.0.2')
    expect(cidrRange('10.1.2.3/8')).toEqual({ family: 'ip', range: r(0x0a000000, 0x0affffff) })
    expect(cidrRange('fd00::1')?.family).toBe('ip6')
    expect(cidrRange('10.0.0.0/33')).toBeUndefined()
  })
})

describe('readNode', () => {
  it('reads name, labels and the InternalIP/ExternalIP addresses', () => {
    const n = readNode(
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'w1', labels: { 'kubernetes.io/hostname': 'w1' } },
        status: {
          addresses: [
            { type: 'InternalIP', address: '192.168.1.11' },
            { type: 'Hostname', address: 'w1' },
            { type: 'InternalIP', address: '2001:db8::11' },
            { type: 'ExternalIP', address: '203.0.113.4' },
          ],
        },
      },
      '',
    )
    expect(n).toEqual({ name: 'w1', labels: { 'kubernetes.io/hostname': 'w1' }, ips: ['192.168.1.11', '2001:db8::11', '203.0.113.4'] })
    expect(() => readNode({ kind: 'Node', metadata: { name: 'x' }, status: { addresses: [{ type: 'InternalIP', address: 'nope' }] } }, 'f#1')).toThrow(/f#1.status.addresses\[0\].address/)
  })
})

describe('compileNodePolicies', () => {
  const CP = 'k8s-node-control-plane'
  const policies = () => [
    readClusterNetworkPolicy(RESTRICT_HTTP, ''),
    readClusterNetworkPolicy(EGRESS_DROP, ''),
    readClusterNetworkPolicy(cnp('b-deny-all', { priority: 10, appliedTo: [{ nodeSelector: {} }], ingress: [{ action: 'Drop' }] }), ''),
    readClusterNetworkPolicy(cnp('a-deny-all', { priority: 10, appliedTo: [{ nodeSelector: {} }], ingress: [{ action: 'Drop' }] }), ''),
    readClusterNetworkPolicy(cnp('urgent', { priority: 9000, tier: 'emergency', appliedTo: [{ nodeSelector: {} }], ingress: [{ action: 'Allow', ports: [{ port: 22 }] }] }), ''),
    readClusterNetworkPolicy(cnp('last', { priority: 1, tier: 'baseline', appliedTo: [{ nodeSelector: {} }], ingress: [{ action: 'Allow' }] }), ''),
    readClusterNetworkPolicy(cnp('workers-only', { priority: 1, appliedTo: onNode('k8s-node-worker-1'), ingress: [{ action: 'Drop' }] }), ''),
  ]

  it('puts privileged rules first, then the interface gate, then the policies by tier, priority and name', () => {
    const d = compileNodePolicies(cluster(), policies(), {
      node: CP,
      interfaces: ['eth*', 'ens160'],
      privileged: { endpoints: [{ cidr: '192.168.1.100', port: 6443 }, { cidr: '192.168.1.0/24', protocol: 'tcp', port: 10250 }] },
    })
    const text = render(d)
    expect(comments(text, 'input')).toEqual([
      'privileged/established',
      'privileged/loopback',
      'privileged/endpoint[0]',
      'privileged/endpoint[1]',
      'gate/eth*',
      'gate/ens160',
    ])
    expect(comments(text, 'output')).toEqual(comments(text, 'input'))
    expect(text).toContain('type filter hook input priority filter; policy accept;')
    expect(text).toContain('ip saddr 192.168.1.100 meta l4proto tcp th dport 6443 counter packets 0 bytes 0 accept comment "privileged/endpoint[0]"')
    expect(text).toContain('ip daddr 192.168.1.100 meta l4proto tcp th dport 6443 counter packets 0 bytes 0 accept comment "privileged/endpoint[0]"')
    expect(text).toContain('iifname "eth*" jump ingress comment "gate/eth*"')
    expect(text).toContain('oifname "ens160" jump egress comment "gate/ens160"')
    expect(text).not.toContain('forward')
    // emergency tier first whatever its priority; application tier by priority then name; baseline last; workers-only not applied.
    expect(comments(text, 'ingress')).toEqual([
      'cnp/urgent/ingress[0]',
      'cnp/restrict-http-to-node/ingress[0]',
      'cnp/restrict-http-to-node/ingress[1]',
      'cnp/a-deny-all/ingress[0]',
      'cnp/b-deny-all/ingress[0]',
      'cnp/last/ingress[0]',
    ])
    expect(comments(text, 'egress')).toEqual(['cnp/egress-drop-node-to-node/egress[0]/ip', 'cnp/egress-drop-node-to-node/egress[0]/ip6'])
  })

  it('gates every interface but lo by default, and for "*"; duplicates are dropped', () => {
    const text = render(compileNodePolicies(cluster(), [], { node: CP }))
    expect(comments(text, 'input')).toEqual(['privileged/established', 'privileged/loopback', 'gate/*'])
    expect(render(compileNodePolicies(cluster(), [], { node: CP, interfaces: ['eth*', '*'] }))).toBe(text)
    expect(comments(render(compileNodePolicies(cluster(), [], { node: CP, interfaces: ['eth0', 'eth0', 'eth1'] })), 'input').slice(2)).toEqual(['gate/eth0', 'gate/eth1'])
    expect(text).toContain('iifname != "lo" jump ingress comment "gate/*"')
    expect(text).toContain('oifname "lo" counter packets 0 bytes 0 accept comment "privileged/loopback"')
    expect(text).toContain('chain ingress {\n\t}')
  })

  it('fills peer sets: selected Nodes, selected pods (not hostNetwork), ipBlocks minus except, merged', () => {
    const p = readClusterNetworkPolicy(
      cnp('peers', {
        priority: 1,
        appliedTo: onNode(CP),
        ingress: [
          {
            action: 'Allow',
            from: [
              { nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'k8s-node-worker-1' } } },
              { podSelector: { matchLabels: { app: 'web' } }, namespaceSelector: { matchLabels: { team: 'a' } } },
              { ipBlock: { cidr: '10.10.0.0/16', except: ['10.10.1.0/24', '10.10.128.0/17'] } },
              { ipBlock: { cidr: '10.10.0.0/24' } },
            ],
          },
        ],
        egress: [{ action: 'Allow', to: [{ ipBlock: { cidr: '2001:db8::/32' } }] }],
      }),
      '',
    )
    const text = render(compileNodePolicies(cluster(), [p], { node: CP }))
    // 192.168.1.11 is worker-1's; 10.244.1.5 is w1 (team a); o1 is in ops, h is hostNetwork.
    expect(text).toContain('set cnp-peers-in0-v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.10.0.0/24, 10.10.2.0-10.10.127.255, 10.244.1.5, 192.168.1.11 }')
    expect(text).toContain('set cnp-peers-in0-v6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\telements = { 2001:db8::11, fd00::5 }')
    expect(text).toContain('ip saddr @cnp-peers-in0-v4 counter packets 0 bytes 0 accept comment "cnp/peers/ingress[0]/ip"')
    expect(text).toContain('ip6 saddr @cnp-peers-in0-v6 counter packets 0 bytes 0 accept comment "cnp/peers/ingress[0]/ip6"')
    // An IPv6-only ipBlock: one IPv6 rule, no IPv4 set.
    expect(text).toContain('ip6 daddr @cnp-peers-out0-v6 counter packets 0 bytes 0 accept comment "cnp/peers/egress[0]"')
    expect(text).not.toContain('cnp-peers-out0-v4')
  })

  it('compiles Reject as a TCP reset for TCP and ICMP(v6) admin-prohibited otherwise, with ports, ranges and ICMP', () => {
    const p = readClusterNetworkPolicy(
      cnp('rej', {
        priority: 1,
        appliedTo: onNode(CP),
        ingress: [
          {
            action: 'Reject',
            enableLogging: true,
            ports: [{ port: 80 }, { port: 8000, endPort: 8080 }, { protocol: 'UDP', port: 53 }, { protocol: 'SCTP' }, { protocol: 'TCP', port: 443, sourcePort: 1024, sourceEndPort: 65535 }],
            protocols: [{ icmp: { icmpType: 8 } }],
          },
          { action: 'Reject' },
        ],
      }),
      '',
    )
    const text = render(compileNodePolicies(cluster(), [p], { node: CP }))
    const lines = text.split('\n').map((l) => l.trim())
    const ruleOf = (c: string) => lines.find((l) => l.endsWith(`comment "${c}"`))
    expect(ruleOf('cnp/rej/ingress[0]/tcp')).toBe('meta l4proto tcp th dport { 80, 8000-8080 } counter packets 0 bytes 0 log prefix "cnp/rej/ingress[0]/tcp " reject with tcp reset comment "cnp/rej/ingress[0]/tcp"')
    expect(ruleOf('cnp/rej/ingress[0]/udp')).toContain('meta l4proto udp th dport 53 counter packets 0 bytes 0 log prefix "cnp/rej/ingress[0]/udp " reject with icmpx admin-prohibited')
    expect(ruleOf('cnp/rej/ingress[0]/sctp')).toContain('meta l4proto sctp counter packets 0 bytes 0 log')
    expect(ruleOf('cnp/rej/ingress[0]/ports[4]')).toContain('meta l4proto tcp th sport 1024-65535 th dport 443 counter packets 0 bytes 0 log')
    expect(ruleOf('cnp/rej/ingress[0]/ip/icmp[0]')).toContain('icmp type echo-request counter')
    expect(ruleOf('cnp/rej/ingress[0]/ip6/icmp[0]')).toContain('icmpv6 type 8 counter')
    expect(ruleOf('cnp/rej/ingress[1]/tcp-reset')).toBe('meta l4proto tcp counter packets 0 bytes 0 reject with tcp reset comment "cnp/rej/ingress[1]/tcp-reset"')
    expect(ruleOf('cnp/rej/ingress[1]')).toBe('counter packets 0 bytes 0 reject with icmpx admin-prohibited comment "cnp/rej/ingress[1]"')
  })

  it('merges overlapping port ranges of one protocol (an anonymous interval set refuses overlaps)', () => {
    const p = readClusterNetworkPolicy(
      cnp('ports', { priority: 1, appliedTo: onNode(CP), ingress: [{ action: 'Allow', ports: [{ port: 80 }, { port: 79, endPort: 90 }, { port: 91 }, { port: 443 }, { port: 443 }] }] }),
      '',
    )
    expect(render(compileNodePolicies(cluster(), [p], { node: CP }))).toContain('meta l4proto tcp th dport { 79-91, 443 } counter')
  })

  it('keeps long names within the 127-byte comment', () => {
    const long = 'x'.repeat(240)
    const name = nodeRuleName(long, 'ingress', 12, ['ip6', 'icmp[3]', 'tcp-reset'])
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(127)
    expect(name.endsWith('/ingress[12]/ip6/icmp[3]/tcp-reset')).toBe(true)
    expect(nodeRuleName(long, 'ingress', 1)).not.toBe(nodeRuleName(`${long}y`, 'ingress', 1))
  })

  it('refuses an unknown Node, duplicate policy names and bad options', () => {
    const p = policies()
    expect(() => compileNodePolicies(cluster(), p, { node: 'nope' })).toThrow(/options.node/)
    expect(() => compileNodePolicies(cluster(), [p[0], p[0]], { node: CP })).toThrow(/unique/)
    expect(() => compileNodePolicies(cluster(), p, { node: CP, interfaces: ['e*th'] })).toThrow(/options.interfaces\[0\]/)
    expect(() => compileNodePolicies(cluster(), p, { node: CP, interfaces: ['averyveryverylongname'] })).toThrow(/options.interfaces\[0\]/)
    expect(() => compileNodePolicies(cluster(), p, { node: CP, privileged: { endpoints: [{ cidr: 'api' }] } })).toThrow(/options.privileged.endpoints\[0\].cidr/)
    expect(() => compileNodePolicies(cluster(), p, { node: CP, privileged: { endpoints: [{ cidr: '10.0.0.1', port: 0 }] } })).toThrow(/endpoints\[0\].port/)
  })

  it('nodePolicyDeclaration reads state.clusterPolicies and names their index in errors', () => {
    const d = nodePolicyDeclaration(cluster({ clusterPolicies: [RESTRICT_HTTP] }), { node: CP })
    expect(comments(render(d), 'ingress')).toEqual(['cnp/restrict-http-to-node/ingress[0]', 'cnp/restrict-http-to-node/ingress[1]'])
    const bad = cnp('p', { priority: 1, appliedTo: onNode(CP), ingress: [{ action: 'Pass' }] })
    expect(() => nodePolicyDeclaration(cluster({ clusterPolicies: [RESTRICT_HTTP, bad] }), { node: CP })).toThrow('clusterPolicies[1].spec.ingress[0].action: not supported by nftkit')
  })

  it('reconciles a cluster change as element deltas and a policy change as its own rules only (the Fake)', () => {
    const client = createFakeClient()
    const pols = [readClusterNetworkPolicy(EGRESS_DROP, ''), readClusterNetworkPolicy(RESTRICT_HTTP, '')]
    const apply = (state: ClusterState, ps = pols) => reconcileSync(client, desiredTables(compileNodePolicies(state, ps, { node: CP })))
    expect(apply(cluster()).operations.length).toBeGreaterThan(0)
    expect(apply(cluster()).operations).toEqual([])
    // A new worker Node and a changed address: only elements of the peer sets move.
    const grown = cluster({ nodes: [...cluster().nodes, node('k8s-node-worker-2', ['192.168.1.12'], { 'kubernetes.io/hostname': 'k8s-node-worker-1' })] })
    const ops = apply(grown).operations
    expect(ops.map((o) => `${o.verb} ${o.object.kind}`)).toEqual(['add element'])
    expect(ops[0].object).toMatchObject({ set: 'cnp-egress-drop-node-to-node-out0-v4' })
    // A changed policy: only its changed rule is replaced.
    const ingress = RESTRICT_HTTP.spec.ingress as unknown[]
    const changed = readClusterNetworkPolicy({ ...RESTRICT_HTTP, spec: { ...RESTRICT_HTTP.spec, ingress: [ingress[0], { action: 'Reject', ports: [{ port: 80 }] }] } }, '')
    const ops2 = apply(grown, [pols[0], changed]).operations
    expect(ops2.map((o) => `${o.verb} ${o.object.kind} ${(o.object as { comment?: string }).comment ?? ''}`.trim())).toEqual(['replace rule cnp/restrict-http-to-node/ingress[1]'])
  })
})

describe('examples/node-policies/cluster.yaml', () => {
  it('compiles for worker-1 into the table docs/node-policies.md shows', () => {
    const docs = parseAllDocuments(readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'node-policies', 'cluster.yaml'), 'utf8')).map((d) => d.toJS())
    // The cluster reader of the NetworkPolicy side: Nodes, Namespaces, Pods checked, ClusterNetworkPolicies raw.
    const state = readClusterManifests(docs, 'cluster.yaml')
    expect(state.clusterPolicies).toHaveLength(2)
    expect(state.nodes.find((n) => n.name === 'worker-1')?.ips).toEqual(['192.168.10.11', '2001:db8:10::11'])
    const endpoints = [
      { cidr: '192.168.10.2', port: 6443 },
      { cidr: '192.168.10.2', port: 10250 },
    ]
    const text = render(nodePolicyDeclaration(state, { node: 'worker-1', interfaces: ['eth*'], privileged: { endpoints } }))
    expect(comments(text, 'ingress')).toEqual([
      'cnp/worker-lockdown/ingress[0]',
      'cnp/worker-lockdown/ingress[1]/ip',
      'cnp/worker-lockdown/ingress[1]/ip6',
      'cnp/worker-lockdown/ingress[2]/ip/icmp[0]',
      'cnp/worker-lockdown/ingress[2]/ip6/icmp[0]',
      'cnp/worker-lockdown/ingress[3]',
      'cnp/worker-lockdown/ingress[4]',
    ])
    expect(text).toContain('elements = { 10.20.0.0-10.20.98.255, 10.20.100.0-10.20.255.255 }')
    expect(text).toContain('log prefix "worker-drop cnp/worker-lockdown/ingress[4] " drop')
    // The control plane gets Antrea's own example instead.
    const cp = render(nodePolicyDeclaration(state, { node: 'control-plane' }))
    expect(comments(cp, 'ingress')).toEqual(['cnp/restrict-http-to-node/ingress[0]', 'cnp/restrict-http-to-node/ingress[1]'])
  })
})
