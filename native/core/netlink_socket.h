// One long-lived NETLINK_NETFILTER socket, opened in a chosen network namespace.
// Sends whole batches with one sendmsg() and maps every reply back to its
// operation. Not thread-safe: the caller guarantees one call at a time.
#pragma once
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/batch_builder.h"
#include "core/types.h"

struct mnl_socket;

namespace nftkit {

// A system call failed (not a kernel answer to a message): errno + context.
class SystemError : public std::runtime_error {
 public:
  SystemError(int err, const std::string& what) : std::runtime_error(what), err_(err) {}
  int err() const { return err_; }

 private:
  int err_;
};

// Throws SystemError for the errno a system call just left ("what: strerror").
[[noreturn]] void ThrowErrno(const std::string& what);

// Creates an unbound NETLINK_NETFILTER socket (close-on-exec) in the network
// namespace of the file netns_path (/run/netns/x, /proc/PID/ns/net), or in the
// calling thread's namespace when empty. Throws SystemError. With
// netlink_table, also opens that namespace's /proc/net/netlink there (the file
// keeps showing the namespace it was opened in) and stores its descriptor.
int OpenNetfilterSocket(const std::string& netns_path, int* netlink_table = nullptr);

// Sockets listening to nf_tables notifications (NFNLGRP_NFTABLES) in the
// namespace whose /proc/net/netlink is open as netlink_table; -1 if unreadable.
int CountNftablesListeners(int netlink_table);

class NetlinkSocket {
 public:
  // netns_path: a namespace file (/run/netns/x, /proc/PID/ns/net); empty = current.
  explicit NetlinkSocket(const std::string& netns_path);
  ~NetlinkSocket();
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;

  // Reserves `count` sequence numbers for a batch about to be built.
  uint32_t NextSeq() const { return seq_; }
  // Sends a built batch and collects handles and errors.
  CommitResult Commit(const BatchBuilder& batch, const std::vector<OpDesc>& ops);
  // Reads the ruleset (filtered) with a consistent generation id.
  DumpResult Dump(const DumpRequest& req);
  // The current ruleset generation.
  uint32_t GetGen();

  void Close();
  bool closed() const { return nl_ == nullptr; }
  // The netlink port id the kernel assigned: notifications of batches sent
  // through this socket carry it (nlmsg_pid).
  uint32_t portid() const { return portid_; }
  // Other sockets in this namespace subscribed to nf_tables notifications: while
  // any is, the kernel builds a notification per changed object during a commit.
  int Listeners() const { return CountNftablesListeners(netlink_table_); }
  // Nanoseconds the last commit spent from sendmsg() to its final reply: what
  // the kernel took for the batch (written by whichever thread committed).
  uint64_t last_commit_ns() const { return last_commit_ns_.load(std::memory_order_relaxed); }

 private:
  void EnsureSendBuffer(size_t bytes);
  // Sends one request and feeds every reply message to cb until DONE/ack.
  template <typename Cb>
  void Request(const char* buf, size_t len, uint32_t seq, Cb&& cb);
  void DumpOnce(const DumpRequest& req, DumpResult& out, bool& interrupted);

  mnl_socket* nl_ = nullptr;
  uint32_t portid_ = 0;
  int netlink_table_ = -1;
  uint32_t seq_ = 1;
  size_t sndbuf_ = 0;
  std::vector<char> rbuf_;

 public:
  /** Bytes this socket holds outside the JS heap while it is open (reported to V8 by the glue). */
  static constexpr int64_t kHeldBytes = 1 << 20;

 private:
  std::atomic<uint64_t> last_commit_ns_{0};
};

}  // namespace nftkit
