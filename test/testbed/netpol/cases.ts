/**
 * The conformance cases: the NetworkPolicies of the upstream Kubernetes e2e
 * tests (test/e2e/network/netpol/network_policy.go, "Netpol" suites for TCP,
 * UDP and SCTP) and cases in the style of cyclonus's generator (port ranges,
 * named ports per protocol, ipBlock families, label operators, rules that must
 * not be crossed). Each is written here as our own manifests; the expected
 * truth table is never written down: the oracle computes it for every probe
 * (9 × 8 pod pairs × ports 80, 81 × TCP, UDP, SCTP × IPv4, IPv6).
 * @module
 */
import { type ClusterTweaks, type Manifest, podIPv4, podIPv6, policy } from './cluster.js'

/** One conformance case. */
export interface NetpolCase {
  readonly name: string
  /** Where it comes from: `upstream: <It name>` or `cyclonus-style: <what>`. */
  readonly source: string
  readonly policies: readonly Manifest[]
  readonly tweaks?: ClusterTweaks
}

const NS_LABEL = 'kubernetes.io/metadata.name'
const pod = (p: string) => ({ matchLabels: { pod: p } })
const nsName = (n: string) => ({ matchLabels: { [NS_LABEL]: n } })
const expr = (key: string, operator: string, values?: string[]) => ({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] })
const denyIngress = (ns: string) => policy(ns, 'deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] })
const up = (s: string) => `upstream: ${s}`
const cy = (s: string) => `cyclonus-style: ${s}`

/** Every case, in order; names are unique. */
export const CASES: readonly NetpolCase[] = [
  { name: 'default-deny-ingress', source: up("should support a 'default-deny-ingress' policy (TCP, UDP, SCTP suites)"), policies: [denyIngress('x')] },
  {
    name: 'default-deny-all',
    source: up("should support a 'default-deny-all' policy"),
    policies: [policy('x', 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
  },
  {
    name: 'allow-from-pod-b-in-server-namespace',
    source: up('should enforce policy to allow traffic from pods within server namespace based on PodSelector'),
    policies: [policy('x', 'x-a-allows-x-b', { podSelector: pod('a'), ingress: [{ from: [{ podSelector: pod('b') }] }] })],
  },
  {
    name: 'deny-all-then-allow-all-to-a',
    source: up('should enforce policy to allow ingress traffic for a target'),
    policies: [
      policy('x', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] }),
      policy('x', 'allow-all-to-a', { podSelector: pod('a'), ingress: [{ from: [{ podSelector: {}, namespaceSelector: {} }] }] }),
    ],
  },
  {
    name: 'allow-from-all-namespaces',
    source: up('should enforce policy to allow ingress traffic from pods in all namespaces'),
    policies: [policy('x', 'allow-from-another-ns', { podSelector: pod('a'), ingress: [{ from: [{ namespaceSelector: {} }] }] })],
  },
  {
    name: 'allow-from-namespace-y',
    source: up('should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector (default ns label)'),
    policies: [policy('x', 'allow-client-a-via-ns-selector', { podSelector: pod('a'), ingress: [{ from: [{ namespaceSelector: nsName('y') }] }] })],
  },
  {
    name: 'pod-selector-match-expressions',
    source: up('should enforce policy based on PodSelector with MatchExpressions'),
    policies: [policy('x', 'x-a-allows-x-b', { podSelector: pod('a'), ingress: [{ from: [{ podSelector: expr('pod', 'In', ['b']) }] }] })],
  },
  {
    name: 'namespace-selector-match-expressions',
    source: up('should enforce policy based on NamespaceSelector with MatchExpressions'),
    policies: [policy('x', 'allow-ns-y-match-selector', { podSelector: pod('a'), ingress: [{ from: [{ namespaceSelector: expr(NS_LABEL, 'In', ['y']) }] }] })],
  },
  {
    name: 'pod-selector-or-namespace-selector',
    source: up('should enforce policy based on PodSelector or NamespaceSelector (two peers)'),
    policies: [
      policy('x', 'allow-ns-y-match-selector', {
        podSelector: pod('a'),
        ingress: [{ from: [{ namespaceSelector: expr(NS_LABEL, 'NotIn', ['x']) }, { podSelector: pod('b') }] }],
      }),
    ],
  },
  {
    name: 'pod-selector-and-namespace-selector',
    source: up('should enforce policy based on PodSelector and NamespaceSelector (one peer, both selectors)'),
    policies: [
      policy('x', 'allow-ns-y-podselector-and-nsselector', {
        podSelector: pod('a'),
        ingress: [{ from: [{ namespaceSelector: expr(NS_LABEL, 'NotIn', ['x']), podSelector: pod('b') }] }],
      }),
    ],
  },
  {
    name: 'multiple-pod-and-namespace-selectors',
    source: up('should enforce policy based on Multiple PodSelectors and NamespaceSelectors'),
    policies: [
      policy('x', 'allow-ns-y-z-pod-b-c', {
        podSelector: pod('a'),
        ingress: [{ from: [{ namespaceSelector: expr(NS_LABEL, 'NotIn', ['x']), podSelector: expr('pod', 'In', ['b', 'c']) }] }],
      }),
    ],
  },
  {
    name: 'any-pod-selectors',
    source: up('should enforce policy based on any PodSelectors'),
    policies: [policy('x', 'allow-ns-x-pod-b-c', { podSelector: pod('a'), ingress: [{ from: [{ podSelector: pod('b') }, { podSelector: pod('c') }] }] })],
  },
  {
    name: 'only-pod-a-of-namespace-y',
    source: up('should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector (TCP, UDP, SCTP)'),
    policies: [
      policy('x', 'allow-ns-y-pod-a-via-namespace-pod-selector', {
        podSelector: pod('a'),
        ingress: [{ from: [{ namespaceSelector: nsName('y'), podSelector: pod('a') }] }],
      }),
    ],
  },
  {
    name: 'port-81-from-namespace-y',
    source: up('should enforce policy based on Ports (TCP, UDP, SCTP suites)'),
    policies: [
      policy('x', 'allow-client-a-via-ns-selector', {
        podSelector: pod('a'),
        ingress: [{ from: [{ namespaceSelector: nsName('y') }], ports: [{ port: 81, protocol: 'TCP' }] }],
      }),
      policy('x', 'allow-ingress-on-port-81-ns-x', {
        podSelector: pod('a'),
        ingress: [{ from: [{ namespaceSelector: nsName('y') }], ports: [{ port: 81, protocol: 'UDP' }, { port: 81, protocol: 'SCTP' }] }],
      }),
    ],
  },
  {
    name: 'stacked-policies-overlapping-selectors',
    source: up('should enforce multiple, stacked policies with overlapping podSelectors'),
    policies: [
      policy('x', 'allow-client-a-via-ns-selector', {
        podSelector: pod('a'),
        ingress: [{ from: [{ namespaceSelector: nsName('y') }], ports: [{ port: 81, protocol: 'TCP' }] }],
      }),
      policy('x', 'allow-client-a-via-ns-selector-80', {
        podSelector: pod('a'),
        ingress: [{ from: [{ namespaceSelector: nsName('y') }], ports: [{ port: 80, protocol: 'TCP' }] }],
      }),
    ],
  },
  { name: 'allow-all', source: up('should support allow-all policy'), policies: [policy('x', 'allow-all', { podSelector: {}, ingress: [{}] })] },
  {
    name: 'ingress-one-named-port',
    source: up('should allow ingress access on one named port'),
    policies: [policy('x', 'allow-all', { podSelector: {}, ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] })],
  },
  {
    name: 'ingress-from-namespace-on-named-port',
    source: up('should allow ingress access from namespace on one named port'),
    policies: [
      policy('x', 'allow-client-a-via-ns-selector-80', {
        podSelector: pod('a'),
        ingress: [{ from: [{ namespaceSelector: nsName('y') }], ports: [{ port: 'serve-80-tcp', protocol: 'TCP' }] }],
      }),
    ],
  },
  {
    name: 'egress-one-named-port',
    source: up('should allow egress access on one named port'),
    policies: [policy('x', 'allow-egress', { podSelector: {}, egress: [{ ports: [{ port: 'serve-80-tcp' }] }] })],
  },
  {
    name: 'deny-ingress-from-other-namespaces',
    source: up('should deny ingress from pods on other namespaces'),
    policies: [policy('x', 'deny-empty-policy', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] })],
  },
  {
    name: 'deny-egress-of-pod-a',
    source: up('should deny egress from pods based on PodSelector'),
    policies: [policy('x', 'deny-egress-pod-a', { podSelector: pod('a'), policyTypes: ['Egress'] })],
  },
  {
    name: 'deny-egress-of-namespace',
    source: up('should deny egress from all pods in a namespace'),
    policies: [policy('x', 'deny-egress-ns-x', { podSelector: {}, policyTypes: ['Egress'] })],
  },
  {
    name: 'ingress-and-egress-together',
    source: up('should work with Ingress, Egress specified together'),
    policies: [
      policy('x', 'allow-client-a-via-pod-selector', {
        podSelector: pod('a'),
        policyTypes: ['Egress', 'Ingress'],
        ingress: [{ from: [{ podSelector: pod('b') }] }],
        egress: [{ ports: [{ port: 80 }] }],
      }),
    ],
  },
  {
    name: 'client-egress-denies-what-server-allows',
    source: up('should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)'),
    policies: [
      policy('x', 'allow-to-ns-y-pod-a', {
        podSelector: pod('a'),
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: nsName('y'), podSelector: pod('a') }] }],
      }),
      policy('y', 'allow-from-xa-on-ya-match-selector', { podSelector: pod('a'), ingress: [{ from: [{ namespaceSelector: nsName('x'), podSelector: pod('a') }] }] }),
      policy('y', 'allow-from-xa-on-yb-match-selector', { podSelector: pod('b'), ingress: [{ from: [{ namespaceSelector: nsName('x'), podSelector: pod('a') }] }] }),
    ],
  },
  {
    name: 'egress-to-pod-in-other-namespace',
    source: up('should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector'),
    policies: [
      policy('x', 'allow-to-ns-y-pod-a', {
        podSelector: pod('a'),
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: nsName('y'), podSelector: pod('a') }] }],
      }),
    ],
  },
  {
    name: 'ingress-any-port-one-protocol',
    source: up('should enforce ingress policy allowing any port traffic to a server on a specific protocol'),
    policies: [policy('x', 'allow-ingress-by-proto', { podSelector: pod('a'), ingress: [{ ports: [{ protocol: 'TCP' }] }] })],
  },
  {
    name: 'ingress-allow-all-takes-precedence',
    source: up('should enforce multiple ingress policies with ingress allow-all policy taking precedence'),
    policies: [
      policy('x', 'allow-ingress-port-80', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] }),
      policy('x', 'allow-ingress', { podSelector: {}, ingress: [{}] }),
    ],
  },
  {
    name: 'egress-port-80-only',
    source: up('should enforce multiple egress policies with egress allow-all policy taking precedence (first step)'),
    policies: [policy('x', 'allow-egress-port-80', { podSelector: {}, egress: [{ ports: [{ port: 80 }] }] })],
  },
  {
    name: 'egress-allow-all-takes-precedence',
    source: up('should enforce multiple egress policies with egress allow-all policy taking precedence'),
    policies: [
      policy('x', 'allow-egress-port-80', { podSelector: {}, egress: [{ ports: [{ port: 80 }] }] }),
      policy('x', 'allow-egress', { podSelector: {}, egress: [{}] }),
    ],
  },
  {
    name: 'egress-to-cidr-block',
    source: up('should allow egress access to server in CIDR block'),
    policies: [
      policy('x', 'allow-client-a-via-cidr-egress-rule', {
        podSelector: pod('a'),
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: `${podIPv4('y/b')}/32` } }, { ipBlock: { cidr: `${podIPv6('y/b')}/128` } }] }],
      }),
    ],
  },
  {
    name: 'egress-cidr-except',
    source: up('should enforce except clause while egress access to server in CIDR block'),
    policies: [
      policy('x', 'allow-client-a-via-cidr-egress-rule', {
        podSelector: pod('a'),
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.10.0.0/16', except: [`${podIPv4('x/b')}/32`] } }] }],
      }),
    ],
  },
  {
    name: 'cidr-except-reopened-by-other-policy',
    source: up('should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed'),
    policies: [
      policy('x', 'allow-client-a-via-cidr-egress-rule', {
        podSelector: pod('a'),
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.10.0.0/16', except: [`${podIPv4('x/b')}/32`] } }] }],
      }),
      policy('x', 'allow-x-b-exactly', {
        podSelector: pod('a'),
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: `${podIPv4('x/b')}/32` } }] }],
      }),
    ],
  },
  {
    name: 'ingress-and-egress-independent',
    source: up('should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector'),
    policies: [
      policy('x', 'allow-egress-for-target', { podSelector: pod('a'), policyTypes: ['Egress'], egress: [{}] }),
      policy('x', 'deny-ingress-via-label-selector', { podSelector: pod('a'), policyTypes: ['Ingress'] }),
    ],
  },
  {
    name: 'sctp-is-not-tcp',
    source: up("should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP'"),
    policies: [denyIngress('x'), policy('x', 'allow-only-sctp-ingress-on-port-81', { podSelector: pod('a'), ingress: [{ ports: [{ port: 81, protocol: 'SCTP' }] }] })],
  },
  {
    name: 'sctp-policy-isolates',
    source: up("should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP"),
    policies: [policy('x', 'allow-only-sctp-ingress-on-port-80', { podSelector: pod('a'), ingress: [{ ports: [{ port: 80, protocol: 'SCTP' }] }] })],
  },
  {
    name: 'udp-only-is-not-tcp',
    source: up('should not allow access by TCP when a policy specifies only UDP'),
    policies: [policy('x', 'allow-only-udp-ingress-on-port-81', { podSelector: pod('a'), ingress: [{ ports: [{ port: 81, protocol: 'UDP' }] }] })],
  },
  {
    name: 'egress-namespace-not-in',
    source: up('should enforce policy based on NamespaceSelector with MatchExpressions using default ns label (egress, NotIn)'),
    policies: [
      policy('x', 'allow-ns-y-match-selector-for-immutable-ns-label', {
        podSelector: pod('a'),
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: expr(NS_LABEL, 'NotIn', ['y']) }] }],
      }),
    ],
  },
  // ------------------------------------------------------- cyclonus-style
  {
    name: 'endport-range-ingress',
    source: cy('ingress port range 80-81 (endPort inclusive) from namespace y, TCP'),
    policies: [policy('x', 'range', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: nsName('y') }], ports: [{ port: 80, endPort: 81 }] }] })],
  },
  {
    name: 'endport-range-egress-udp',
    source: cy('egress UDP port range 81-90: 80 closed, 81 open, TCP closed'),
    policies: [policy('x', 'range', { podSelector: pod('a'), policyTypes: ['Egress'], egress: [{ ports: [{ port: 81, endPort: 90, protocol: 'UDP' }] }] })],
  },
  {
    name: 'endport-range-ending-below',
    source: cy('ingress port range 70-80 (81 outside), SCTP and TCP'),
    policies: [
      policy('y', 'range', {
        podSelector: pod('b'),
        ingress: [{ ports: [{ port: 70, endPort: 80, protocol: 'SCTP' }, { port: 70, endPort: 80, protocol: 'TCP' }] }],
      }),
    ],
  },
  {
    name: 'named-port-udp-egress',
    source: cy('egress to named port serve-81-udp with protocol UDP'),
    policies: [policy('z', 'named', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'serve-81-udp', protocol: 'UDP' }] }] })],
  },
  {
    name: 'named-port-wrong-protocol',
    source: cy('named port serve-80-tcp asked for UDP: matches nothing, the pod stays isolated'),
    policies: [policy('x', 'named', { podSelector: pod('b'), ingress: [{ ports: [{ port: 'serve-80-tcp', protocol: 'UDP' }] }] })],
  },
  {
    name: 'named-port-sctp-ingress',
    source: cy('ingress named port serve-81-sctp from all namespaces'),
    policies: [policy('y', 'named', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 'serve-81-sctp', protocol: 'SCTP' }] }] })],
  },
  {
    name: 'named-port-resolves-per-destination',
    source: cy('named port "web" declared by some pods on 80, by others on 81: resolved per destination pod'),
    tweaks: {
      extraPorts: {
        'x/a': [{ name: 'web', containerPort: 80, protocol: 'TCP' }],
        'x/b': [{ name: 'web', containerPort: 81, protocol: 'TCP' }],
        'y/a': [{ name: 'web', containerPort: 81, protocol: 'TCP' }],
      },
    },
    policies: [policy('x', 'named', { podSelector: {}, ingress: [{ ports: [{ port: 'web' }] }] })],
  },
  {
    name: 'ipv6-block-with-except',
    source: cy('ingress from fd00:10:10::/48 except namespace x\'s /64: IPv4 stays closed, x closed over IPv6'),
    policies: [policy('y', 'v6', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: 'fd00:10:10::/48', except: ['fd00:10:10:1::/64'] } }] }] })],
  },
  {
    name: 'ipv4-everything-block',
    source: cy('egress to 0.0.0.0/0 only: every IPv4 peer, no IPv6 peer'),
    policies: [policy('z', 'v4-all', { podSelector: pod('c'), policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] })],
  },
  {
    name: 'except-narrows-only-its-peer',
    source: cy('ipBlock 10.10.0.0/16 except y\'s /24, plus a second peer y/b: y/b allowed through the other peer'),
    policies: [
      policy('x', 'mixed', {
        podSelector: {},
        ingress: [{ from: [{ ipBlock: { cidr: '10.10.0.0/16', except: ['10.10.2.0/24'] } }, { namespaceSelector: nsName('y'), podSelector: pod('b') }] }],
      }),
    ],
  },
  {
    name: 'namespace-label-exists-doesnotexist',
    source: cy('namespaceSelector Exists / DoesNotExist on an extra namespace label'),
    tweaks: { namespaceLabels: { z: { team: 'blue' } } },
    policies: [
      policy('x', 'from-teams', { podSelector: pod('a'), ingress: [{ from: [{ namespaceSelector: expr('team', 'Exists') }] }] }),
      policy('x', 'from-no-team', { podSelector: pod('b'), ingress: [{ from: [{ namespaceSelector: expr('team', 'DoesNotExist'), podSelector: pod('c') }] }] }),
    ],
  },
  {
    name: 'pod-label-not-in-missing-key',
    source: cy('podSelector NotIn on a key some pods lack: those pods match'),
    tweaks: { podLabels: { 'y/a': { tier: 'db' }, 'y/b': { tier: 'web' } } },
    policies: [policy('y', 'not-db', { podSelector: expr('tier', 'NotIn', ['db']), policyTypes: ['Ingress'] })],
  },
  {
    name: 'policy-types-egress-ignores-ingress-section',
    source: cy('policyTypes [Egress] with an ingress section: ingress not isolated'),
    policies: [
      policy('x', 'egress-only', {
        podSelector: pod('c'),
        policyTypes: ['Egress'],
        ingress: [{ from: [{ podSelector: pod('a') }] }],
        egress: [{ to: [{ namespaceSelector: nsName('z') }] }],
      }),
    ],
  },
  {
    name: 'rules-are-not-crossed',
    source: cy('rule 1: namespace y on port 80; rule 2: namespace z on port 81 (y:81 and z:80 stay closed)'),
    policies: [
      policy('x', 'two-rules', {
        podSelector: {},
        ingress: [
          { from: [{ namespaceSelector: nsName('y') }], ports: [{ port: 80, protocol: 'TCP' }, { port: 80, protocol: 'UDP' }] },
          { from: [{ namespaceSelector: nsName('z') }], ports: [{ port: 81, protocol: 'TCP' }, { port: 81, protocol: 'UDP' }] },
        ],
      }),
    ],
  },
  {
    name: 'deny-all-everywhere',
    source: cy('every namespace denies ingress and egress'),
    policies: ['x', 'y', 'z'].map((n) => policy(n, 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })),
  },
  {
    name: 'egress-and-ingress-meet',
    source: cy('x/a may only talk to y (egress), y only hears x/a on 81 (ingress): only x/a -> y:81'),
    policies: [
      policy('x', 'to-y', { podSelector: pod('a'), policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: nsName('y') }] }] }),
      policy('y', 'from-x-a-81', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: nsName('x'), podSelector: pod('a') }], ports: [{ port: 81, protocol: 'TCP' }, { port: 81, protocol: 'SCTP' }] }],
      }),
    ],
  },
]
