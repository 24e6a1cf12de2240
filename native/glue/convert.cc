#include "glue/convert.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include "core/expr_schema.h"

namespace nftkit {
namespace {

constexpr double kMaxSafe = 9007199254740991.0;

[[noreturn]] void Bad(const Napi::Env& env, const std::string& where, const std::string& what) {
  throw Napi::TypeError::New(env, "invalid native descriptor at " + where + ": " + what);
}

bool Has(const Napi::Object& o, const char* k) {
  if (!o.Has(k)) return false;
  Napi::Value v = o.Get(k);
  return !v.IsUndefined() && !v.IsNull();
}

uint64_t U64(const Napi::Env& env, const Napi::Value& v, const std::string& where) {
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

int64_t I64(const Napi::Env& env, const Napi::Value& v, const std::string& where) {
  if (!v.IsNumber()) Bad(env, where, "expected a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::floor(d) != d || std::fabs(d) > kMaxSafe) Bad(env, where, "expected an integer");
  return static_cast<int64_t>(d);
}

std::string Str(const Napi::Env& env, const Napi::Value& v, const std::string& where) {
  if (!v.IsString()) Bad(env, where, "expected a string");
  return v.As<Napi::String>().Utf8Value();
}

std::string Bytes(const Napi::Env& env, const Napi::Value& v, const std::string& where) {
  if (!v.IsTypedArray()) Bad(env, where, "expected a Buffer or Uint8Array");
  auto a = v.As<Napi::Uint8Array>();
  return std::string(reinterpret_cast<const char*>(a.Data()), a.ByteLength());
}

ExprDesc ReadExpr(const Napi::Env& env, const Napi::Value& v, const std::string& where) {
  if (!v.IsObject()) Bad(env, where, "expected an expression object");
  auto o = v.As<Napi::Object>();
  ExprDesc d;
  d.name = Str(env, o.Get("type"), where + ".type");
  const ExprSpec* spec = FindExprSpec(d.name);
  if (!spec) Bad(env, where + ".type", "unknown kernel expression '" + d.name + "'");
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); i++) {
    std::string k = keys.Get(i).As<Napi::String>().Utf8Value();
    if (k == "type") continue;
    Napi::Value val = o.Get(k);
    if (val.IsUndefined()) continue;
    const AttrSpec* a = FindAttrSpec(*spec, k);
    if (!a) Bad(env, where + "." + k, "not an attribute of '" + d.name + "'");
    ExprAttr attr;
    attr.id = a->id;
    attr.kind = a->kind;
    std::string w = where + "." + k;
    switch (a->kind) {
      case AttrKind::Str: attr.bytes = Str(env, val, w); break;
      case AttrKind::Data: attr.bytes = Bytes(env, val, w); break;
      case AttrKind::U32:
        // Verdicts are negative for jump/goto/return/continue/break.
        if (k == "verdict")
          attr.num = static_cast<uint32_t>(static_cast<int32_t>(I64(env, val, w)));
        else
          attr.num = U64(env, val, w) & 0xffffffffu;
        break;
      default: attr.num = U64(env, val, w); break;
    }
    d.attrs.push_back(std::move(attr));
  }
  return d;
}

std::vector<ExprDesc> ReadExprs(const Napi::Env& env, const Napi::Value& v, const std::string& where) {
  if (!v.IsArray()) Bad(env, where, "expected an array of expressions");
  auto a = v.As<Napi::Array>();
  std::vector<ExprDesc> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(ReadExpr(env, a.Get(i), where + "[" + std::to_string(i) + "]"));
  return out;
}

ElemDesc ReadElem(const Napi::Env& env, const Napi::Object& o, const std::string& w) {
  ElemDesc e;
  if ((e.has_key = Has(o, "key"))) e.key = Bytes(env, o.Get("key"), w + ".key");
  if ((e.has_key_end = Has(o, "keyEnd"))) e.key_end = Bytes(env, o.Get("keyEnd"), w + ".keyEnd");
  if ((e.has_flags = Has(o, "flags"))) e.flags = static_cast<uint32_t>(U64(env, o.Get("flags"), w + ".flags"));
  if ((e.has_timeout = Has(o, "timeout"))) e.timeout = U64(env, o.Get("timeout"), w + ".timeout");
  if ((e.has_data = Has(o, "data"))) e.data = Bytes(env, o.Get("data"), w + ".data");
  if ((e.has_verdict = Has(o, "verdict"))) {
    e.verdict = static_cast<int32_t>(I64(env, o.Get("verdict"), w + ".verdict"));
    if (Has(o, "chain")) e.chain = Str(env, o.Get("chain"), w + ".chain");
  }
  if ((e.has_objref = Has(o, "objref"))) e.objref = Str(env, o.Get("objref"), w + ".objref");
  if ((e.has_userdata = Has(o, "userdata"))) e.userdata = Bytes(env, o.Get("userdata"), w + ".userdata");
  if (Has(o, "exprs")) e.exprs = ReadExprs(env, o.Get("exprs"), w + ".exprs");
  return e;
}

Verb ParseVerb(const Napi::Env& env, const std::string& s, const std::string& w) {
  if (s == "add") return Verb::Add;
  if (s == "create") return Verb::Create;
  if (s == "insert") return Verb::Insert;
  if (s == "replace") return Verb::Replace;
  if (s == "delete") return Verb::Delete;
  if (s == "destroy") return Verb::Destroy;
  if (s == "flush") return Verb::Flush;
  Bad(env, w, "unknown verb '" + s + "'");
}

Kind ParseKind(const Napi::Env& env, const std::string& s, const std::string& w) {
  if (s == "table") return Kind::Table;
  if (s == "chain") return Kind::Chain;
  if (s == "rule") return Kind::Rule;
  if (s == "set" || s == "map") return Kind::Set;
  if (s == "element") return Kind::Element;
  if (s == "object" || s == "counter" || s == "quota" || s == "limit") return Kind::Object;
  if (s == "ruleset") return Kind::Ruleset;
  Bad(env, w, "unknown kind '" + s + "'");
}

OpDesc ReadOp(const Napi::Env& env, const Napi::Value& v, const std::string& w) {
  if (!v.IsObject()) Bad(env, w, "expected an operation object");
  auto o = v.As<Napi::Object>();
  OpDesc op;
  op.verb = ParseVerb(env, Str(env, o.Get("verb"), w + ".verb"), w + ".verb");
  op.kind = ParseKind(env, Str(env, o.Get("kind"), w + ".kind"), w + ".kind");
  op.family = static_cast<uint32_t>(U64(env, o.Get("family"), w + ".family"));
  auto u32 = [&](const char* k, uint32_t& dst, bool* has = nullptr) {
    bool h = Has(o, k);
    if (has) *has = h;
    if (h) dst = static_cast<uint32_t>(U64(env, o.Get(k), w + "." + k));
  };
  if (Has(o, "table")) op.table = Str(env, o.Get("table"), w + ".table");
  if ((op.has_name = Has(o, "name"))) op.name = Str(env, o.Get("name"), w + ".name");
  if (Has(o, "chain")) op.chain = Str(env, o.Get("chain"), w + ".chain");
  if (Has(o, "set")) op.set = Str(env, o.Get("set"), w + ".set");
  if (Has(o, "type")) op.type = Str(env, o.Get("type"), w + ".type");
  if ((op.has_handle = Has(o, "handle"))) op.handle = U64(env, o.Get("handle"), w + ".handle");
  if ((op.has_position = Has(o, "position"))) op.position = U64(env, o.Get("position"), w + ".position");
  if ((op.has_timeout = Has(o, "timeout"))) op.timeout = U64(env, o.Get("timeout"), w + ".timeout");
  u32("flags", op.flags, &op.has_flags);
  u32("hook", op.hook, &op.has_hook);
  u32("policy", op.policy, &op.has_policy);
  u32("id", op.id, &op.has_id);
  u32("setId", op.set_id, &op.has_set_id);
  u32("gcInterval", op.gc_interval, &op.has_gc);
  u32("size", op.size, &op.has_size);
  u32("keyType", op.key_type);
  u32("keyLen", op.key_len);
  u32("dataType", op.data_type, &op.has_data_type);
  u32("dataLen", op.data_len);
  u32("objType", op.obj_type, &op.has_obj_type);
  u32("setPolicy", op.set_policy, &op.has_set_policy);
  if (Has(o, "priority")) op.priority = static_cast<int32_t>(I64(env, o.Get("priority"), w + ".priority"));
  if ((op.has_userdata = Has(o, "userdata"))) op.userdata = Bytes(env, o.Get("userdata"), w + ".userdata");
  if (Has(o, "echo")) op.echo = o.Get("echo").ToBoolean().Value();
  if (Has(o, "devices")) {
    Napi::Value dv = o.Get("devices");
    if (!dv.IsArray()) Bad(env, w + ".devices", "expected an array of strings");
    auto a = dv.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) op.devices.push_back(Str(env, a.Get(i), w + ".devices[" + std::to_string(i) + "]"));
  }
  if (Has(o, "concat")) {
    Napi::Value cv = o.Get("concat");
    if (!cv.IsArray()) Bad(env, w + ".concat", "expected an array of field lengths");
    auto a = cv.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) op.concat.push_back(static_cast<uint32_t>(U64(env, a.Get(i), w + ".concat")));
  }
  if (Has(o, "exprs")) op.exprs = ReadExprs(env, o.Get("exprs"), w + ".exprs");
  if (Has(o, "packedKeys")) {
    // Plain elements travel as one buffer of fixed-size keys (+ one flag byte
    // each): one N-API call for the whole list instead of several per element.
    std::string keys = Bytes(env, o.Get("packedKeys"), w + ".packedKeys");
    uint32_t key_len = static_cast<uint32_t>(U64(env, o.Get("keyLen"), w + ".keyLen"));
    if (key_len == 0 || keys.size() % key_len != 0) Bad(env, w + ".packedKeys", "length is not a multiple of keyLen");
    std::string flags;
    bool has_flags = Has(o, "packedFlags");
    size_t count = keys.size() / key_len;
    if (has_flags) {
      flags = Bytes(env, o.Get("packedFlags"), w + ".packedFlags");
      if (flags.size() != count) Bad(env, w + ".packedFlags", "expected one flag byte per key");
    }
    op.elems.resize(count);
    for (size_t i = 0; i < count; i++) {
      ElemDesc& e = op.elems[i];
      e.has_key = true;
      e.key.assign(keys, i * key_len, key_len);
      if (has_flags && flags[i]) {
        e.has_flags = true;
        e.flags = static_cast<uint8_t>(flags[i]);
      }
    }
  }
  if (Has(o, "elements")) {
    Napi::Value ev = o.Get("elements");
    if (!ev.IsArray()) Bad(env, w + ".elements", "expected an array");
    auto a = ev.As<Napi::Array>();
    op.elems.reserve(a.Length());
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value e = a.Get(i);
      std::string ew = w + ".elements[" + std::to_string(i) + "]";
      if (!e.IsObject()) Bad(env, ew, "expected an element object");
      op.elems.push_back(ReadElem(env, e.As<Napi::Object>(), ew));
    }
  }
  if (op.kind == Kind::Object && op.has_obj_type) {
    if (const ExprSpec* spec = FindObjSpec(op.obj_type)) {
      for (size_t i = 0; i < spec->count; i++) {
        const AttrSpec& a = spec->attrs[i];
        if (!Has(o, a.field)) continue;
        ExprAttr attr;
        attr.id = a.id;
        attr.kind = a.kind;
        attr.num = U64(env, o.Get(a.field), w + "." + a.field);
        op.obj_attrs.push_back(attr);
      }
    }
  }
  return op;
}

