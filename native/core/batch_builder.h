// Encodes a list of operations into one nfnetlink batch: BATCH_BEGIN, one or
// more messages per operation (large element lists are split), BATCH_END.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <linux/netlink.h>

#include "core/types.h"

namespace nftkit {

class BatchBuilder {
 public:
  // first_seq: sequence number of BATCH_BEGIN; every later message takes the next one.
  explicit BatchBuilder(uint32_t first_seq);
  BatchBuilder(const BatchBuilder&) = delete;
  BatchBuilder& operator=(const BatchBuilder&) = delete;
  BatchBuilder(BatchBuilder&&) = default;

  // Encodes the whole batch. gen_id >= 0 binds the batch to that generation.
  // Throws std::invalid_argument (with the op index in the message) on bad input.
  void Build(const std::vector<OpDesc>& ops, int64_t gen_id);

  const std::string& bytes() const { return buf_; }
  uint32_t first_seq() const { return first_seq_; }
  uint32_t last_seq() const { return seq_ - 1; }
  // Operation index for a message sequence number; -1 for BEGIN/END/unknown.
  int OpForSeq(uint32_t seq) const;
  uint32_t message_count() const { return seq_ - first_seq_; }

 private:
  struct nlmsghdr* Begin(uint16_t type, uint16_t family, uint16_t flags, int op_index, size_t room);
  void Commit(struct nlmsghdr* nlh);
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
