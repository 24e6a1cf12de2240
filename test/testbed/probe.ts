/**
 * The prober: real packets from a pod's namespace, classified per protocol.
 * Probes are grouped by source pod and handed to that pod's agent, which runs
 * them concurrently (one thread each); all sources run in parallel, so a batch
 * lasts about one timeout however many probes are dropped.
 * @module
 */
import type { AgentMessage, PodAgent } from './agent.js'

/** Protocols the prober speaks (`sctp` through raw sockets; its responder runs only in agents started with `--sctp 1`). */
export type Proto = 'icmp' | 'tcp' | 'udp' | 'sctp'

/** The protocols every agent serves, the default of {@link matrixSpecs}. */
export const PROTOS: readonly Proto[] = ['icmp', 'tcp', 'udp']

/**
 * What a probe saw. icmp: `reply` | `unreachable` | `timeout`; tcp: `open`
 * (token read) | `reset` (RST, no ICMP) | `unreachable` (an ICMP error, incl.
 * port-unreachable, which the socket also reports as ECONNREFUSED) |
 * `timeout`; udp: `open` (echo back) | `unreachable` | `timeout`; sctp: `open`
 * (INIT ACK back) | `unreachable` (send failed) | `timeout`. `error` is
 * a prober bug, never a network outcome.
 */
export type Outcome = 'open' | 'reply' | 'reset' | 'unreachable' | 'timeout' | 'error'

/** Destination and protocol of a probe. */
export interface ProbeTarget {
  /** Pod name or address (what the host's `resolve` accepts). */
  readonly to: string
  readonly proto: Proto
  /** TCP/UDP port; the testbed's server port (7000) when omitted. */
  readonly port?: number
}

/** A probe: a target and the pod sending it. */
export interface ProbeSpec extends ProbeTarget {
  /** Source pod name. */
  readonly from: string
}

/** An ICMP error the source received for the probe. */
export interface IcmpError {
  readonly type: number
  readonly code: number
  /** Who sent the error (e.g. the gateway whose firewall rejected). */
  readonly from?: string
}

/** One probe's result. */
export interface ProbeResult extends ProbeSpec {
  /** Destination address actually probed. */
  readonly ip: string
  readonly outcome: Outcome
  /** Time from send to outcome, ms. */
  readonly ms: number
  /** Send time, CLOCK_MONOTONIC ms: comparable with {@link monotonicMs}. */
  readonly sent: number
  /** tcp `open`: the token the server sent (its pod name); otherwise extra context. */
  readonly detail?: string
  /** Socket error name, e.g. `ECONNREFUSED`, `EHOSTUNREACH`. */
  readonly errno?: string
  readonly icmp?: IcmpError
}

/** Options of a probe batch. */
export interface ProbeOptions {
  /** Per-probe timeout; default 800 ms. */
  readonly timeoutMs?: number
}

/** Options of a probe stream. */
export interface StreamOptions extends ProbeOptions {
  /** Time between rounds (one probe per target per round); default 20 ms. */
  readonly intervalMs?: number
  /** Stop by itself after this many rounds; default: until `stop()`. */
  readonly rounds?: number
  /** Called for every result as it arrives. */
  readonly onResult?: (r: StreamResult) => void
}

/** A result of a stream: a probe result and the round it belongs to. */
export interface StreamResult extends ProbeResult {
  readonly round: number
}

/** A running stream of probes from one pod. */
export interface ProbeStream {
  /** Results so far, in arrival order. */
  readonly results: readonly StreamResult[]
  /** Ends the stream; resolves every result (sorted by send time) once in-flight probes finished. */
  stop(): Promise<StreamResult[]>
  /** Resolves like `stop()` when the stream ends (after `rounds`, or once stopped). */
  readonly done: Promise<StreamResult[]>
}

/** What the prober needs from a testbed. */
export interface ProbeHost {
  /** The agent of a pod; throws for an unknown pod. */
  agentOf(pod: string): PodAgent
  /** The address of a pod name, or the address itself; throws otherwise. */
  resolve(to: string): string
  /** The server port of the pods. */
  readonly port: number
}

/** CLOCK_MONOTONIC in ms, the clock of {@link ProbeResult.sent}. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}

/** Whether the outcome means the destination answered (`open` or `reply`). */
export function isReachable(r: Pick<ProbeResult, 'outcome'>): boolean {
  return r.outcome === 'open' || r.outcome === 'reply'
}

