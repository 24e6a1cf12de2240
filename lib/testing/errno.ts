/**
 * The errno values and netlink message types the Fake answers with, as the
 * kernel and the addon report them (see native/glue/convert.cc ErrnoName).
 * @module
 */
import type { NativeOp } from '../../types/native.js'

/** errno numbers by name (Linux, all architectures nftables runs on). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENFILE: 23,
  ENOSPC: 28,
  ERANGE: 34,
  ELOOP: 40,
  ERESTART: 85,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
} as const

/** An errno name the Fake can answer with. */
export type ErrnoCode = keyof typeof ERRNO

/** Thrown inside the Fake when the kernel would refuse one operation; becomes a NativeOpError. */
export class Refusal extends Error {
  readonly code: ErrnoCode
  constructor(code: ErrnoCode, why: string) {
    super(why)
    this.code = code
  }
}

/** Throws a {@link Refusal}. */
export function refuse(code: ErrnoCode, why: string): never {
  throw new Refusal(code, why)
}

/** NFNL_SUBSYS_NFTABLES in the high byte of a netlink message type. */
const SUBSYS = 0x0a00
/** NFNL_MSG_BATCH_BEGIN: the message a generation mismatch is reported on. */
export const MSG_BATCH_BEGIN = 0x10

const NEW: Record<string, number> = { table: 0, chain: 3, rule: 6, set: 9, element: 12, object: 18 }
const DEL: Record<string, number> = { table: 2, chain: 5, rule: 8, set: 11, element: 14, object: 20 }
const DESTROY: Record<string, number> = { table: 26, chain: 27, rule: 28, set: 29, element: 30, object: 31 }

/** The netlink message type the addon sends for an operation (mirrors native/core/batch_builder.cc). */
export function messageType(o: NativeOp): number {
  if (o.kind === 'ruleset') return SUBSYS | DEL.table
  if (o.verb === 'flush') return SUBSYS | (o.kind === 'set' || o.kind === 'element' ? DEL.element : DEL.rule)
  if (o.verb === 'delete') return SUBSYS | DEL[o.kind]
  if (o.verb === 'destroy') return SUBSYS | DESTROY[o.kind]
  return SUBSYS | NEW[o.kind]
}
