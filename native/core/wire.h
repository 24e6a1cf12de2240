// The batch wire format: how lib/batch/wire.ts hands a list of operations to
// the addon in one byte buffer (one N-API call per commit instead of several
// per field). Plain C++: no Node here.
//
// The field lists below are OP_FIELDS and ELEM_FIELDS of lib/batch/wire.ts
// (one row per field: bit, name, encoding; the TS encoder and decoder are both
// driven by them). A new field: a row there, its bit here and in OpBit/ElemBit
// of wire.cc with its read in ReadOp/ReadElem. test/unit/wire.golden.test.ts
// compares this reader's view (readBatch) with the TS decoder for every op kind.
//
// Little-endian throughout. str and bytes are a u32 length then the bytes.
//   batch := u8 'N' | u8 version (1) | u16 0 | u32 op count | op*
//   op    := u8 verb | u8 kind | u8 family | u8 0 | u32 field mask | fields in bit order
//   fields (bit: name encoding):
//     0 table str, 1 name str, 2 chain str, 3 set str, 4 type str,
//     5 handle u64, 6 position u64, 7 timeout u64,
//     8 flags u32, 9 hook u32, 10 priority i32, 11 policy u32, 12 id u32,
//     13 setId u32, 14 keyType u32, 15 keyLen u32, 16 dataType u32,
//     17 dataLen u32, 18 objType u32, 19 setPolicy u32, 20 gcInterval u32,
//     21 size u32, 22 userdata bytes, 23 devices (u32 n, str*),
//     24 concat (u32 n, u32*), 25 exprs, 26 elements (u32 n, elem*),
//     27 packedKeys bytes, 28 packedFlags bytes, 29 echo (no payload),
//     30 object attributes (u32 n, (str name, value)*), 31 chainId u32 (a chain
//     binding: the bound chain's NFTA_CHAIN_ID, or a rule's NFTA_RULE_CHAIN_ID)
//   exprs := u32 n | (str name | u32 attr count | (str field | value)*)*
//   value := u8 tag | payload: 0 u64, 1 i64, 2 bytes, 3 str, 4 exprs (nested: a dynset's statements)
//   elem  := u32 field mask | fields: 0 key bytes, 1 keyEnd bytes, 2 flags u32,
//            3 timeout u64, 4 data bytes, 5 verdict i32, 6 chain str,
//            7 objref str, 8 userdata bytes, 9 exprs
// Verb and kind codes follow the Verb and Kind enums of core/types.h.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/types.h"

namespace nftkit {

// Decodes a batch; throws std::invalid_argument naming the operation and
// field on malformed input (truncated, unknown code, expression or attribute).
std::vector<OpDesc> ReadWireBatch(const uint8_t* data, size_t size);

}  // namespace nftkit
