/**
 * Node policies in a real kernel. First the compiled table applied into a
 * throwaway namespace and read back twice (our listing and `nft list`), with
 * a cluster change reconciled as an element delta. Then packets: a "node"
 * namespace with three interfaces (`eth0` to an API-server namespace, `eth1`
 * to an ordinary peer, `mgmt0` to a management peer), policies on `eth*`
 * only, a Drop-all ingress policy with one allowed port and one rejected
 * port, and a privileged API-server endpoint: matched-interface traffic is
 * dropped except the allowed port, the rejected port answers with a reset or
 * ICMP admin-prohibited, `mgmt0` is not policed, the API server still reaches
 * 6443 under deny-all, and a connection established before the policy keeps
 * working while a new one to the same port is dropped. Then an egress
 * deny-all: the node reaches only the API server's 6443 on eth* and still
 * everything on mgmt0.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { createInterface, type Interface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, desiredTables, reconcileSync, renderRuleset, tablesOf } from '../../lib/index.js'
import { compileNodePolicies, NODE_POLICY_TABLE, nodePolicyCounters, readClusterNetworkPolicy } from '../../lib/netpol/node-policy.js'
import type { ClusterState } from '../../lib/netpol/types.js'
import { makeNetns, type Netns } from '../helpers/netns.js'
import { PodAgent } from '../testbed/agent.js'
import { ipBatch, python } from '../testbed/exec.js'
import { type ProbeHost, type ProbeResult, type ProbeSpec, runProbes } from '../testbed/probe.js'

const norm = (t: string) => t.replace(/,\s*\n\s*/g, ', ').replace(/\s+/g, ' ').trim()

const cnp = (name: string, spec: Record<string, unknown>) => readClusterNetworkPolicy({ apiVersion: 'crd.antrea.io/v1beta1', kind: 'ClusterNetworkPolicy', metadata: { name }, spec }, '')

