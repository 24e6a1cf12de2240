#include "core/dump_reader.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "core/expr_schema.h"
#include "util/handles.h"

namespace nftkit {
namespace {

template <typename Obj, typename IsSet, typename Get>
void PutBytes(Record& r, const char* field, Obj* o, uint16_t attr, IsSet is_set, Get get) {
  if (!is_set(o, attr)) return;
  uint32_t len = 0;
  const void* p = get(o, attr, &len);
  if (p) r.Bytes(field, p, len);
}

int CollectExpr(nftnl_expr* e, void* data) {
  static_cast<std::vector<Record>*>(data)->push_back(DecodeExpr(e));
  return 0;
}

}  // namespace

std::string FieldStr(const Record& r, const char* field) {
  for (const auto& f : r.fields)
    if (f.first == field) return f.second.str;
  return {};
}

uint64_t FieldNum(const Record& r, const char* field) {
  for (const auto& f : r.fields)
    if (f.first == field) return f.second.num;
  return 0;
}

bool DecodeTable(const nlmsghdr* nlh, Record& r) {
  TablePtr t(nftnl_table_alloc());
  if (nftnl_table_nlmsg_parse(nlh, t.get()) < 0) return false;
  auto* p = t.get();
  r.Str("kind", "table");
  r.Num("family", nftnl_table_get_u32(p, NFTNL_TABLE_FAMILY));
  r.Str("name", nftnl_table_get_str(p, NFTNL_TABLE_NAME));
  r.Str("table", nftnl_table_get_str(p, NFTNL_TABLE_NAME));
  r.Num("handle", nftnl_table_get_u64(p, NFTNL_TABLE_HANDLE));
  r.Num("flags", nftnl_table_get_u32(p, NFTNL_TABLE_FLAGS));
  r.Num("use", nftnl_table_get_u32(p, NFTNL_TABLE_USE));
  if (nftnl_table_is_set(p, NFTNL_TABLE_OWNER)) r.Num("owner", nftnl_table_get_u32(p, NFTNL_TABLE_OWNER));
  PutBytes(r, "userdata", p, NFTNL_TABLE_USERDATA, nftnl_table_is_set, nftnl_table_get_data);
  return true;
}

bool DecodeChain(const nlmsghdr* nlh, Record& r) {
  ChainPtr c(nftnl_chain_alloc());
  if (nftnl_chain_nlmsg_parse(nlh, c.get()) < 0) return false;
  auto* p = c.get();
  r.Str("kind", "chain");
  r.Num("family", nftnl_chain_get_u32(p, NFTNL_CHAIN_FAMILY));
  r.Str("table", nftnl_chain_get_str(p, NFTNL_CHAIN_TABLE));
  r.Str("name", nftnl_chain_get_str(p, NFTNL_CHAIN_NAME));
  r.Num("handle", nftnl_chain_get_u64(p, NFTNL_CHAIN_HANDLE));
  r.Num("use", nftnl_chain_get_u32(p, NFTNL_CHAIN_USE));
  if (nftnl_chain_is_set(p, NFTNL_CHAIN_HOOKNUM)) {
    r.Num("hook", nftnl_chain_get_u32(p, NFTNL_CHAIN_HOOKNUM));
    r.SNum("priority", nftnl_chain_get_s32(p, NFTNL_CHAIN_PRIO));
    r.Str("type", nftnl_chain_get_str(p, NFTNL_CHAIN_TYPE));
  }
  if (nftnl_chain_is_set(p, NFTNL_CHAIN_POLICY)) r.Num("policy", nftnl_chain_get_u32(p, NFTNL_CHAIN_POLICY));
  if (nftnl_chain_is_set(p, NFTNL_CHAIN_FLAGS)) r.Num("flags", nftnl_chain_get_u32(p, NFTNL_CHAIN_FLAGS));
  if (nftnl_chain_is_set(p, NFTNL_CHAIN_PACKETS)) {
    r.Num("packets", nftnl_chain_get_u64(p, NFTNL_CHAIN_PACKETS));
    r.Num("bytes", nftnl_chain_get_u64(p, NFTNL_CHAIN_BYTES));
  }
  // Kernels report a single device both as NFTA_HOOK_DEV and in NFTA_HOOK_DEVS:
  // take the list when present, the single attribute otherwise.
  std::vector<std::string> devs;
  if (nftnl_chain_is_set(p, NFTNL_CHAIN_DEVICES)) {
    const char* const* arr = nftnl_chain_get_array(p, NFTNL_CHAIN_DEVICES);
    for (size_t i = 0; arr && arr[i]; i++) devs.push_back(arr[i]);
  }
  if (devs.empty() && nftnl_chain_is_set(p, NFTNL_CHAIN_DEV)) devs.push_back(nftnl_chain_get_str(p, NFTNL_CHAIN_DEV));
  if (!devs.empty()) r.Strs("devices", std::move(devs));
  PutBytes(r, "userdata", p, NFTNL_CHAIN_USERDATA, nftnl_chain_is_set, nftnl_chain_get_data);
  return true;
}

bool DecodeSet(const nlmsghdr* nlh, Record& r) {
  SetPtr s(nftnl_set_alloc());
  if (nftnl_set_nlmsg_parse(nlh, s.get()) < 0) return false;
  auto* p = s.get();
  r.Str("kind", "set");
  r.Num("family", nftnl_set_get_u32(p, NFTNL_SET_FAMILY));
  r.Str("table", nftnl_set_get_str(p, NFTNL_SET_TABLE));
  r.Str("name", nftnl_set_get_str(p, NFTNL_SET_NAME));
  r.Num("handle", nftnl_set_get_u64(p, NFTNL_SET_HANDLE));
  r.Num("flags", nftnl_set_get_u32(p, NFTNL_SET_FLAGS));
  r.Num("keyType", nftnl_set_get_u32(p, NFTNL_SET_KEY_TYPE));
  r.Num("keyLen", nftnl_set_get_u32(p, NFTNL_SET_KEY_LEN));
  if (nftnl_set_is_set(p, NFTNL_SET_DATA_TYPE)) {
    r.Num("dataType", nftnl_set_get_u32(p, NFTNL_SET_DATA_TYPE));
    r.Num("dataLen", nftnl_set_get_u32(p, NFTNL_SET_DATA_LEN));
  }
  if (nftnl_set_is_set(p, NFTNL_SET_OBJ_TYPE)) r.Num("objType", nftnl_set_get_u32(p, NFTNL_SET_OBJ_TYPE));
  if (nftnl_set_is_set(p, NFTNL_SET_POLICY)) r.Num("setPolicy", nftnl_set_get_u32(p, NFTNL_SET_POLICY));
  if (nftnl_set_is_set(p, NFTNL_SET_DESC_SIZE)) r.Num("size", nftnl_set_get_u32(p, NFTNL_SET_DESC_SIZE));
  if (nftnl_set_is_set(p, NFTNL_SET_TIMEOUT)) r.Num("timeout", nftnl_set_get_u64(p, NFTNL_SET_TIMEOUT));
  if (nftnl_set_is_set(p, NFTNL_SET_GC_INTERVAL)) r.Num("gcInterval", nftnl_set_get_u32(p, NFTNL_SET_GC_INTERVAL));
  if (nftnl_set_is_set(p, NFTNL_SET_DESC_CONCAT)) {
    uint32_t len = 0;
    const auto* lens = static_cast<const uint8_t*>(nftnl_set_get_data(p, NFTNL_SET_DESC_CONCAT, &len));
    std::vector<uint64_t> v;
    for (uint32_t i = 0; lens && i < len && lens[i]; i++) v.push_back(lens[i]);
    r.Nums("concat", std::move(v));
  }
  PutBytes(r, "userdata", p, NFTNL_SET_USERDATA, nftnl_set_is_set, nftnl_set_get_data);
  std::vector<Record> exprs;
  nftnl_set_expr_foreach(p, CollectExpr, &exprs);
  if (!exprs.empty()) r.List("exprs", std::move(exprs));
  return true;
}

bool DecodeRule(const nlmsghdr* nlh, Record& r) {
  RulePtr x(nftnl_rule_alloc());
  if (nftnl_rule_nlmsg_parse(nlh, x.get()) < 0) return false;
  auto* p = x.get();
  r.Str("kind", "rule");
  r.Num("family", nftnl_rule_get_u32(p, NFTNL_RULE_FAMILY));
  r.Str("table", nftnl_rule_get_str(p, NFTNL_RULE_TABLE));
  r.Str("chain", nftnl_rule_get_str(p, NFTNL_RULE_CHAIN));
  r.Num("handle", nftnl_rule_get_u64(p, NFTNL_RULE_HANDLE));
  if (nftnl_rule_is_set(p, NFTNL_RULE_POSITION)) r.Num("position", nftnl_rule_get_u64(p, NFTNL_RULE_POSITION));
  PutBytes(r, "userdata", p, NFTNL_RULE_USERDATA, nftnl_rule_is_set, nftnl_rule_get_data);
  std::vector<Record> exprs;
  nftnl_expr_foreach(p, CollectExpr, &exprs);
  r.List("exprs", std::move(exprs));
  return true;
}

bool DecodeObject(const nlmsghdr* nlh, Record& r) {
  ObjPtr o(nftnl_obj_alloc());
  if (nftnl_obj_nlmsg_parse(nlh, o.get()) < 0) return false;
  auto* p = o.get();
  uint32_t type = nftnl_obj_get_u32(p, NFTNL_OBJ_TYPE);
  r.Str("kind", "object");
  r.Num("family", nftnl_obj_get_u32(p, NFTNL_OBJ_FAMILY));
  r.Str("table", nftnl_obj_get_str(p, NFTNL_OBJ_TABLE));
  r.Str("name", nftnl_obj_get_str(p, NFTNL_OBJ_NAME));
  r.Num("handle", nftnl_obj_get_u64(p, NFTNL_OBJ_HANDLE));
  r.Num("objType", type);
  PutBytes(r, "userdata", p, NFTNL_OBJ_USERDATA, nftnl_obj_is_set, nftnl_obj_get_data);
  if (const ExprSpec* spec = FindObjSpec(type)) {
    for (size_t i = 0; i < spec->count; i++) {
      const AttrSpec& a = spec->attrs[i];
      if (!nftnl_obj_is_set(p, a.id)) continue;
      switch (a.kind) {
        case AttrKind::U8: r.Num(a.field, nftnl_obj_get_u8(p, a.id)); break;
        case AttrKind::U16: r.Num(a.field, nftnl_obj_get_u16(p, a.id)); break;
        case AttrKind::U32: r.Num(a.field, nftnl_obj_get_u32(p, a.id)); break;
        case AttrKind::U64: r.Num(a.field, nftnl_obj_get_u64(p, a.id)); break;
        case AttrKind::Str: {
          const char* s = nftnl_obj_get_str(p, a.id);
          r.Str(a.field, s ? s : "");
          break;
        }
        default: break;
      }
    }
  }
  return true;
}

namespace {

Record ElementRecord(nftnl_set_elem* e) {
  Record r;
  auto bytes = [&](const char* f, uint16_t attr) {
    if (!nftnl_set_elem_is_set(e, attr)) return;
    uint32_t len = 0;
    const void* p = nftnl_set_elem_get(e, attr, &len);
    if (p) r.Bytes(f, p, len);
  };
  bytes("key", NFTNL_SET_ELEM_KEY);
  bytes("keyEnd", NFTNL_SET_ELEM_KEY_END);
  bytes("data", NFTNL_SET_ELEM_DATA);
  bytes("userdata", NFTNL_SET_ELEM_USERDATA);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS)) r.Num("flags", nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS));
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT))
    r.SNum("verdict", static_cast<int32_t>(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT)));
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN)) r.Str("chain", nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN));
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_OBJREF)) r.Str("objref", nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_OBJREF));
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT)) r.Num("timeout", nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT));
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION))
    r.Num("expiration", nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION));
  std::vector<Record> exprs;
  nftnl_set_elem_expr_foreach(e, CollectExpr, &exprs);
  if (!exprs.empty()) r.List("exprs", std::move(exprs));
  return r;
}

