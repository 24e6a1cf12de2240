/**
 * The NetworkPolicy compiler without a kernel: each semantic rule of
 * NetworkPolicy v1 (as the issue lists them) checked by running packets
 * through the compiled table with the interpreter of test/helpers/netpol.ts,
 * the table's layout (dispatch maps, named sets, comments), and the
 * stability of names that makes updates element deltas.
 */
import { describe, expect, it } from 'vitest'
import { compileNetworkPolicies, NETPOL_TABLE, parseRuleName, policyChain, ruleName } from '../../lib/netpol/compile.js'
import { readClusterManifests } from '../../lib/netpol/manifests.js'
import { desiredTables } from '../../lib/state/desired.js'
import type { Declaration } from '../../lib/state/desired.js'
import { list, netpol, ns, type Packet, pod, verdict } from '../helpers/netpol.js'
import type { NamedMap, NamedSet, Rule } from '../../lib/model/objects.js'

const A = '10.0.0.1'
const B = '10.0.0.2'
const C = '10.0.1.3'
const A6 = 'fd00::1'
const B6 = 'fd00::2'

/** Namespaces x (team=a) and y (team=b); pods x/a (web), x/b (db), y/c (db). */
const base = () => [
  ns('x', { team: 'a' }),
  ns('y', { team: 'b' }),
  pod('x', 'a', [A, A6], { app: 'web' }, { ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] }),
  pod('x', 'b', [B, B6], { app: 'db' }, { ports: [{ name: 'http', containerPort: 9090 }] }),
  pod('y', 'c', [C], { app: 'db' }),
]

function compile(objs: unknown[], opts: { node?: string } = {}): Declaration {
  const d = compileNetworkPolicies(readClusterManifests([list(...objs)]), opts)
  desiredTables(d) // every operation passes the transaction's checks
  return d
}

const pass = (d: Declaration, p: Packet) => verdict(d, { proto: 'tcp', dport: 80, ...p }) === 'accept'

