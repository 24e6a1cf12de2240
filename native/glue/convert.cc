#include "glue/convert.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>

#include "core/wire.h"

namespace nftkit {
namespace {

constexpr double kMaxSafe = 9007199254740991.0;

[[noreturn]] void Bad(const Napi::Env& env, const char* where, const std::string& what) {
  throw Napi::TypeError::New(env, std::string("invalid native argument at ") + where + ": " + what);
}

bool Has(const Napi::Object& o, const char* k) {
  if (!o.Has(k)) return false;
  Napi::Value v = o.Get(k);
  return !v.IsUndefined() && !v.IsNull();
}

uint64_t U64(const Napi::Env& env, const Napi::Value& v, const char* where) {
  if (v.IsBigInt()) {
    bool lossless = true;
    uint64_t x = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) Bad(env, where, "bigint out of the unsigned 64-bit range");
    return x;
  }
  if (!v.IsNumber()) Bad(env, where, "expected a number or bigint");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > kMaxSafe || std::floor(d) != d) Bad(env, where, "expected a non-negative integer");
  return static_cast<uint64_t>(d);
}

std::string Str(const Napi::Env& env, const Napi::Value& v, const char* where) {
  if (!v.IsString()) Bad(env, where, "expected a string");
  return v.As<Napi::String>().Utf8Value();
}

}  // namespace

std::vector<OpDesc> ReadOps(const Napi::Env& env, const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, "expected an encoded batch (a Uint8Array made by lib/wire.ts)");
  auto a = value.As<Napi::Uint8Array>();
  try {
    return ReadWireBatch(a.Data(), a.ByteLength());
  } catch (const std::invalid_argument& e) {
    throw Napi::TypeError::New(env, e.what());
  }
}

DumpRequest ReadDumpRequest(const Napi::Env& env, const Napi::Value& value) {
  DumpRequest req;
  if (value.IsUndefined() || value.IsNull()) return req;
  if (!value.IsObject()) Bad(env, "request", "expected an object");
  auto o = value.As<Napi::Object>();
  if (Has(o, "family")) req.family = static_cast<uint32_t>(U64(env, o.Get("family"), "request.family"));
  if (Has(o, "table")) req.table = Str(env, o.Get("table"), "request.table");
  if (Has(o, "elements")) req.elements = o.Get("elements").ToBoolean().Value();
  if (Has(o, "reset")) req.reset = o.Get("reset").ToBoolean().Value();
  return req;
}

static Napi::Value NumToJs(const Napi::Env& env, uint64_t v) {
  if (v > static_cast<uint64_t>(kMaxSafe)) return Napi::BigInt::New(env, v);
  return Napi::Number::New(env, static_cast<double>(v));
}

Napi::Value ToJs(const Napi::Env& env, const Record& r) {
  Napi::Object o = Napi::Object::New(env);
  for (const auto& [k, v] : r.fields) {
    switch (v.type) {
      case Value::Num: o.Set(k, NumToJs(env, v.num)); break;
      case Value::SNum: o.Set(k, Napi::Number::New(env, static_cast<double>(v.snum))); break;
      case Value::Str: o.Set(k, Napi::String::New(env, v.str)); break;
      case Value::Bytes: o.Set(k, Napi::Buffer<char>::Copy(env, v.str.data(), v.str.size())); break;
      case Value::Strs: {
        Napi::Array a = Napi::Array::New(env, v.strs.size());
        for (size_t i = 0; i < v.strs.size(); i++) a.Set(i, Napi::String::New(env, v.strs[i]));
        o.Set(k, a);
        break;
      }
      case Value::Nums: {
        Napi::Array a = Napi::Array::New(env, v.nums.size());
        for (size_t i = 0; i < v.nums.size(); i++) a.Set(i, NumToJs(env, v.nums[i]));
        o.Set(k, a);
        break;
      }
      case Value::List: {
        Napi::Array a = Napi::Array::New(env, v.list.size());
        for (size_t i = 0; i < v.list.size(); i++) a.Set(i, ToJs(env, v.list[i]));
        o.Set(k, a);
        break;
      }
    }
  }
  return o;
}

static Napi::Array ListToJs(const Napi::Env& env, const std::vector<Record>& list) {
  Napi::Array a = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); i++) a.Set(i, ToJs(env, list[i]));
  return a;
}

Napi::Value ToJs(const Napi::Env& env, const DumpResult& d) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("genId", Napi::Number::New(env, d.gen_id));
  o.Set("tables", ListToJs(env, d.tables));
  o.Set("chains", ListToJs(env, d.chains));
  o.Set("sets", ListToJs(env, d.sets));
  o.Set("rules", ListToJs(env, d.rules));
  o.Set("objects", ListToJs(env, d.objects));
  return o;
}

Napi::Value ToJs(const Napi::Env& env, const CommitResult& c, uint32_t messages, size_t bytes) {
  // The common success (applied, no handles asked for) is one number, bytes
  // times 2^21 plus messages: no object to build here or to collect later.
  if (c.acked && c.errors.empty() && c.handles.empty() && messages < (1u << 21) && bytes < (1ull << 32))
    return Napi::Number::New(env, static_cast<double>(bytes) * 2097152.0 + messages);
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", Napi::Boolean::New(env, c.errors.empty() && c.acked));
  o.Set("messages", Napi::Number::New(env, messages));
  o.Set("bytes", Napi::Number::New(env, static_cast<double>(bytes)));
  // Empty lists are left out: the common success is three small properties.
  if (!c.handles.empty()) {
    Napi::Array h = Napi::Array::New(env, c.handles.size());
    for (size_t i = 0; i < c.handles.size(); i++) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, Napi::Number::New(env, c.handles[i].first));
      pair.Set(1u, NumToJs(env, c.handles[i].second));
      h.Set(i, pair);
    }
    o.Set("handles", h);
  }
  if (c.errors.empty()) return o;
  Napi::Array errs = Napi::Array::New(env, c.errors.size());
  for (size_t i = 0; i < c.errors.size(); i++) {
    const OpError& e = c.errors[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("errno", Napi::Number::New(env, e.err));
    x.Set("index", Napi::Number::New(env, e.op_index));
    x.Set("msgType", Napi::Number::New(env, e.msg_type));
    if (!e.ext_msg.empty()) x.Set("extMessage", Napi::String::New(env, e.ext_msg));
    if (e.ext_offset >= 0) x.Set("extOffset", Napi::Number::New(env, e.ext_offset));
    errs.Set(i, x);
  }
  o.Set("errors", errs);
  return o;
}

Napi::Error ErrnoError(const Napi::Env& env, int err, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  // The errno's name (code) is added by lib/errors.ts from os.constants.errno:
  // one table for every errno, rather than a hand list here that fell behind.
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

}  // namespace nftkit
