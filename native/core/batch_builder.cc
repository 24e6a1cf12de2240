#include "core/batch_builder.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <stdexcept>

#include "core/expr_schema.h"
#include "util/handles.h"

namespace nftkit {
namespace {

// DESTROY* (kernel >= 6.3) is newer than the uapi headers of older distributions.
constexpr uint16_t kDestroyTable = 26, kDestroyChain = 27, kDestroyRule = 28, kDestroySet = 29,
                   kDestroySetElem = 30, kDestroyObj = 31;

// Keep each element list well under the 16-bit netlink attribute length limit.
constexpr size_t kElemNestLimit = 60000;

std::string Where(int index) { return "operation " + std::to_string(index) + ": "; }

const char* KindName(Kind k) {
  switch (k) {
    case Kind::Table: return "table";
    case Kind::Chain: return "chain";
    case Kind::Rule: return "rule";
    case Kind::Set: return "set";
    case Kind::Element: return "set element";
    case Kind::Object: return "object";
    case Kind::Ruleset: return "ruleset";
  }
  return "operation";
}

// The parts of an operation that can make its message large, for the error.
std::string Bulk(const OpDesc& op) {
  std::string s;
  auto part = [&](size_t n, const char* what) {
    if (n == 0) return;
    if (!s.empty()) s += ", ";
    s += std::to_string(n) + what;
  };
  part(op.devices.size(), " hook devices");
  part(op.exprs.size(), " expressions");
  part(op.elems.size() + (op.key_len ? op.packed_keys.size() / op.key_len : 0), " elements");
  part(op.userdata.size(), " bytes of userdata");
  part(op.obj_attrs.size(), " object attributes");
  return s.empty() ? std::string("its names") : s;
}

size_t ExprsSize(const std::vector<ExprDesc>& exprs) {
  size_t n = 0;
  for (const auto& e : exprs) {
    n += 64 + e.name.size();
    for (const auto& a : e.attrs) n += 16 + a.bytes.size();
    n += ExprsSize(e.exprs);
  }
  return n;
}

size_t ElemSize(const ElemDesc& e) {
  return 96 + e.key.size() + e.key_end.size() + e.data.size() + e.chain.size() + e.userdata.size() +
         e.objref.size() + ExprsSize(e.exprs);
}

// libmnl's mnl_attr_put also truncates nla_len, and advances nlmsg_len by the
// truncated length: a single value over the limit leaves a consistent message
// with the value cut short, which the message check cannot see. So every
// variable-length value is checked before it is written (with room for the
// attribute header and a string's NUL). Names are built only on failure: this
// runs for every element of a batch.
bool Oversized(size_t size) { return size + MNL_ATTR_HDRLEN + 1 > kNetlinkLenMax; }

[[noreturn]] void ThrowOversized(size_t size, int index, const std::string& what) {
  throw TooLargeError(Where(index) + what + " is " + std::to_string(size) + " bytes, over the " +
                      std::to_string(kNetlinkLenMax) +
                      "-byte netlink limit of one attribute (16-bit lengths); nothing was sent");
}

void CheckValue(size_t size, int index, const char* what) {
  if (Oversized(size)) ThrowOversized(size, index, what);
}

// Data registers (expression data, element keys and values) are at most
// NFT_DATA_VALUE_MAXLEN bytes; libnftnl 1.2.4 copies them into a register of
// that size without checking, so a longer one overflows its heap object.
[[noreturn]] void ThrowDataReg(size_t size, int index, const std::string& what) {
  throw std::invalid_argument(Where(index) + what + " is " + std::to_string(size) + " bytes, over the " +
                              std::to_string(NFT_DATA_VALUE_MAXLEN) +
                              "-byte limit of a data value (NFT_DATA_VALUE_MAXLEN); nothing was sent");
}

void CheckExprValues(const std::vector<ExprDesc>& exprs, int index, const std::string& where) {
  for (size_t i = 0; i < exprs.size(); i++) {
    for (const auto& a : exprs[i].attrs) {
      if (Oversized(a.bytes.size()))
        ThrowOversized(a.bytes.size(), index, where + "expression " + std::to_string(i) + " (" + exprs[i].name + ")");
      if (a.kind == AttrKind::Data && a.bytes.size() > NFT_DATA_VALUE_MAXLEN)
        ThrowDataReg(a.bytes.size(), index, where + "expression " + std::to_string(i) + " (" + exprs[i].name + ") data");
    }
  }
}

// Checks every value of an operation that one attribute carries (names,
// userdata, devices, expression data, element keys and data).
void CheckValues(const OpDesc& op, int index) {
  CheckValue(op.table.size(), index, "the table name");
  CheckValue(op.name.size(), index, "the name");
  CheckValue(op.chain.size(), index, "the chain name");
  CheckValue(op.set.size(), index, "the set name");
  CheckValue(op.type.size(), index, "the chain type");
  CheckValue(op.userdata.size(), index, "the userdata");
  CheckValue(op.key_len, index, "the packed element key");
  for (size_t i = 0; i < op.devices.size(); i++)
    if (Oversized(op.devices[i].size())) ThrowOversized(op.devices[i].size(), index, "device " + std::to_string(i));
  CheckExprValues(op.exprs, index, "");
  for (const auto& a : op.obj_attrs) CheckValue(a.bytes.size(), index, "an object attribute");
  for (size_t i = 0; i < op.elems.size(); i++) {
    const ElemDesc& e = op.elems[i];
    const std::pair<size_t, const char*> values[] = {{e.key.size(), " key"},     {e.key_end.size(), " key end"},
                                                     {e.data.size(), " data"},   {e.chain.size(), " chain"},
                                                     {e.objref.size(), " object reference"},
                                                     {e.userdata.size(), " userdata"}};
    for (const auto& [size, what] : values)
      if (Oversized(size)) ThrowOversized(size, index, "element " + std::to_string(i) + what);
    for (const auto& [size, what] : {values[0], values[1], values[2]})
      if (size > NFT_DATA_VALUE_MAXLEN) ThrowDataReg(size, index, "element " + std::to_string(i) + what);
    if (!e.exprs.empty()) CheckExprValues(e.exprs, index, "element " + std::to_string(i) + " ");
  }
}

uint16_t NewFlags(Verb v) {
  switch (v) {
    case Verb::Create: return NLM_F_CREATE | NLM_F_EXCL;
    default: return NLM_F_CREATE;
  }
}

}  // namespace

BatchBuilder::BatchBuilder(uint32_t first_seq) : first_seq_(first_seq), seq_(first_seq) {}

void BatchBuilder::Reset(uint32_t first_seq) {
  first_seq_ = seq_ = first_seq;
  if (buf_.capacity() > kKeepBytes) std::string().swap(buf_);
  if (msg_op_.capacity() > kKeepBytes / sizeof(int)) std::vector<int>().swap(msg_op_);
  buf_.clear();
  msg_op_.clear();
}

void BatchBuilder::NestEnd(nlmsghdr* nlh, nlattr* nest, const OpDesc& op, const char* what) {
  // mnl_attr_nest_end stores tail - nest in the 16-bit nla_len: check first.
  size_t real = static_cast<size_t>(reinterpret_cast<char*>(mnl_nlmsg_get_payload_tail(nlh)) -
                                    reinterpret_cast<char*>(nest));
  if (real > kNetlinkLenMax)
    throw TooLargeError(Where(msg_op_.back()) + "the " + what + " of the " + KindName(op.kind) + " is " +
                        std::to_string(real) + " bytes (" + Bulk(op) + "), over the " + std::to_string(kNetlinkLenMax) +
                        "-byte netlink limit of one attribute (16-bit lengths); nothing was sent");
  mnl_attr_nest_end(nlh, nest);
}

int BatchBuilder::OpForSeq(uint32_t seq) const {
  if (seq < first_seq_ || seq >= seq_) return -1;
  return msg_op_[seq - first_seq_];
}

nlmsghdr* BatchBuilder::Begin(uint16_t type, uint16_t family, uint16_t flags, int op_index, size_t room) {
  // Reserve before writing: libmnl does not bounds-check, so the buffer must hold
  // the worst case of what the caller is about to put.
  size_t off = buf_.size();
  buf_.resize(off + MNL_ALIGN(room + 256));
  auto* nlh = nftnl_nlmsg_build_hdr(&buf_[off], type, family, flags, seq_++);
  msg_op_.push_back(op_index);
  return nlh;
}

void BatchBuilder::Commit(nlmsghdr* nlh, const OpDesc* op) {
  size_t start = reinterpret_cast<char*>(nlh) - buf_.data();
  // A wrapped nest leaves nlmsg_len (32 bits, advanced by every put) right,
  // and every attribute is shorter than its message, so a message within the
  // limit cannot hold a wrapped nest, whatever libnftnl wrote into it (single
  // values are checked before: CheckValues). No nftables message needs more,
  // so a larger one is refused rather than inspected.
  if (nlh->nlmsg_len > kNetlinkLenMax) {
    std::string what = op ? std::string("the ") + KindName(op->kind) + " message is " : "a message is ";
    throw TooLargeError(Where(msg_op_.back()) + what + std::to_string(nlh->nlmsg_len) + " bytes (" +
                        (op ? Bulk(*op) : std::string("batch framing")) + "), over the " +
                        std::to_string(kNetlinkLenMax) +
                        "-byte netlink limit of one message or attribute (16-bit lengths); nothing was sent");
  }
  buf_.resize(start + MNL_ALIGN(nlh->nlmsg_len));
}

void BatchBuilder::Build(const std::vector<OpDesc>& ops, int64_t gen_id) {
  buf_.clear();
  msg_op_.clear();
  buf_.reserve(4096 + ops.size() * 256);
  {
    // BATCH_BEGIN carries the subsystem in res_id, and optionally the generation
    // the batch was planned against (the kernel answers ERESTART on mismatch).
    size_t off = buf_.size();
    buf_.resize(off + 256);
    nlmsghdr* nlh = mnl_nlmsg_put_header(&buf_[off]);
    nlh->nlmsg_type = NFNL_MSG_BATCH_BEGIN;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    nlh->nlmsg_seq = seq_++;
    msg_op_.push_back(-1);
    auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
    nfg->nfgen_family = AF_UNSPEC;
    nfg->version = NFNETLINK_V0;
    nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
    if (gen_id >= 0) mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(static_cast<uint32_t>(gen_id)));
    Commit(nlh, nullptr);
  }
  for (size_t i = 0; i < ops.size(); i++) Encode(ops[i], static_cast<int>(i));
  {
    size_t off = buf_.size();
    buf_.resize(off + 256);
    nlmsghdr* nlh = mnl_nlmsg_put_header(&buf_[off]);
    nlh->nlmsg_type = NFNL_MSG_BATCH_END;
    // The only ack we ask for: errors of other messages are reported anyway, so
    // one ack tells the whole batch was applied (no ack per message).
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = seq_++;
    msg_op_.push_back(-1);
    auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
    nfg->nfgen_family = AF_UNSPEC;
    nfg->version = NFNETLINK_V0;
    nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
    Commit(nlh, nullptr);
  }
}