describe('compileNetworkPolicies: NetworkPolicy v1 semantics', () => {
  it('no policy: everything passes, and the table is the same fixed skeleton', () => {
    const d = compile(base())
    expect(pass(d, { src: B, dst: A })).toBe(true)
    expect(pass(d, { src: A, dst: C })).toBe(true)
    expect(d.tables).toEqual([{ family: 'inet', name: NETPOL_TABLE }])
  })

  it('isolation is per direction: an ingress policy isolates ingress only, egress stays open', () => {
    const d = compile([...base(), netpol('x', 'deny-in', { podSelector: { matchLabels: { app: 'web' } } })])
    expect(pass(d, { src: B, dst: A })).toBe(false) // a is isolated for ingress
    expect(pass(d, { src: A, dst: B })).toBe(true) // a's egress is not
    expect(pass(d, { src: C, dst: B })).toBe(true) // b is not selected
  })

  it('an egress section makes the default policyTypes Ingress and Egress; explicit [Egress] leaves ingress open', () => {
    const both = compile([...base(), netpol('x', 'p', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }] }] })])
    expect(pass(both, { src: A, dst: B })).toBe(true)
    expect(pass(both, { src: A, dst: C })).toBe(false) // y/c is not in x
    expect(pass(both, { src: B, dst: A })).toBe(false) // ingress isolated with no rule
    const egressOnly = compile([
      ...base(),
      netpol('x', 'p', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }] }] }),
    ])
    expect(pass(egressOnly, { src: B, dst: A })).toBe(true)
    expect(pass(egressOnly, { src: A, dst: C })).toBe(false)
  })

  it('union: traffic passes if any rule of any policy selecting the pod allows it', () => {
    const d = compile([
      ...base(),
      netpol('x', 'from-b', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }] }] }),
      netpol('x', 'from-y', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'b' } } }] }] }),
    ])
    expect(pass(d, { src: B, dst: A })).toBe(true) // from-b
    expect(pass(d, { src: C, dst: A })).toBe(true) // from-y
    expect(pass(d, { src: C, dst: B })).toBe(true) // b: from-y only
    expect(pass(d, { src: A, dst: B })).toBe(false) // b: a is in neither
    expect(pass(d, { src: '10.9.9.9', dst: A })).toBe(false)
  })

  it('replies of allowed connections pass (ct state established,related first), new connections back do not', () => {
    const d = compile([...base(), netpol('x', 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })])
    expect(pass(d, { src: B, dst: A })).toBe(false)
    expect(pass(d, { src: B, dst: A, ct: 'established' })).toBe(true)
    expect(pass(d, { src: B, dst: A, ct: 'related', proto: 'icmp' })).toBe(true)
    for (const chain of ['ingress', 'egress', 'input']) {
      const first = d.operations.map((o) => o.object as Rule).find((r) => r.kind === 'rule' && r.chain === chain)
      expect(first?.exprs).toEqual([{ match: 'ct state', value: ['established', 'related'] }, { stmt: 'accept' }])
    }
  })

  it('except narrows only its own peer: another peer (or policy) may still allow the address', () => {
    const d = compile([
      ...base(),
      netpol('x', 'blocks', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          { from: [{ ipBlock: { cidr: '192.168.0.0/16', except: ['192.168.1.0/24'] } }] },
          { from: [{ ipBlock: { cidr: '192.168.1.128/25' } }], ports: [{ port: 443 }] },
        ],
      }),
    ])
    expect(pass(d, { src: '192.168.2.1', dst: A })).toBe(true)
    expect(pass(d, { src: '192.168.1.5', dst: A })).toBe(false) // excepted, and not in the second block
    expect(pass(d, { src: '192.168.1.200', dst: A, dport: 443 })).toBe(true) // excepted by the first peer, allowed by the second
    expect(pass(d, { src: '192.168.1.200', dst: A, dport: 80 })).toBe(false)
    // The same within one rule: two peers, one excepting what the other allows.
    const same = compile([
      ...base(),
      netpol('x', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/24'] } }, { podSelector: { matchLabels: { app: 'db' } } }] }] }),
    ])
    expect(pass(same, { src: B, dst: A })).toBe(true) // in the except, but a pod peer
    expect(pass(same, { src: '10.0.0.77', dst: A })).toBe(false)
    expect(pass(same, { src: '10.0.5.5', dst: A })).toBe(true)
  })

  it('named ports resolve against each destination pod (name and protocol), not against the source', () => {
    const d = compile([
      ...base(),
      netpol('x', 'http', { podSelector: {}, ingress: [{ ports: [{ port: 'http' }] }] }),
    ])
    expect(pass(d, { src: C, dst: A, dport: 8080 })).toBe(true)
    expect(pass(d, { src: C, dst: A, dport: 9090 })).toBe(false)
    expect(pass(d, { src: C, dst: B, dport: 9090 })).toBe(true)
    expect(pass(d, { src: C, dst: B, dport: 8080 })).toBe(false)
    expect(pass(d, { src: C, dst: A, dport: 8080, proto: 'udp' })).toBe(false) // http is TCP
    const dns = compile([...base(), netpol('x', 'dns', { podSelector: {}, ingress: [{ ports: [{ port: 'dns', protocol: 'UDP' }] }] })])
    expect(pass(dns, { src: C, dst: A, dport: 53, proto: 'udp' })).toBe(true)
    expect(pass(dns, { src: C, dst: A, dport: 53, proto: 'tcp' })).toBe(false)
    expect(pass(dns, { src: C, dst: B, dport: 53, proto: 'udp' })).toBe(false) // b has no port named dns
    // A name with the wrong protocol resolves to nothing: http is TCP, the rule asks for UDP.
    const wrong = compile([...base(), netpol('x', 'w', { podSelector: {}, ingress: [{ ports: [{ port: 'http', protocol: 'UDP' }] }] })])
    expect(pass(wrong, { src: C, dst: A, dport: 8080, proto: 'tcp' })).toBe(false)
    expect(pass(wrong, { src: C, dst: A, dport: 8080, proto: 'udp' })).toBe(false)
    // Egress: the destination is any pod (here y/c has no ports; x/b has http on 9090).
    const eg = compile([...base(), netpol('x', 'eg', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'http' }] }] })])
    expect(pass(eg, { src: A, dst: B, dport: 9090 })).toBe(true)
    expect(pass(eg, { src: A, dst: B, dport: 8080 })).toBe(false)
    expect(pass(eg, { src: A, dst: C, dport: 9090 })).toBe(false)
  })

  it('endPort is an inclusive range', () => {
    const d = compile([...base(), netpol('x', 'range', { podSelector: {}, ingress: [{ ports: [{ port: 1000, endPort: 2000 }] }] })])
    for (const [port, ok] of [[999, false], [1000, true], [1500, true], [2000, true], [2001, false]] as const) expect(pass(d, { src: C, dst: A, dport: port })).toBe(ok)
  })

  it('an SCTP-only rule never opens TCP (or UDP); a protocol without a port opens all its ports', () => {
    const d = compile([...base(), netpol('x', 'sctp', { podSelector: {}, ingress: [{ ports: [{ protocol: 'SCTP', port: 80 }] }, { ports: [{ protocol: 'UDP' }] }] })])
    expect(pass(d, { src: C, dst: A, proto: 'sctp', dport: 80 })).toBe(true)
    expect(pass(d, { src: C, dst: A, proto: 'tcp', dport: 80 })).toBe(false)
    expect(pass(d, { src: C, dst: A, proto: 'udp', dport: 12345 })).toBe(true)
    expect(pass(d, { src: C, dst: A, proto: 'tcp', dport: 12345 })).toBe(false)
  })

  it('an empty from means every peer, empty ports every port (and protocol)', () => {
    const d = compile([...base(), netpol('x', 'p', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }, { from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] })])
    expect(pass(d, { src: '203.0.113.9', dst: B, dport: 80 })).toBe(true)
    expect(pass(d, { src: '203.0.113.9', dst: B, dport: 81 })).toBe(false)
    expect(pass(d, { src: A, dst: B, dport: 81 })).toBe(true)
    expect(pass(d, { src: A, dst: B, proto: 'icmp' })).toBe(true)
    const all = compile([...base(), netpol('x', 'all', { podSelector: {}, ingress: [{}] })])
    expect(pass(all, { src: '203.0.113.9', dst: B, proto: 'udp', dport: 9 })).toBe(true)
  })

  it("the node's own traffic to its pods is always allowed (output hook), even under deny-all", () => {
    const d = compile([...base(), netpol('x', 'deny', { podSelector: {} })])
    expect(pass(d, { src: '192.168.100.1', dst: A, hook: 'output' })).toBe(true)
    expect(pass(d, { src: '192.168.100.1', dst: A })).toBe(false) // forwarded from elsewhere: not the node
  })

  it("egress to the node itself (input hook) is a pod's egress", () => {
    const d = compile([...base(), netpol('x', 'eg', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ ipBlock: { cidr: '192.168.100.1/32' } }] }] })])
    expect(pass(d, { src: A, dst: '192.168.100.1', hook: 'input' })).toBe(true)
    expect(pass(d, { src: A, dst: '192.168.100.2', hook: 'input' })).toBe(false)
    expect(pass(d, { src: B, dst: '192.168.100.2', hook: 'input' })).toBe(true)
  })

  it('hostNetwork pods are neither targets nor pod peers; pods without addresses are ignored', () => {
    const objs = [
      ...base(),
      pod('x', 'host', ['192.168.100.1'], { app: 'web' }, { hostNetwork: true }),
      pod('x', 'pending', [], { app: 'web' }),
      netpol('x', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] }),
    ]
    const d = compile(objs)
    expect(pass(d, { src: B, dst: '192.168.100.1' })).toBe(true) // the host pod is not isolated
    expect(pass(d, { src: '192.168.100.1', dst: A })).toBe(false) // nor a peer
    const maps = d.operations.map((o) => o.object).filter((o): o is NamedMap => o.kind === 'map')
    expect(maps.flatMap((m) => (m.elements ?? []).map((e) => (e as { key: string }).key))).toEqual([A, A6])
  })

  it('--node: only the pods scheduled on that node are targets; peers come from the whole cluster', () => {
    const objs = [
      ...base().slice(0, 2),
      pod('x', 'a', [A], { app: 'web' }, { node: 'n1' }),
      pod('x', 'b', [B], { app: 'web' }, { node: 'n2' }),
      netpol('x', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] }),
    ]
    const n1 = compile(objs, { node: 'n1' })
    expect(pass(n1, { src: C, dst: A })).toBe(false)
    expect(pass(n1, { src: C, dst: B })).toBe(true) // b is n2's business
    expect(pass(n1, { src: B, dst: A })).toBe(true) // b is a peer wherever it runs
    const all = compile(objs)
    expect(pass(all, { src: C, dst: B })).toBe(false)
  })

  it('podSelector and namespaceSelector in one peer are ANDed; in two peers ORed; alone, podSelector is the policy namespace', () => {
    const and = compile([...base(), netpol('x', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'b' } }, podSelector: { matchLabels: { app: 'db' } } }] }] })])
    expect(pass(and, { src: C, dst: A })).toBe(true)
    expect(pass(and, { src: B, dst: A })).toBe(false) // db, but in x
    const or = compile([...base(), netpol('x', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'b' } } }, { podSelector: { matchLabels: { app: 'db' } } }] }] })])
    expect(pass(or, { src: C, dst: A })).toBe(true)
    expect(pass(or, { src: B, dst: A })).toBe(true)
    const local = compile([...base(), netpol('y', 'p', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }] }] })])
    expect(pass(local, { src: B, dst: C })).toBe(false) // b is db but in x, the policy is in y
  })

  it('matchExpressions (In, NotIn, Exists, DoesNotExist) and the implied kubernetes.io/metadata.name label', () => {
    const d = compile([
      ...base(),
      netpol('x', 'p', {
        podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] },
        ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['x'] }] } }] }],
      }),
      netpol('y', 'q', { podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, namespaceSelector: {} }] }] }),
    ])
    expect(pass(d, { src: C, dst: A })).toBe(true)
    expect(pass(d, { src: B, dst: A })).toBe(false)
    expect(pass(d, { src: A, dst: C })).toBe(true) // y/q: any pod without tier in any namespace
    expect(pass(d, { src: '10.7.7.7', dst: C })).toBe(false)
  })

  it('IPv6: dual-stack pods are dispatched and matched in both families', () => {
    const d = compile([
      ...base(),
      netpol('x', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }, { ipBlock: { cidr: 'fd00:aa::/64', except: ['fd00:aa::/96'] } }] }] }),
    ])
    expect(pass(d, { src: B6, dst: A6 })).toBe(true)
    expect(pass(d, { src: 'fd00::99', dst: A6 })).toBe(false)
    expect(pass(d, { src: 'fd00:aa::1:0:0:1', dst: A6 })).toBe(true)
    expect(pass(d, { src: 'fd00:aa::1', dst: A6 })).toBe(false)
    expect(pass(d, { src: B, dst: A })).toBe(true)
  })

  it('a policy selecting nothing isolates nothing; deny-all selects every pod of its namespace only', () => {
    const none = compile([...base(), netpol('x', 'p', { podSelector: { matchLabels: { app: 'nope' } } })])
    expect(pass(none, { src: B, dst: A })).toBe(true)
    const deny = compile([...base(), netpol('x', 'deny', { podSelector: {} })])
    expect(pass(deny, { src: C, dst: A })).toBe(false)
    expect(pass(deny, { src: C, dst: B })).toBe(false)
    expect(pass(deny, { src: A, dst: C })).toBe(true)
  })
})

