/**
 * The controller's connection to the API server, over the official
 * `@kubernetes/client-node` (loaded on first use, so `import 'nftkit'` does
 * not load it): the usual config resolution, the refusal of plain http, and
 * the five calls the controller makes (list, watch, get, replace status,
 * create Event) behind a small interface.
 * @module
 */
import { NftValidationError } from '../kernel/errors.js'

/** networking.liqo.io/v1beta1 FirewallConfigurations. */
export const FWC_RESOURCE = { group: 'networking.liqo.io', version: 'v1beta1', plural: 'firewallconfigurations', kind: 'FirewallConfiguration' } as const

/** A Kubernetes object as the controller handles it (loosely typed; specs are validated separately). */
export interface KubeObject {
  readonly apiVersion?: string
  readonly kind?: string
  readonly metadata: {
    readonly name: string
    readonly namespace?: string
    readonly uid?: string
    readonly resourceVersion?: string
    readonly generation?: number
    readonly labels?: Readonly<Record<string, string>>
    readonly deletionTimestamp?: string
  }
  readonly spec?: unknown
  readonly status?: unknown
}

/** One event of a watch stream. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  readonly object: KubeObject & { readonly code?: number; readonly reason?: string; readonly message?: string }
}

/** A failed API call: the HTTP status (0 when the server could not be reached) and the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** One list-watchable collection: what {@link ListWatch} runs on. */
export interface WatchSource {
  /** Lists the collection (items carry apiVersion and kind, which a real list omits). */
  list(): Promise<{ items: KubeObject[]; resourceVersion: string }>
  /** Watches from `resourceVersion`; see {@link KubeApi.watch}. */
  watch(resourceVersion: string, onEvent: (e: WatchEvent) => void, onDone: (err?: ApiError) => void): Promise<() => void>
}

