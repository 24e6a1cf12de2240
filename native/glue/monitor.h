// N-API glue of the change monitor (core/monitor.h): the JS class Monitor.
#pragma once
#include <napi.h>

namespace nftkit {

// The Monitor class: new Monitor(netnsPath | undefined, onEvents, { receiveBuffer }).
Napi::Function InitMonitor(Napi::Env env);

}  // namespace nftkit
