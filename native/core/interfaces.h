// The network interfaces of a network namespace (index and name), for
// resolving `meta iif "lo"` to an index as nft does when it loads a rule.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace nftkit {

// Every interface of the namespace of the file at `netns_path` (the calling
// thread's namespace when empty), as (index, name) pairs. Throws SystemError.
std::vector<std::pair<unsigned, std::string>> ListInterfaces(const std::string& netns_path);

}  // namespace nftkit
