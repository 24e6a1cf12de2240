/**
 * Probes against the oracle: every probe of a matrix compared with what
 * NetworkPolicy v1 says for the declared cluster, suspected losses re-probed
 * with a longer timeout (a blocked probe the oracle allows may be a slow
 * machine; an open probe the oracle blocks never is), and the result drawn as
 * upstream-style truth tables (rows: source, columns: destination).
 * @module
 */
import type { ClusterState, K8sProtocol } from '../../../lib/netpol/types.js'
import type { ProbeResult, ProbeSpec, Proto } from '../probe.js'
import type { NetpolBed } from './bed.js'
import { type MatrixOptions, parseTarget } from './bed.js'
import { POD_KEYS, type PodKey, podOf } from './cluster.js'
import { explain } from './oracle.js'

const PROTOCOL: Record<Proto, K8sProtocol | undefined> = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP', icmp: undefined }

/** What the oracle says for a probe. */
export function expected(state: ClusterState, spec: ProbeSpec): boolean {
  const protocol = PROTOCOL[spec.proto]
  if (!protocol) throw new Error(`no NetworkPolicy protocol for ${spec.proto}`)
  const { pod, family } = parseTarget(spec.to)
  return explain(state, { from: podOf(state, spec.from as PodKey), to: podOf(state, pod), port: spec.port ?? 80, protocol, family }).allowed
}

/** Whether a probe got through (open: the server answered). */
export function observed(r: ProbeResult): boolean {
  if (r.outcome === 'error') throw new Error(`prober error ${r.from} -> ${r.to} ${r.proto}/${r.port}: ${r.detail}`)
  return r.outcome === 'open'
}

/** A probe whose outcome differs from the oracle. */
export interface Mismatch {
  readonly result: ProbeResult
  readonly expected: boolean
  /** The oracle's reasons: which policy rule allows each direction, `open` or `denied`. */
  readonly why: string
}

/** The outcome of one checked matrix. */
export interface MatrixCheck {
  readonly results: ProbeResult[]
  readonly mismatches: Mismatch[]
  /** Probes sent again because they were blocked where the oracle allows them. */
  readonly retried: number
}

/** Compares results with the oracle. */
export function compare(state: ClusterState, results: readonly ProbeResult[]): Mismatch[] {
  return results.flatMap((r) => {
    const want = expected(state, r)
    if (observed(r) === want) return []
    const { pod, family } = parseTarget(r.to)
    const v = explain(state, {
      from: podOf(state, r.from as PodKey),
      to: podOf(state, pod),
      port: r.port ?? 80,
      protocol: PROTOCOL[r.proto]!,
      family,
    })
    return [{ result: r, expected: want, why: `egress ${v.egress}, ingress ${v.ingress}` }]
  })
}

/**
 * Probes the whole matrix and compares it with the oracle; probes blocked
 * where the oracle allows them are sent again (up to `retries` times, with
 * `retryTimeoutMs`) before they count as mismatches.
 */
export async function checkMatrix(
  bed: NetpolBed,
  state: ClusterState,
  opts: MatrixOptions & { retries?: number; retryTimeoutMs?: number } = {},
): Promise<MatrixCheck> {
  const results = await bed.matrix({ timeoutMs: 600, ...opts })
  let retried = 0
  for (let round = 0; round < (opts.retries ?? 2); round++) {
    const suspects = results.flatMap((r, i) => (!observed(r) && expected(state, r) ? [i] : []))
    if (suspects.length === 0) break
    retried += suspects.length
    const again = await bed.probe(
      suspects.map((i) => results[i]),
      { timeoutMs: opts.retryTimeoutMs ?? 2000 },
    )
    suspects.forEach((i, k) => {
      results[i] = again[k]
    })
  }
  return { results, mismatches: compare(state, results), retried }
}

