/**
 * Header fields narrower than a byte boundary (nft's bitfields: `ip dscp`,
 * `ip6 flowlabel`, `tcp doff`, ...). nft loads the bytes that hold the field,
 * masks the other bits away, and compares against values shifted into place
 * (netlink_linearize.c, payload.c); the selector rows carry the position
 * (`Load.bits`) and a shifted value type, so compares, ranges and anonymous
 * sets need nothing else. What nft compiles differently (named set lookups,
 * which shift the register instead) is refused here.
 * @module
 */
import { invalid } from '../kernel/errors.js'
import { toBytes } from '../kernel/datatypes.js'
import type { NativeExpr } from '../../types/native.js'
import type { Load, SelectorSpec } from './selectors.js'

/** The mask that keeps a bitfield's bits of the loaded bytes. */
export function bitfieldMaskValue(l: Extract<Load, { kind: 'payload' }>): bigint {
  const b = l.bits
  if (!b) return (1n << BigInt(l.len * 8)) - 1n
  return ((1n << BigInt(b.width)) - 1n) << BigInt(b.shift)
}

/** The `bitwise` nft emits right after loading a bitfield. */
export function bitfieldMask(l: Extract<Load, { kind: 'payload' }>, reg: number): NativeExpr {
  return { type: 'bitwise', sreg: reg, dreg: reg, len: l.len, mask: toBytes(bitfieldMaskValue(l), l.len), xor: Buffer.alloc(l.len) }
}

/** Refuses a bitfield where nft compiles it in a way nftkit does not emit yet. */
export function refuseBitfield(s: SelectorSpec, what: string, path: string): void {
  if (s.load.kind === 'payload' && s.load.bits) invalid(path, `nftkit does not support ${s.name} in ${what} yet`, s.name)
}

/** The bitfield selector, among `cands`, whose mask a bitwise after their common load is. */
export function bitfieldByMask(cands: readonly SelectorSpec[], mask: bigint): SelectorSpec | undefined {
  return cands.find((c) => c.load.kind === 'payload' && bitfieldMaskValue(c.load) === mask)
}

/**
 * Refuses a bitfield in a named set or map lookup unless it ends on the last
 * loaded bit (`vlan id`): nft then only masks the register, as nftkit does;
 * for other bitfields it shifts the register too (see {@link bitfieldShift}).
 */
export function refuseShiftedBitfield(s: SelectorSpec, what: string, path: string): void {
  if (s.load.kind === 'payload' && s.load.bits && s.load.bits.shift !== 0) invalid(path, `nftkit does not support ${s.name} in ${what} yet`, s.name)
}

/**
 * The shift nft emits after masking a bitfield for a lookup in a named set of
 * the field's own type (`ip dscp @s`, `s` of type dscp): `bitwise reg >> N`,
 * so the set holds the values unshifted. Undefined when there is none.
 */
export function bitfieldShift(s: SelectorSpec, reg: number): NativeExpr | undefined {
  if (s.load.kind !== 'payload' || !s.load.bits || s.load.bits.shift === 0) return undefined
  const data = Buffer.alloc(4)
  data.writeUInt32LE(s.load.bits.shift)
  // NFT_BITWISE_RSHIFT; the shift amount is a host-order u32.
  return { type: 'bitwise', sreg: reg, dreg: reg, len: s.load.len, op: 2, data }
}

/** Whether a selector is a bitfield that does not end on the last loaded bit (nft shifts it for set keys). */
export function isShiftedBitfield(s: SelectorSpec): boolean {
  return s.load.kind === 'payload' && s.load.bits !== undefined && s.load.bits.shift !== 0
}
