/**
 * The native operations of the conntrack objects (`ct helper`, `ct expectation`),
 * with the attributes nft sends for them.
 * @module
 */
import { FAMILY_NUMBER, type Family } from '../kernel/constants.js'
import { CT_OBJECT_TYPE } from '../kernel/ct-types.js'
import { DATATYPES } from '../kernel/datatypes.js'
import { invalid } from '../kernel/errors.js'
import { commentUserdata } from '../kernel/udata.js'
import type { CtExpectation, CtHelper } from '../model/objects.js'
import type { Verb } from '../model/operations.js'
import type { NativeOp } from '../../types/native.js'

const L3PROTO = { ip: 2, ip6: 10, inet: 1 } as const

/** The protocol number of a ct object's `protocol`. */
export function ctObjectProtocol(p: unknown, path: string): number {
  return Number(DATATYPES.inet_proto.parse(p, path).lo)
}

/**
 * One ct object as a native operation: `name` and `comment` already checked.
 * @throws NftValidationError naming the field.
 */
export function ctObjectOp(verb: Verb, o: CtHelper | CtExpectation, family: Family, table: string, name: string, comment: string | undefined, path: string): NativeOp {
  const objType = o.kind === 'ct helper' ? CT_OBJECT_TYPE.helper : CT_OBJECT_TYPE.expectation
  const base = { verb, kind: 'object' as const, family: FAMILY_NUMBER[family], table, name, objType }
  if (verb === 'delete' || verb === 'destroy') return { ...base, ...(o.handle !== undefined ? { handle: o.handle } : {}) }
  const attrs: Record<string, unknown> = {}
  if (o.l3proto !== undefined) {
    const ok = o.kind === 'ct helper' ? ['ip', 'ip6', 'inet'] : ['ip', 'ip6']
    if (!ok.includes(o.l3proto)) invalid(`${path}.l3proto`, `Expected one of ${ok.join(', ')}`, o.l3proto)
    attrs.l3proto = L3PROTO[o.l3proto]
  }
  if (o.kind === 'ct helper') {
    if (typeof o.type !== 'string' || o.type.length === 0 || Buffer.byteLength(o.type) > 15 || o.type.includes('\0'))
      invalid(`${path}.type`, 'Expected a conntrack helper name of 1-15 bytes, like "ftp"', o.type)
    if (o.protocol !== 'tcp' && o.protocol !== 'udp') invalid(`${path}.protocol`, "Expected 'tcp' or 'udp'", o.protocol)
    attrs.helper = o.type
    attrs.l4proto = ctObjectProtocol(o.protocol, `${path}.protocol`)
  } else {
    if (o.l3proto === undefined && family === 'inet') invalid(`${path}.l3proto`, "Expected 'ip' or 'ip6' (an inet table has no single network protocol)", o.l3proto)
    attrs.l4proto = ctObjectProtocol(o.protocol, `${path}.protocol`)
    if (!Number.isInteger(o.dport) || o.dport < 0 || o.dport > 65535) invalid(`${path}.dport`, 'Expected a port 0-65535', o.dport)
    if (!Number.isInteger(o.timeout) || o.timeout < 0 || o.timeout > 0xffffffff) invalid(`${path}.timeout`, 'Expected a timeout in milliseconds (0-4294967295)', o.timeout)
    if (!Number.isInteger(o.size) || o.size < 0 || o.size > 255) invalid(`${path}.size`, 'Expected a size 0-255', o.size)
    attrs.dport = o.dport
    attrs.expTimeout = o.timeout
    attrs.expSize = o.size
  }
  return { ...base, ...attrs, ...(comment !== undefined ? { userdata: commentUserdata(comment) } : {}) } as NativeOp
}
