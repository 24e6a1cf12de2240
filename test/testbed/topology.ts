/**
 * The datapath testbed: network namespaces and veth pairs built from an
 * {@link Inventory} (provider router, one provider-side gateway and one home
 * router per consumer, one namespace per pod), an agent per pod serving TCP
 * and UDP and sending probes, pods that come and go, and a cleanup that
 * leaves nothing behind. The namespace running this process is never touched.
 * See `plan.ts` for the addressing scheme.
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { Inventory, PodInventory } from '../../lib/policies/inventory.js'
import { PodAgent } from './agent.js'
import { deleteNamespacesSync, ipBatch, netnsExec, run } from './exec.js'
import { InventoryState } from './inventory-state.js'
import {
  checkInventory,
  checkIp,
  checkPod,
  GATEWAY_UPLINK,
  HOME_TUNNEL,
  linkAddresses,
  nsName,
  type PodPlacement,
  podLines,
  podsOf,
  ROUTER_SYSCTLS,
  routerPodLines,
  type TestbedPod,
  type TestbedRouter,
} from './plan.js'
import {
  type ProbeHost,
  type ProbeOptions,
  type ProbeResult,
  type ProbeSpec,
  type ProbeStream,
  type ProbeTarget,
  type Proto,
  PROTOS,
  matrixSpecs,
  runProbes,
  startStream,
  type StreamOptions,
} from './probe.js'

/** Options of {@link Testbed.build}. */
export interface TestbedOptions {
  /** Prefix of every namespace name; default `nftkit-tb-<pid>-<random>-`. */
  readonly prefix?: string
  /** TCP/UDP server port of every pod; default 7000. */
  readonly port?: number
}

/** Prefix for test namespaces: `nftkit-t-tb-<pid>-<random>-`. */
export function testPrefix(): string {
  return `nftkit-t-tb-${process.pid}-${randomBytes(3).toString('hex')}-`
}

const live = new Set<Testbed>()
let exitHookInstalled = false

/**
 * Cleans up live testbeds when the process exits, and on SIGINT/SIGTERM/SIGHUP:
 * if nobody else listens for the signal, it is re-raised afterwards so the
 * process still dies of it; otherwise the other listeners decide.
 */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  const cleanup = () => {
    for (const tb of live) tb.destroySync()
  }
  process.on('exit', cleanup)
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      cleanup()
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal)
        process.kill(process.pid, sig)
      }
    }
    process.on(sig, onSignal)
  }
}

interface PodState {
  readonly info: TestbedPod
  agent?: PodAgent
}

/** A running testbed. Build with {@link Testbed.build}; always {@link Testbed.destroy}. */
export class Testbed implements ProbeHost {
  /** Prefix of every namespace this testbed made. */
  readonly prefix: string
  /** Server port of every pod. */
  readonly port: number
  private readonly state: InventoryState
  private readonly podStates = new Map<string, PodState>()
  private readonly routerList: TestbedRouter[] = []
  private readonly made = new Set<string>()
  private vethCounter = 0
  private destroying?: Promise<void>

  private constructor(inv: Inventory, opts: TestbedOptions) {
    this.prefix = opts.prefix ?? `nftkit-tb-${process.pid}-${randomBytes(3).toString('hex')}-`
    this.port = opts.port ?? 7000
    this.state = new InventoryState(inv)
  }

  /** Builds the whole testbed; on failure removes what it made and rethrows. */
  static async build(inv: Inventory, opts: TestbedOptions = {}): Promise<Testbed> {
    checkInventory(inv)
    const tb = new Testbed(inv, opts)
    live.add(tb)
    installExitHook()
    try {
      await tb.wire(inv)
    } catch (e) {
      await tb.destroy()
      throw e
    }
    return tb
  }

  /** The current inventory (a copy, following addPod/removePod). */
  get inventory(): Inventory {
    return this.state.snapshot()
  }

  /** Every pod, in creation order. */
  pods(): TestbedPod[] {
    return [...this.podStates.values()].map((s) => s.info)
  }

  /** A pod by name; throws for an unknown pod. */
  pod(name: string): TestbedPod {
    const s = this.podStates.get(name)
    if (!s) throw new Error(`no pod ${JSON.stringify(name)}`)
    return s.info
  }

  /** Every router: the provider, then gateway and home of each consumer. */
  routers(): TestbedRouter[] {
    return [...this.routerList]
  }

