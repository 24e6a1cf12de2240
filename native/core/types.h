// Plain data exchanged between the N-API glue and the netlink core.
// Nothing here knows about Node: the glue copies JS values into these structs
// on the main thread, so the core can run on any thread (or with no Node at all).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nftkit {

// How an attribute is stored by libnftnl (decides which setter/getter is used).
enum class AttrKind : uint8_t { U8, U16, U32, U64, Str, Data };

// One attribute of one kernel expression, already mapped to its libnftnl id.
struct ExprAttr {
  uint16_t id = 0;
  AttrKind kind = AttrKind::U32;
  uint64_t num = 0;
  std::string bytes;  // Str and Data
};

// One kernel expression (e.g. "payload", "cmp") and its attributes.
struct ExprDesc {
  std::string name;
  std::vector<ExprAttr> attrs;
  // Nested expressions: the stateful statements of a dynset (set statements).
  std::vector<ExprDesc> exprs;
};

// One set element. Optional fields are present when their has_* flag is set.
struct ElemDesc {
  std::string key;
  std::string key_end;
  std::string data;
  std::string chain;
  std::string userdata;
  std::string objref;
  uint32_t flags = 0;
  int32_t verdict = 0;
  uint64_t timeout = 0;
  bool has_key = false, has_key_end = false, has_data = false, has_verdict = false;
  bool has_flags = false, has_timeout = false, has_userdata = false, has_objref = false;
  std::vector<ExprDesc> exprs;
};

enum class Verb : uint8_t { Add, Create, Insert, Replace, Delete, Destroy, Flush };
enum class Kind : uint8_t { Table, Chain, Rule, Set, Element, Object, Ruleset };

// One operation of a transaction: a flat, normalised descriptor.
struct OpDesc {
  Verb verb = Verb::Add;
  Kind kind = Kind::Table;
  uint32_t family = 0;
  std::string table, name, chain, set, type, userdata;
  bool has_name = false, has_handle = false, has_position = false, has_flags = false;
  bool has_hook = false, has_policy = false, has_userdata = false, has_id = false;
  bool has_chain_id = false, has_set_id = false, has_timeout = false, has_gc = false, has_size = false;
  bool has_data_type = false, has_obj_type = false, has_set_policy = false;
  uint64_t handle = 0, position = 0, timeout = 0;
  uint32_t flags = 0, hook = 0, policy = 0, id = 0, chain_id = 0, set_id = 0, gc_interval = 0, size = 0;
  int32_t priority = 0;
  uint32_t key_type = 0, key_len = 0, data_type = 0, data_len = 0, obj_type = 0, set_policy = 0;
  std::vector<std::string> devices;
  std::vector<uint32_t> concat;  // field lengths of a concatenated key
  std::vector<ExprDesc> exprs;   // rule expressions, or set expressions
  std::vector<ElemDesc> elems;
  // Plain elements packed by the caller: key_len-byte keys back to back, and
  // (when not empty) one flag byte per key. Encoded before `elems`.
  std::string packed_keys, packed_flags;
  // Named objects (counter, quota, limit): their kind-specific attributes.
  std::vector<ExprAttr> obj_attrs;
  bool echo = false;  // ask the kernel to echo the created object (for its handle)
};

// A kernel error for one message, mapped to the operation that caused it.
struct OpError {
  int err = 0;          // positive errno
  int op_index = -1;    // index into the ops vector, -1 if unknown
  uint16_t msg_type = 0;
  std::string ext_msg;  // extended ack message, if any
  int32_t ext_offset = -1;  // extended ack attribute offset, if any
};

// What a commit returns: handles of echoed objects and every error reported.
struct CommitResult {
  std::vector<std::pair<int, uint64_t>> handles;  // (op index, handle)
  std::vector<OpError> errors;
  bool acked = false;
};

// A generic decoded record (from a dump) that the glue turns into a JS object.
struct Record;
struct Value {
  enum Type : uint8_t { Num, SNum, Str, Bytes, Strs, Nums, List } type = Num;
  uint64_t num = 0;
  int64_t snum = 0;
  std::string str;
  std::vector<std::string> strs;
  std::vector<uint64_t> nums;
  std::vector<Record> list;
};
struct Record {
  std::vector<std::pair<std::string, Value>> fields;
  void Num(const char* k, uint64_t v) { Value x; x.type = Value::Num; x.num = v; fields.emplace_back(k, std::move(x)); }
  void SNum(const char* k, int64_t v) { Value x; x.type = Value::SNum; x.snum = v; fields.emplace_back(k, std::move(x)); }
  void Str(const char* k, std::string v) { Value x; x.type = Value::Str; x.str = std::move(v); fields.emplace_back(k, std::move(x)); }
  void Bytes(const char* k, const void* p, size_t n) { Value x; x.type = Value::Bytes; x.str.assign(static_cast<const char*>(p), n); fields.emplace_back(k, std::move(x)); }
  void Strs(const char* k, std::vector<std::string> v) { Value x; x.type = Value::Strs; x.strs = std::move(v); fields.emplace_back(k, std::move(x)); }
  void Nums(const char* k, std::vector<uint64_t> v) { Value x; x.type = Value::Nums; x.nums = std::move(v); fields.emplace_back(k, std::move(x)); }
  void List(const char* k, std::vector<Record> v) { Value x; x.type = Value::List; x.list = std::move(v); fields.emplace_back(k, std::move(x)); }
};

// What to dump.
struct DumpRequest {
  uint32_t family = 0;  // NFPROTO_UNSPEC = everything
  std::string table;    // empty = every table
  bool elements = true;
  bool reset = false;   // reset counters while reading them
};

struct DumpResult {
  uint32_t gen_id = 0;
  std::vector<Record> tables, chains, sets, rules, objects;
};

}  // namespace nftkit