void BatchBuilder::Encode(const OpDesc& op, int index) {
  CheckValues(op, index);
  if (op.kind == Kind::Ruleset) return EncodeFlush(op, index);
  if (op.verb == Verb::Flush && op.kind != Kind::Element) return EncodeFlush(op, index);
  switch (op.kind) {
    case Kind::Table: return EncodeTable(op, index);
    case Kind::Chain: return EncodeChain(op, index);
    case Kind::Rule: return EncodeRule(op, index);
    case Kind::Set: return EncodeSet(op, index);
    case Kind::Element: return EncodeElements(op, index);
    case Kind::Object: return EncodeObject(op, index);
    default: throw std::invalid_argument(Where(index) + "unknown kind");
  }
}

void BatchBuilder::EncodeTable(const OpDesc& op, int index) {
  TablePtr t(nftnl_table_alloc());
  if (op.has_name) nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, op.name.c_str());
  if (op.has_handle) nftnl_table_set_u64(t.get(), NFTNL_TABLE_HANDLE, op.handle);
  if (op.has_flags) nftnl_table_set_u32(t.get(), NFTNL_TABLE_FLAGS, op.flags);
  if (op.has_userdata)
    nftnl_table_set_data(t.get(), NFTNL_TABLE_USERDATA, op.userdata.data(), op.userdata.size());
  uint16_t type, flags = 0;
  switch (op.verb) {
    case Verb::Add: case Verb::Create: type = NFT_MSG_NEWTABLE; flags = NewFlags(op.verb); break;
    case Verb::Delete: type = NFT_MSG_DELTABLE; break;
    case Verb::Destroy: type = kDestroyTable; break;
    default: throw std::invalid_argument(Where(index) + "verb not valid for a table");
  }
  if (op.echo) flags |= NLM_F_ECHO;
  nlmsghdr* nlh = Begin(type, op.family, flags, index, op.name.size() + op.userdata.size());
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  Commit(nlh, &op);
}

