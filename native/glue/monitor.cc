// The Monitor class. The core thread (core/monitor.cc) parses notifications;
// this file moves them to the JS thread:
//
//   monitor thread: append to Delivery::pending under a mutex; if no delivery
//                   is scheduled yet, schedule one (NonBlockingCall on an
//                   unbounded thread-safe function: the thread never waits for JS)
//   JS thread:      take everything pending, call onEvents(array) once
//
// so a burst costs one JS call per turn of the event loop, however many
// notifications it had. The thread-safe function (TSFN) is what keeps the
// process alive while the monitor is open (unref() lets it exit) and owns the
// Delivery: its finalizer frees it once the last queued call has run.
//
// Lifetime: close() (or the object being collected, or the environment being
// torn down) stops and joins the thread first, then releases the TSFN; the
// thread is the only producer, so nothing can call into JS afterwards.
#include "glue/monitor.h"

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "core/monitor.h"
#include "core/netlink_socket.h"
#include "glue/convert.h"

namespace nftkit {
namespace {

// Events waiting for the JS thread. Past this many (JS has not run for a long
// time) they are dropped and replaced by one overrun: the consumer re-reads.
constexpr size_t kMaxPending = 1 << 18;
constexpr double kMaxSafe = 9007199254740991.0;

struct Delivery {
  std::mutex mu;
  std::vector<MonitorEvent> pending;
  bool scheduled = false;
  bool closed = false;
};

const char* TypeName(MonitorEvent::Type t) {
  switch (t) {
    case MonitorEvent::Type::Table: return "table";
    case MonitorEvent::Type::Chain: return "chain";
    case MonitorEvent::Type::Rule: return "rule";
    case MonitorEvent::Type::Set: return "set";
    case MonitorEvent::Type::Element: return "element";
    case MonitorEvent::Type::Object: return "object";
    case MonitorEvent::Type::Flowtable: return "flowtable";
    case MonitorEvent::Type::Gen: return "gen";
    case MonitorEvent::Type::Overrun: return "overrun";
    case MonitorEvent::Type::Error: return "error";
  }
  return "unknown";
}

Napi::Value EventToJs(Napi::Env env, const MonitorEvent& e) {
  using T = MonitorEvent::Type;
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", TypeName(e.type));
  switch (e.type) {
    case T::Overrun:
      return o;
    case T::Error:
      o.Set("error", ErrnoError(env, e.err, std::string("monitor: receive failed: ") + std::strerror(e.err)).Value());
      return o;
    case T::Gen:
      o.Set("op", "new");
      o.Set("genId", Napi::Number::New(env, e.gen_id));
      o.Set("pid", Napi::Number::New(env, e.pid));
      o.Set("procName", e.proc);
      o.Set("portId", Napi::Number::New(env, e.portid));
      return o;
    default:
      break;
  }
  o.Set("op", e.del ? "del" : "new");
  o.Set("family", Napi::Number::New(env, e.family));
  o.Set("table", e.table);
  switch (e.type) {
    case T::Rule: o.Set("chain", e.chain); break;
    case T::Element:
      o.Set("set", e.set);
      o.Set("elements", Napi::Number::New(env, e.elements));
      break;
    case T::Object:
      o.Set("name", e.name);
      o.Set("objType", Napi::Number::New(env, e.obj_type));
      break;
    default: o.Set("name", e.name); break;
  }
  if (e.has_handle) {
    if (static_cast<double>(e.handle) > kMaxSafe) o.Set("handle", Napi::BigInt::New(env, e.handle));
    else o.Set("handle", Napi::Number::New(env, static_cast<double>(e.handle)));
  }
  o.Set("portId", Napi::Number::New(env, e.portid));
  return o;
}

// Runs on the JS thread for every scheduled delivery (env is null when the
// TSFN is torn down with calls still queued: nothing to do then).
void CallJs(Napi::Env env, Napi::Function callback, Delivery* d, void*) {
  if (env == nullptr || callback.IsEmpty()) return;
  std::vector<MonitorEvent> events;
  {
    std::lock_guard<std::mutex> lock(d->mu);
    d->scheduled = false;
    if (d->closed) {
      d->pending.clear();
      return;
    }
    events.swap(d->pending);
  }
  if (events.empty()) return;
  Napi::Array arr = Napi::Array::New(env, events.size());
  for (size_t i = 0; i < events.size(); i++) arr.Set(static_cast<uint32_t>(i), EventToJs(env, events[i]));
  try {
    callback.Call({arr});
  } catch (const Napi::Error& e) {
    // A throwing listener is the application's uncaught exception.
    e.ThrowAsJavaScriptException();
  }
}

using Tsfn = Napi::TypedThreadSafeFunction<Delivery, void, CallJs>;

class Monitor : public Napi::ObjectWrap<Monitor> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Monitor",
                       {InstanceMethod<&Monitor::Close>("close"), InstanceMethod<&Monitor::RefJs>("ref"),
                        InstanceMethod<&Monitor::UnrefJs>("unref"), InstanceAccessor<&Monitor::Closed>("closed"),
                        InstanceAccessor<&Monitor::PortId>("portId")});
  }

  explicit Monitor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Monitor>(info) {
    Napi::Env env = info.Env();
    std::string path;
    if (info.Length() > 0 && info[0].IsString()) path = info[0].As<Napi::String>().Utf8Value();
    else if (info.Length() > 0 && !info[0].IsUndefined() && !info[0].IsNull())
      throw Napi::TypeError::New(env, "Monitor: netnsPath must be a string or undefined");
    if (info.Length() < 2 || !info[1].IsFunction()) throw Napi::TypeError::New(env, "Monitor: onEvents must be a function");
    int rcvbuf = 0;
    if (info.Length() > 2 && info[2].IsObject()) {
      Napi::Value v = info[2].As<Napi::Object>().Get("receiveBuffer");
      if (v.IsNumber()) rcvbuf = v.As<Napi::Number>().Int32Value();
      else if (!v.IsUndefined()) throw Napi::TypeError::New(env, "Monitor: receiveBuffer must be a number of bytes");
    }
    try {
      mon_ = std::make_unique<NetlinkMonitor>(path, rcvbuf);
    } catch (const SystemError& e) {
      throw ErrnoError(env, e.err(), e.what());
    }
    auto* delivery = new Delivery();
    tsfn_ = Tsfn::New(env, info[1].As<Napi::Function>(), "nftkit.Monitor", 0, 1, delivery,
                      [](Napi::Env, void*, Delivery* d) { delete d; });
    delivery_ = delivery;
    Tsfn tsfn = tsfn_;
    try {
      mon_->Start([delivery, tsfn](std::vector<MonitorEvent>& events) { Deliver(delivery, tsfn, events); });
    } catch (const SystemError& e) {
      tsfn_.Release();
      mon_.reset();
      throw ErrnoError(env, e.err(), e.what());
    }
    // Registered after the TSFN, so it runs before the TSFN's own teardown
    // (cleanup hooks run in reverse order): the thread stops first.
    napi_add_env_cleanup_hook(env, EnvCleanup, this);
    live_ = true;
  }

  ~Monitor() override {
    if (live_) Shutdown(true);
  }

 private:
  // Monitor thread: queue the events, schedule one delivery if none is pending.
  static void Deliver(Delivery* d, const Tsfn& tsfn, std::vector<MonitorEvent>& events) {
    bool schedule;
    {
      std::lock_guard<std::mutex> lock(d->mu);
      if (d->closed) return;
      if (d->pending.size() + events.size() > kMaxPending) {
        d->pending.clear();
        MonitorEvent overrun;
        overrun.type = MonitorEvent::Type::Overrun;
        d->pending.push_back(std::move(overrun));
      } else {
        for (auto& e : events) AppendEvent(d->pending, std::move(e));
      }
      schedule = !d->scheduled;
      d->scheduled = true;
    }
    if (schedule && tsfn.NonBlockingCall() != napi_ok) {
      // The TSFN is closing (environment teardown): nobody will read these.
      std::lock_guard<std::mutex> lock(d->mu);
      d->scheduled = false;
    }
  }

  static void EnvCleanup(void* arg) {
    auto* self = static_cast<Monitor*>(arg);
    // The environment is going away: stop the thread; the TSFN is torn down by
    // Node right after this hook.
    if (self->live_) self->Shutdown(false);
  }

  // Stops delivering, joins the thread, then lets go of the TSFN.
  void Shutdown(bool release) {
    live_ = false;
    {
      std::lock_guard<std::mutex> lock(delivery_->mu);
      delivery_->closed = true;
    }
    mon_->Stop();
    if (release) {
      napi_remove_env_cleanup_hook(Env(), EnvCleanup, this);
      tsfn_.Release();
    }
    delivery_ = nullptr;  // freed by the TSFN finalizer
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (live_) Shutdown(true);
    return info.Env().Undefined();
  }

  Napi::Value RefJs(const Napi::CallbackInfo& info) {
    if (live_) tsfn_.Ref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value UnrefJs(const Napi::CallbackInfo& info) {
    if (live_) tsfn_.Unref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !live_); }
  Napi::Value PortId(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), mon_ ? mon_->portid() : 0);
  }

  std::unique_ptr<NetlinkMonitor> mon_;
  Tsfn tsfn_;
  Delivery* delivery_ = nullptr;  // owned by tsfn_ (its finalizer)
  bool live_ = false;             // thread running and tsfn_ held
};

}  // namespace

Napi::Function InitMonitor(Napi::Env env) { return Monitor::Init(env); }

}  // namespace nftkit
