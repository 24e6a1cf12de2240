#include "core/interfaces.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "core/netlink_socket.h"

namespace nftkit {
namespace {

struct NameIndexFree {
  void operator()(struct if_nameindex* p) const { if_freenameindex(p); }
};

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

std::vector<std::pair<unsigned, std::string>> Read() {
  std::unique_ptr<struct if_nameindex, NameIndexFree> list(if_nameindex());
  if (!list) ThrowErrno("if_nameindex");
  std::vector<std::pair<unsigned, std::string>> out;
  for (struct if_nameindex* p = list.get(); p->if_index != 0 || p->if_name != nullptr; ++p) out.emplace_back(p->if_index, p->if_name);
  return out;
}

}  // namespace

std::vector<std::pair<unsigned, std::string>> ListInterfaces(const std::string& netns_path) {
  if (netns_path.empty()) return Read();
  // if_nameindex() asks the kernel over a socket of the thread's namespace:
  // switch into the target namespace for the call, then back.
  Fd target(open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (target.fd < 0) ThrowErrno("open network namespace " + netns_path);
  Fd self(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (self.fd < 0) ThrowErrno("open /proc/thread-self/ns/net");
  if (setns(target.fd, CLONE_NEWNET) < 0) ThrowErrno("setns " + netns_path);
  std::vector<std::pair<unsigned, std::string>> out;
  int saved = 0;
  try {
    out = Read();
  } catch (const SystemError& e) {
    saved = e.err();
  }
  if (setns(self.fd, CLONE_NEWNET) < 0) ThrowErrno("setns back to the original network namespace");
  if (saved != 0) {
    errno = saved;
    ThrowErrno("if_nameindex in " + netns_path);
  }
  return out;
}

}  // namespace nftkit