void BatchBuilder::EncodeChain(const OpDesc& op, int index) {
  ChainPtr c(nftnl_chain_alloc());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, op.table.c_str());
  if (op.has_name) nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, op.name.c_str());
  if (op.has_handle) nftnl_chain_set_u64(c.get(), NFTNL_CHAIN_HANDLE, op.handle);
  size_t room = op.table.size() + op.name.size() + op.userdata.size() + op.type.size();
  if (op.verb == Verb::Add || op.verb == Verb::Create) {
    if (op.has_hook) {
      nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, op.hook);
      nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, op.priority);
      nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, op.type.c_str());
      if (op.devices.size() == 1) {
        nftnl_chain_set_str(c.get(), NFTNL_CHAIN_DEV, op.devices[0].c_str());
      } else if (op.devices.size() > 1) {
        std::vector<const char*> devs;
        for (const auto& d : op.devices) devs.push_back(d.c_str()), room += d.size() + 8;
        devs.push_back(nullptr);
        nftnl_chain_set_array(c.get(), NFTNL_CHAIN_DEVICES, devs.data());
      }
      room += 32 * (op.devices.size() + 1);
    }
    if (op.has_policy) nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, op.policy);
    if (op.has_flags) nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FLAGS, op.flags);
    // A bound chain (flags NFT_CHAIN_BINDING, no name: the kernel names it __chain%llu).
    if (op.has_chain_id) nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_ID, op.chain_id);
    if (op.has_userdata)
      nftnl_chain_set_data(c.get(), NFTNL_CHAIN_USERDATA, op.userdata.data(), op.userdata.size());
  }
  uint16_t type, flags = 0;
  switch (op.verb) {
    case Verb::Add: case Verb::Create: type = NFT_MSG_NEWCHAIN; flags = NewFlags(op.verb); break;
    case Verb::Delete: type = NFT_MSG_DELCHAIN; break;
    case Verb::Destroy: type = kDestroyChain; break;
    default: throw std::invalid_argument(Where(index) + "verb not valid for a chain");
  }
  if (op.echo) flags |= NLM_F_ECHO;
  nlmsghdr* nlh = Begin(type, op.family, flags, index, room);
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
  Commit(nlh, &op);
}