  /** The provider router (pods of the provider and offloaded pods hang off it). */
  get provider(): TestbedRouter {
    return this.routerList[0]
  }

  /** The provider-side gateway of a consumer: where its firewall goes (forward hook). */
  gateway(consumer: string): TestbedRouter {
    return this.router('gateway', consumer)
  }

  /** The home router of a consumer (its local pods hang off it). */
  home(consumer: string): TestbedRouter {
    return this.router('home', consumer)
  }

  /** Every namespace this testbed currently owns. */
  namespaces(): string[] {
    return [...this.made]
  }

  /** Process ids of the running pod agents. */
  pids(): number[] {
    return [...this.podStates.values()].flatMap((s) => (s.agent?.running ? [s.agent.pid] : []))
  }

  /** Adds a pod while the testbed runs; resolves once its servers listen. */
  async addPod(placement: PodPlacement, pod: PodInventory): Promise<TestbedPod> {
    this.alive()
    checkPod(pod, this.pods())
    if (placement.kind !== 'provider') this.state.consumer(placement.consumer)
    const info = this.planPod(pod, placement)
    await this.addNamespaces([info.netns])
    await ipBatch(info.router, routerPodLines(info))
    await ipBatch(info.netns, podLines(info))
    await this.startAgent(info.name)
    this.state.add(placement, pod)
    return info
  }

  /** Removes a pod: its veth first (unreachable at once), then its agent and namespace. */
  async removePod(name: string): Promise<void> {
    this.alive()
    const s = this.podStates.get(name)
    if (!s) throw new Error(`no pod ${JSON.stringify(name)}`)
    await ipBatch(s.info.router, [`link del dev ${s.info.routerInterface}`], true)
    await s.agent?.kill()
    await ipBatch(undefined, [`netns del ${s.info.netns}`], true)
    this.made.delete(s.info.netns)
    this.podStates.delete(name)
    this.state.remove(name)
  }

  /** Runs probes concurrently; see `probe.ts`. */
  probe(specs: readonly ProbeSpec[], opts?: ProbeOptions): Promise<ProbeResult[]> {
    this.alive()
    return runProbes(this, specs, opts)
  }

  /** Every pod to every other pod, for each protocol. */
  matrix(protos: readonly Proto[] = PROTOS, opts?: ProbeOptions): Promise<ProbeResult[]> {
    return this.probe(matrixSpecs([...this.podStates.keys()], protos), opts)
  }

  /** Probes `targets` from pod `from` every `intervalMs` until stopped: a timeline of results. */
  stream(from: string, targets: readonly ProbeTarget[], opts?: StreamOptions): ProbeStream {
    this.alive()
    return startStream(this, from, targets, opts)
  }

  /** @internal {@link ProbeHost}: the agent of a pod. */
  agentOf(pod: string): PodAgent {
    const agent = this.podStates.get(pod)?.agent
    if (!agent) throw new Error(`no running pod ${JSON.stringify(pod)}`)
    return agent
  }

  /** Address of a pod name, or an IPv4 address as is. */
  resolve(to: string): string {
    const s = this.podStates.get(to)
    if (s) return s.info.ip
    checkIp(to, 'probe target (neither a pod name nor an address)')
    return to
  }

