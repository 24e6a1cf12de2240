/**
 * The test oracle for NetworkPolicy (test/testbed/netpol/oracle.ts) on small
 * hand-checked cases: each NetworkPolicy v1 fact it claims, one at a time.
 */
import { describe, expect, it } from 'vitest'
import type { ClusterState, K8sProtocol } from '../../lib/netpol/types.js'
import { clusterManifests, type Manifest, type PodKey, podOf, policy, toClusterState } from '../testbed/netpol/cluster.js'
import { allowed, cidrContains, explain, ipToBigInt } from '../testbed/netpol/oracle.js'

const state = (policies: Manifest[], tweaks = {}) => toClusterState([...clusterManifests(tweaks), ...policies])
const ok = (s: ClusterState, from: PodKey, to: PodKey, port = 80, protocol: K8sProtocol = 'TCP', family: 4 | 6 = 4) =>
  allowed(s, { from: podOf(s, from), to: podOf(s, to), port, protocol, family })
const denyIngress = (ns: string) => policy(ns, 'deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] })

describe('NetworkPolicy oracle', () => {
  it('no policy: everything allowed; the reader applies defaults', () => {
    const s = state([policy('x', 'p', { podSelector: {}, egress: [{}] })])
    expect(s.policies[0].policyTypes).toEqual(['Ingress', 'Egress'])
    expect(s.namespaces[0].labels).toEqual({ ns: 'x', 'kubernetes.io/metadata.name': 'x' })
    expect(ok(state([]), 'x/a', 'y/b', 81, 'UDP')).toBe(true)
  })

  it('isolation is per direction and per namespace', () => {
    const s = state([denyIngress('x')])
    expect(ok(s, 'y/a', 'x/a')).toBe(false)
    expect(ok(s, 'x/b', 'x/a')).toBe(false)
    expect(ok(s, 'x/a', 'y/a')).toBe(true) // egress of x not isolated
    expect(ok(s, 'y/a', 'y/b')).toBe(true)
    const e = state([policy('x', 'deny-egress', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'] })])
    expect(ok(e, 'x/a', 'y/a')).toBe(false)
    expect(ok(e, 'y/a', 'x/a')).toBe(true) // policyTypes Egress only: ingress open
    expect(ok(e, 'x/b', 'y/a')).toBe(true)
  })

  it('both the egress of the source and the ingress of the destination must allow', () => {
    const s = state([
      policy('x', 'egress-to-y-a', {
        podSelector: { matchLabels: { pod: 'a' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'a' } } }] }],
      }),
      policy('y', 'deny-ingress-b', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [] }),
    ])
    expect(ok(s, 'x/a', 'y/a')).toBe(true)
    expect(ok(s, 'x/a', 'y/b')).toBe(false)
    expect(ok(s, 'x/b', 'y/b')).toBe(false)
    expect(ok(s, 'x/b', 'y/c')).toBe(true)
    expect(explain(s, { from: podOf(s, 'x/a'), to: podOf(s, 'y/a'), port: 80, protocol: 'TCP' })).toEqual({
      allowed: true,
      egress: 'x/egress-to-y-a#0',
      ingress: 'open',
    })
  })

  it('policies are a union: a second policy opens what the first did not', () => {
    const port = (p: number) => policy('x', `allow-${p}`, { podSelector: {}, ingress: [{ ports: [{ port: p }] }] })
    expect(ok(state([port(80)]), 'y/a', 'x/a', 81)).toBe(false)
    expect(ok(state([port(80), port(81)]), 'y/a', 'x/a', 81)).toBe(true)
    expect(ok(state([denyIngress('x'), port(81)]), 'y/a', 'x/a', 81)).toBe(true)
  })

  it('podSelector alone is the policy namespace; both selectors in one peer are an AND; two peers an OR', () => {
    const one = (from: object[]) => state([policy('x', 'p', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from }] })])
    const podB = { podSelector: { matchLabels: { pod: 'b' } } }
    const nsY = { namespaceSelector: { matchLabels: { ns: 'y' } } }
    const s1 = one([podB])
    expect([ok(s1, 'x/b', 'x/a'), ok(s1, 'y/b', 'x/a')]).toEqual([true, false])
    const and = one([{ ...podB, ...nsY }])
    expect([ok(and, 'x/b', 'x/a'), ok(and, 'y/b', 'x/a'), ok(and, 'y/a', 'x/a')]).toEqual([false, true, false])
    const or = one([podB, nsY])
    expect([ok(or, 'x/b', 'x/a'), ok(or, 'y/b', 'x/a'), ok(or, 'y/a', 'x/a'), ok(or, 'z/b', 'x/a'), ok(or, 'x/c', 'x/a')]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ])
    const allNs = one([{ namespaceSelector: {} }])
    expect(ok(allNs, 'z/c', 'x/a')).toBe(true)
  })

  it('matchExpressions: In, NotIn (also when the key is missing), Exists, DoesNotExist', () => {
    const sel = (e: object) =>
      state([policy('x', 'p', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [e] } }] }] })], {
        namespaceLabels: { z: { team: 'blue' } },
      })
    const from = (s: ClusterState) => ['x/b', 'y/b', 'z/b'].map((k) => ok(s, k as PodKey, 'x/a'))
    expect(from(sel({ key: 'ns', operator: 'In', values: ['y', 'z'] }))).toEqual([false, true, true])
    expect(from(sel({ key: 'ns', operator: 'NotIn', values: ['x'] }))).toEqual([false, true, true])
    expect(from(sel({ key: 'team', operator: 'NotIn', values: ['blue'] }))).toEqual([true, true, false])
    expect(from(sel({ key: 'team', operator: 'Exists' }))).toEqual([false, false, true])
    expect(from(sel({ key: 'team', operator: 'DoesNotExist' }))).toEqual([true, true, false])
  })

  it('ipBlock: except narrows only its own peer; another peer may still allow the address; families never cross', () => {
    const block = { ipBlock: { cidr: '10.10.0.0/16', except: ['10.10.1.11/32'] } }
    const only = state([policy('x', 'p', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{ to: [block] }], policyTypes: ['Egress'] })])
    expect([ok(only, 'x/a', 'x/b'), ok(only, 'x/a', 'x/c'), ok(only, 'x/a', 'y/b')]).toEqual([false, true, true])
    expect(ok(only, 'x/a', 'x/c', 80, 'TCP', 6)).toBe(false) // an IPv4 block says nothing about IPv6
    const plusPeer = state([
      policy('x', 'p', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{ to: [block, { podSelector: { matchLabels: { pod: 'b' } } }] }], policyTypes: ['Egress'] }),
    ])
    expect(ok(plusPeer, 'x/a', 'x/b')).toBe(true)
    const plusPolicy = state([
      policy('x', 'p', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{ to: [block] }], policyTypes: ['Egress'] }),
      policy('x', 'q', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{ to: [{ ipBlock: { cidr: '10.10.1.11/32' } }] }], policyTypes: ['Egress'] }),
    ])
    expect(ok(plusPolicy, 'x/a', 'x/b')).toBe(true)
    const v6 = state([
      policy('x', 'p', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ ipBlock: { cidr: 'fd00:10:10::/48', except: ['fd00:10:10:2::/64'] } }] }] }),
    ])
    expect([ok(v6, 'y/b', 'x/a', 80, 'TCP', 6), ok(v6, 'z/b', 'x/a', 80, 'TCP', 6), ok(v6, 'z/b', 'x/a')]).toEqual([false, true, false])
  })

  it('named ports resolve against the destination pod (name and protocol); numbers and endPort', () => {
    const named = (port: string, protocol?: string) =>
      state([policy('x', 'p', { podSelector: {}, ingress: [{ ports: [{ port, ...(protocol ? { protocol } : {}) }] }] })])
    expect([ok(named('serve-81-tcp'), 'y/a', 'x/a', 81), ok(named('serve-81-tcp'), 'y/a', 'x/a', 80)]).toEqual([true, false])
    expect(ok(named('serve-81-tcp'), 'y/a', 'x/a', 81, 'UDP')).toBe(false)
    expect(ok(named('serve-81-tcp', 'UDP'), 'y/a', 'x/a', 81, 'UDP')).toBe(false) // the name is a TCP port
    expect(ok(named('serve-81-udp', 'UDP'), 'y/a', 'x/a', 81, 'UDP')).toBe(true)
    // egress: the name is looked up on the destination, whatever the source declares
    const s = toClusterState([
      ...clusterManifests().map((m) =>
        m.kind === 'Pod' && (m.metadata as { name: string; namespace: string }).namespace === 'y' && (m.metadata as { name: string }).name === 'b'
          ? { ...m, spec: { nodeName: 'node-1', containers: [{ name: 'c', ports: [{ name: 'web', containerPort: 81 }] }] } }
          : m,
      ),
      policy('x', 'p', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'web' }] }] }),
    ])
    expect([ok(s, 'x/a', 'y/b', 81), ok(s, 'x/a', 'y/b', 80), ok(s, 'x/a', 'y/a', 81)]).toEqual([true, false, false])
    const range = state([policy('x', 'p', { podSelector: {}, ingress: [{ ports: [{ port: 79, endPort: 80 }] }] })])
    expect([ok(range, 'y/a', 'x/a', 80), ok(range, 'y/a', 'x/a', 81)]).toEqual([true, false])
  })

  it('protocols: an SCTP-only or UDP-only rule never opens TCP; a protocol without port opens all its ports', () => {
    const proto = (protocol: string, port?: number) =>
      state([policy('x', 'p', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ protocol, ...(port ? { port } : {}) }] }] })])
    expect([ok(proto('SCTP', 81), 'y/a', 'x/a', 81), ok(proto('SCTP', 81), 'y/a', 'x/a', 81, 'SCTP')]).toEqual([false, true])
    expect([ok(proto('UDP', 81), 'y/a', 'x/a', 81), ok(proto('UDP', 81), 'y/a', 'x/a', 81, 'UDP')]).toEqual([false, true])
    expect([ok(proto('UDP'), 'y/a', 'x/a', 80, 'UDP'), ok(proto('UDP'), 'y/a', 'x/a', 81, 'UDP'), ok(proto('UDP'), 'y/a', 'x/a', 81)]).toEqual([true, true, false])
  })

  it('hostNetwork pods are not isolated and not picked by pod selectors', () => {
    const ms = clusterManifests().map((m) =>
      m.kind === 'Pod' && (m.metadata as { namespace: string }).namespace === 'x' && (m.metadata as { name: string }).name === 'b'
        ? { ...m, spec: { ...(m.spec as object), hostNetwork: true } }
        : m,
    )
    const s = toClusterState([...ms, denyIngress('x'), policy('y', 'from-x', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'x' } } }] }] })])
    expect(ok(s, 'y/a', 'x/b')).toBe(true)
    expect(ok(s, 'x/a', 'y/a')).toBe(true)
    expect(ok(s, 'x/b', 'y/a')).toBe(false)
  })

  it('addresses: IPv4 and IPv6 parsing and CIDR containment', () => {
    expect(ipToBigInt('10.0.0.1')).toBe(0x0a000001n)
    expect(ipToBigInt('fd00::1')).toBe((0xfd00n << 112n) | 1n)
    expect(ipToBigInt('::ffff:10.0.0.1')).toBe((0xffffn << 32n) | 0x0a000001n)
    expect(cidrContains('10.10.0.0/16', '10.10.3.12')).toBe(true)
    expect(cidrContains('10.10.0.0/16', '10.11.0.1')).toBe(false)
    expect(cidrContains('0.0.0.0/0', '1.2.3.4')).toBe(true)
    expect(cidrContains('10.10.1.11/32', '10.10.1.11')).toBe(true)
    expect(cidrContains('fd00:10:10:1::/64', 'fd00:10:10:1::b')).toBe(true)
    expect(cidrContains('fd00:10:10:1::/64', 'fd00:10:10:2::b')).toBe(false)
    expect(cidrContains('::/0', '10.0.0.1')).toBe(false)
    expect(() => cidrContains('10.0.0.0/33', '10.0.0.1')).toThrow(/prefix/)
  })
})
