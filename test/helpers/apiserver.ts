/**
 * A Kubernetes API server stand-in over real HTTP, for the controller tests:
 * no cluster can be reached from the test machines. It serves Liqo's
 * FirewallConfiguration (networking.liqo.io/v1beta1, namespaced, with the
 * status subresource) and core/v1 Events with the REST semantics the
 * controller relies on:
 *
 * - list (all namespaces or one) with `labelSelector` (`k=v`, `k==v`, `k!=v`,
 *   `k`, `!k`), answering with the current `resourceVersion`;
 * - watch from a resourceVersion: the events after it (ADDED, MODIFIED,
 *   DELETED; an object whose labels stop matching arrives as DELETED, one that
 *   starts matching as ADDED, as the API server's watch cache does), BOOKMARK
 *   on request, and `410 Gone` as an ERROR event once the version is older
 *   than the last compaction;
 * - GET of one object, PUT of `/status` with optimistic concurrency (409 on a
 *   stale resourceVersion; only the status changes), POST of Events;
 * - fault injection: close every watch stream, stop (connections refused)
 *   and start again on the same port, answer the next requests of a kind
 *   with an error.
 *
 * Every request is recorded (`calls`) so tests can count API calls per event.
 * The kubeconfig it writes points at plain http with
 * `insecure-skip-tls-verify: true`, the only way the controller (and
 * @kubernetes/client-node) accepts http.
 */
import { execFileSync } from 'node:child_process'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const GROUP = 'networking.liqo.io'
export const VERSION = 'v1beta1'
export const PLURAL = 'firewallconfigurations'

/** A stored object (loosely typed: the stand-in does not validate specs). */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace?: string
    labels?: Record<string, string>
    resourceVersion?: string
    uid?: string
    generation?: number
    creationTimestamp?: string
    generateName?: string
  }
  spec?: unknown
  status?: unknown
  [k: string]: unknown
}

/** One recorded request. */
export interface Call {
  readonly method: string
  readonly path: string
  readonly query: Record<string, string>
  /** list, watch, get, status (PUT /status), event (POST events), other */
  readonly verb: 'list' | 'watch' | 'get' | 'status' | 'event' | 'other'
  readonly status: number
}

/** The kinds the stand-in serves besides FirewallConfigurations (for --networkpolicies). */
const KINDS: Readonly<Record<string, { plural: string; apiVersion: string; namespaced: boolean }>> = {
  FirewallConfiguration: { plural: PLURAL, apiVersion: `${GROUP}/${VERSION}`, namespaced: true },
  Namespace: { plural: 'namespaces', apiVersion: 'v1', namespaced: false },
  Pod: { plural: 'pods', apiVersion: 'v1', namespaced: true },
  NetworkPolicy: { plural: 'networkpolicies', apiVersion: 'networking.k8s.io/v1', namespaced: true },
}
const kindOfPlural = (plural: string) => Object.entries(KINDS).find(([, k]) => k.plural === plural)?.[0]

interface Change {
  readonly plural: string
  readonly rv: number
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'
  readonly object: KubeObject
  readonly old?: KubeObject
}

interface WatchStream {
  readonly plural: string
  readonly res: ServerResponse
  readonly ns?: string
  readonly selector: Selector
}

type Selector = (labels: Record<string, string> | undefined) => boolean

