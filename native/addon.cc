// Module entry: the Socket class (one netlink socket per instance), the
// Monitor class (glue/monitor.cc), encode() and readBatch().
// Everything here is glue; the work happens in core/.
#include <napi.h>

#include <cerrno>
#include <memory>
#include <stdexcept>

#include "core/batch_builder.h"
#include "core/interfaces.h"
#include "core/netlink_socket.h"
#include "glue/convert.h"
#include "glue/monitor.h"
#include "glue/workers.h"

namespace nftkit {
namespace {

// The generation a batch is bound to (a number), or -1 for none.
int64_t ReadGenId(const Napi::Value& v) {
  if (!v.IsNumber()) return -1;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 4294967295.0) return -1;
  return static_cast<int64_t>(d);
}

// Converts core exceptions into JS errors carrying errno and code.
template <typename F>
auto Guard(const Napi::Env& env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const SystemError& e) {
    throw ErrnoError(env, e.err(), e.what());
  } catch (const TooLargeError& e) {
    throw ErrnoError(env, EMSGSIZE, e.what());
  } catch (const std::invalid_argument& e) {
    throw ErrnoError(env, EINVAL, e.what());
  } catch (const std::exception& e) {
    throw ErrnoError(env, EIO, e.what());
  }
}

class Socket : public Napi::ObjectWrap<Socket> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Socket",
                       {InstanceMethod<&Socket::CommitSync>("commitSync"), InstanceMethod<&Socket::Commit>("commit"),
                        InstanceMethod<&Socket::DumpSync>("dumpSync"), InstanceMethod<&Socket::Dump>("dump"),
                        InstanceMethod<&Socket::GetGenSync>("getGenSync"), InstanceMethod<&Socket::Close>("close"),
                        InstanceAccessor<&Socket::Closed>("closed"), InstanceAccessor<&Socket::Busy>("busy"),
                        InstanceAccessor<&Socket::PortId>("portId"),
                        InstanceMethod<&Socket::Listeners>("listeners"),
                        InstanceAccessor<&Socket::Stats>("stats")});
  }

  explicit Socket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Socket>(info) {
    std::string path;
    if (info.Length() > 0 && info[0].IsString()) path = info[0].As<Napi::String>().Utf8Value();
    sock_ = Guard(info.Env(), [&] { return std::make_shared<NetlinkSocket>(path); });
    portid_ = sock_->portid();
    // Tell V8 what the socket holds outside its heap, so that many short-lived
    // clients that are never closed still trigger collections.
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), NetlinkSocket::kHeldBytes);
    held_ = NetlinkSocket::kHeldBytes;
    // Figures of the last commit, written here and read by JS without a call.
    Napi::Float64Array stats = Napi::Float64Array::New(info.Env(), 1);
    stats_ = Napi::Persistent(stats);
  }

 private:
  void Enter(const Napi::Env& env) {
    if (!sock_ || sock_->closed()) throw ErrnoError(env, EBADF, "socket is closed");
    if (busy_) throw ErrnoError(env, EBUSY, "socket busy: another commit or dump is in flight on this connection");
  }

  Napi::Value CommitSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Enter(env);
    auto ops = ReadOps(env, info[0]);
    int64_t gen = ReadGenId(info[1]);
    return Guard(env, [&] {
      // One builder per socket for its synchronous commits: nothing else uses
      // it (an async call makes its own, and sync calls are refused while one
      // is in flight), and reusing its buffers saves their allocation.
      BatchBuilder& b = sync_builder_;
      b.Reset(sock_->NextSeq());
      b.Build(ops, gen);
      CommitResult r = sock_->Commit(b, ops);
      PutStats();
      return ToJs(env, r, b.message_count(), b.bytes().size());
    });
  }

  Napi::Value Commit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Enter(env);
    struct State {
      std::vector<OpDesc> ops;
      CommitResult result;
      uint32_t messages = 0;
      size_t bytes = 0;
    };
    auto st = std::make_shared<State>();
    st->ops = ReadOps(env, info[0]);
    int64_t gen = ReadGenId(info[1]);
    auto sock = sock_;
    busy_ = true;
    Ref();  // keep this object alive while the worker runs
    return RunAsync(
        env,
        [st, sock, gen] {
          BatchBuilder b(sock->NextSeq());
          b.Build(st->ops, gen);
          st->result = sock->Commit(b, st->ops);
          st->messages = b.message_count();
          st->bytes = b.bytes().size();
        },
        [this, st](Napi::Env e) {
          PutStats();
          return ToJs(e, st->result, st->messages, st->bytes);
        },
        [this] {
          busy_ = false;
          Unref();
        });
  }

  Napi::Value DumpSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Enter(env);
    DumpRequest req = ReadDumpRequest(env, info[0]);
    return Guard(env, [&] { return ToJs(env, sock_->Dump(req)); });
  }

  Napi::Value Dump(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Enter(env);
    auto req = ReadDumpRequest(env, info[0]);
    auto out = std::make_shared<DumpResult>();
    auto sock = sock_;
    busy_ = true;
    Ref();
    return RunAsync(
        env, [sock, req, out] { *out = sock->Dump(req); }, [out](Napi::Env e) { return ToJs(e, *out); },
        [this] {
          busy_ = false;
          Unref();
        });
  }

  Napi::Value GetGenSync(const Napi::CallbackInfo& info) {
    Enter(info.Env());
    return Guard(info.Env(), [&] { return Napi::Number::New(info.Env(), sock_->GetGen()); });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    // Closing while a worker runs would pull the socket from under it: refuse.
    if (busy_) throw ErrnoError(info.Env(), EBUSY, "cannot close: a commit or dump is in flight");
    if (sock_) sock_->Close();
    // Free the socket's buffers now, not when the wrapper is collected.
    sock_.reset();
    Release(info.Env());
    return info.Env().Undefined();
  }

  void Finalize(Napi::Env env) override { Release(env); }

  void Release(Napi::Env env) {
    if (held_ == 0) return;
    Napi::MemoryManagement::AdjustExternalMemory(env, -held_);
    held_ = 0;
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), !sock_ || sock_->closed());
  }
  Napi::Value Busy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), busy_); }
  // Stays readable after close (the kernel may still report its last batches).
  Napi::Value PortId(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), portid_); }

  // Sockets subscribed to nf_tables notifications in this socket's namespace (-1: unknown).
  Napi::Value Listeners(const Napi::CallbackInfo& info) {
    if (!sock_ || sock_->closed()) return Napi::Number::New(info.Env(), -1);
    return Napi::Number::New(info.Env(), sock_->Listeners());
  }
  // [0]: microseconds the kernel took for the last committed batch (0 before any).
  Napi::Value Stats(const Napi::CallbackInfo&) { return stats_.Value(); }

  // Writes the last commit's figures into the stats array. Its buffer is
  // looked up each time: JS holding the array could have detached it.
  void PutStats() {
    Napi::Float64Array a = stats_.Value();
    if (a.ElementLength() >= 1) a[0] = static_cast<double>(sock_->last_commit_ns()) / 1000.0;
  }

  std::shared_ptr<NetlinkSocket> sock_;
  uint32_t portid_ = 0;
  bool busy_ = false;
  int64_t held_ = 0;
  Napi::Reference<Napi::Float64Array> stats_;
  BatchBuilder sync_builder_{0};
};