describe('compileNetworkPolicies: layout and names', () => {
  const objs = () => [
    ...base(),
    netpol('x', 'web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 80 }, { port: 'http' }] }] }),
  ]
  const objects = (d: Declaration) => d.operations.map((o) => o.object)

  it('dispatches by address through verdict maps to policy-group chains, peers and named ports in named sets', () => {
    const d = compile(objs())
    const o = objects(d)
    const map = o.find((x) => x.kind === 'map' && x.name === 'ingress4') as NamedMap
    expect(map.type).toBe('ipv4_addr')
    expect(map.map).toBe('verdict')
    const group = ((map.elements ?? [])[0] as { value: { goto: string } }).value.goto
    expect(group).toMatch(/^grp-in-[0-9a-f]{10}$/)
    const chain = policyChain({ namespace: 'x', name: 'web' }, 'ingress')
    const groupRules = o.filter((x): x is Rule => x.kind === 'rule' && x.chain === group)
    expect(groupRules.map((r) => [r.exprs, r.comment])).toEqual([
      [[{ stmt: 'jump', chain }], 'x/web'],
      [[{ stmt: 'counter' }, { stmt: 'drop' }], 'default-deny'],
    ])
    const sets = o.filter((x): x is NamedSet => x.kind === 'set')
    expect(sets.map((s) => [s.name, s.type, s.elements])).toEqual([
      [`${chain}-0-pods4`, 'ipv4_addr', [B]],
      [`${chain}-0-pods6`, 'ipv6_addr', [B6]],
      [`${chain}-0-nport4`, ['ipv4_addr', 'inet_proto', 'inet_service'], [[A, 'tcp', 8080]]],
      [`${chain}-0-nport6`, ['ipv6_addr', 'inet_proto', 'inet_service'], [[A6, 'tcp', 8080]]],
    ])
    const rules = o.filter((x): x is Rule => x.kind === 'rule' && x.chain === chain)
    expect(rules.map((r) => r.comment)).toEqual([
      'x/web#ingress[0] pods4 tcp',
      'x/web#ingress[0] pods4 named',
      'x/web#ingress[0] pods6 tcp',
      'x/web#ingress[0] pods6 named',
    ])
    expect(rules[1].exprs).toEqual([
      { match: 'ip saddr', value: { set: `${chain}-0-pods4` } },
      { match: ['ip daddr', 'meta l4proto', 'th dport'], value: { set: `${chain}-0-nport4` } },
      { stmt: 'counter' },
      { stmt: 'accept' },
    ])
  })

  it('rule names: namespace/policy#direction[i], parsed back; long names stay within the comment limit', () => {
    expect(ruleName({ namespace: 'x', name: 'p' }, 'egress', 3)).toBe('x/p#egress[3]')
    expect(parseRuleName('x/p#egress[3] pods4 tcp')).toEqual({ policy: 'x/p', direction: 'egress', index: 3 })
    expect(parseRuleName('default-deny')).toBeUndefined()
    const long = ruleName({ namespace: 'n'.repeat(63), name: 'p'.repeat(200) }, 'ingress', 0)
    expect(long.length).toBeLessThanOrEqual(120)
    expect(long).not.toBe(ruleName({ namespace: 'n'.repeat(63), name: `${'p'.repeat(199)}q` }, 'ingress', 0))
  })

  /** Everything but set and map elements. */
  const skeleton = (d: Declaration) => JSON.stringify(d.operations.map((op) => ({ ...op, object: { ...op.object, elements: undefined } })))

  it('a pod IP change, a new pod or a relabel into an existing group changes elements only', () => {
    const before = compile(objs())
    const moved = objs().map((x) => (x === undefined ? x : x))
    moved[2] = pod('x', 'a', ['10.0.0.50', A6], { app: 'web' }, { ports: [{ name: 'http', containerPort: 8080 }] })
    expect(skeleton(compile(moved))).toBe(skeleton(before))
    expect(skeleton(compile([...objs(), pod('x', 'd', ['10.0.0.9'], { app: 'db' })]))).toBe(skeleton(before))
    const relabelled = objs()
    relabelled[3] = pod('x', 'b', [B, B6], { app: 'web' }, { ports: [{ name: 'http', containerPort: 9090 }] })
    expect(skeleton(compile(relabelled))).toBe(skeleton(before))
  })

  it("a changed policy changes only its own chain's rules and sets", () => {
    const two = [...objs(), netpol('y', 'other', { podSelector: {}, ingress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] })]
    const before = compile(two)
    const changed = [...two]
    changed[5] = netpol('x', 'web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 81 }, { port: 'http' }] }] })
    const after = compile(changed)
    const mine = policyChain({ namespace: 'x', name: 'web' }, 'ingress')
    const key = (o: unknown) => JSON.stringify(o)
    const diff = after.operations.filter((op) => !before.operations.some((b) => key(b) === key(op)))
    expect(diff.length).toBeGreaterThan(0)
    for (const op of diff) expect((op.object as Rule).chain).toBe(mine)
  })
})
