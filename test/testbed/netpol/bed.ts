/**
 * The NetworkPolicy testbed: one "node" network namespace and the nine pods
 * of the upstream e2e tests (x, y, z × a, b, c) as namespaces, each on a veth
 * pair to the node, which routes between them (so every pod-to-pod packet
 * crosses the node's forward hook, where the policy table goes). Every pod
 * has an IPv4 and an IPv6 address and runs one agent (`../agent.py`): TCP and
 * UDP servers on ports 80 and 81 (both families), the raw-socket SCTP
 * responder, and the prober. Namespaces are `nftkit-t-np-<pid>-<rand>-node`
 * and `…-x-a`; {@link NetpolBed.destroy} (or process exit) removes them.
 *
 * Addressing: pod `<ns>/<pod>` has 10.10.<ns>.<10+pod>/32 and
 * fd00:10:10:<ns>::<10+pod>/128 on `eth0`; the node side `v-<ns>-<pod>`
 * carries 169.254.1.1/32 and fe80::1/64 and a host route to each address;
 * pods route everything via those next hops. The node itself has
 * fd00:10:10::1 on `lo`, and a prober of its own (probes from `node`).
 * @module
 */
import { randomBytes } from 'node:crypto'
import { PodAgent } from '../agent.js'
import { deleteNamespacesSync, ipBatch, netnsExec, run } from '../exec.js'
import { ROUTER_SYSCTLS } from '../plan.js'
import {
  type ProbeHost,
  type ProbeOptions,
  type ProbeResult,
  type ProbeSpec,
  type ProbeStream,
  type ProbeTarget,
  type Proto,
  runProbes,
  startStream,
  type StreamOptions,
} from '../probe.js'
import { POD_KEYS, PORTS, type PodKey, podIPv4, podIPv6 } from './cluster.js'

/** Address family of a probe. */
export type Family = 4 | 6

/** What a matrix covers. */
export interface MatrixOptions extends ProbeOptions {
  readonly ports?: readonly number[]
  readonly protos?: readonly Proto[]
  readonly families?: readonly Family[]
  /** Source pods; default all. */
  readonly from?: readonly PodKey[]
}

/** `x/a` for IPv4, `x/a@6` for IPv6: the probe target names {@link NetpolBed.resolve} accepts. */
export function target(pod: PodKey, family: Family): string {
  return family === 6 ? `${pod}@6` : pod
}

/** The pod and family of a probe target name. */
export function parseTarget(to: string): { pod: PodKey; family: Family } {
  return to.endsWith('@6') ? { pod: to.slice(0, -2) as PodKey, family: 6 } : { pod: to as PodKey, family: 4 }
}

/** Every probe of the matrix: each ordered pair of distinct pods (loopback excluded, as upstream does) × port × protocol × family. */
export function matrixSpecs(opts: MatrixOptions = {}): ProbeSpec[] {
  const ports = opts.ports ?? PORTS
  const protos = opts.protos ?? ['tcp', 'udp', 'sctp']
  const families = opts.families ?? [4, 6]
  return (opts.from ?? POD_KEYS).flatMap((from) =>
    POD_KEYS.filter((to) => to !== from).flatMap((to) =>
      families.flatMap((f) => ports.flatMap((port) => protos.map((proto) => ({ from, to: target(to, f), proto, port })))),
    ),
  )
}

const live = new Set<NetpolBed>()
let hooked = false

function hookExit(): void {
  if (hooked) return
  hooked = true
  process.on('exit', () => {
    for (const b of live) b.destroySync()
  })
}

/** The node's IPv6 address (on `lo`); its IPv4 address is 169.254.1.1 on every pod veth. */
export const NODE_IPV6 = 'fd00:10:10::1'

const iface = (pod: PodKey) => `v-${pod.replace('/', '-')}`

/** A running NetworkPolicy testbed. Build with {@link NetpolBed.build}; always {@link NetpolBed.destroy}. */
export class NetpolBed implements ProbeHost {
  /** Every namespace name starts with this. */
  readonly prefix: string
  /** The node: where the policy table goes. */
  readonly node: string
  /** Default server port of probes without one. */
  readonly port = 80
  private readonly agents = new Map<PodKey, PodAgent>()
  private nodeAgent?: PodAgent
  private readonly made: string[] = []
  private destroying?: Promise<void>

  private constructor(prefix: string) {
    this.prefix = prefix
    this.node = `${this.prefix}node`
  }

  /**
   * Builds the node, the nine pods and their agents; on failure removes what
   * it made and rethrows. Namespaces are `nftkit-t-<tag>-<pid>-<random>-…`
   * (the test convention), or `<prefix>…` when a prefix is given (the demo).
   */
  static async build(tag = 'np', prefix?: string): Promise<NetpolBed> {
    const bed = new NetpolBed(prefix ?? `nftkit-t-${tag}-${process.pid}-${randomBytes(3).toString('hex')}-`)
    live.add(bed)
    hookExit()
    try {
      await bed.wire()
    } catch (e) {
      await bed.destroy()
      throw e
    }
    return bed
  }

  /** The network namespace of a pod. */
  netnsOf(pod: PodKey): string {
    return `${this.prefix}${pod.replace('/', '-')}`
  }

  /** Every namespace this testbed made. */
  namespaces(): string[] {
    return [...this.made]
  }