// encode(batch, genId?) -> Buffer: the exact netlink bytes of an encoded batch (for debugging).
Napi::Value Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto ops = ReadOps(env, info[0]);
  int64_t gen = ReadGenId(info[1]);
  return Guard(env, [&] {
    BatchBuilder b(1);
    b.Build(ops, gen);
    return Napi::Buffer<char>::Copy(env, b.bytes().data(), b.bytes().size());
  });
}

// readBatch(batch) -> the operations as the C++ reader decoded them (tests: reader = writer).
Napi::Value ReadBatch(const Napi::CallbackInfo& info) { return ToJs(info.Env(), ReadOps(info.Env(), info[0])); }

// interfaces(netnsPath?) -> [[index, name], ...]: the interfaces of a namespace.
Napi::Value Interfaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
  return Guard(env, [&] {
    auto list = ListInterfaces(path);
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, Napi::Number::New(env, list[i].first));
      pair.Set(1u, Napi::String::New(env, list[i].second));
      out.Set(static_cast<uint32_t>(i), pair);
    }
    return out;
  });
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Socket", Socket::Init(env));
  exports.Set("Monitor", InitMonitor(env));
  exports.Set("encode", Napi::Function::New(env, Encode, "encode"));
  exports.Set("readBatch", Napi::Function::New(env, ReadBatch, "readBatch"));
  exports.Set("interfaces", Napi::Function::New(env, Interfaces, "interfaces"));
  return exports;
}

}  // namespace nftkit

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return nftkit::Init(env, exports); }
NODE_API_MODULE(nftkit, InitModule)
