/**
 * Selectors of nft's `exthdr` expression, in nft's words: IPv6 extension
 * header fields (`frag id`, `rt seg-left`), their presence (`exthdr hbh`),
 * TCP options (`tcp option maxseg size`), IPv4 options (`ip option rr ptr`) and SCTP chunks
 * (`sctp chunk init num-inbound-streams`).
 *
 * The presence selectors (`exthdr hbh`, `tcp option sack-perm`,
 * `sctp chunk data`) take `'exists'` or `'missing'`:
 * `{ match: 'tcp option sack-perm', value: 'exists' }` is
 * `tcp option sack-perm exists`.
 * @module
 */

/** IPv6 extension header fields (nft's exthdr.c templates). */
export type Ip6ExthdrField =
  | 'hbh nexthdr'
  | 'hbh hdrlength'
  | 'rt nexthdr'
  | 'rt hdrlength'
  | 'rt type'
  | 'rt seg-left'
  /** Segment routing header (routing type 4). */
  | 'srh last-entry'
  | 'srh flags'
  | 'srh tag'
  | 'srh sid[1]'
  | 'srh sid[2]'
  /** Type 0 routing header addresses; nft lists them as `srh sid[N]` (the same bytes). */
  | 'rt0 addr[1]'
  | 'rt0 addr[2]'
  | 'frag nexthdr'
  | 'frag reserved'
  /** 13 bits: the offset in 8-byte units (0-8191). */
  | 'frag frag-off'
  /** 2 bits (0-3). */
  | 'frag reserved2'
  /** 1 bit (0-1). */
  | 'frag more-fragments'
  | 'frag id'
  | 'dst nexthdr'
  | 'dst hdrlength'
  | 'mh nexthdr'
  | 'mh hdrlength'
  /** Mobility header type: a name (`binding-update`, ...) or a number. */
  | 'mh type'
  | 'mh reserved'
  | 'mh checksum'

/** Presence of an IPv6 extension header: `exthdr frag` takes `'exists'` / `'missing'`. */
export type Ip6ExthdrPresence = 'exthdr hbh' | 'exthdr rt' | 'exthdr frag' | 'exthdr dst' | 'exthdr mh'

/** TCP options nft knows by name. */
export type TcpOptionName =
  | 'eol'
  | 'nop'
  | 'maxseg'
  | 'window'
  | 'sack-perm'
  | 'sack'
  | 'timestamp'
  | 'md5sig'
  | 'mptcp'
  | 'fastopen'

/** TCP option fields (nft's tcpopt.c templates). */
export type TcpOptionField =
  | 'tcp option maxseg length'
  | 'tcp option maxseg size'
  | 'tcp option window length'
  | 'tcp option window count'
  | 'tcp option sack-perm length'
  | 'tcp option sack length'
  /** The first SACK block; nft reads `sack0 left` as `sack left`. */
  | 'tcp option sack left'
  | 'tcp option sack right'
  | 'tcp option sack0 left'
  | 'tcp option sack0 right'
  | 'tcp option sack1 left'
  | 'tcp option sack1 right'
  | 'tcp option sack2 left'
  | 'tcp option sack2 right'
  | 'tcp option sack3 left'
  | 'tcp option sack3 right'
  | 'tcp option timestamp length'
  | 'tcp option timestamp tsval'
  | 'tcp option timestamp tsecr'
  | 'tcp option md5sig length'
  | 'tcp option fastopen length'
  | 'tcp option mptcp length'
  /** 4 bits (0-15). */
  | 'tcp option mptcp subtype'

/**
 * Presence of a TCP option: `'exists'` / `'missing'`. A kind without a name is
 * written as its number (`tcp option 6`); named kinds may be written by number
 * too (`tcp option 2` is `tcp option maxseg`).
 */
export type TcpOptionPresence = `tcp option ${TcpOptionName}` | `tcp option ${number}`

/**
 * nft's raw TCP option field `tcp option @KIND,OFFSET,LENGTH` (offset and
 * length in bits, whole bytes only) of a kind nft has no name for, an integer.
 * A named kind's field in this form reads as its name
 * (`tcp option @2,16,16` is `tcp option maxseg size`).
 */
export type TcpOptionRaw = `tcp option @${number},${number},${number}`

/** IPv4 options nft knows by name (loose/strict source route, record route, router alert). */
export type IpOptionName = 'lsrr' | 'rr' | 'ssrr' | 'ra'

/** IPv4 option fields (nft's ipopt.c templates); `addr` is the first address, an integer as nft reads it. */
export type IpOptionField = `ip option ${'lsrr' | 'rr' | 'ssrr'} ${'type' | 'length' | 'ptr' | 'addr'}` | `ip option ra ${'type' | 'length' | 'value'}`

/** Presence of an IPv4 option: `ip option rr` takes `'exists'` / `'missing'`. */
export type IpOptionPresence = `ip option ${IpOptionName}`

/** SCTP chunk types nft knows by name. */
export type SctpChunkName =
  | 'data'
  | 'init'
  | 'init-ack'
  | 'sack'
  | 'heartbeat'
  | 'heartbeat-ack'
  | 'abort'
  | 'shutdown'
  | 'shutdown-ack'
  | 'error'
  | 'cookie-echo'
  | 'cookie-ack'
  | 'ecne'
  | 'cwr'
  | 'shutdown-complete'
  | 'asconf-ack'
  | 'forward-tsn'
  | 'asconf'

/** SCTP chunk fields (nft's sctp_chunk.c templates): the common header of every chunk, and each chunk's own. */
export type SctpChunkField =
  | `sctp chunk ${SctpChunkName} ${'type' | 'flags' | 'length'}`
  | `sctp chunk data ${'tsn' | 'stream' | 'ssn' | 'ppid'}`
  | `sctp chunk ${'init' | 'init-ack'} ${'init-tag' | 'a-rwnd' | 'num-outbound-streams' | 'num-inbound-streams' | 'initial-tsn'}`
  | `sctp chunk sack ${'cum-tsn-ack' | 'a-rwnd' | 'num-gap-ack-blocks' | 'num-dup-tsns'}`
  | 'sctp chunk shutdown cum-tsn-ack'
  | `sctp chunk ${'ecne' | 'cwr'} lowest-tsn`
  | `sctp chunk ${'asconf-ack' | 'asconf'} seqno`
  | 'sctp chunk forward-tsn new-cum-tsn'

/** Presence of an SCTP chunk: `sctp chunk init` takes `'exists'` / `'missing'`. */
export type SctpChunkPresence = `sctp chunk ${SctpChunkName}`

/** Every exthdr selector. */
export type ExthdrSelector =
  | Ip6ExthdrField
  | Ip6ExthdrPresence
  | TcpOptionField
  | TcpOptionPresence
  | TcpOptionRaw
  | IpOptionField
  | IpOptionPresence
  | SctpChunkField
  | SctpChunkPresence

/**
 * `reset tcp option KIND`: strips a TCP option from the packet (the kernel
 * overwrites it with NOPs). `option` is a name nft knows or a kind number
 * 0-255; nft lists a named kind by its name (`reset tcp option 2` is
 * `reset tcp option maxseg`). Requires kernel ≥ 5.18.
 */
export interface ResetTcpOptionStmt {
  readonly stmt: 'reset tcp option'
  readonly option: TcpOptionName | number
}