/**
 * Truth tables, one per protocol/port/family present in `results`: `.`
 * allowed, `X` blocked, as the oracle says; a cell that differs shows what
 * was observed in brackets: `[.]` open although blocked, `[X]` blocked
 * although allowed. `only` limits to groups with a mismatch.
 */
export function truthTables(state: ClusterState, results: readonly ProbeResult[], only: 'all' | 'mismatched' = 'mismatched'): string {
  const groups = new Map<string, ProbeResult[]>()
  for (const r of results) {
    const key = `${r.proto}/${r.port ?? 80} IPv${parseTarget(r.to).family}`
    const list = groups.get(key) ?? []
    list.push(r)
    groups.set(key, list)
  }
  const out: string[] = []
  for (const [key, list] of groups) {
    const cells = new Map<string, string>()
    let bad = 0
    for (const r of list) {
      const want = expected(state, r)
      const got = observed(r)
      if (want !== got) bad++
      cells.set(`${r.from}>${parseTarget(r.to).pod}`, want === got ? (got ? ' . ' : ' X ') : got ? '[.]' : '[X]')
    }
    if (only === 'mismatched' && bad === 0) continue
    const lines = [`${key}${bad ? `  (${bad} mismatch${bad > 1 ? 'es' : ''})` : ''}`, `      ${POD_KEYS.map((k) => k.padStart(3)).join(' ')}`]
    for (const from of POD_KEYS) lines.push(`${from.padEnd(5)} ${POD_KEYS.map((to) => (from === to ? ' - ' : (cells.get(`${from}>${to}`) ?? '   '))).join(' ')}`)
    out.push(lines.join('\n'))
  }
  return out.join('\n\n')
}

/** One line per mismatch: probe, outcome, what the oracle expected and why. */
export function mismatchLines(ms: readonly Mismatch[], limit = 40): string {
  const lines = ms
    .slice(0, limit)
    .map(
      (m) =>
        `${m.result.from} -> ${m.result.to} ${m.result.proto}/${m.result.port}: ${m.result.outcome} (${m.result.ms} ms), oracle ${m.expected ? 'allows' : 'blocks'} (${m.why})`,
    )
  if (ms.length > limit) lines.push(`… and ${ms.length - limit} more`)
  return lines.join('\n')
}

/** One column of a {@link compactMatrix} cell. */
export interface Combo {
  readonly proto: Proto
  readonly port: number
  readonly family?: 4 | 6
}

/**
 * The matrix in one grid for the terminal: one row per source pod, one
 * column per destination, one symbol per combo in each cell: `✓` open, `·`
 * blocked, `!` when the probe differs from the oracle.
 */
export function compactMatrix(state: ClusterState, results: readonly ProbeResult[], combos: readonly Combo[]): string {
  const at = new Map(results.map((r) => [`${r.from}>${r.to}>${r.proto}>${r.port}`, r]))
  const w = Math.max(combos.length, 3)
  const lines = [`from\to ${POD_KEYS.map((k) => k.padEnd(w)).join(' ')}`]
  let wrong = 0
  for (const from of POD_KEYS) {
    const cells = POD_KEYS.map((to) => {
      if (from === to) return ' '.repeat(w)
      return combos
        .map((c) => {
          const r = at.get(`${from}>${c.family === 6 ? `${to}@6` : to}>${c.proto}>${c.port}`)
          if (!r) return ' '
          const bad = observed(r) !== expected(state, r)
          if (bad) wrong++
          return bad ? '!' : observed(r) ? '✓' : '·'
        })
        .join('')
        .padEnd(w)
    })
    lines.push(`${from.padEnd(7)} ${cells.join(' ')}`)
  }
  lines.push(`(each cell: ${combos.map((c) => `${c.proto}/${c.port}${c.family === 6 ? ' v6' : ''}`).join(', ')}; ✓ open, · blocked, ! differs from the oracle${wrong ? `: ${wrong} differ` : ''})`)
  return lines.join('\n')
}