bool IsPlain(nftnl_set_elem* e) {
  static const uint16_t kRich[] = {NFTNL_SET_ELEM_KEY_END, NFTNL_SET_ELEM_DATA,    NFTNL_SET_ELEM_USERDATA,
                                   NFTNL_SET_ELEM_VERDICT, NFTNL_SET_ELEM_CHAIN,   NFTNL_SET_ELEM_OBJREF,
                                   NFTNL_SET_ELEM_TIMEOUT, NFTNL_SET_ELEM_EXPIRATION, NFTNL_SET_ELEM_EXPR,
                                   NFTNL_SET_ELEM_EXPRESSIONS};
  if (!nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY)) return false;
  for (uint16_t a : kRich)
    if (nftnl_set_elem_is_set(e, a)) return false;
  return !nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) || nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) <= 255;
}

// Converts what was packed so far into records (first rich element seen).
void Unpack(ElementAccumulator& acc) {
  size_t n = acc.flags.size();
  for (size_t i = 0; i < n; i++) {
    Record r;
    r.Bytes("key", acc.keys.data() + i * acc.key_len, acc.key_len);
    if (acc.flags[i]) r.Num("flags", static_cast<uint8_t>(acc.flags[i]));
    acc.records.push_back(std::move(r));
  }
  acc.keys.clear();
  acc.flags.clear();
  acc.plain = false;
}

}  // namespace

