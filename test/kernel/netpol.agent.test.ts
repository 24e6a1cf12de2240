/**
 * NetworkPolicyAgent against the kernel, in a throwaway namespace: the first
 * apply creates the table (read back with our listing and with `nft list
 * ruleset`); a pod's address change is one batch of element messages that
 * leaves every rule's handle and counter alone; a changed policy replaces
 * only its own rules; removing a policy removes its chains and sets.
 * Packets come from the namespace itself (UDP from a "pod" address on lo to
 * another), so rule counters really move.
 */
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type Client } from '../../lib/index.js'
import { NetworkPolicyAgent } from '../../lib/netpol/agent.js'
import { NETPOL_TABLE, policyChain } from '../../lib/netpol/compile.js'
import { readClusterManifests } from '../../lib/netpol/manifests.js'
import type { ListedRule } from '../../lib/io/listing.js'
import { list, netpol, ns as namespace, pod } from '../helpers/netpol.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

const WEB = '10.0.0.2'
const DB = '10.0.0.3'
const OUTSIDE = '10.0.0.9'

const webEgress = netpol('x', 'web-egress', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `${OUTSIDE}/32` } }] }] })
const dbIngress = (ports: unknown[]) => netpol('x', 'db-ingress', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports }] })
const cluster = () =>
  readClusterManifests([
    list(namespace('x'), pod('x', 'web', [WEB, 'fd00::2'], { app: 'web' }), pod('x', 'db', [DB], { app: 'db' }), webEgress, dbIngress([{ port: 5432 }])),
  ])