const char* ErrnoName(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(EBADF) E(EAGAIN) E(ENOMEM) E(EACCES)
    E(EFAULT) E(EBUSY) E(EEXIST) E(ENODEV) E(ENOTDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOSPC) E(ERANGE)
    E(ENAMETOOLONG) E(ENOTEMPTY) E(ELOOP) E(EOPNOTSUPP) E(EPROTONOSUPPORT) E(EAFNOSUPPORT) E(ENOBUFS)
    E(EMSGSIZE) E(ERESTART) E(ETIMEDOUT) E(ECONNREFUSED)
    E(EOVERFLOW) E(EBADMSG) E(EPROTO) E(ENOTSOCK)
#undef E
    default: return "EUNKNOWN";
  }
}

}  // namespace

std::vector<OpDesc> ReadOps(const Napi::Env& env, const Napi::Value& value) {
  if (!value.IsArray()) Bad(env, "ops", "expected an array of operations");
  auto a = value.As<Napi::Array>();
  std::vector<OpDesc> ops;
  ops.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) ops.push_back(ReadOp(env, a.Get(i), "ops[" + std::to_string(i) + "]"));
  return ops;
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
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", Napi::Boolean::New(env, c.errors.empty() && c.acked));
  o.Set("messages", Napi::Number::New(env, messages));
  o.Set("bytes", Napi::Number::New(env, static_cast<double>(bytes)));
  Napi::Array h = Napi::Array::New(env, c.handles.size());
  for (size_t i = 0; i < c.handles.size(); i++) {
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, Napi::Number::New(env, c.handles[i].first));
    pair.Set(1u, NumToJs(env, c.handles[i].second));
    h.Set(i, pair);
  }
  o.Set("handles", h);
  Napi::Array errs = Napi::Array::New(env, c.errors.size());
  for (size_t i = 0; i < c.errors.size(); i++) {
    const OpError& e = c.errors[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("errno", Napi::Number::New(env, e.err));
    x.Set("code", Napi::String::New(env, ErrnoName(e.err)));
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
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  return e;
}

}  // namespace nftkit
