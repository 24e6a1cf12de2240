// Promise-returning workers: inputs are copied into core structs on the main
// thread; Execute() runs on the libuv pool and never touches a Napi::Value.
#pragma once
#include <napi.h>

#include <functional>

namespace nftkit {

// Runs `work` off the main thread, then resolves with `done()` (or rejects with
// an errno-carrying Error if work threw). `release` runs on the main thread in
// both cases (used to clear the socket's busy flag).
Napi::Promise RunAsync(const Napi::Env& env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done,
                       std::function<void()> release);

}  // namespace nftkit