void ElementAccumulator::PutOn(Record& set) {
  if (plain && !flags.empty()) {
    set.Bytes("elementKeys", keys.data(), keys.size());
    set.Bytes("elementFlags", flags.data(), flags.size());
    set.Num("elementKeyLen", key_len);
  } else {
    set.List("elements", std::move(records));
  }
}

namespace {

// Calls f(attr) for each attribute in [begin, end); stops early when f returns false.
template <typename F>
bool ForEachAttr(const void* begin, const void* end, F&& f) {
  const char* stop = static_cast<const char*>(end);
  for (const auto* a = static_cast<const nlattr*>(begin);
       mnl_attr_ok(a, static_cast<int>(stop - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a))
    if (!f(a)) return false;
  return true;
}

template <typename F>
bool ForEachNested(const nlattr* nest, F&& f) {
  const char* p = static_cast<const char*>(mnl_attr_get_payload(nest));
  return ForEachAttr(p, p + mnl_attr_get_payload_len(nest), f);
}

// Appends the elements of one GETSETELEM reply straight from its attributes
// when every one is a plain key (plus flags): no nftnl_set_elem is allocated,
// filled and freed per element. Returns false, having appended nothing, when
// some element carries more (the caller then decodes the reply with libnftnl).
bool TakePlain(const nlmsghdr* nlh, ElementAccumulator& acc) {
  if (!acc.plain) return false;
  const size_t keys_before = acc.keys.size(), flags_before = acc.flags.size(), key_len_before = acc.key_len;
  bool ok = ForEachAttr(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)), mnl_nlmsg_get_payload_tail(nlh),
                        [&](const nlattr* list) {
    if (mnl_attr_get_type(list) != NFTA_SET_ELEM_LIST_ELEMENTS) return true;
    return ForEachNested(list, [&](const nlattr* el) {
      const void* key = nullptr;
      uint32_t key_len = 0, flags = 0;
      bool plain = ForEachNested(el, [&](const nlattr* a) {
        switch (mnl_attr_get_type(a)) {
          case NFTA_SET_ELEM_KEY:
            return ForEachNested(a, [&](const nlattr* v) {
              if (mnl_attr_get_type(v) != NFTA_DATA_VALUE) return false;
              key = mnl_attr_get_payload(v);
              key_len = mnl_attr_get_payload_len(v);
              return true;
            });
          case NFTA_SET_ELEM_FLAGS:
            if (mnl_attr_get_payload_len(a) != 4) return false;
            flags = ntohl(mnl_attr_get_u32(a));
            return true;
          default: return false;
        }
      });
      if (!plain || !key || key_len == 0 || flags > 255) return false;
      if (acc.key_len == 0) acc.key_len = key_len;
      if (key_len != acc.key_len) return false;
      acc.keys.append(static_cast<const char*>(key), key_len);
      acc.flags.push_back(static_cast<char>(flags));
      return true;
    });
  });
  if (ok) return true;
  acc.keys.resize(keys_before);
  acc.flags.resize(flags_before);
  acc.key_len = key_len_before;
  return false;
}

}  // namespace

void DecodeElements(const nlmsghdr* nlh, ElementAccumulator& acc) {
  if (TakePlain(nlh, acc)) return;
  SetPtr s(nftnl_set_alloc());
  if (nftnl_set_elems_nlmsg_parse(nlh, s.get()) < 0) return;
  nftnl_set_elem_foreach(
      s.get(),
      [](nftnl_set_elem* e, void* data) -> int {
        auto& acc = *static_cast<ElementAccumulator*>(data);
        if (acc.plain && IsPlain(e)) {
          uint32_t len = 0;
          const void* key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
          if (acc.key_len == 0) acc.key_len = len;
          if (len == acc.key_len && len > 0) {
            acc.keys.append(static_cast<const char*>(key), len);
            uint32_t fl = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) ? nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) : 0;
            acc.flags.push_back(static_cast<char>(fl));
            return 0;
          }
        }
        if (acc.plain) Unpack(acc);
        acc.records.push_back(ElementRecord(e));
        return 0;
      },
      &acc);
}

}  // namespace nftkit
