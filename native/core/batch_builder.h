// Encodes a list of operations into one nfnetlink batch: BATCH_BEGIN, one or
// more messages per operation (large element lists are split), BATCH_END.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <linux/netlink.h>

#include "core/types.h"

namespace nftkit {

// Netlink lengths are 16 bits (nlattr.nla_len), and libmnl's nest end and
// attribute put truncate silently: a nest over this size wraps, and the kernel
// parses the rest of its bytes as the next attributes of the message. Every
// message the builder writes must stay within it (no nftables message needs
// more: element lists are split well below it).
constexpr size_t kNetlinkLenMax = 0xFFFF;

// A message or attribute too large for netlink's 16-bit lengths. The glue
// reports it as EMSGSIZE; nothing of the batch is sent.
class TooLargeError : public std::length_error {
 public:
  using std::length_error::length_error;
};

class BatchBuilder {
 public:
  // first_seq: sequence number of BATCH_BEGIN; every later message takes the next one.
  explicit BatchBuilder(uint32_t first_seq);
  BatchBuilder(const BatchBuilder&) = delete;
  BatchBuilder& operator=(const BatchBuilder&) = delete;
  BatchBuilder(BatchBuilder&&) = default;

  // Starts over at sequence number first_seq, keeping the buffers' capacity
  // (a socket reuses one builder for its synchronous commits: no allocation per
  // batch). Capacity over kKeepBytes, left by a large batch, is given back.
  void Reset(uint32_t first_seq);
  static constexpr size_t kKeepBytes = 1 << 20;

  // Encodes the whole batch. gen_id >= 0 binds the batch to that generation.
  // Throws std::invalid_argument (with the op index in the message) on bad input,
  // TooLargeError when a message or nested attribute exceeds kNetlinkLenMax.
  void Build(const std::vector<OpDesc>& ops, int64_t gen_id);

  const std::string& bytes() const { return buf_; }
  uint32_t first_seq() const { return first_seq_; }
  uint32_t last_seq() const { return seq_ - 1; }
  // Operation index for a message sequence number; -1 for BEGIN/END/unknown.
  int OpForSeq(uint32_t seq) const;
  uint32_t message_count() const { return seq_ - first_seq_; }

 private:
  struct nlmsghdr* Begin(uint16_t type, uint16_t family, uint16_t flags, int op_index, size_t room);
  // Ends a message; `op` (null for BEGIN/END) names its largest parts if it is too large.
  void Commit(struct nlmsghdr* nlh, const OpDesc* op);
  // mnl_attr_nest_end, after checking the nest's real length fits nla_len.
  void NestEnd(struct nlmsghdr* nlh, struct nlattr* nest, const OpDesc& op, const char* what);
  void Encode(const OpDesc& op, int index);
  void EncodeTable(const OpDesc& op, int index);
  void EncodeChain(const OpDesc& op, int index);
  void EncodeRule(const OpDesc& op, int index);
  void EncodeSet(const OpDesc& op, int index);
  void EncodeElements(const OpDesc& op, int index);
  void EncodeObject(const OpDesc& op, int index);
  void EncodeFlush(const OpDesc& op, int index);

  std::string buf_;
  std::vector<int> msg_op_;  // op index per message, in seq order
  uint32_t first_seq_;
  uint32_t seq_;
};

}  // namespace nftkit
