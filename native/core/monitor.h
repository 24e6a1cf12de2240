// nf_tables change notifications: a NETLINK_NETFILTER socket subscribed to
// the NFNLGRP_NFTABLES multicast group of one network namespace, read by a
// background thread that parses every notification into a small MonitorEvent.
//
// Why a thread (and not a libuv poll handle on the main loop): the kernel
// queues notifications on the socket while a batch is being committed, and
// the process that commits a large batch synchronously (commitSync of 100k
// set elements) blocks its own event loop for exactly as long as the kernel
// emits the notifications of that batch. A uv_poll_t would only drain the
// socket once the loop runs again, so the receive buffer would overflow
// (ENOBUFS) whenever the watching process is busy. A dedicated thread keeps
// draining regardless of what the JS thread does; it never waits for JS (the
// glue hands events over with a non-blocking queue), so stopping it is a
// bounded operation: poll() wakes on an eventfd and the thread is joined.
#pragma once
#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace nftkit {

// One change notification (or a condition of the monitor itself).
struct MonitorEvent {
  enum class Type : uint8_t { Table, Chain, Rule, Set, Element, Object, Flowtable, Gen, Overrun, Error };
  Type type = Type::Table;
  bool del = false;         // DEL*/DESTROY* notification (else NEW*)
  uint8_t family = 0;       // NFPROTO_* of the object (0 for Gen)
  uint32_t portid = 0;      // netlink port of the socket whose batch caused it (nlmsg_pid)
  std::string table;        // table of the object (Table: its own name)
  std::string name;         // Table/Chain/Set/Object/Flowtable: its name
  std::string chain;        // Rule: its chain
  std::string set;          // Element: its set
  uint64_t handle = 0;      // kernel handle, when has_handle
  bool has_handle = false;
  uint32_t elements = 0;    // Element: how many elements this event stands for
  uint32_t obj_type = 0;    // Object: NFT_OBJECT_*
  uint32_t gen_id = 0;      // Gen: the new ruleset generation
  uint32_t pid = 0;         // Gen: the committing task (kernel task_pid_nr: a thread id)
  std::string proc;         // Gen: the committing task's comm
  int err = 0;              // Error: errno
};

// Parses one nf_tables notification. False for anything else (other
// subsystems, message types that are not changes); `out` is then unspecified.
bool ParseNotification(const nlmsghdr* nlh, MonitorEvent& out);

// Appends `ev` to `batch`, merging it into the previous event when both are
// element changes of the same kind to the same set from the same socket (one
// batch of 2000 element adds arrives as 2000 notifications; one event with
// `elements` = 2000 says the same).
void AppendEvent(std::vector<MonitorEvent>& batch, MonitorEvent&& ev);

class NetlinkMonitor {
 public:
  // Called on the monitor thread with the events parsed since the last call
  // (at least one). It must not block for long: the socket is not read while
  // it runs. It may take the events (move from the vector).
  using Sink = std::function<void(std::vector<MonitorEvent>& events)>;

  // Opens and subscribes the socket in the namespace of netns_path (empty:
  // the current one); rcvbuf > 0 sets the receive buffer (bytes, forced when
  // privileged). Throws SystemError.
  NetlinkMonitor(const std::string& netns_path, int rcvbuf);
  ~NetlinkMonitor();
  NetlinkMonitor(const NetlinkMonitor&) = delete;
  NetlinkMonitor& operator=(const NetlinkMonitor&) = delete;

  // Starts the receiving thread (once). Signals are blocked in it.
  void Start(Sink sink);
  // Wakes the thread, joins it and closes the socket. Idempotent; the sink is
  // never called after it returns.
  void Stop();

  uint32_t portid() const { return portid_; }
  bool stopped() const { return fd_ < 0; }

 private:
  void Run();

  int fd_ = -1;
  int wake_fd_ = -1;
  uint32_t portid_ = 0;
  Sink sink_;
  std::thread thread_;
};

}  // namespace nftkit