void BatchBuilder::EncodeRule(const OpDesc& op, int index) {
  RulePtr r(nftnl_rule_alloc());
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, op.family);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, op.table.c_str());
  // A rule of a chain bound in this batch names it by id (NFTA_RULE_CHAIN_ID, written below:
  // libnftnl 1.2.4 has no attribute for it).
  if (!op.has_chain_id) nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, op.chain.c_str());
  if (op.has_handle) nftnl_rule_set_u64(r.get(), NFTNL_RULE_HANDLE, op.handle);
  if (op.has_position) nftnl_rule_set_u64(r.get(), NFTNL_RULE_POSITION, op.position);
  if (op.has_id) nftnl_rule_set_u32(r.get(), NFTNL_RULE_ID, op.id);
  uint16_t type, flags = 0;
  switch (op.verb) {
    case Verb::Add: case Verb::Create: type = NFT_MSG_NEWRULE; flags = NLM_F_CREATE | NLM_F_APPEND; break;
    case Verb::Insert: type = NFT_MSG_NEWRULE; flags = NLM_F_CREATE; break;
    case Verb::Replace:
      if (!op.has_handle) throw std::invalid_argument(Where(index) + "replace needs a rule handle");
      type = NFT_MSG_NEWRULE; flags = NLM_F_REPLACE; break;
    case Verb::Delete: type = NFT_MSG_DELRULE; break;
    case Verb::Destroy: type = kDestroyRule; break;
    default: throw std::invalid_argument(Where(index) + "verb not valid for a rule");
  }
  if (type == NFT_MSG_NEWRULE) {
    if (op.has_userdata)
      nftnl_rule_set_data(r.get(), NFTNL_RULE_USERDATA, op.userdata.data(), op.userdata.size());
    for (const auto& d : op.exprs) nftnl_rule_add_expr(r.get(), BuildExpr(d).release());
  }
  if (op.echo) flags |= NLM_F_ECHO;
  nlmsghdr* nlh = Begin(type, op.family, flags, index,
                        op.table.size() + op.chain.size() + op.userdata.size() + ExprsSize(op.exprs));
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  if (op.has_chain_id) mnl_attr_put_u32(nlh, NFTA_RULE_CHAIN_ID, htonl(op.chain_id));
  Commit(nlh, &op);
}

