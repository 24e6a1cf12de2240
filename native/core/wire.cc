#include "core/wire.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/expr_schema.h"

namespace nftkit {
namespace {

enum Tag : uint8_t { kU64 = 0, kI64 = 1, kBytes = 2, kStr = 3, kNestedExprs = 4 };
// Marks the placeholder attribute of nested expressions while an expression is read.
constexpr uint16_t kNestedAttr = 0xffff;

// Field bits of an operation (see wire.h).
enum OpBit : uint32_t {
  kTable, kName, kChain, kSet, kType, kHandle, kPosition, kTimeout, kFlags, kHook, kPriority, kPolicy, kId,
  kSetId, kKeyType, kKeyLen, kDataType, kDataLen, kObjType, kSetPolicy, kGcInterval, kSize, kUserdata,
  kDevices, kConcat, kExprs, kElements, kPackedKeys, kPackedFlags, kEcho, kObjAttrs, kChainId, kOpBits
};
enum ElemBit : uint32_t { eKey, eKeyEnd, eFlags, eTimeout, eData, eVerdict, eChain, eObjref, eUserdata, eExprs, kElemBits };

class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}

  [[noreturn]] void Fail(const std::string& why) const {
    std::string where = op_ < 0 ? "" : "operation " + std::to_string(op_) + ": ";
    throw std::invalid_argument("invalid batch encoding: " + where + why);
  }
  // The operation being read, for messages (formatted only when one is made).
  void At(int op) { op_ = op; }
  bool Done() const { return p_ == end_; }

  const uint8_t* Take(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) Fail("truncated");
    const uint8_t* at = p_;
    p_ += n;
    return at;
  }
  uint8_t U8() { return *Take(1); }
  uint32_t U32() {
    const uint8_t* b = Take(4);
    return static_cast<uint32_t>(b[0]) | static_cast<uint32_t>(b[1]) << 8 | static_cast<uint32_t>(b[2]) << 16 |
           static_cast<uint32_t>(b[3]) << 24;
  }
  uint64_t U64() {
    uint64_t lo = U32();
    return lo | static_cast<uint64_t>(U32()) << 32;
  }
  // A count of items of at least min_size bytes each: bounded by what is left,
  // so a corrupt count cannot make us allocate more than the buffer justifies.
  uint32_t Count(size_t min_size) {
    uint32_t n = U32();
    if (static_cast<size_t>(end_ - p_) / min_size < n) Fail("count " + std::to_string(n) + " exceeds the data");
    return n;
  }
  std::string_view View() {
    uint32_t n = U32();
    return std::string_view(reinterpret_cast<const char*>(Take(n)), n);
  }
  std::string Str() { return std::string(View()); }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  int op_ = -1;
};

// One attribute value, checked against the kind the schema gives it.
void ReadValue(Reader& r, const AttrSpec& a, ExprAttr& attr) {
  uint8_t tag = r.U8();
  attr.id = a.id;
  attr.kind = a.kind;
  switch (a.kind) {
    case AttrKind::Str:
      if (tag != kStr) r.Fail(std::string(a.field) + " expects a string");
      attr.bytes = r.Str();
      return;
    case AttrKind::Data:
      if (tag != kBytes) r.Fail(std::string(a.field) + " expects bytes");
      attr.bytes = r.Str();
      return;
    default:
      if (tag == kU64) attr.num = r.U64();
      // Two's complement. Only verdicts are negative (jump, goto, return, ...).
      else if (tag == kI64 && std::strcmp(a.field, "verdict") == 0) attr.num = r.U64();
      else if (tag == kI64) r.Fail(std::string(a.field) + " expects a non-negative number");
      else r.Fail(std::string(a.field) + " expects a number");
      if (a.kind == AttrKind::U32) attr.num &= 0xffffffffu;
      return;
  }
}

const AttrSpec* FindAttr(const ExprSpec& spec, std::string_view field) {
  for (size_t i = 0; i < spec.count; i++)
    if (field == spec.attrs[i].field) return &spec.attrs[i];
  return nullptr;
}

// Lists grow as their items are read: a corrupt count then fails at the end
// of the data instead of sizing a vector of large structs up front.
template <typename T, typename F>
void ReadList(Reader& r, size_t min_size, std::vector<T>& out, F&& read_one) {
  const uint32_t n = r.Count(min_size);
  out.reserve(std::min<uint32_t>(n, 1024));
  for (uint32_t i = 0; i < n; i++) read_one(out.emplace_back());
}

std::vector<ExprDesc> ReadExprs(Reader& r) {
  std::vector<ExprDesc> out;
  ReadList(r, 8, out, [&](ExprDesc& d) {
    d.name = r.Str();
    const ExprSpec* spec = FindExprSpec(d.name);
    if (!spec) r.Fail("unknown kernel expression '" + d.name + "'");
    ReadList(r, 5, d.attrs, [&](ExprAttr& attr) {
      std::string_view field = r.View();
      if (field == "exprs") {  // nested expressions (dynset): read here, dropped from attrs below
        if (r.U8() != kNestedExprs) r.Fail("exprs of '" + d.name + "' expects a list of expressions");
        d.exprs = ReadExprs(r);
        attr.id = kNestedAttr;
        return;
      }
      const AttrSpec* a = FindAttr(*spec, field);
      if (!a) r.Fail("'" + std::string(field) + "' is not an attribute of '" + d.name + "'");
      ReadValue(r, *a, attr);
    });
    d.attrs.erase(std::remove_if(d.attrs.begin(), d.attrs.end(), [](const ExprAttr& a) { return a.id == kNestedAttr; }), d.attrs.end());
  });
  return out;
}