/** The cluster-wide collections `--networkpolicies` watches. */
export const CLUSTER_RESOURCES = {
  namespaces: { path: '/api/v1/namespaces', apiVersion: 'v1', kind: 'Namespace' },
  pods: { path: '/api/v1/pods', apiVersion: 'v1', kind: 'Pod' },
  networkpolicies: { path: '/apis/networking.k8s.io/v1/networkpolicies', apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
} as const

/** The FirewallConfigurations a selector selects, as a {@link WatchSource}. */
export function fwcSource(api: KubeApi, opts: { namespace?: string; labelSelector?: string }): WatchSource {
  return {
    list: () => api.list(opts),
    watch: (resourceVersion, onEvent, onDone) => api.watch({ ...opts, resourceVersion }, onEvent, onDone),
  }
}

/** What the controller asks of the API server (implemented over @kubernetes/client-node; tests may supply their own). */
export interface KubeApi {
  /** The server's address (for logs). */
  readonly server: string
  /** Lists the objects matching `labelSelector` (all namespaces, or `namespace`). */
  list(opts: { namespace?: string; labelSelector?: string }): Promise<{ items: KubeObject[]; resourceVersion: string }>
  /**
   * Watches from `resourceVersion`: `onEvent` per event, `onDone` once when
   * the stream ends (error undefined: closed; an ApiError otherwise).
   * Resolves to a function that stops the watch.
   */
  watch(
    opts: { namespace?: string; labelSelector?: string; resourceVersion: string },
    onEvent: (e: WatchEvent) => void,
    onDone: (err?: ApiError) => void,
  ): Promise<() => void>
  /** Reads one object. */
  get(namespace: string, name: string): Promise<KubeObject>
  /** PUTs the status subresource (the object's resourceVersion makes it conditional: 409 when stale). */
  replaceStatus(obj: KubeObject): Promise<KubeObject>
  /** Creates a core/v1 Event. */
  createEvent(namespace: string, event: object): Promise<void>
  /** One of the cluster-wide collections of `--networkpolicies`, all namespaces. */
  source(resource: keyof typeof CLUSTER_RESOURCES): WatchSource
}

/** Where the controller finds its API server. */
export interface KubeConnectOptions {
  /** A kubeconfig file. Default: in-cluster service account, else `KUBECONFIG`, else ~/.kube/config. */
  readonly kubeconfig?: string
}

/**
 * Loads the kubeconfig and returns the API over @kubernetes/client-node.
 * @throws NftValidationError (path `kubeconfig`) for a plain `http://` server
 *   without `insecure-skip-tls-verify: true`, or a config without a cluster.
 */
export async function connectKube(opts: KubeConnectOptions = {}): Promise<KubeApi> {
  const k8s = await import('@kubernetes/client-node')
  const kc = new k8s.KubeConfig()
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig)
    else kc.loadFromDefault()
  } catch (e) {
    throw new NftValidationError('kubeconfig', `Expected a readable kubeconfig (${(e as Error).message.split('\n')[0].slice(0, 200)})`, opts.kubeconfig ?? '(default)')
  }
  const cluster = kc.getCurrentCluster()
  if (!cluster) throw new NftValidationError('kubeconfig', 'Expected a kubeconfig with a current cluster', opts.kubeconfig ?? '(default)')
  checkServer(cluster.server, cluster.skipTLSVerify)
  const custom = kc.makeApiClient(k8s.CustomObjectsApi)
  const core = kc.makeApiClient(k8s.CoreV1Api)
  const watcher = new k8s.Watch(kc)
  const { group, version, plural } = FWC_RESOURCE
  const wrap = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f()
    } catch (e) {
      throw toApiError(e)
    }
  }
  return {
    server: cluster.server,
    list: ({ namespace, labelSelector }) =>
      wrap(async () => {
        const r = (namespace
          ? await custom.listNamespacedCustomObject({ group, version, plural, namespace, labelSelector })
          : await custom.listClusterCustomObject({ group, version, plural, labelSelector })) as { items: KubeObject[]; metadata: { resourceVersion: string } }
        // List items come without apiVersion and kind.
        return { items: (r.items ?? []).map((o) => ({ apiVersion: `${group}/${version}`, kind: FWC_RESOURCE.kind, ...o })), resourceVersion: r.metadata?.resourceVersion ?? '' }
      }),
    async watch({ namespace, labelSelector, resourceVersion }, onEvent, onDone) {
      const path = `/apis/${group}/${version}${namespace ? `/namespaces/${namespace}` : ''}/${plural}`
      const ac = await watcher.watch(
        path,
        { labelSelector, resourceVersion, allowWatchBookmarks: true },
        (type: string, object: WatchEvent['object']) => onEvent({ type: type as WatchEvent['type'], object }),
        (err: unknown) => onDone(err ? toApiError(err) : undefined),
      )
      return () => ac.abort()
    },
    get: (namespace, name) => wrap(async () => (await custom.getNamespacedCustomObject({ group, version, plural, namespace, name })) as KubeObject),
    replaceStatus: (obj) =>
      wrap(
        async () =>
          (await custom.replaceNamespacedCustomObjectStatus({ group, version, plural, namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name, body: obj })) as KubeObject,
      ),
    createEvent: (namespace, event) =>
      wrap(async () => {
        await core.createNamespacedEvent({ namespace, body: event as never })
      }),
    source(resource) {
      const { path, apiVersion, kind } = CLUSTER_RESOURCES[resource]
      const networking = kc.makeApiClient(k8s.NetworkingV1Api)
      return {
        list: () =>
          wrap(async () => {
            const typed =
              resource === 'namespaces' ? await core.listNamespace() : resource === 'pods' ? await core.listPodForAllNamespaces() : await networking.listNetworkPolicyForAllNamespaces()
            // The typed client turns the JSON into its model classes (`_from`, Date fields): back to the wire form.
            const { ObjectSerializer } = await import('@kubernetes/client-node/dist/serializer.js')
            const r = ObjectSerializer.serialize(typed, `V1${kind}List`) as { items?: KubeObject[]; metadata?: { resourceVersion?: string } }
            // (serialize() writes absent fields as undefined: a JSON round trip drops them.)
            const items = (JSON.parse(JSON.stringify(r.items ?? [])) as KubeObject[]).map((o) => ({ ...o, apiVersion: o.apiVersion ?? apiVersion, kind: o.kind ?? kind }))
            return { items, resourceVersion: r.metadata?.resourceVersion ?? '' }
          }),
        async watch(resourceVersion, onEvent, onDone) {
          const ac = await watcher.watch(
            path,
            { resourceVersion, allowWatchBookmarks: true },
            (type: string, object: WatchEvent['object']) => onEvent({ type: type as WatchEvent['type'], object }),
            (err: unknown) => onDone(err ? toApiError(err) : undefined),
          )
          return () => ac.abort()
        },
      }
    },
  }
}

/**
 * Refuses a plain `http://` API server unless the kubeconfig says
 * `insecure-skip-tls-verify: true` (the client library refuses it too, but
 * only at the first request and with a less helpful message).
 * @throws NftValidationError
 */
export function checkServer(server: string, skipTLSVerify: boolean | undefined): void {
  if (!/^https?:\/\//.test(server)) throw new NftValidationError('kubeconfig.clusters[].cluster.server', 'Expected an https:// API server address', server)
  if (server.startsWith('http://') && skipTLSVerify !== true)
    throw new NftValidationError(
      'kubeconfig.clusters[].cluster.server',
      'Expected an https:// API server (plain http is refused unless the cluster entry sets insecure-skip-tls-verify: true)',
      server,
    )
}

/** The status and message of a client-node error (ApiException, a watch's statusCode, or a connection failure). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e
  const x = e as { code?: unknown; statusCode?: unknown; body?: unknown; message?: string }
  const status = typeof x?.statusCode === 'number' ? x.statusCode : typeof x?.code === 'number' ? x.code : 0
  let message = x?.message ?? String(e)
  const body = typeof x?.body === 'string' ? safeJson(x.body) : x?.body
  if (body && typeof (body as { message?: unknown }).message === 'string') message = (body as { message: string }).message
  return new ApiError(status, message.split('\n')[0].slice(0, 300))
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s)
  } catch {
    return undefined
  }
}
