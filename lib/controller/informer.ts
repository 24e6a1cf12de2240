/**
 * List, then watch from the listed resourceVersion, for as long as it runs:
 * a closed stream is watched again from the last version seen (no relist),
 * `410 Gone` relists, any other error (the API server away, a 5xx) retries
 * with capped exponential backoff. The objects are kept in a cache, so the
 * controller keeps its desired state while the API server is unreachable.
 * The client library's own informer stops on errors other than 410; this
 * loop never stops until told to.
 * @module
 */
import { ApiError, type KubeObject, type WatchEvent, type WatchSource } from './kube.js'

/** Options of {@link ListWatch}. */
export interface ListWatchOptions {
  /** First pause after an error, in milliseconds. Default 250. */
  readonly backoffMs?: number
  /** The longest pause, in milliseconds. Default 30 000. */
  readonly maxBackoffMs?: number
  /** Called after the first list and whenever the cache changed (after a relist: only if something differed). */
  readonly onChange: (why: string) => void
  /** Connection and stream problems (the loop carries on). */
  readonly onError?: (err: ApiError, retryInMs: number) => void
  /** Relists and re-watches (for logs and tests). */
  readonly onRestart?: (what: 'relist' | 'rewatch', why: string) => void
}

const objKey = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`

/** A list-watch loop with its cache. */
export class ListWatch {
  readonly #source: WatchSource
  readonly #opts: ListWatchOptions
  /** The cache: namespace/name → object. */
  readonly objects = new Map<string, KubeObject>()
  #rv = ''
  #listed = false
  #stopped = false
  #stopWatch?: () => void
  #failures = 0
  #timer?: NodeJS.Timeout
  /** Counts for tests and logs. */
  readonly stats = { lists: 0, watches: 0, errors: 0, events: 0 }

  constructor(source: WatchSource, opts: ListWatchOptions) {
    this.#source = source
    this.#opts = opts
  }

  /** True once a list succeeded (the cache is complete). */
  get synced(): boolean {
    return this.#listed
  }

  /** Starts the loop (returns at once; progress comes through the callbacks). */
  start(): void {
    this.#stopped = false
    void this.#list('start')
  }

  /** Stops the loop and closes the watch. */
  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#stopWatch?.()
    this.#stopWatch = undefined
  }

  async #list(why: string): Promise<void> {
    if (this.#stopped) return
    this.stats.lists++
    let r: { items: KubeObject[]; resourceVersion: string }
    try {
      r = await this.#source.list()
    } catch (e) {
      this.#retry(e, () => this.#list(why))
      return
    }
    if (this.#stopped) return
    this.#failures = 0
    const fresh = new Map(r.items.map((o) => [objKey(o), o]))
    let changed = !this.#listed
    for (const [k, o] of fresh) if (this.objects.get(k)?.metadata.resourceVersion !== o.metadata.resourceVersion) changed = true
    for (const k of this.objects.keys()) if (!fresh.has(k)) changed = true
    this.objects.clear()
    for (const [k, o] of fresh) this.objects.set(k, o)
    this.#rv = r.resourceVersion
    this.#listed = true
    if (changed) this.#opts.onChange(why === 'start' ? 'initial list' : `relist (${why})`)
    await this.#watch()
  }

  async #watch(): Promise<void> {
    if (this.#stopped) return
    this.stats.watches++
    let done = false
    const started = Date.now()
    const onDone = (err?: ApiError) => {
      if (done) return
      done = true
      this.#stopWatch = undefined
      if (this.#stopped) return
      if (err?.status === 410) return this.#relist('410 Gone')
      if (err) return this.#retry(err, () => this.#watch())
      // Closed by the server (its timeout, a restart): watch again from the
      // last version. A stream that closes at once, again and again, backs off.
      if (Date.now() - started < 1000) this.#retry(new ApiError(0, 'watch stream closed at once'), () => this.#watch())
      else {
        this.#failures = 0
        this.#opts.onRestart?.('rewatch', 'stream closed')
        void this.#watch()
      }
    }
    const onEvent = (e: WatchEvent) => {
      if (done) return
      this.stats.events++
      if (e.type === 'ERROR') {
        // Decide first: closing the stream makes the client report an abort, which must not count.
        onDone(new ApiError(e.object?.code ?? 0, e.object?.message ?? 'watch error'))
        stop?.()
        return
      }
      const rv = e.object?.metadata?.resourceVersion
      if (rv) this.#rv = rv
      if (e.type === 'BOOKMARK') return
      this.#failures = 0
      const k = objKey(e.object)
      if (e.type === 'DELETED') this.objects.delete(k)
      else this.objects.set(k, e.object)
      this.#opts.onChange(`${e.type} ${k}`)
    }
    let stop: (() => void) | undefined
    try {
      stop = await this.#source.watch(this.#rv, onEvent, onDone)
    } catch (e) {
      onDone(e instanceof ApiError ? e : new ApiError(0, String(e)))
      return
    }
    if (done) return
    this.#stopWatch = stop
    if (this.#stopped) stop()
  }

  #relist(why: string): void {
    this.#opts.onRestart?.('relist', why)
    void this.#list(why)
  }

  #retry(e: unknown, again: () => Promise<void>): void {
    if (this.#stopped) return
    const err = e instanceof ApiError ? e : new ApiError(0, (e as Error)?.message ?? String(e))
    this.stats.errors++
    const base = this.#opts.backoffMs ?? 250
    const ms = Math.min(this.#opts.maxBackoffMs ?? 30_000, base * 2 ** Math.min(this.#failures, 20))
    this.#failures++
    this.#opts.onError?.(err, ms)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      // Before the first list there is no version to watch from.
      void (this.#listed ? again() : this.#list('start'))
    }, ms)
  }
}