void ReadElem(Reader& r, ElemDesc& e) {
  uint32_t mask = r.U32();
  if (mask >> kElemBits) r.Fail("unknown element fields");
  auto has = [&](ElemBit b) { return (mask >> b) & 1u; };
  if (has(eKey)) e.has_key = true, e.key = r.Str();
  if (has(eKeyEnd)) e.has_key_end = true, e.key_end = r.Str();
  if (has(eFlags)) e.has_flags = true, e.flags = r.U32();
  if (has(eTimeout)) e.has_timeout = true, e.timeout = r.U64();
  if (has(eData)) e.has_data = true, e.data = r.Str();
  if (has(eVerdict)) e.has_verdict = true, e.verdict = static_cast<int32_t>(r.U32());
  if (has(eChain)) e.chain = r.Str();
  if (has(eObjref)) e.has_objref = true, e.objref = r.Str();
  if (has(eUserdata)) e.has_userdata = true, e.userdata = r.Str();
  if (has(eExprs)) e.exprs = ReadExprs(r);
}

void ReadOp(Reader& r, OpDesc& op) {
  uint8_t verb = r.U8(), kind = r.U8();
  if (verb > static_cast<uint8_t>(Verb::Flush)) r.Fail("unknown verb " + std::to_string(verb));
  if (kind > static_cast<uint8_t>(Kind::Ruleset)) r.Fail("unknown kind " + std::to_string(kind));
  op.verb = static_cast<Verb>(verb);
  op.kind = static_cast<Kind>(kind);
  op.family = r.U8();
  r.U8();
  uint32_t mask = r.U32();
  // 32 fields: every bit of the mask is one (a shift by 32 would be undefined).
  static_assert(kOpBits == 32, "the field mask is full: a new field needs a wider mask");
  auto has = [&](OpBit b) { return (mask >> b) & 1u; };
  if (has(kTable)) op.table = r.Str();
  if (has(kName)) op.has_name = true, op.name = r.Str();
  if (has(kChain)) op.chain = r.Str();
  if (has(kSet)) op.set = r.Str();
  if (has(kType)) op.type = r.Str();
  if (has(kHandle)) op.has_handle = true, op.handle = r.U64();
  if (has(kPosition)) op.has_position = true, op.position = r.U64();
  if (has(kTimeout)) op.has_timeout = true, op.timeout = r.U64();
  if (has(kFlags)) op.has_flags = true, op.flags = r.U32();
  if (has(kHook)) op.has_hook = true, op.hook = r.U32();
  if (has(kPriority)) op.priority = static_cast<int32_t>(r.U32());
  if (has(kPolicy)) op.has_policy = true, op.policy = r.U32();
  if (has(kId)) op.has_id = true, op.id = r.U32();
  if (has(kSetId)) op.has_set_id = true, op.set_id = r.U32();
  if (has(kKeyType)) op.key_type = r.U32();
  if (has(kKeyLen)) op.key_len = r.U32();
  if (has(kDataType)) op.has_data_type = true, op.data_type = r.U32();
  if (has(kDataLen)) op.data_len = r.U32();
  if (has(kObjType)) op.has_obj_type = true, op.obj_type = r.U32();
  if (has(kSetPolicy)) op.has_set_policy = true, op.set_policy = r.U32();
  if (has(kGcInterval)) op.has_gc = true, op.gc_interval = r.U32();
  if (has(kSize)) op.has_size = true, op.size = r.U32();
  if (has(kUserdata)) op.has_userdata = true, op.userdata = r.Str();
  if (has(kDevices)) ReadList(r, 4, op.devices, [&](std::string& d) { d = r.Str(); });
  if (has(kConcat)) ReadList(r, 4, op.concat, [&](uint32_t& c) { c = r.U32(); });
  if (has(kExprs)) op.exprs = ReadExprs(r);
  if (has(kElements)) ReadList(r, 4, op.elems, [&](ElemDesc& e) { ReadElem(r, e); });
  if (has(kPackedKeys)) {
    op.packed_keys = r.Str();
    if (op.key_len == 0 || op.packed_keys.size() % op.key_len != 0) r.Fail("packedKeys is not a multiple of keyLen");
  }
  if (has(kPackedFlags)) {
    op.packed_flags = r.Str();
    if (op.key_len == 0 || op.packed_flags.size() != op.packed_keys.size() / op.key_len)
      r.Fail("packedFlags needs one byte per packed key");
  }
  op.echo = has(kEcho);
  if (has(kObjAttrs)) {
    const ExprSpec* spec = op.has_obj_type ? FindObjSpec(op.obj_type) : nullptr;
    if (!spec) r.Fail("object attributes for an unknown object type");
    ReadList(r, 5, op.obj_attrs, [&](ExprAttr& attr) {
      std::string_view field = r.View();
      const AttrSpec* a = FindAttr(*spec, field);
      if (!a) r.Fail("'" + std::string(field) + "' is not an attribute of this object type");
      ReadValue(r, *a, attr);
    });
  }
  if (has(kChainId)) op.has_chain_id = true, op.chain_id = r.U32();
}

}  // namespace

std::vector<OpDesc> ReadWireBatch(const uint8_t* data, size_t size) {
  Reader r(data, size);
  if (r.U8() != 'N' || r.U8() != 1) r.Fail("not a version 1 batch");
  r.U8();
  r.U8();
  std::vector<OpDesc> ops;
  int index = 0;
  ReadList(r, 8, ops, [&](OpDesc& op) {
    r.At(index++);
    ReadOp(r, op);
  });
  if (!r.Done()) r.Fail("trailing bytes");
  return ops;
}

}  // namespace nftkit