describe('NetworkPolicyAgent', () => {
  let ns: Netns
  let client: Client
  let agent: NetworkPolicyAgent
  const ours = () => client.listSync({ table: NETPOL_TABLE })
  const rulesByName = () => new Map(ours().rules.map((r) => [r.comment ?? '', r] as const))
  const counter = (r: ListedRule | undefined) => (r?.exprs.find((e) => 'stmt' in e && e.stmt === 'counter') as { packets?: number } | undefined)?.packets
  /** UDP datagrams from `src` to `dst`, both on lo: through output, then input. */
  const send = (src: string, dst: string, n = 3) =>
    execFileSync('ip', ['netns', 'exec', ns.name, 'python3', '-c', `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('${src}',0))\nfor i in range(${n}): s.sendto(b'x',('${dst}',9))`])

  beforeAll(() => {
    ns = makeNetns('npagent')
    for (const a of [WEB, DB, OUTSIDE, '10.0.0.4', '10.0.0.5']) execFileSync('ip', ['-n', ns.name, 'addr', 'add', `${a}/32`, 'dev', 'lo'])
    execFileSync('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up'])
    client = createClient({ netns: ns.name })
    agent = new NetworkPolicyAgent(client)
  })
  afterAll(() => {
    client?.close()
    ns?.remove()
  })

  it('first apply: the whole table in one batch, as our listing and nft read it; the same state again sends nothing', () => {
    const r = agent.apply(cluster())
    expect(r.mode).toBe('reconcile')
    const l = ours()
    expect(l.chains.map((c) => c.name).sort()).toEqual(
      ['egress', 'ingress', 'input', 'output', policyChain({ namespace: 'x', name: 'web-egress' }, 'egress'), policyChain({ namespace: 'x', name: 'db-ingress' }, 'ingress')]
        .concat(l.chains.filter((c) => c.name.startsWith('grp-')).map((c) => c.name))
        .sort(),
    )
    expect(l.chains.filter((c) => c.name.startsWith('grp-'))).toHaveLength(2)
    const egress4 = l.sets.find((s) => s.name === 'egress4')
    expect(egress4?.elements).toEqual([{ key: WEB, value: { goto: expect.stringMatching(/^grp-eg-/) } }])
    const text = ns.ruleset()
    expect(text).toContain('ip saddr vmap @egress4')
    expect(text).toContain('ip6 daddr vmap @ingress6')
    expect(text).toMatch(/elements = \{ 10\.0\.0\.2 : goto grp-eg-[0-9a-f]{10} \}/)
    expect(text).toContain('comment "x/db-ingress#ingress[0] pods4 tcp"')
    expect(text).toContain('tcp dport 5432') // nft prints meta l4proto tcp th dport as tcp dport
    expect(agent.apply(cluster())).toMatchObject({ mode: 'delta', messages: 0 })
    expect(agent.repair()).toMatchObject({ mode: 'reconcile', messages: 0 })
  })

  it('packets are counted by the rule of the policy that allowed them, and dropped by the group when none does', () => {
    send(WEB, OUTSIDE)
    send(WEB, '10.0.0.5', 2) // not allowed by web-egress
    const rules = rulesByName()
    expect(counter(rules.get('x/web-egress#egress[0]'))).toBe(3)
    // Five datagrams, and the ICMP port-unreachable answers to the three that were delivered (nothing listens).
    expect(counter(rules.get('node-to-pods'))).toBe(8)
    const group = ours().rules.find((r) => r.chain.startsWith('grp-eg-') && r.comment === 'default-deny')
    expect(counter(group)).toBe(2)
  })

  it("a pod's address change is one batch of element messages: no rule touched, handles and counters kept", () => {
    const before = ours().rules.map((r) => [r.chain, r.comment, r.handle, counter(r)])
    const r = agent.upsert(pod('x', 'web', ['10.0.0.4', 'fd00::2'], { app: 'web' }))
    expect(r.mode).toBe('delta')
    expect(r.operations.every((o) => o.object.kind === 'element')).toBe(true)
    // egress4 (the dispatch) and the db policy's peer set: a delete and an add each, plus batch begin and end.
    expect(r.operations.map((o) => `${o.verb} ${(o.object as { set: string }).set}`).sort()).toEqual(
      ['add egress4', 'delete egress4', `add ${policyChain({ namespace: 'x', name: 'db-ingress' }, 'ingress')}-0-pods4`, `delete ${policyChain({ namespace: 'x', name: 'db-ingress' }, 'ingress')}-0-pods4`].sort(),
    )
    expect(r.messages).toBe(6)
    expect(ours().rules.map((x) => [x.chain, x.comment, x.handle, counter(x)])).toEqual(before)
    expect(ns.nft('list', 'map', 'inet', NETPOL_TABLE, 'egress4')).toMatch(/10\.0\.0\.4 : goto/)
    send('10.0.0.4', OUTSIDE, 1)
    expect(counter(rulesByName().get('x/web-egress#egress[0]'))).toBe(4)
  })

  it('a relabel into an existing group and a new pod are element deltas too', () => {
    const r = agent.upsert(pod('x', 'web2', ['10.0.0.5'], { app: 'web' }))
    expect(r).toMatchObject({ mode: 'delta' })
    expect(r.operations.every((o) => o.object.kind === 'element' && o.verb === 'add')).toBe(true)
    const moved = agent.upsert(pod('x', 'web2', ['10.0.0.5'], { app: 'db' })) // now in db's ingress group, out of web's
    expect(moved.mode).toBe('delta')
    expect(moved.operations.every((o) => o.object.kind === 'element')).toBe(true)
    expect(ns.nft('list', 'map', 'inet', NETPOL_TABLE, 'ingress4')).toMatch(/10\.0\.0\.5 : goto grp-in-/)
  })

  it('a changed policy replaces only its own rules: the other policy keeps handles and counters', () => {
    const before = rulesByName()
    const r = agent.upsert(dbIngress([{ port: 5432 }, { port: 6432, protocol: 'UDP' }]))
    expect(r.mode).toBe('reconcile')
    const mine = policyChain({ namespace: 'x', name: 'db-ingress' }, 'ingress')
    for (const op of r.operations) expect((op.object as { chain?: string }).chain).toBe(mine)
    const after = rulesByName()
    for (const name of ['x/web-egress#egress[0]', 'node-to-pods', 'established', 'default-deny']) expect(after.get(name)?.handle).toBe(before.get(name)?.handle)
    expect(counter(after.get('x/web-egress#egress[0]'))).toBe(4)
    expect(ns.ruleset()).toContain('comment "x/db-ingress#ingress[0] pods4 udp"')
  })

  it('removing a policy removes its chains, sets and dispatch entries in one batch', () => {
    const r = agent.remove('NetworkPolicy', 'x', 'web-egress')
    expect(r.mode).toBe('reconcile')
    const l = ours()
    expect(l.chains.some((c) => c.name === policyChain({ namespace: 'x', name: 'web-egress' }, 'egress'))).toBe(false)
    expect(l.chains.some((c) => c.name.startsWith('grp-eg-'))).toBe(false)
    expect(l.sets.find((s) => s.name === 'egress4')?.elements).toEqual([])
    expect(ns.ruleset()).not.toContain('web-egress')
    send(WEB, '10.0.0.5', 1) // web is no longer isolated: nothing drops it
    expect(agent.apply(agent.state)).toMatchObject({ messages: 0 })
  })

  it('a bad manifest is refused with its field path and changes nothing', () => {
    const before = ns.ruleset()
    expect(() => agent.upsert(netpol('x', 'bad', { podSelector: {}, ingress: [{ ports: [{ port: 70000 }] }] }))).toThrow(
      expect.objectContaining({ name: 'NftValidationError', path: '(document).spec.ingress[0].ports[0].port' }),
    )
    expect(() => agent.upsert({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } })).toThrow(/Expected Namespace, Pod/)
    expect(ns.ruleset()).toBe(before)
  })
})
