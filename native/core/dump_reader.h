// Decodes dump replies (tables, chains, sets, rules, objects, set elements)
// into generic Records whose field names match the JS operation descriptors.
#pragma once
#include <string>
#include <vector>

#include "core/types.h"

#include <linux/netlink.h>

namespace nftkit {

bool DecodeTable(const nlmsghdr* nlh, Record& out);
bool DecodeChain(const nlmsghdr* nlh, Record& out);
bool DecodeSet(const nlmsghdr* nlh, Record& out);
bool DecodeRule(const nlmsghdr* nlh, Record& out);
bool DecodeObject(const nlmsghdr* nlh, Record& out);
// Elements of one set, accumulated over the replies of its dump. While every
// element is only a key (+ flags) they are packed; the first richer element
// turns the whole list into records.
struct ElementAccumulator {
  bool plain = true;
  size_t key_len = 0;
  std::string keys, flags;
  std::vector<Record> records;
  // Stores the result on the set record (packed or as a list).
  void PutOn(Record& set);
};

// Adds every element of one GETSETELEM reply.
void DecodeElements(const nlmsghdr* nlh, ElementAccumulator& acc);

std::string FieldStr(const Record& r, const char* field);
uint64_t FieldNum(const Record& r, const char* field);
inline std::string TableOf(const Record& r) { return FieldStr(r, "table"); }

}  // namespace nftkit