void BatchBuilder::EncodeSet(const OpDesc& op, int index) {
  SetPtr s(nftnl_set_alloc());
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, op.family);
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, op.table.c_str());
  if (op.has_name) nftnl_set_set_str(s.get(), NFTNL_SET_NAME, op.name.c_str());
  if (op.has_handle) nftnl_set_set_u64(s.get(), NFTNL_SET_HANDLE, op.handle);
  if (op.has_set_id) nftnl_set_set_u32(s.get(), NFTNL_SET_ID, op.set_id);
  uint16_t type, flags = 0;
  switch (op.verb) {
    case Verb::Add: case Verb::Create: type = NFT_MSG_NEWSET; flags = NewFlags(op.verb); break;
    case Verb::Delete: type = NFT_MSG_DELSET; break;
    case Verb::Destroy: type = kDestroySet; break;
    default: throw std::invalid_argument(Where(index) + "verb not valid for a set");
  }
  if (type == NFT_MSG_NEWSET) {
    nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, op.flags);
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, op.key_type);
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, op.key_len);
    if (op.has_data_type) {
      nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_TYPE, op.data_type);
      nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_LEN, op.data_len);
    }
    if (op.has_obj_type) nftnl_set_set_u32(s.get(), NFTNL_SET_OBJ_TYPE, op.obj_type);
    if (op.has_timeout) nftnl_set_set_u64(s.get(), NFTNL_SET_TIMEOUT, op.timeout);
    if (op.has_gc) nftnl_set_set_u32(s.get(), NFTNL_SET_GC_INTERVAL, op.gc_interval);
    if (op.has_size) nftnl_set_set_u32(s.get(), NFTNL_SET_DESC_SIZE, op.size);
    if (op.has_set_policy) nftnl_set_set_u32(s.get(), NFTNL_SET_POLICY, op.set_policy);
    if (op.has_userdata)
      nftnl_set_set_data(s.get(), NFTNL_SET_USERDATA, op.userdata.data(), op.userdata.size());
    if (!op.concat.empty()) {
      // libnftnl takes the field lengths as a zero-terminated byte array.
      uint8_t lens[NFT_REG32_COUNT] = {0};
      if (op.concat.size() >= NFT_REG32_COUNT) throw std::invalid_argument(Where(index) + "too many concatenated fields");
      for (size_t i = 0; i < op.concat.size(); i++) lens[i] = static_cast<uint8_t>(op.concat[i]);
      nftnl_set_set_data(s.get(), NFTNL_SET_DESC_CONCAT, lens, op.concat.size() + 1);
    }
    for (const auto& d : op.exprs) nftnl_set_add_expr(s.get(), BuildExpr(d).release());
  }
  if (op.echo) flags |= NLM_F_ECHO;
  nlmsghdr* nlh = Begin(type, op.family, flags, index,
                        op.table.size() + op.name.size() + op.userdata.size() + ExprsSize(op.exprs) + 128);
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  Commit(nlh, &op);
}

