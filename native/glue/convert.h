// JS <-> core struct conversion. Runs on the main thread only.
#pragma once
#include <napi.h>

#include <vector>

#include "core/types.h"

namespace nftkit {

// Reads a batch in the wire format of core/wire.h (a Uint8Array); throws
// Napi::TypeError naming the operation on malformed input.
std::vector<OpDesc> ReadOps(const Napi::Env& env, const Napi::Value& value);
DumpRequest ReadDumpRequest(const Napi::Env& env, const Napi::Value& value);

Napi::Value ToJs(const Napi::Env& env, const Record& r);
Napi::Value ToJs(const Napi::Env& env, const DumpResult& d);
// The operations as core/wire.cc read them, in NativeOp's field names (readBatch, for tests).
Napi::Value ToJs(const Napi::Env& env, const std::vector<OpDesc>& ops);
Napi::Value ToJs(const Napi::Env& env, const CommitResult& c, uint32_t messages, size_t bytes);

// Creates an Error carrying the errno for TS to wrap (TS names it: errnoName).
Napi::Error ErrnoError(const Napi::Env& env, int err, const std::string& message);

}  // namespace nftkit