/** Parses an equality-based label selector (what the controller sends). */
export function parseSelector(s: string | undefined): Selector {
  const reqs = (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((r): Selector => {
      let m = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(r)
      if (m) return (l) => l?.[m![1]] !== m![2]
      m = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(r)
      if (m) return (l) => l?.[m![1]] === m![2]
      if (r.startsWith('!')) return (l) => !Object.hasOwn(l ?? {}, r.slice(1))
      return (l) => Object.hasOwn(l ?? {}, r)
    })
  return (l) => reqs.every((q) => q(l))
}

const key = (ns: string, name: string) => (ns ? `${ns}/${name}` : name)
const clone = <T>(v: T): T => structuredClone(v)

/** What the tests drive. */
export class ApiServer {
  /** FirewallConfigurations by `namespace/name`. */
  readonly objects = new Map<string, KubeObject>()
  /** The other kinds: plural → `namespace/name` (or `name`) → object. */
  readonly others = new Map<string, Map<string, KubeObject>>()
  readonly events: KubeObject[] = []
  readonly calls: Call[] = []
  /** When each resourceVersion's watch event was written to the streams (performance.now()). */
  readonly emittedAt = new Map<number, number>()
  #rv = 100
  #compacted = 0
  #history: Change[] = []
  #watches = new Set<WatchStream>()
  #sockets = new Set<Socket>()
  #server?: Server
  #port = 0
  #faults: Array<{ verb: Call['verb']; status: number; count: number }> = []
  #conflicts = 0
  #beforeConflict?: (o: KubeObject) => void
  #uid = 0
  dir = mkdtempSync(join(tmpdir(), 'nftkit-apiserver-'))

  get url(): string {
    return `http://127.0.0.1:${this.#port}`
  }

  /** The current resourceVersion. */
  get resourceVersion(): number {
    return this.#rv
  }

  /** Starts listening (again, on the same port after a stop). */
  async start(): Promise<void> {
    const server = createServer((req, res) => this.#handle(req, res))
    server.on('connection', (s) => {
      this.#sockets.add(s)
      s.on('close', () => this.#sockets.delete(s))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.#port, '127.0.0.1', () => resolve())
    })
    this.#port = (server.address() as { port: number }).port
    this.#server = server
  }

  /** Goes away: closes the listener and every connection (watches end mid-stream). */
  async stop(): Promise<void> {
    const s = this.#server
    this.#server = undefined
    if (!s) return
    for (const w of this.#watches) w.res.destroy()
    this.#watches.clear()
    for (const sock of this.#sockets) sock.destroy()
    await new Promise<void>((r) => s.close(() => r()))
  }

  /** Writes a kubeconfig for this server (plain http, so `insecure-skip-tls-verify: true` unless told otherwise). */
  kubeconfig(opts: { skipTlsVerify?: boolean } = {}): string {
    const file = join(this.dir, `kubeconfig-${opts.skipTlsVerify === false ? 'strict' : 'insecure'}`)
    const skip = opts.skipTlsVerify === false ? '' : '\n    insecure-skip-tls-verify: true'
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: standin\n  cluster:\n    server: ${this.url}${skip}\nusers:\n- name: u\n  user:\n    token: test-token\ncontexts:\n- name: c\n  context:\n    cluster: standin\n    user: u\ncurrent-context: c\n`,
    )
    return file
  }

  // ---- the store, as kubectl would change it ----

  /** Creates an object (ADDED). */
  create(obj: KubeObject): KubeObject {
    const o = clone(obj)
    const k = KINDS[o.kind]
    if (!k) throw new Error(`the stand-in does not serve kind ${o.kind}`)
    const ns = k.namespaced ? (o.metadata.namespace ?? 'default') : ''
    if (this.#store(k.plural).has(key(ns, o.metadata.name))) throw new Error(`exists: ${ns}/${o.metadata.name}`)
    o.metadata = { ...o.metadata, ...(ns ? { namespace: ns } : {}), uid: `uid-${++this.#uid}`, generation: 1, creationTimestamp: new Date().toISOString() }
    return this.#commit('ADDED', o)
  }

  /** Replaces spec and labels of an object (MODIFIED; generation moves when the spec changes). */
  update(ns: string, name: string, change: (o: KubeObject) => void, plural: string = PLURAL): KubeObject {
    const old = this.#store(plural).get(key(ns, name))
    if (!old) throw new Error(`not found: ${ns}/${name}`)
    const o = clone(old)
    change(o)
    if (JSON.stringify(o.spec) !== JSON.stringify(old.spec)) o.metadata.generation = (old.metadata.generation ?? 1) + 1
    return this.#commit('MODIFIED', o, old)
  }

  /** Deletes an object (DELETED). */
  delete(ns: string, name: string, plural: string = PLURAL): void {
    const old = this.#store(plural).get(key(ns, name))
    if (!old) throw new Error(`not found: ${ns}/${name}`)
    this.#commit('DELETED', clone(old), old)
  }

  /** Forgets history up to now: a watch from any older resourceVersion gets 410 Gone. */
  compact(): void {
    this.#compacted = this.#rv
    this.#history = []
  }

  /** Ends every open watch stream cleanly (the API server's watch timeout, a restart behind a load balancer). */
  closeWatches(): void {
    for (const w of this.#watches) w.res.end()
    this.#watches.clear()
  }

  /** Sends a BOOKMARK with the current resourceVersion to every open watch. */
  bookmark(): void {
    for (const w of this.#watches)
      w.res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { apiVersion: `${GROUP}/${VERSION}`, kind: 'FirewallConfiguration', metadata: { resourceVersion: String(this.#rv) } } })}\n`)
  }

  /** Sends `410 Gone` to every open watch (the API server's "too old resource version" mid-stream). */
  expireWatches(): void {
    this.compact()
    for (const w of this.#watches) {
      w.res.write(`${JSON.stringify({ type: 'ERROR', object: gone() })}\n`)
      w.res.end()
    }
    this.#watches.clear()
  }

  /** The next `count` requests of `verb` are answered with `status` (a Status body). */
  fail(verb: Call['verb'], status: number, count = 1): void {
    this.#faults.push({ verb, status, count })
  }

  /**
   * The next `count` status PUTs find the object changed underneath: `mutate`
   * (e.g. another host writing its condition) is applied to the stored object
   * first, so the PUT carries a stale resourceVersion and gets 409.
   */
  conflictNext(count: number, mutate?: (o: KubeObject) => void): void {
    this.#conflicts = count
    this.#beforeConflict = mutate
  }

  /** Sets the status directly, as another writer would (MODIFIED). */
  setStatus(ns: string, name: string, status: unknown): void {
    this.update(ns, name, (o) => {
      o.status = status
    })
  }

  /** Requests by verb since `from` (an index into `calls`). */
  count(verb: Call['verb'], from = 0): number {
    return this.calls.slice(from).filter((c) => c.verb === verb).length
  }

  get openWatches(): number {
    return this.#watches.size
  }

  #store(plural: string): Map<string, KubeObject> {
    if (plural === PLURAL) return this.objects
    const m = this.others.get(plural) ?? new Map<string, KubeObject>()
    this.others.set(plural, m)
    return m
  }

  #commit(type: Change['type'], o: KubeObject, old?: KubeObject): KubeObject {
    const rv = ++this.#rv
    o.metadata.resourceVersion = String(rv)
    const plural = KINDS[o.kind].plural
    const k = key(o.metadata.namespace ?? '', o.metadata.name)
    if (type === 'DELETED') this.#store(plural).delete(k)
    else this.#store(plural).set(k, o)
    const change: Change = { plural, rv, type, object: clone(o), old: old && clone(old) }
    this.#history.push(change)
    for (const w of this.#watches) this.#send(w, change)
    this.emittedAt.set(rv, performance.now())
    return clone(o)
  }

  /** Writes one change to one watch if it concerns it: label transitions become ADDED/DELETED. */
  #send(w: WatchStream, c: Change): void {
    if (w.plural !== c.plural) return
    const ns = c.object.metadata.namespace
    if (w.ns !== undefined && w.ns !== ns) return
    const now = c.type !== 'DELETED' && w.selector(c.object.metadata.labels)
    const before = c.old !== undefined && c.type !== 'ADDED' && w.selector(c.old.metadata.labels)
    let type: Change['type'] | undefined
    if (c.type === 'DELETED') type = before ? 'DELETED' : undefined
    else if (c.type === 'ADDED') type = now ? 'ADDED' : undefined
    else type = now && before ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined
    if (type) w.res.write(`${JSON.stringify({ type, object: c.object })}\n`)
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x')
    const query = Object.fromEntries(url.searchParams)
    const p = url.pathname
    // A collection: [path, namespace?, plural] of any served kind (FirewallConfigurations, Namespaces, Pods, NetworkPolicies).
    const c = /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([a-z]+)$/.exec(p)
    const collection = c && kindOfPlural(c[2]) && (c[2] !== 'namespaces' || c[1] === undefined) ? c : null
    const item = new RegExp(`^/apis/${GROUP}/${VERSION}/namespaces/([^/]+)/${PLURAL}/([^/]+)(/status)?$`).exec(p)
    const events = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(p)
    let verb: Call['verb'] = 'other'
    if (collection && req.method === 'GET') verb = query.watch === 'true' || query.watch === '1' ? 'watch' : 'list'
    else if (item && req.method === 'GET' && !item[3]) verb = 'get'
    else if (item && req.method === 'PUT' && item[3]) verb = 'status'
    else if (events && req.method === 'POST') verb = 'event'
    const record = (status: number) => this.calls.push({ method: req.method ?? '', path: p, query, verb, status })
    const send = (status: number, body: unknown) => {
      record(status)
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const fault = this.#faults.find((f) => f.verb === verb && f.count > 0)
    if (fault) {
      fault.count--
      send(fault.status, statusBody(fault.status, 'InternalError', 'injected by the test'))
      return
    }
    let body = ''
    req.on('data', (d) => {
      body += d
    })
    req.on('end', () => {
      if (verb === 'list') {
        const sel = parseSelector(query.labelSelector)
        const plural = collection![2]
        const kind = kindOfPlural(plural)!
        // As a real API server: list items carry no apiVersion and kind.
        const items = [...this.#store(plural).values()]
          .filter((o) => (collection![1] === undefined || o.metadata.namespace === collection![1]) && sel(o.metadata.labels))
          .map(({ apiVersion: _a, kind: _k, ...rest }) => rest)
        send(200, { apiVersion: KINDS[kind].apiVersion, kind: `${kind}List`, metadata: { resourceVersion: String(this.#rv) }, items })
      } else if (verb === 'watch') this.#watch(res, collection![2], collection![1], query, record)
      else if (verb === 'get') {
        const o = this.objects.get(key(item![1], item![2]))
        if (o) send(200, o)
        else send(404, statusBody(404, 'NotFound', `${PLURAL}.${GROUP} "${item![2]}" not found`))
      } else if (verb === 'status') {
        const k = key(item![1], item![2])
        if (this.#conflicts > 0 && this.objects.has(k)) {
          this.#conflicts--
          const mutate = this.#beforeConflict
          this.update(item![1], item![2], (o) => mutate?.(o))
        }
        const cur = this.objects.get(k)
        let o: KubeObject
        try {
          o = JSON.parse(body) as KubeObject
        } catch {
          send(400, statusBody(400, 'BadRequest', 'body is not JSON'))
          return
        }
        if (!cur) send(404, statusBody(404, 'NotFound', `${PLURAL}.${GROUP} "${item![2]}" not found`))
        else if (o.metadata?.resourceVersion !== cur.metadata.resourceVersion)
          send(409, statusBody(409, 'Conflict', `Operation cannot be fulfilled on ${PLURAL}.${GROUP} "${item![2]}": the object has been modified; please apply your changes to the latest version and try again`))
        else {
          const next = clone(cur)
          next.status = o.status
          send(200, this.#commit('MODIFIED', next, cur))
        }
      } else if (verb === 'event') {
        const e = JSON.parse(body) as KubeObject
        e.metadata = { ...e.metadata, name: e.metadata?.name ?? `${e.metadata?.generateName ?? 'event.'}${this.events.length}`, namespace: events![1] }
        this.events.push(e)
        send(201, e)
      } else send(404, statusBody(404, 'NotFound', `the server could not find the requested resource (${req.method} ${p})`))
    })
  }

  #watch(res: ServerResponse, plural: string, ns: string | undefined, query: Record<string, string>, record: (s: number) => void): void {
    record(200)
    const w: WatchStream = { plural, res, ns, selector: parseSelector(query.labelSelector) }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
    const from = query.resourceVersion === undefined || query.resourceVersion === '' || query.resourceVersion === '0' ? undefined : Number(query.resourceVersion)
    if (from === undefined) {
      // "Any version": the current state as ADDED events, then changes.
      for (const o of this.#store(plural).values()) if ((ns === undefined || o.metadata.namespace === ns) && w.selector(o.metadata.labels)) res.write(`${JSON.stringify({ type: 'ADDED', object: o })}\n`)
    } else if (from < this.#compacted) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: gone() })}\n`)
      return
    } else for (const c of this.#history) if (c.rv > from) this.#send(w, c)
    this.#watches.add(w)
    res.on('close', () => this.#watches.delete(w))
  }
}

function statusBody(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
}

function gone() {
  return statusBody(410, 'Expired', 'too old resource version')
}

/**
 * Starts a stand-in on a free port of 127.0.0.1. Tests run under `unshare -n`,
 * whose fresh namespace has its loopback down: it is brought up (a no-op
 * where it is up already).
 */
export async function startApiServer(): Promise<ApiServer> {
  execFileSync('ip', ['link', 'set', 'lo', 'up'])
  const s = new ApiServer()
  await s.start()
  return s
}

/** A FirewallConfiguration with one filter chain and one rule per port (accepting TCP to it). */
export function fwc(name: string, table: string, ports: number[], labels: Record<string, string> = { 'networking.liqo.io/firewall-category': 'gateway' }, ns = 'liqo'): KubeObject {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'FirewallConfiguration',
    metadata: { name, namespace: ns, labels },
    spec: {
      table: {
        name: table,
        family: 'IPV4',
        chains: [
          {
            name: 'in',
            type: 'filter',
            hook: 'input',
            priority: 0,
            policy: 'accept',
            rules: { filterRules: ports.map((p) => ({ name: `port-${p}`, counter: true, action: 'accept', match: [{ op: 'eq', proto: { value: 'tcp' } }, { op: 'eq', port: { value: String(p), position: 'dst' } }] })) },
          },
        ],
      },
    },
  }
}
