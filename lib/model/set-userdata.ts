/**
 * The userdata nft writes on sets, so that `nft list` shows nftkit's sets
 * exactly as its own (key/data byte order, comment).
 * @module
 */
import type { Datatype } from '../kernel/datatypes.js'
import { isConcatData } from '../kernel/concat-data.js'
import { cstr, decodeTlvs, encodeTlvs, readCstr, SET_UDATA, u32 } from '../kernel/udata.js'

const BYTEORDER = { host: 1, big: 2 } as const

/** What set userdata carries besides byte orders and the comment. */
export interface SetUserdataExtra {
  /** nft's `auto-merge`. */
  readonly autoMerge?: boolean
  /** The encoded `typeof` expressions of the key and of a map's value. */
  readonly keyTypeof?: Uint8Array
  readonly dataTypeof?: Uint8Array
}

/** Builds set userdata for a key (one or more fields), optional map data and comment, in nft's order. */
export function setUserdata(key: readonly Datatype[], data: Datatype | 'verdict' | undefined, comment: string | undefined, extra: SetUserdataExtra = {}): Buffer {
  const items: [number, Uint8Array][] = []
  items.push([SET_UDATA.keyByteorder, u32(key.length === 1 ? BYTEORDER[key[0].byteorder] : 0)])
  // A concatenation has no one byte order (nft writes 0, as for a concatenated key).
  if (data !== undefined) items.push([SET_UDATA.dataByteorder, u32(data === 'verdict' || (isConcatData(data) && data.fields.length > 1) ? 0 : BYTEORDER[data.byteorder])])
  if (extra.autoMerge) items.push([SET_UDATA.mergeElements, u32(1)])
  if (extra.keyTypeof) items.push([SET_UDATA.keyTypeof, extra.keyTypeof])
  if (data !== undefined) {
    if (extra.dataTypeof) items.push([SET_UDATA.dataTypeof, extra.dataTypeof])
    items.push([SET_UDATA.dataInterval, u32(isConcatData(data) && data.interval ? 1 : 0)])
  }
  if (comment !== undefined) items.push([SET_UDATA.comment, cstr(comment)])
  return encodeTlvs(items)
}

/** The auto-merge flag and the raw typeof entries of set userdata. */
export function setUserdataExtra(userdata: Uint8Array | undefined): { autoMerge: boolean; keyTypeof?: Buffer; dataTypeof?: Buffer } {
  const t = decodeTlvs(userdata)
  const m = t.get(SET_UDATA.mergeElements)
  return { autoMerge: m?.some((b) => b !== 0) === true, keyTypeof: t.get(SET_UDATA.keyTypeof), dataTypeof: t.get(SET_UDATA.dataTypeof) }
}

/** The comment stored in set userdata, if any. */
export function setComment(userdata: Uint8Array | undefined): string | undefined {
  return readCstr(decodeTlvs(userdata).get(SET_UDATA.comment))
}

/** The data byte order stored in a map's userdata, if any. */
export function setDataByteorder(userdata: Uint8Array | undefined): 'host' | 'big' | undefined {
  return byteorderTlv(decodeTlvs(userdata).get(SET_UDATA.dataByteorder))
}

/** The key byte order stored in set userdata (single-field keys), if any. */
export function setKeyByteorder(userdata: Uint8Array | undefined): 'host' | 'big' | undefined {
  return byteorderTlv(decodeTlvs(userdata).get(SET_UDATA.keyByteorder))
}

function byteorderTlv(v: Uint8Array | undefined): 'host' | 'big' | undefined {
  if (v?.length !== 4) return undefined
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
  const n = le ? Buffer.from(v).readUInt32LE(0) : Buffer.from(v).readUInt32BE(0)
  return n === BYTEORDER.host ? 'host' : n === BYTEORDER.big ? 'big' : undefined
}
