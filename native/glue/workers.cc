#include "glue/workers.h"

#include <cerrno>
#include <stdexcept>

#include "core/batch_builder.h"
#include "core/netlink_socket.h"
#include "glue/convert.h"

namespace nftkit {
namespace {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(const Napi::Env& env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done,
                std::function<void()> release)
      : Napi::AsyncWorker(env, "nftkit"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        done_(std::move(done)),
        release_(std::move(release)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      work_();
    } catch (const SystemError& e) {
      err_ = e.err();
      SetError(e.what());
    } catch (const TooLargeError& e) {
      err_ = EMSGSIZE;
      SetError(e.what());
    } catch (const std::invalid_argument& e) {
      err_ = EINVAL;
      SetError(e.what());
    } catch (const std::exception& e) {
      err_ = EIO;
      SetError(e.what());
    }
  }

  void OnOK() override {
    release_();
    deferred_.Resolve(done_(Env()));
  }

  void OnError(const Napi::Error& e) override {
    release_();
    deferred_.Reject(ErrnoError(Env(), err_, e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> work_;
  std::function<Napi::Value(Napi::Env)> done_;
  std::function<void()> release_;
  int err_ = 0;
};

}  // namespace

Napi::Promise RunAsync(const Napi::Env& env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done,
                       std::function<void()> release) {
  auto* w = new PromiseWorker(env, std::move(work), std::move(done), std::move(release));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace nftkit