/**
 * What the network did with the probe, in the words of `expected.ts`:
 * `allow` (open/reply), `reject` (unreachable/reset: the client heard at
 * once), `drop` (timeout). Throws on a prober `error`.
 */
export function verdictOf(r: Pick<ProbeResult, 'outcome' | 'detail'>): 'allow' | 'reject' | 'drop' {
  if (r.outcome === 'error') throw new Error(`prober error: ${r.detail}`)
  if (isReachable(r)) return 'allow'
  return r.outcome === 'timeout' ? 'drop' : 'reject'
}

/** Every ordered pair of distinct pods, for each protocol. */
export function matrixSpecs(pods: readonly string[], protos: readonly Proto[] = PROTOS): ProbeSpec[] {
  return pods.flatMap((from) => pods.filter((to) => to !== from).flatMap((to) => protos.map((proto) => ({ from, to, proto }))))
}

type Wire = Omit<ProbeResult, keyof ProbeSpec | 'ip'>

function wireTarget(host: ProbeHost, t: ProbeTarget) {
  return { ip: host.resolve(t.to), proto: t.proto, port: t.port ?? host.port }
}

/** Runs the probes (all concurrently) and resolves their results in input order. */
export async function runProbes(host: ProbeHost, specs: readonly ProbeSpec[], opts: ProbeOptions = {}): Promise<ProbeResult[]> {
  const timeout = (opts.timeoutMs ?? 800) / 1000
  const bySource = new Map<string, number[]>()
  specs.forEach((s, i) => {
    const list = bySource.get(s.from) ?? []
    list.push(i)
    bySource.set(s.from, list)
  })
  const out: ProbeResult[] = new Array(specs.length)
  await Promise.all(
    [...bySource].map(async ([from, idx]) => {
      const agent = host.agentOf(from)
      const probes = idx.map((i) => wireTarget(host, specs[i]))
      const answer = await agent.request({ op: 'probe', timeout, probes })
      const results = answer.results as Wire[]
      idx.forEach((i, k) => {
        out[i] = { ...specs[i], ip: probes[k].ip, ...results[k] }
      })
    }),
  )
  return out
}

/** Starts probing `targets` from pod `from` every `intervalMs` until stopped. */
export function startStream(host: ProbeHost, from: string, targets: readonly ProbeTarget[], opts: StreamOptions = {}): ProbeStream {
  const agent = host.agentOf(from)
  const wire = targets.map((t) => wireTarget(host, t))
  const results: StreamResult[] = []
  let resolveDone!: (r: StreamResult[]) => void
  let rejectDone!: (e: Error) => void
  const done = new Promise<StreamResult[]>((res, rej) => {
    resolveDone = res
    rejectDone = rej
  })
  // handled here so a stream whose agent dies (pod removed, testbed destroyed)
  // never becomes an unhandled rejection; awaiting `done`/`stop()` still throws
  done.catch(() => {})
  const h = agent.send(
    {
      op: 'stream',
      targets: wire,
      interval: (opts.intervalMs ?? 20) / 1000,
      timeout: (opts.timeoutMs ?? 800) / 1000,
      count: opts.rounds ?? 0,
    },
    (m: AgentMessage) => {
      if (m.error !== undefined) {
        h.off()
        rejectDone(new Error(m.error))
      } else if (m.event === 'result') {
        const { id: _id, event: _event, target, tick, ...rest } = m as AgentMessage & { target: number; tick: number }
        const r = { ...targets[target], from, ip: wire[target].ip, ...(rest as unknown as Wire), round: tick }
        results.push(r)
        opts.onResult?.(r)
      } else if (m.event === 'done') {
        h.off()
        resolveDone([...results].sort((a, b) => a.sent - b.sent))
      }
    },
  )
  return {
    results,
    done,
    stop() {
      agent.notify({ op: 'stop', id: h.id })
      return done
    },
  }
}

/** A compact text table of results (one line per probe), for logs and the demo. */
export function formatResults(results: readonly ProbeResult[]): string {
  return results
    .map((r) => {
      const why = [r.errno, r.icmp ? `icmp ${r.icmp.type}/${r.icmp.code} from ${r.icmp.from}` : undefined, r.detail].filter(Boolean).join(' ')
      return `${r.from.padEnd(12)} -> ${r.to.padEnd(12)} ${r.proto.padEnd(4)} ${r.outcome.padEnd(11)} ${r.ms.toFixed(1).padStart(7)} ms ${why}`
    })
    .join('\n')
}