  /** Kills every agent and deletes every namespace made; idempotent. */
  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      await Promise.all([...this.podStates.values()].map((s) => s.agent?.kill()))
      await ipBatch(
        undefined,
        [...this.made].map((n) => `netns del ${n}`),
        true,
      )
      this.made.clear()
      live.delete(this)
    })()
    return this.destroying
  }

  /** @internal Synchronous last-resort cleanup (process exit). */
  destroySync(): void {
    for (const s of this.podStates.values()) s.agent?.killNow()
    deleteNamespacesSync([...this.made])
    this.made.clear()
    live.delete(this)
  }

  private alive(): void {
    if (this.destroying) throw new Error('testbed destroyed')
  }

  private router(role: 'gateway' | 'home', consumer: string): TestbedRouter {
    const r = this.routerList.find((x) => x.role === role && x.consumer === consumer)
    if (!r) throw new Error(`no ${role} for consumer ${JSON.stringify(consumer)}`)
    return r
  }

  private planPod(pod: PodInventory, placement: PodPlacement): TestbedPod {
    const router = placement.kind === 'local' ? nsName.home(this.prefix, placement.consumer) : nsName.provider(this.prefix)
    const info: TestbedPod = {
      name: pod.name,
      ip: pod.ip,
      placement,
      netns: nsName.pod(this.prefix, pod.name),
      router,
      routerInterface: `vp${++this.vethCounter}`,
    }
    this.podStates.set(pod.name, { info })
    return info
  }

  private async addNamespaces(names: readonly string[]): Promise<void> {
    for (const n of names) this.made.add(n)
    await ipBatch(
      undefined,
      names.map((n) => `netns add ${n}`),
    )
  }

  private async startAgent(pod: string): Promise<void> {
    const s = this.podStates.get(pod)!
    s.agent = await PodAgent.start(s.info.netns, this.port, s.info.name)
  }

  /** Creates namespaces, links, addresses and routes, then starts the agents. */
  private async wire(inv: Inventory): Promise<void> {
    const p = this.prefix
    const prov = nsName.provider(p)
    const provIfs: Record<string, string> = {}
    this.routerList.push({ role: 'provider', netns: prov, interfaces: provIfs })
    const phaseA = new Map<string, string[]>([[prov, ['link set lo up']]])
    const phaseB = new Map<string, string[]>([[prov, []]])
    inv.consumers.forEach((c, k) => {
      const a = linkAddresses(k + 1)
      const gw = nsName.gateway(p, c.name)
      const home = nsName.home(p, c.name)
      const tun = c.gateway.tunnelInterface
      const toGw = `to-gw${k + 1}`
      provIfs[toGw] = `${a.provToGw}/30`
      this.routerList.push(
        { role: 'gateway', consumer: c.name, netns: gw, interfaces: { [GATEWAY_UPLINK]: `${a.gwToProv}/30`, [tun]: `${a.gwTunnel}/30` } },
        { role: 'home', consumer: c.name, netns: home, interfaces: { [HOME_TUNNEL]: `${a.homeTunnel}/30` } },
      )
      phaseA.get(prov)!.push(
        `link add name ${toGw} type veth peer name ${GATEWAY_UPLINK} netns ${gw}`,
        `addr add ${a.provToGw}/30 dev ${toGw}`,
        `link set ${toGw} up`,
      )
      phaseB.get(prov)!.push(`route add ${c.podCIDR} via ${a.gwToProv}`)
      phaseA.set(gw, [
        'link set lo up',
        `link add name ${tun} type veth peer name ${HOME_TUNNEL} netns ${home}`,
        `addr add ${a.gwTunnel}/30 dev ${tun}`,
        `link set ${tun} up`,
      ])
      phaseB.set(gw, [
        `addr add ${a.gwToProv}/30 dev ${GATEWAY_UPLINK}`,
        `link set ${GATEWAY_UPLINK} up`,
        `route add default via ${a.provToGw}`,
        `route add ${c.podCIDR} via ${a.homeTunnel}`,
      ])
      phaseA.set(home, ['link set lo up'])
      phaseB.set(home, [`addr add ${a.homeTunnel}/30 dev ${HOME_TUNNEL}`, `link set ${HOME_TUNNEL} up`, `route add default via ${a.gwTunnel}`])
    })
    const pods = podsOf(inv).map(({ pod, placement }) => this.planPod(pod, placement))
    for (const pod of pods) {
      phaseA.get(pod.router)!.push(...routerPodLines(pod))
      phaseB.set(pod.netns, podLines(pod))
    }
    const routers = this.routerList.map((r) => r.netns)
    await this.addNamespaces([...routers, ...pods.map((x) => x.netns)])
    await Promise.all(routers.map((ns) => netnsExec(ns, ['sysctl', '-q', '-w', ...ROUTER_SYSCTLS])))
    await Promise.all([...phaseA].map(([ns, lines]) => ipBatch(ns, lines)))
    await Promise.all([...phaseB].map(([ns, lines]) => ipBatch(ns, lines)))
    await Promise.all(pods.map((x) => this.startAgent(x.name)))
  }
}

/** Runs `nft -f -` with `text` inside a namespace (the nft binary, for tests and the demo). */
export function nftIn(netns: string, text: string): Promise<string> {
  return netnsExec(netns, ['nft', '-f', '-'], text)
}

/** Runs `nft <args>` inside a namespace and resolves its stdout. */
export function nftCmd(netns: string, ...args: string[]): Promise<string> {
  return run('ip', ['netns', 'exec', netns, 'nft', ...args])
}
