#include "glue/convert.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>

#include "core/expr_schema.h"
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
  // One call for the check, the type and the bytes (this runs on every commit).
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  // For a value that is not a typed array it returns napi_invalid_arg and throws nothing.
  if (napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array)
    throw Napi::TypeError::New(env, "expected an encoded batch (a Uint8Array made by lib/wire.ts)");
  try {
    return ReadWireBatch(static_cast<const uint8_t*>(data), length);
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

namespace {

// Attribute values under their JS field names, as the schema maps their ids.
void AttrsInto(Record& r, const ExprSpec* spec, const std::vector<ExprAttr>& attrs) {
  for (const ExprAttr& a : attrs) {
    const char* field = "?";
    for (size_t i = 0; spec && i < spec->count; i++)
      if (spec->attrs[i].id == a.id) field = spec->attrs[i].field;
    if (a.kind == AttrKind::Str) r.Str(field, a.bytes);
    else if (a.kind == AttrKind::Data) r.Bytes(field, a.bytes.data(), a.bytes.size());
    else r.Num(field, a.num);
  }
}

std::vector<Record> ExprRecords(const std::vector<ExprDesc>& exprs) {
  std::vector<Record> out;
  for (const ExprDesc& d : exprs) {
    Record& e = out.emplace_back();
    e.Str("type", d.name);
    AttrsInto(e, FindExprSpec(d.name), d.attrs);
  }
  return out;
}

// An operation as core/wire.cc read it: a field with a has_* flag appears when
// the flag is set, one without (table, priority, keyLen, ...) when it is not
// its default (empty or 0), since the struct cannot tell those apart.
Record WireRecord(const OpDesc& op) {
  Record r;
  r.Num("verb", static_cast<uint64_t>(op.verb));
  r.Num("kind", static_cast<uint64_t>(op.kind));
  r.Num("family", op.family);
  auto s = [&](const char* k, const std::string& v, bool has) { if (has) r.Str(k, v); };
  auto n = [&](const char* k, uint64_t v, bool has) { if (has) r.Num(k, v); };
  auto b = [&](const char* k, const std::string& v, bool has) { if (has) r.Bytes(k, v.data(), v.size()); };
  s("table", op.table, !op.table.empty());
  s("name", op.name, op.has_name);
  s("chain", op.chain, !op.chain.empty());
  s("set", op.set, !op.set.empty());
  s("type", op.type, !op.type.empty());
  n("handle", op.handle, op.has_handle);
  n("position", op.position, op.has_position);
  n("timeout", op.timeout, op.has_timeout);
  n("flags", op.flags, op.has_flags);
  n("hook", op.hook, op.has_hook);
  if (op.priority != 0) r.SNum("priority", op.priority);
  n("policy", op.policy, op.has_policy);
  n("id", op.id, op.has_id);
  n("setId", op.set_id, op.has_set_id);
  n("chainId", op.chain_id, op.has_chain_id);
  n("keyType", op.key_type, op.key_type != 0);
  n("keyLen", op.key_len, op.key_len != 0);
  n("dataType", op.data_type, op.has_data_type);
  n("dataLen", op.data_len, op.data_len != 0);
  n("objType", op.obj_type, op.has_obj_type);
  n("setPolicy", op.set_policy, op.has_set_policy);
  n("gcInterval", op.gc_interval, op.has_gc);
  n("size", op.size, op.has_size);
  b("userdata", op.userdata, op.has_userdata);
  if (!op.devices.empty()) r.Strs("devices", op.devices);
  if (!op.concat.empty()) r.Nums("concat", std::vector<uint64_t>(op.concat.begin(), op.concat.end()));
  if (!op.exprs.empty()) r.List("exprs", ExprRecords(op.exprs));
  if (!op.elems.empty()) {
    std::vector<Record> elems;
    for (const ElemDesc& e : op.elems) {
      Record& x = elems.emplace_back();
      auto eb = [&](const char* k, const std::string& v, bool has) { if (has) x.Bytes(k, v.data(), v.size()); };
      eb("key", e.key, e.has_key);
      eb("keyEnd", e.key_end, e.has_key_end);
      if (e.has_flags) x.Num("flags", e.flags);
      if (e.has_timeout) x.Num("timeout", e.timeout);
      eb("data", e.data, e.has_data);
      if (e.has_verdict) x.SNum("verdict", e.verdict);
      if (!e.chain.empty()) x.Str("chain", e.chain);
      if (e.has_objref) x.Str("objref", e.objref);
      eb("userdata", e.userdata, e.has_userdata);
      if (!e.exprs.empty()) x.List("exprs", ExprRecords(e.exprs));
    }
    r.List("elements", std::move(elems));
  }
  b("packedKeys", op.packed_keys, !op.packed_keys.empty());
  b("packedFlags", op.packed_flags, !op.packed_flags.empty());
  if (op.echo) r.Num("echo", 1);
  if (!op.obj_attrs.empty()) AttrsInto(r, op.has_obj_type ? FindObjSpec(op.obj_type) : nullptr, op.obj_attrs);
  return r;
}

}  // namespace

Napi::Value ToJs(const Napi::Env& env, const std::vector<OpDesc>& ops) {
  Napi::Array a = Napi::Array::New(env, ops.size());
  for (size_t i = 0; i < ops.size(); i++) a.Set(i, ToJs(env, WireRecord(ops[i])));
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
