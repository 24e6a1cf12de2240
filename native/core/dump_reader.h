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
// Appends every element of one GETSETELEM reply.
void DecodeElements(const nlmsghdr* nlh, std::vector<Record>& out);

std::string FieldStr(const Record& r, const char* field);
uint64_t FieldNum(const Record& r, const char* field);
inline std::string TableOf(const Record& r) { return FieldStr(r, "table"); }

}  // namespace nftkit
