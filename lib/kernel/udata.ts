/**
 * Userdata TLVs nft stores next to kernel objects (comments, set byte order).
 * Layout per libnftnl: type (u8), length (u8), value.
 * @module
 */

/** Encodes TLVs; values longer than 255 bytes are refused by the caller's validation. */
export function encodeTlvs(items: ReadonlyArray<readonly [number, Uint8Array]>): Buffer {
  const parts: Buffer[] = []
  for (const [type, value] of items) parts.push(Buffer.from([type, value.length]), Buffer.from(value))
  return Buffer.concat(parts)
}

/** Decodes TLVs; stops at the first malformed entry. */
export function decodeTlvs(buf: Uint8Array | undefined): Map<number, Buffer> {
  const out = new Map<number, Buffer>()
  if (!buf) return out
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  let off = 0
  while (off + 2 <= b.length) {
    const type = b[off]
    const len = b[off + 1]
    if (off + 2 + len > b.length) break
    out.set(type, b.subarray(off + 2, off + 2 + len))
    off += 2 + len
  }
  return out
}

/** A NUL-terminated string value. */
export function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])])
}

/** Reads a NUL-terminated string value. */
export function readCstr(b: Buffer | undefined): string | undefined {
  if (!b) return undefined
  const end = b.indexOf(0)
  return b.subarray(0, end < 0 ? b.length : end).toString('utf8')
}

/** A host-order u32 value. */
export function u32(v: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(v >>> 0)
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) b.writeUInt32BE(v >>> 0)
  return b
}

/** Userdata of a table, chain, rule or object with a comment (type 0 for all of them). */
export function commentUserdata(comment: string | undefined): Buffer | undefined {
  return comment === undefined ? undefined : encodeTlvs([[0, cstr(comment)]])
}

/** The comment stored in userdata by nft or nftkit (type 0), if any. */
export function commentOf(userdata: Uint8Array | undefined, type = 0): string | undefined {
  return readCstr(decodeTlvs(userdata).get(type))
}

/** Set userdata TLV types (NFTNL_UDATA_SET_*). */
export const SET_UDATA = { keyByteorder: 0, dataByteorder: 1, mergeElements: 2, keyTypeof: 3, dataTypeof: 4, dataInterval: 6, comment: 7 } as const
