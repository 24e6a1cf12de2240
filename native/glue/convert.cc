#include "glue/convert.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>

#include "core/expr_schema.h"

namespace nftkit {
namespace {

constexpr double kMaxSafe = 9007199254740991.0;

// Where a value sits in the descriptor, for error messages. Built lazily: on
// the hot path a Path is a few pointers on the stack, and the text is made
// only when something is wrong (a std::string per field per operation used to
// cost more than the N-API calls themselves).
struct Path {
  const Path* parent = nullptr;
  const char* field = nullptr;
  long index = -1;
  const std::string* text = nullptr;

  Path(const std::string& t) : text(&t) {}  // NOLINT: implicit on purpose, for the cold paths
  Path(const char* f) : field(f) {}         // NOLINT: a root such as "request"
  Path(const Path& p, const char* f, long i = -1) : parent(&p), field(f), index(i) {}
  Path(const Path& p, long i) : parent(&p), index(i) {}

  std::string str() const {
    std::string s = parent ? parent->str() : std::string();
    if (text) s += *text;
    if (field) {
      if (!s.empty()) s += '.';
      s += field;
    }
    if (index >= 0) s += "[" + std::to_string(index) + "]";
    return s;
  }
};

[[noreturn]] void Bad(const Napi::Env& env, const Path& where, const std::string& what) {
  throw Napi::TypeError::New(env, "invalid native descriptor at " + where.str() + ": " + what);
}

bool Has(const Napi::Object& o, const char* k) {
  if (!o.Has(k)) return false;
  Napi::Value v = o.Get(k);
  return !v.IsUndefined() && !v.IsNull();
}

uint64_t U64(const Napi::Env& env, const Napi::Value& v, const Path& where) {
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

int64_t I64(const Napi::Env& env, const Napi::Value& v, const Path& where) {
  if (!v.IsNumber()) Bad(env, where, "expected a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::floor(d) != d || std::fabs(d) > kMaxSafe) Bad(env, where, "expected an integer");
  return static_cast<int64_t>(d);
}

std::string Str(const Napi::Env& env, const Napi::Value& v, const Path& where) {
  if (!v.IsString()) Bad(env, where, "expected a string");
  return v.As<Napi::String>().Utf8Value();
}

std::string Bytes(const Napi::Env& env, const Napi::Value& v, const Path& where) {
  if (!v.IsTypedArray()) Bad(env, where, "expected a Buffer or Uint8Array");
  auto a = v.As<Napi::Uint8Array>();
  return std::string(reinterpret_cast<const char*>(a.Data()), a.ByteLength());
}

// Calls fn(name, value) for each own enumerable string-keyed property whose
// value is neither undefined nor null: one N-API call for the key list and one
// per present field, instead of a Has and a Get for every possible field.
template <typename F>
void ForEachField(const Napi::Env& env, const Napi::Object& o, F&& fn) {
  napi_value names;
  if (napi_get_all_property_names(env, o, napi_key_own_only,
                                  static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
                                  napi_key_numbers_to_strings, &names) != napi_ok)
    throw Napi::Error::New(env);
  Napi::Array keys(env, names);
  const uint32_t n = keys.Length();
  char buf[40];
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value k = keys.Get(i);
    Napi::Value v = o.Get(k);
    if (v.IsUndefined() || v.IsNull()) continue;
    size_t len = 0;
    if (napi_get_value_string_utf8(env, k, buf, sizeof buf, &len) != napi_ok) throw Napi::Error::New(env);
    fn(std::string_view(buf, len), v);
  }
}

ExprDesc ReadExpr(const Napi::Env& env, const Napi::Value& v, const Path& where) {
  if (!v.IsObject()) Bad(env, where, "expected an expression object");
  auto o = v.As<Napi::Object>();
  ExprDesc d;
  d.name = Str(env, o.Get("type"), Path(where, "type"));
  const ExprSpec* spec = FindExprSpec(d.name);
  if (!spec) Bad(env, Path(where, "type"), "unknown kernel expression '" + d.name + "'");
  d.attrs.reserve(spec->count);
  ForEachField(env, o, [&](std::string_view k, const Napi::Value& val) {
    if (k == "type") return;
    std::string key(k);
    const AttrSpec* a = FindAttrSpec(*spec, key);
    // The field name lives in the schema (static storage), so the lazy path can point at it.
    if (!a) Bad(env, Path(where, key.c_str()), "not an attribute of '" + d.name + "'");
    Path w(where, a->field);
    ExprAttr attr;
    attr.id = a->id;
    attr.kind = a->kind;
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
  });
  return d;
}

std::vector<ExprDesc> ReadExprs(const Napi::Env& env, const Napi::Value& v, const Path& where) {
  if (!v.IsArray()) Bad(env, where, "expected an array of expressions");
  auto a = v.As<Napi::Array>();
  std::vector<ExprDesc> out;
  const uint32_t n = a.Length();
  out.reserve(n);
  for (uint32_t i = 0; i < n; i++) out.push_back(ReadExpr(env, a.Get(i), Path(where, i)));
  return out;
}

ElemDesc ReadElem(const Napi::Env& env, const Napi::Object& o, const Path& w) {
  ElemDesc e;
  bool chain = false;
  Napi::Value chain_v;
  ForEachField(env, o, [&](std::string_view k, const Napi::Value& v) {
    if (k == "key") e.has_key = true, e.key = Bytes(env, v, Path(w, "key"));
    else if (k == "keyEnd") e.has_key_end = true, e.key_end = Bytes(env, v, Path(w, "keyEnd"));
    else if (k == "flags") e.has_flags = true, e.flags = static_cast<uint32_t>(U64(env, v, Path(w, "flags")));
    else if (k == "timeout") e.has_timeout = true, e.timeout = U64(env, v, Path(w, "timeout"));
    else if (k == "data") e.has_data = true, e.data = Bytes(env, v, Path(w, "data"));
    else if (k == "verdict") e.has_verdict = true, e.verdict = static_cast<int32_t>(I64(env, v, Path(w, "verdict")));
    else if (k == "chain") chain = true, chain_v = v;
    else if (k == "objref") e.has_objref = true, e.objref = Str(env, v, Path(w, "objref"));
    else if (k == "userdata") e.has_userdata = true, e.userdata = Bytes(env, v, Path(w, "userdata"));
    else if (k == "exprs") e.exprs = ReadExprs(env, v, Path(w, "exprs"));
  });
  if (chain && e.has_verdict) e.chain = Str(env, chain_v, Path(w, "chain"));
  return e;
}

Verb ParseVerb(const Napi::Env& env, const std::string& s, const Path& w) {
  if (s == "add") return Verb::Add;
  if (s == "create") return Verb::Create;
  if (s == "insert") return Verb::Insert;
  if (s == "replace") return Verb::Replace;
  if (s == "delete") return Verb::Delete;
  if (s == "destroy") return Verb::Destroy;
  if (s == "flush") return Verb::Flush;
  Bad(env, w, "unknown verb '" + s + "'");
}

Kind ParseKind(const Napi::Env& env, const std::string& s, const Path& w) {
  if (s == "table") return Kind::Table;
  if (s == "chain") return Kind::Chain;
  if (s == "rule") return Kind::Rule;
  if (s == "set" || s == "map") return Kind::Set;
  if (s == "element") return Kind::Element;
  if (s == "object" || s == "counter" || s == "quota" || s == "limit") return Kind::Object;
  if (s == "ruleset") return Kind::Ruleset;
  Bad(env, w, "unknown kind '" + s + "'");
}

OpDesc ReadOp(const Napi::Env& env, const Napi::Value& v, const Path& w) {
  if (!v.IsObject()) Bad(env, w, "expected an operation object");
  auto o = v.As<Napi::Object>();
  OpDesc op;
  bool has_verb = false, has_kind = false, has_family = false;
  Napi::Value packed_keys, packed_flags, elements;
  std::vector<std::pair<std::string, Napi::Value>> other;  // object attributes, resolved once objType is known
  auto u32 = [&](const Napi::Value& x, const char* k, uint32_t& dst, bool* has = nullptr) {
    if (has) *has = true;
    dst = static_cast<uint32_t>(U64(env, x, Path(w, k)));
  };
  ForEachField(env, o, [&](std::string_view k, const Napi::Value& x) {
    if (k == "verb") has_verb = true, op.verb = ParseVerb(env, Str(env, x, Path(w, "verb")), Path(w, "verb"));
    else if (k == "kind") has_kind = true, op.kind = ParseKind(env, Str(env, x, Path(w, "kind")), Path(w, "kind"));
    else if (k == "family") has_family = true, op.family = static_cast<uint32_t>(U64(env, x, Path(w, "family")));
    else if (k == "table") op.table = Str(env, x, Path(w, "table"));
    else if (k == "name") op.has_name = true, op.name = Str(env, x, Path(w, "name"));
    else if (k == "chain") op.chain = Str(env, x, Path(w, "chain"));
    else if (k == "set") op.set = Str(env, x, Path(w, "set"));
    else if (k == "type") op.type = Str(env, x, Path(w, "type"));
    else if (k == "handle") op.has_handle = true, op.handle = U64(env, x, Path(w, "handle"));
    else if (k == "position") op.has_position = true, op.position = U64(env, x, Path(w, "position"));
    else if (k == "timeout") op.has_timeout = true, op.timeout = U64(env, x, Path(w, "timeout"));
    else if (k == "flags") u32(x, "flags", op.flags, &op.has_flags);
    else if (k == "hook") u32(x, "hook", op.hook, &op.has_hook);
    else if (k == "policy") u32(x, "policy", op.policy, &op.has_policy);
    else if (k == "id") u32(x, "id", op.id, &op.has_id);
    else if (k == "setId") u32(x, "setId", op.set_id, &op.has_set_id);
    else if (k == "gcInterval") u32(x, "gcInterval", op.gc_interval, &op.has_gc);
    else if (k == "size") u32(x, "size", op.size, &op.has_size);
    else if (k == "keyType") u32(x, "keyType", op.key_type);
    else if (k == "keyLen") u32(x, "keyLen", op.key_len);
    else if (k == "dataType") u32(x, "dataType", op.data_type, &op.has_data_type);
    else if (k == "dataLen") u32(x, "dataLen", op.data_len);
    else if (k == "objType") u32(x, "objType", op.obj_type, &op.has_obj_type);
    else if (k == "setPolicy") u32(x, "setPolicy", op.set_policy, &op.has_set_policy);
    else if (k == "priority") op.priority = static_cast<int32_t>(I64(env, x, Path(w, "priority")));
    else if (k == "userdata") op.has_userdata = true, op.userdata = Bytes(env, x, Path(w, "userdata"));
    else if (k == "echo") op.echo = x.ToBoolean().Value();
    else if (k == "devices") {
      if (!x.IsArray()) Bad(env, Path(w, "devices"), "expected an array of strings");
      auto a = x.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); i++) op.devices.push_back(Str(env, a.Get(i), Path(w, "devices", i)));
    } else if (k == "concat") {
      if (!x.IsArray()) Bad(env, Path(w, "concat"), "expected an array of field lengths");
      auto a = x.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); i++) op.concat.push_back(static_cast<uint32_t>(U64(env, a.Get(i), Path(w, "concat", i))));
    } else if (k == "exprs") op.exprs = ReadExprs(env, x, Path(w, "exprs"));
    else if (k == "packedKeys") packed_keys = x;
    else if (k == "packedFlags") packed_flags = x;
    else if (k == "elements") elements = x;
    else other.emplace_back(std::string(k), x);
  });
  if (!has_verb) Bad(env, Path(w, "verb"), "expected a string");
  if (!has_kind) Bad(env, Path(w, "kind"), "expected a string");
  if (!has_family) Bad(env, Path(w, "family"), "expected a number or bigint");
  if (!packed_keys.IsEmpty()) {
    // Plain elements travel as one buffer of fixed-size keys (+ one flag byte
    // each): one N-API call for the whole list instead of several per element.
    std::string keys = Bytes(env, packed_keys, Path(w, "packedKeys"));
    const uint32_t key_len = op.key_len;
    if (key_len == 0 || keys.size() % key_len != 0) Bad(env, Path(w, "packedKeys"), "length is not a multiple of keyLen");
    std::string flags;
    const bool has_flags = !packed_flags.IsEmpty();
    const size_t count = keys.size() / key_len;
    if (has_flags) {
      flags = Bytes(env, packed_flags, Path(w, "packedFlags"));
      if (flags.size() != count) Bad(env, Path(w, "packedFlags"), "expected one flag byte per key");
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
  if (!elements.IsEmpty()) {
    if (!elements.IsArray()) Bad(env, Path(w, "elements"), "expected an array");
    auto a = elements.As<Napi::Array>();
    const uint32_t n = a.Length();
    op.elems.reserve(op.elems.size() + n);
    for (uint32_t i = 0; i < n; i++) {
      Napi::Value e = a.Get(i);
      Path ew(w, "elements", i);
      if (!e.IsObject()) Bad(env, ew, "expected an element object");
      op.elems.push_back(ReadElem(env, e.As<Napi::Object>(), ew));
    }
  }
  if (op.kind == Kind::Object && op.has_obj_type) {
    if (const ExprSpec* spec = FindObjSpec(op.obj_type)) {
      for (size_t i = 0; i < spec->count; i++) {
        const AttrSpec& a = spec->attrs[i];
        for (const auto& [name, x] : other) {
          if (name != a.field) continue;
          ExprAttr attr;
          attr.id = a.id;
          attr.kind = a.kind;
          attr.num = U64(env, x, Path(w, a.field));
          op.obj_attrs.push_back(attr);
        }
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
  static const std::string kOps = "ops";
  const Path root(kOps);
  const uint32_t n = a.Length();
  for (uint32_t i = 0; i < n; i++) ops.push_back(ReadOp(env, a.Get(i), Path(root, i)));
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
