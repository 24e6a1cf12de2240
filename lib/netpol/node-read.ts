/**
 * A reader of `v1 Node` documents for the node-policy compiler: the name, the
 * labels and the addresses (`status.addresses` of type InternalIP and
 * ExternalIP). Everything else a Node carries is ignored.
 * @module
 */
import { NftValidationError } from '../kernel/errors.js'
import { parseIP } from './node-addresses.js'
import type { NodeObject } from './types.js'

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** True if a document is a `v1 Node`. */
export function isNode(doc: unknown): boolean {
  return isObj(doc) && doc.kind === 'Node' && doc.apiVersion === 'v1'
}

/**
 * Reads one `v1 Node`: `metadata.name`, `metadata.labels`, and the
 * InternalIP/ExternalIP entries of `status.addresses` (IPv4 and IPv6, in
 * document order, without duplicates).
 * @param path where the document came from, prefixed to the field path of an error; may be empty
 * @throws NftValidationError naming the field path for a missing name, a bad label or a malformed address.
 */
export function readNode(doc: unknown, path: string): NodeObject {
  const p = (f: string) => (path ? `${path}.${f}` : f)
  if (!isObj(doc)) throw new NftValidationError(path || '<document>', 'Expected a Node object', doc)
  const meta = isObj(doc.metadata) ? doc.metadata : {}
  if (typeof meta.name !== 'string' || meta.name === '') throw new NftValidationError(p('metadata.name'), 'Expected a Node name', meta.name)
  const labels: Record<string, string> = {}
  if (meta.labels !== undefined && meta.labels !== null) {
    if (!isObj(meta.labels)) throw new NftValidationError(p('metadata.labels'), 'Expected a map of labels', meta.labels)
    for (const [k, v] of Object.entries(meta.labels)) {
      if (typeof v !== 'string') throw new NftValidationError(p(`metadata.labels.${k}`), 'Expected a string', v)
      labels[k] = v
    }
  }
  const status = isObj(doc.status) ? doc.status : {}
  const addresses = Array.isArray(status.addresses) ? status.addresses : []
  const ips: string[] = []
  addresses.forEach((a, i) => {
    if (!isObj(a) || (a.type !== 'InternalIP' && a.type !== 'ExternalIP')) return
    const ip = typeof a.address === 'string' ? parseIP(a.address) : undefined
    if (!ip) throw new NftValidationError(p(`status.addresses[${i}].address`), 'Expected an IPv4 or IPv6 address', a.address)
    if (!ips.includes(a.address as string)) ips.push(a.address as string)
  })
  return { name: meta.name, labels, ips }
}