function state(extra: Partial<ClusterState> = {}): ClusterState {
  return {
    namespaces: [{ name: 'default', labels: { 'kubernetes.io/metadata.name': 'default' } }],
    pods: [{ namespace: 'default', name: 'web', labels: { app: 'web' }, ips: ['10.244.1.5', 'fd00::5'], hostNetwork: false, ports: [] }],
    policies: [],
    nodes: [
      { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1', role: 'worker' }, ips: ['10.99.1.1'] },
      { name: 'node-2', labels: { 'kubernetes.io/hostname': 'node-2', role: 'worker' }, ips: ['10.99.9.2', '2001:db8::2'] },
    ],
    clusterPolicies: [],
    ...extra,
  }
}

describe('node policies: apply and read back', () => {
  let ns: Netns
  beforeAll(() => {
    ns = makeNetns('nodepol')
  })
  afterAll(() => ns?.remove())

  it('applies, reads back identically through our listing and nft, and reconciles a new pod as one element', () => {
    const policies = [
      cnp('from-workers', {
        priority: 5,
        appliedTo: [{ nodeSelector: { matchLabels: { role: 'worker' } } }],
        ingress: [
          { action: 'Allow', from: [{ nodeSelector: { matchLabels: { role: 'worker' } } }, { podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 10250 }] },
          { action: 'Reject', from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.99.0.0/16'] } }], protocols: [{ icmp: { icmpType: 8 } }] },
          { action: 'Drop', ports: [{ protocol: 'UDP', port: 5000, endPort: 5100 }] },
        ],
        egress: [{ action: 'Drop', to: [{ ipBlock: { cidr: '2001:db8::/32' } }] }],
      }),
    ]
    const compile = (s: ClusterState) => desiredTables(compileNodePolicies(s, policies, { node: 'node-1', interfaces: ['eth*'], privileged: { endpoints: [{ cidr: '10.99.0.10', port: 6443 }] } }))
    const client = createClient({ netns: ns.name })
    try {
      const first = reconcileSync(client, compile(state()))
      expect(first.operations.length).toBeGreaterThan(0)
      const nftText = norm(ns.nft('list', 'table', 'inet', NODE_POLICY_TABLE))
      const ours = norm(renderRuleset(tablesOf(client.listSync({ table: NODE_POLICY_TABLE }))))
      expect(ours).toBe(nftText)
      // The rendered text (what `nftkit render` prints) loads with nft -f into the same table.
      const other = makeNetns('nodepol-nft')
      try {
        other.nftFile(renderRuleset(compile(state())))
        expect(norm(other.nft('list', 'table', 'inet', NODE_POLICY_TABLE))).toBe(nftText)
      } finally {
        other.remove()
      }
      expect(nftText).toContain('set cnp-from-workers-in0-v4 { type ipv4_addr flags interval elements = { 10.99.1.1, 10.99.9.2, 10.244.1.5 } }')
      expect(nftText).toContain('set cnp-from-workers-in1-v4 { type ipv4_addr flags interval elements = { 10.0.0.0-10.98.255.255, 10.100.0.0-10.255.255.255 } }')
      expect(nftText).toContain('ip saddr 10.99.0.10 tcp dport 6443 counter packets 0 bytes 0 accept comment "privileged/endpoint[0]"')
      expect(nftText).toContain('iifname "eth*" jump ingress comment "gate/eth*"')
      expect(nftText).toContain('ip saddr @cnp-from-workers-in1-v4 icmp type echo-request counter packets 0 bytes 0 reject with icmpx admin-prohibited comment "cnp/from-workers/ingress[1]/ip/icmp[0]"')
      expect(nftText).toContain('udp dport 5000-5100 counter packets 0 bytes 0 drop comment "cnp/from-workers/ingress[2]"')
      expect(ns.ruleset()).toContain('ip6 daddr @cnp-from-workers-out0-v6 counter packets 0 bytes 0 drop comment "cnp/from-workers/egress[0]"')
      // Idempotent, then a pod coming is one element in each family's set and nothing else.
      expect(reconcileSync(client, compile(state())).operations).toEqual([])
      const handles = client.listSync({ table: NODE_POLICY_TABLE }).rules.map((r) => r.handle)
      const more = state({ pods: [...state().pods, { namespace: 'default', name: 'web-2', labels: { app: 'web' }, ips: ['10.244.1.6', 'fd00::6'], hostNetwork: false, ports: [] }] })
      const delta = reconcileSync(client, compile(more))
      expect(delta.operations.map((o) => `${o.verb} ${o.object.kind} ${(o.object as { set?: string }).set}`)).toEqual([
        'add element cnp-from-workers-in0-v4',
        'add element cnp-from-workers-in0-v6',
      ])
      expect(client.listSync({ table: NODE_POLICY_TABLE }).rules.map((r) => r.handle)).toEqual(handles)
      expect(norm(ns.nft('list', 'set', 'inet', NODE_POLICY_TABLE, 'cnp-from-workers-in0-v6'))).toContain('elements = { 2001:db8::2, fd00::5, fd00::6 }')
    } finally {
      client.close()
    }
  })
})

/** An echo server (python) and a long-lived client connection to it, for the established-connection check. */
const ECHO_SERVER = `
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(8)
print('ready', flush=True)
def serve(c):
    f = c.makefile('rwb', buffering=0)
    for line in f:
        f.write(line)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`
const ECHO_CLIENT = `
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
f = c.makefile('rwb', buffering=0)
print('connected', flush=True)
for line in sys.stdin:
    f.write(line.encode())
    try:
        print('echo ' + f.readline().decode().strip(), flush=True)
    except OSError as e:
        print('error ' + type(e).__name__, flush=True)
`

/** A python process whose stdout lines can be awaited one by one. */
class Proc {
  readonly child: ChildProcessWithoutNullStreams
  readonly lines: Interface
  private readonly queue: string[] = []
  private waiters: Array<(l: string) => void> = []
  constructor(netns: string, script: string, args: string[]) {
    this.child = spawn('ip', ['netns', 'exec', netns, python(), '-u', '-c', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.lines = createInterface({ input: this.child.stdout })
    this.lines.on('line', (l) => {
      const w = this.waiters.shift()
      if (w) w(l)
      else this.queue.push(l)
    })
  }
  next(ms = 5000): Promise<string> {
    const l = this.queue.shift()
    if (l !== undefined) return Promise.resolve(l)
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no output in time')), ms)
      this.waiters.push((x) => {
        clearTimeout(t)
        resolve(x)
      })
    })
  }
  kill(): void {
    this.child.kill('SIGKILL')
  }
}

describe('node policies: packets', () => {
  // node: eth0 10.99.1.1 (api: 10.99.1.2), eth1 10.99.3.1 (peer: 10.99.3.2), mgmt0 10.99.2.1 (mgmt: 10.99.2.2)
  const IP = { nodeEth0: '10.99.1.1', nodeEth1: '10.99.3.1', nodeMgmt: '10.99.2.1', api: '10.99.1.2', peer: '10.99.3.2', mgmt: '10.99.2.2' }
  const spaces: Record<'node' | 'api' | 'peer' | 'mgmt', Netns> = {} as never
  const agents = new Map<string, PodAgent>()
  const procs: Proc[] = []
  const host: ProbeHost = {
    agentOf: (n) => {
      const a = agents.get(n)
      if (!a) throw new Error(`no agent ${n}`)
      return a
    },
    resolve: (to) => to,
    port: 7000,
  }
  const probe = (specs: ProbeSpec[]) => runProbes(host, specs, { timeoutMs: 700 })
  const summary = (rs: ProbeResult[]) => rs.map((r) => `${r.from}->${r.to}:${r.proto}/${r.port} ${r.outcome}${r.icmp ? ` icmp ${r.icmp.type}/${r.icmp.code}` : ''}`)

  beforeAll(async () => {
    for (const k of ['node', 'api', 'peer', 'mgmt'] as const) spaces[k] = makeNetns(`np${k}`)
    const n = spaces.node.name
    await ipBatch(n, [
      `link add eth0 type veth peer name eth0 netns ${spaces.api.name}`,
      `link add eth1 type veth peer name eth0 netns ${spaces.peer.name}`,
      `link add mgmt0 type veth peer name eth0 netns ${spaces.mgmt.name}`,
      `addr add ${IP.nodeEth0}/24 dev eth0`,
      `addr add ${IP.nodeEth1}/24 dev eth1`,
      `addr add ${IP.nodeMgmt}/24 dev mgmt0`,
      'link set lo up',
      'link set eth0 up',
      'link set eth1 up',
      'link set mgmt0 up',
    ])
    for (const [k, ip] of [
      ['api', IP.api],
      ['peer', IP.peer],
      ['mgmt', IP.mgmt],
    ] as const)
      await ipBatch(spaces[k].name, [`addr add ${ip}/24 dev eth0`, 'link set lo up', 'link set eth0 up'])
    const started = await Promise.all([
      ...[7000, 8080, 6443].map((port) => PodAgent.start(n, port, `node-${port}`).then((a) => [`node-${port}`, a] as const)),
      ...(['api', 'peer', 'mgmt'] as const).map((k) => PodAgent.start(spaces[k].name, 7000, k).then((a) => [k, a] as const)),
      PodAgent.start(spaces.api.name, 6443, 'api-6443').then((a) => ['api-6443', a] as const),
    ])
    for (const [name, a] of started) agents.set(name, a)
  }, 30_000)

  afterAll(async () => {
    for (const p of procs) p.kill()
    await Promise.all([...agents.values()].map((a) => a.kill()))
    for (const s of Object.values(spaces)) s?.remove()
  })

  it('polices matched interfaces only, keeps the API server endpoint and established connections under deny-all', async () => {
    const n = spaces.node.name
    const client = createClient({ netns: n })
    try {
      const options = { node: 'node-1', interfaces: ['eth*'], privileged: { endpoints: [{ cidr: IP.api, protocol: 'tcp' as const, port: 6443 }] } }
      // The node's table without policies first: as on a real node, conntrack follows connections before a
      // policy arrives (a namespace only tracks connections once some rule needs conntrack).
      reconcileSync(client, desiredTables(compileNodePolicies(state(), [], options)))
      // A connection established before the policy (port 9000, which the policy will drop for new connections).
      const server = new Proc(n, ECHO_SERVER, ['9000'])
      procs.push(server)
      expect(await server.next()).toBe('ready')
      const conn = new Proc(spaces.peer.name, ECHO_CLIENT, [IP.nodeEth1, '9000'])
      procs.push(conn)
      expect(await conn.next()).toBe('connected')
      conn.child.stdin.write('before\n')
      expect(await conn.next()).toBe('echo before')

      const specs: ProbeSpec[] = [
        { from: 'peer', to: IP.nodeEth1, proto: 'tcp', port: 8080 },
        { from: 'peer', to: IP.nodeEth1, proto: 'tcp', port: 7000 },
        { from: 'peer', to: IP.nodeEth1, proto: 'udp', port: 7000 },
        { from: 'peer', to: IP.nodeEth1, proto: 'tcp', port: 6443 },
        { from: 'peer', to: IP.nodeEth1, proto: 'udp', port: 8080 },
        { from: 'peer', to: IP.nodeEth1, proto: 'tcp', port: 9000 },
        { from: 'api', to: IP.nodeEth0, proto: 'tcp', port: 6443 },
        { from: 'api', to: IP.nodeEth0, proto: 'tcp', port: 8080 },
        { from: 'api', to: IP.nodeEth0, proto: 'udp', port: 6443 },
        { from: 'mgmt', to: IP.nodeMgmt, proto: 'tcp', port: 7000 },
        { from: 'mgmt', to: IP.nodeMgmt, proto: 'tcp', port: 6443 },
        { from: 'mgmt', to: IP.nodeMgmt, proto: 'udp', port: 7000 },
      ]
      // Without policy everything answers (so every expectation below can fail); the echo server on 9000
      // accepts but sends nothing first, so the prober reports a connection without a token there.
      const before = await probe(specs)
      const answered = (r: ProbeResult) => r.outcome === 'open' || (r.port === 9000 && r.detail === 'connected, no token')
      expect(before.filter((r) => !answered(r)).map((r) => `${r.from}->${r.proto}/${r.port} ${r.outcome}`)).toEqual([])

      const lockdown = cnp('node-lockdown', {
        priority: 10,
        appliedTo: [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'node-1' } } }],
        ingress: [
          { name: 'allow-8080', action: 'Allow', ports: [{ protocol: 'TCP', port: 8080 }] },
          { name: 'reject-7000', action: 'Reject', ports: [{ protocol: 'TCP', port: 7000 }, { protocol: 'UDP', port: 7000 }] },
          { name: 'drop-all', action: 'Drop' },
        ],
      })
      reconcileSync(client, desiredTables(compileNodePolicies(state(), [lockdown], options)))
      const after = await probe(specs)
      expect(summary(after)).toEqual([
        `peer->${IP.nodeEth1}:tcp/8080 open`,
        `peer->${IP.nodeEth1}:tcp/7000 reset`,
        // ICMP destination unreachable, communication administratively prohibited (icmpx admin-prohibited in IPv4).
        `peer->${IP.nodeEth1}:udp/7000 unreachable icmp 3/13`,
        `peer->${IP.nodeEth1}:tcp/6443 timeout`,
        `peer->${IP.nodeEth1}:udp/8080 timeout`,
        `peer->${IP.nodeEth1}:tcp/9000 timeout`,
        `api->${IP.nodeEth0}:tcp/6443 open`,
        `api->${IP.nodeEth0}:tcp/8080 open`,
        `api->${IP.nodeEth0}:udp/6443 timeout`,
        `mgmt->${IP.nodeMgmt}:tcp/7000 open`,
        `mgmt->${IP.nodeMgmt}:tcp/6443 open`,
        `mgmt->${IP.nodeMgmt}:udp/7000 open`,
      ])
      // The connection made before the policy still works; a new one to its port was dropped above (not even connected).
      expect(after[5].detail).toBeUndefined()
      conn.child.stdin.write('after\n')
      expect(await conn.next()).toBe('echo after')

      // The counters name what decided, per rule as written (the nft rules of one policy rule summed).
      const counters = nodePolicyCounters(client.listSync({ table: NODE_POLICY_TABLE }))
      const packets = (name: string, dir: 'ingress' | 'egress' = 'ingress') => counters.find((c) => c.name === name && c.direction === dir)?.packets ?? -1
      expect(packets('privileged/endpoint[0]')).toBeGreaterThan(0)
      expect(packets('privileged/established')).toBeGreaterThan(0)
      expect(packets('cnp/node-lockdown/ingress[2]')).toBeGreaterThan(0)
      // reject-7000 (tcp and udp nft rules) saw exactly the two probes' first packets.
      expect(packets('cnp/node-lockdown/ingress[1]')).toBe(2)
      expect(packets('cnp/node-lockdown/ingress[0]')).toBeGreaterThan(0)
      expect(counters.find((c) => c.name === 'cnp/node-lockdown/ingress[1]')).toMatchObject({ policy: 'node-lockdown', direction: 'ingress', index: 1 })

      // Egress: deny-all from the node on eth* (one port to the peer rejected: a reset for the local
      // socket); the API server endpoint and mgmt0 still reachable.
      const egressLockdown = cnp('egress-lockdown', {
        priority: 1,
        appliedTo: [{ nodeSelector: {} }],
        egress: [
          { name: 'reject-peer-7000', action: 'Reject', to: [{ ipBlock: { cidr: `${IP.peer}/32` } }], ports: [{ port: 7000 }] },
          { name: 'drop-all', action: 'Drop' },
        ],
      })
      reconcileSync(client, desiredTables(compileNodePolicies(state(), [lockdown, egressLockdown], options)))
      const out = await probe([
        { from: 'node-7000', to: IP.peer, proto: 'tcp', port: 7000 },
        { from: 'node-7000', to: IP.api, proto: 'tcp', port: 7000 },
        { from: 'node-7000', to: IP.api, proto: 'tcp', port: 6443 },
        { from: 'node-7000', to: IP.mgmt, proto: 'tcp', port: 7000 },
      ])
      expect(summary(out)).toEqual([
        `node-7000->${IP.peer}:tcp/7000 reset`,
        `node-7000->${IP.api}:tcp/7000 timeout`,
        `node-7000->${IP.api}:tcp/6443 open`,
        `node-7000->${IP.mgmt}:tcp/7000 open`,
      ])
      // The established connection's replies leave through output: still fine under egress deny-all.
      conn.child.stdin.write('again\n')
      expect(await conn.next()).toBe('echo again')

      // Removing the policies (no node policies left) opens the matched interfaces again.
      reconcileSync(client, desiredTables(compileNodePolicies(state(), [], options)))
      const reopened = await probe([
        { from: 'peer', to: IP.nodeEth1, proto: 'tcp', port: 6443 },
        { from: 'node-7000', to: IP.peer, proto: 'tcp', port: 7000 },
      ])
      expect(reopened.map((r) => r.outcome)).toEqual(['open', 'open'])
    } finally {
      client.close()
    }
  }, 60_000)
})