void BatchBuilder::EncodeElements(const OpDesc& op, int index) {
  uint16_t type, flags = 0;
  switch (op.verb) {
    case Verb::Add: case Verb::Create: type = NFT_MSG_NEWSETELEM; flags = NewFlags(op.verb); break;
    case Verb::Delete: type = NFT_MSG_DELSETELEM; break;
    case Verb::Destroy: type = kDestroySetElem; break;
    case Verb::Flush: type = NFT_MSG_DELSETELEM; break;
    default: throw std::invalid_argument(Where(index) + "verb not valid for set elements");
  }
  size_t head = op.table.size() + op.set.size() + 64;
  // Packed plain elements come first, then element descriptors.
  const size_t key_len = op.key_len;
  const size_t packed = key_len ? op.packed_keys.size() / key_len : 0;
  const bool packed_flags = !op.packed_flags.empty();
  const size_t total = packed + op.elems.size();
  // Worst case of a packed element: list-element nest, key nest, key value, flags.
  const size_t packed_size = 24 + MNL_ALIGN(key_len);
  auto size_of = [&](size_t k) { return k < packed ? packed_size : ElemSize(op.elems[k - packed]); };
  size_t i = 0;
  // One message per slice of elements that fits in one attribute nest; all of them
  // stay in this batch, so the change is still all or nothing. A flush sends one
  // message with no element list.
  do {
    size_t room = head, j = i;
    while (j < total && (j == i || room + size_of(j) < kElemNestLimit)) room += size_of(j++);
    nlmsghdr* nlh = Begin(type, op.family, flags, index, room);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, op.table.c_str());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, op.set.c_str());
    if (op.has_set_id) mnl_attr_put_u32(nlh, NFTA_SET_ELEM_LIST_SET_ID, htonl(op.set_id));
    if (j > i) {
      nlattr* nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
      for (size_t k = i; k < j; k++) {
        if (k < packed) {
          // A key and its flags need no libnftnl object: write the attributes
          // (the layout nftnl_set_elem_nlmsg_build produces) straight away.
          nlattr* el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
          uint8_t fl = packed_flags ? static_cast<uint8_t>(op.packed_flags[k]) : 0;
          if (fl) mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(fl));
          nlattr* key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
          mnl_attr_put(nlh, NFTA_DATA_VALUE, key_len, op.packed_keys.data() + k * key_len);
          NestEnd(nlh, key, op, "element key");
          NestEnd(nlh, el, op, "element");
          continue;
        }
        const ElemDesc& d = op.elems[k - packed];
        ElemPtr e(nftnl_set_elem_alloc());
        if (d.has_key) nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_KEY, d.key.data(), d.key.size());
        if (d.has_key_end) nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_KEY_END, d.key_end.data(), d.key_end.size());
        if (d.has_flags) nftnl_set_elem_set_u32(e.get(), NFTNL_SET_ELEM_FLAGS, d.flags);
        if (d.has_timeout) nftnl_set_elem_set_u64(e.get(), NFTNL_SET_ELEM_TIMEOUT, d.timeout);
        if (d.has_data) nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_DATA, d.data.data(), d.data.size());
        if (d.has_verdict) {
          nftnl_set_elem_set_u32(e.get(), NFTNL_SET_ELEM_VERDICT, static_cast<uint32_t>(d.verdict));
          if (!d.chain.empty()) nftnl_set_elem_set_str(e.get(), NFTNL_SET_ELEM_CHAIN, d.chain.c_str());
        }
        if (d.has_objref) nftnl_set_elem_set_str(e.get(), NFTNL_SET_ELEM_OBJREF, d.objref.c_str());
        if (d.has_userdata)
          nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_USERDATA, d.userdata.data(), d.userdata.size());
        for (const auto& x : d.exprs) nftnl_set_elem_add_expr(e.get(), BuildExpr(x).release());
        nftnl_set_elem_nlmsg_build(nlh, e.get(), static_cast<int>(k - i + 1));
      }
      NestEnd(nlh, nest, op, "element list");
    }
    Commit(nlh, &op);
    i = j;
  } while (i < total);
}

