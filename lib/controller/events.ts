/**
 * Kubernetes Events (core/v1) about a FirewallConfiguration: why it could not
 * be applied (every validation problem with its field path, the kernel's
 * refusal, a table claimed twice), and that it is applied again. Liqo's CRD
 * keeps no reason or message in a condition, so this is where they go.
 * @module
 */
import type { KubeObject } from './kube.js'

/** The component name Events are reported under. */
export const COMPONENT = 'nftkit-controller'

/** The most of a message an Event carries (the API server refuses more than 1 KiB in events.k8s.io/v1 notes). */
const MESSAGE_MAX = 1000

/** A core/v1 Event about `obj`, reported by `host`. */
export function eventFor(obj: KubeObject, host: string, e: { type: 'Normal' | 'Warning'; reason: string; message: string }, now: Date): object {
  const t = now.toISOString()
  const message = e.message.length > MESSAGE_MAX ? `${e.message.slice(0, MESSAGE_MAX - 3)}...` : e.message
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${obj.metadata.name}.`, namespace: obj.metadata.namespace ?? 'default' },
    involvedObject: {
      apiVersion: obj.apiVersion ?? 'networking.liqo.io/v1beta1',
      kind: obj.kind ?? 'FirewallConfiguration',
      name: obj.metadata.name,
      namespace: obj.metadata.namespace ?? 'default',
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
    },
    type: e.type,
    reason: e.reason,
    message,
    source: { component: COMPONENT, host },
    reportingComponent: COMPONENT,
    reportingInstance: host,
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
  }
}