  /** @internal {@link ProbeHost}; `node` is the prober in the node itself (kubelet-style probes). */
  agentOf(pod: string): PodAgent {
    const a = pod === 'node' ? this.nodeAgent : this.agents.get(pod as PodKey)
    if (!a) throw new Error(`no pod ${pod}`)
    return a
  }

  /** The address of `x/a` (IPv4) or `x/a@6` (IPv6). */
  resolve(to: string): string {
    const { pod, family } = parseTarget(to)
    if (!this.agents.has(pod)) throw new Error(`no pod ${pod}`)
    return family === 6 ? podIPv6(pod) : podIPv4(pod)
  }

  /** Runs probes, all sources in parallel, each source's probes concurrently. */
  probe(specs: readonly ProbeSpec[], opts?: ProbeOptions): Promise<ProbeResult[]> {
    this.alive()
    return runProbes(this, specs, opts)
  }

  /** Every pod to every other pod; see {@link matrixSpecs}. */
  matrix(opts: MatrixOptions = {}): Promise<ProbeResult[]> {
    return this.probe(matrixSpecs(opts), opts)
  }

  /** A stream of probes from one pod every `intervalMs`; see `probe.ts`. */
  stream(from: PodKey, targets: readonly ProbeTarget[], opts?: StreamOptions): ProbeStream {
    this.alive()
    return startStream(this, from, targets, opts)
  }

  /**
   * Makes the node forget every neighbour (ARP and IPv6 neighbour discovery),
   * so the next probes resolve the pods' addresses again: the pods' answers
   * cross the node's input hook under whatever policy is in force (an IPv6 pod
   * whose neighbour advertisements are dropped becomes unreachable only once
   * the node has to ask again).
   */
  async flushNeighbors(): Promise<void> {
    await ipBatch(this.node, ['neigh flush all'])
  }

  /** Runs `nft -f -` with `text` in the node. */
  nft(text: string): Promise<string> {
    return netnsExec(this.node, ['nft', '-f', '-'], text)
  }

  /** Runs `nft <args>` in the node and resolves its stdout. */
  nftCmd(...args: string[]): Promise<string> {
    return run('ip', ['netns', 'exec', this.node, 'nft', ...args])
  }

  /** Kills the agents and deletes every namespace; idempotent. */
  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      await Promise.all([...this.agents.values(), ...(this.nodeAgent ? [this.nodeAgent] : [])].map((a) => a.kill()))
      await ipBatch(
        undefined,
        this.made.map((n) => `netns del ${n}`),
        true,
      )
      this.made.length = 0
      live.delete(this)
    })()
    return this.destroying
  }

  /** @internal Last-resort cleanup at process exit. */
  destroySync(): void {
    for (const a of this.agents.values()) a.killNow()
    this.nodeAgent?.killNow()
    deleteNamespacesSync(this.made)
    this.made.length = 0
    live.delete(this)
  }

  private alive(): void {
    if (this.destroying) throw new Error('testbed destroyed')
  }

  private async wire(): Promise<void> {
    const pods = POD_KEYS
    const all = [this.node, ...pods.map((p) => this.netnsOf(p))]
    this.made.push(...all)
    await ipBatch(
      undefined,
      all.map((n) => `netns add ${n}`),
    )
    const noDad = ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']
    await Promise.all([
      netnsExec(this.node, ['sysctl', '-q', '-w', ...ROUTER_SYSCTLS, 'net.ipv6.conf.all.forwarding=1', ...noDad]),
      ...pods.map((p) => netnsExec(this.netnsOf(p), ['sysctl', '-q', '-w', ...noDad])),
    ])
    // The node's own IPv6 address (its link-local ones make poor sources for probes from the node).
    const nodeLines = ['link set lo up', `addr add ${NODE_IPV6}/128 dev lo`]
    for (const p of pods) {
      const dev = iface(p)
      nodeLines.push(
        `link add name ${dev} type veth peer name eth0 netns ${this.netnsOf(p)}`,
        `addr add 169.254.1.1/32 dev ${dev}`,
        `addr add fe80::1/64 dev ${dev} nodad`,
        `link set ${dev} up`,
        `route add ${podIPv4(p)}/32 dev ${dev}`,
        `route add ${podIPv6(p)}/128 dev ${dev}`,
      )
    }
    await ipBatch(this.node, nodeLines)
    await Promise.all(
      pods.map((p) =>
        ipBatch(this.netnsOf(p), [
          'link set lo up',
          `addr add ${podIPv4(p)}/32 dev eth0`,
          `addr add ${podIPv6(p)}/128 dev eth0 nodad`,
          'link set eth0 up',
          'route add 169.254.1.1/32 dev eth0',
          'route add default via 169.254.1.1 dev eth0',
          'route add default via fe80::1 dev eth0',
        ]),
      ),
    )
    const started = await Promise.allSettled(
      pods.map((p) => PodAgent.start(this.netnsOf(p), 80, p, 10_000, ['--ports', PORTS.join(','), '--sctp', '1'])),
    )
    pods.forEach((p, i) => {
      const s = started[i]
      if (s.status === 'fulfilled') this.agents.set(p, s.value)
    })
    const failed = started.find((s) => s.status === 'rejected')
    if (failed) throw failed.reason
    // The node's own prober (serves an unused port; only its probes matter).
    this.nodeAgent = await PodAgent.start(this.node, 9, 'node')
  }
}