void BatchBuilder::EncodeObject(const OpDesc& op, int index) {
  ObjPtr o(nftnl_obj_alloc());
  nftnl_obj_set_u32(o.get(), NFTNL_OBJ_FAMILY, op.family);
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, op.table.c_str());
  if (op.has_name) nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, op.name.c_str());
  if (op.has_handle) nftnl_obj_set_u64(o.get(), NFTNL_OBJ_HANDLE, op.handle);
  nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, op.obj_type);
  uint16_t type, flags = 0;
  switch (op.verb) {
    case Verb::Add: case Verb::Create: type = NFT_MSG_NEWOBJ; flags = NewFlags(op.verb); break;
    case Verb::Delete: type = NFT_MSG_DELOBJ; break;
    case Verb::Destroy: type = kDestroyObj; break;
    default: throw std::invalid_argument(Where(index) + "verb not valid for an object");
  }
  if (type == NFT_MSG_NEWOBJ) {
    if (op.has_userdata) nftnl_obj_set_data(o.get(), NFTNL_OBJ_USERDATA, op.userdata.data(), op.userdata.size());
    for (const auto& a : op.obj_attrs) {
      switch (a.kind) {
        case AttrKind::U8: nftnl_obj_set_u8(o.get(), a.id, static_cast<uint8_t>(a.num)); break;
        case AttrKind::U16: nftnl_obj_set_u16(o.get(), a.id, static_cast<uint16_t>(a.num)); break;
        case AttrKind::U32: nftnl_obj_set_u32(o.get(), a.id, static_cast<uint32_t>(a.num)); break;
        case AttrKind::U64: nftnl_obj_set_u64(o.get(), a.id, a.num); break;
        case AttrKind::Str: nftnl_obj_set_str(o.get(), a.id, a.bytes.c_str()); break;
        case AttrKind::Data: nftnl_obj_set_data(o.get(), a.id, a.bytes.data(), a.bytes.size()); break;
      }
    }
  }
  if (op.echo) flags |= NLM_F_ECHO;
  nlmsghdr* nlh = Begin(type, op.family, flags, index, op.table.size() + op.name.size() + op.userdata.size() + 128);
  nftnl_obj_nlmsg_build_payload(nlh, o.get());
  Commit(nlh, &op);
}

void BatchBuilder::EncodeFlush(const OpDesc& op, int index) {
  if (op.kind == Kind::Ruleset) {
    // "flush ruleset": delete every table of the family (all families if 0).
    nlmsghdr* nlh = Begin(NFT_MSG_DELTABLE, op.family, 0, index, 0);
    Commit(nlh, &op);
    return;
  }
  if (op.kind == Kind::Table || op.kind == Kind::Chain) {
    // Flushing a table or chain deletes its rules: DELRULE without a handle.
    RulePtr r(nftnl_rule_alloc());
    // A table descriptor names the table in `name`; a chain's is (table, name).
    const std::string& table = op.kind == Kind::Table ? op.name : op.table;
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
    if (op.kind == Kind::Chain) nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, op.name.c_str());
    nlmsghdr* nlh = Begin(NFT_MSG_DELRULE, op.family, 0, index, table.size() + op.name.size());
    nftnl_rule_nlmsg_build_payload(nlh, r.get());
    Commit(nlh, &op);
    return;
  }
  if (op.kind == Kind::Set) {
    OpDesc e;
    e.verb = Verb::Flush;
    e.kind = Kind::Element;
    e.family = op.family;
    e.table = op.table;
    e.set = op.name;
    EncodeElements(e, index);
    return;
  }
  throw std::invalid_argument(Where(index) + "flush is not valid for this kind");
}

}  // namespace nftkit
