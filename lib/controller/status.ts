/**
 * FirewallConfiguration status as Liqo's CRD stores it: `status.conditions[]`,
 * one entry per host with exactly the four fields of its schema (`host`,
 * `type: Applied`, `status`, `lastTransitionTime`; a real API server prunes
 * anything else), written through the status subresource bound to the
 * object's resourceVersion, re-read and retried on 409 Conflict so other
 * hosts' entries survive, and not written at all when this host's entry is
 * already right.
 * @module
 */
import { ApiError, type KubeApi, type KubeObject } from './kube.js'

/** One condition in Liqo's shape. */
export interface LiqoCondition {
  readonly host: string
  readonly type: string
  readonly status: string
  readonly lastTransitionTime?: string
}

/** The conditions of an object's status (an empty list when it has none or they are malformed). */
export function conditionsOf(obj: KubeObject): LiqoCondition[] {
  const c = (obj.status as { conditions?: unknown } | undefined)?.conditions
  return Array.isArray(c) ? (c.filter((x) => x && typeof x === 'object') as LiqoCondition[]) : []
}

/**
 * The conditions after `host` applied (or failed to apply) the object, or
 * undefined when its entry already says so (nothing to write). Other hosts'
 * entries are kept as they are, in place; `lastTransitionTime` changes only
 * when the status flips (or the entry is new).
 */
export function nextConditions(obj: KubeObject, host: string, applied: boolean, now: Date): LiqoCondition[] | undefined {
  const status = applied ? 'True' : 'False'
  const list = conditionsOf(obj)
  const i = list.findIndex((c) => c.host === host && c.type === 'Applied')
  const old = i >= 0 ? list[i] : undefined
  if (old && old.status === status && old.lastTransitionTime) return undefined
  const entry: LiqoCondition = { host, type: 'Applied', status, lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : now.toISOString() }
  return i >= 0 ? list.map((c, j) => (j === i ? entry : c)) : [...list, entry]
}

/** What {@link writeStatus} did. */
export interface StatusWrite {
  /** PUTs sent (0: nothing to change). */
  readonly puts: number
  /** 409 Conflicts met on the way. */
  readonly conflicts: number
  /** The object as stored after the write (or as given when nothing was written). */
  readonly object: KubeObject
  /** True when the host's entry changed its status (a transition). */
  readonly transition: boolean
}

/**
 * Makes `host`'s Applied condition of `obj` say `applied`: a PUT of the status
 * subresource carrying `obj`'s resourceVersion; on 409 the object is read
 * again and the condition recomputed on the fresh copy (other hosts' entries
 * as they are now), at most `attempts` times. Nothing is sent when the entry
 * is already right.
 * @throws ApiError when the API server refuses (404 once the object is gone)
 *   or cannot be reached, or after `attempts` conflicts.
 */
export async function writeStatus(api: KubeApi, obj: KubeObject, host: string, applied: boolean, opts: { now?: () => Date; attempts?: number } = {}): Promise<StatusWrite> {
  const now = opts.now ?? (() => new Date())
  const attempts = opts.attempts ?? 5
  let current = obj
  let conflicts = 0
  for (let puts = 0; ; ) {
    const before = conditionsOf(current).find((c) => c.host === host && c.type === 'Applied')
    const next = nextConditions(current, host, applied, now())
    if (!next) return { puts, conflicts, object: current, transition: false }
    try {
      puts++
      const stored = await api.replaceStatus({ ...current, status: { ...((current.status as object | undefined) ?? {}), conditions: next } })
      return { puts, conflicts, object: stored, transition: before?.status !== (applied ? 'True' : 'False') }
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 409 || conflicts + 1 >= attempts) throw e
      conflicts++
      current = await api.get(current.metadata.namespace ?? 'default', current.metadata.name)
    }
  }
}
