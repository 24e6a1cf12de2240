#include "core/monitor.h"

#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/netlink_socket.h"

namespace nftkit {
namespace {

// DESTROY* verbs (kernel 6.3) are newer than some uapi headers. The kernel
// may report a committed destroy with its own message type.
constexpr uint16_t kDestroyTable = 26, kDestroyChain = 27, kDestroyRule = 28, kDestroySet = 29,
                   kDestroySetElem = 30, kDestroyObj = 31, kDestroyFlowtable = 32;

// One datagram holds a single notification skb: normally at most a page of
// coalesced messages, a single large one (a long rule) alone. Anything larger
// is reported as an overrun (its content is lost).
constexpr size_t kReceiveBuffer = 256 << 10;
// Hand events over in slices while a burst is still being drained.
constexpr size_t kSliceEvents = 4096;
// Attributes of interest all have small ids; larger ones are ignored.
constexpr int kMaxAttr = 32;

int CollectAttr(const nlattr* a, void* data) {
  auto* tb = static_cast<const nlattr**>(data);
  uint16_t type = mnl_attr_get_type(a);
  if (type <= kMaxAttr) tb[type] = a;
  return MNL_CB_OK;
}

std::string Str(const nlattr* a) {
  if (!a) return {};
  const char* p = static_cast<const char*>(mnl_attr_get_payload(a));
  return std::string(p, strnlen(p, mnl_attr_get_payload_len(a)));
}

bool U32(const nlattr* a, uint32_t& out) {
  if (!a || mnl_attr_get_payload_len(a) < sizeof(uint32_t)) return false;
  out = be32toh(mnl_attr_get_u32(a));
  return true;
}

void Handle(const nlattr* a, MonitorEvent& ev) {
  if (!a || mnl_attr_get_payload_len(a) < sizeof(uint64_t)) return;
  ev.handle = be64toh(mnl_attr_get_u64(a));
  ev.has_handle = true;
}

MonitorEvent Condition(MonitorEvent::Type type, int err = 0) {
  MonitorEvent ev;
  ev.type = type;
  ev.err = err;
  return ev;
}

}  // namespace

bool ParseNotification(const nlmsghdr* nlh, MonitorEvent& ev) {
  if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES) return false;
  if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(nfgenmsg))) return false;
  using T = MonitorEvent::Type;
  const uint16_t msg = NFNL_MSG_TYPE(nlh->nlmsg_type);
  switch (msg) {
    case NFT_MSG_NEWTABLE: case NFT_MSG_DELTABLE: case kDestroyTable: ev.type = T::Table; break;
    case NFT_MSG_NEWCHAIN: case NFT_MSG_DELCHAIN: case kDestroyChain: ev.type = T::Chain; break;
    case NFT_MSG_NEWRULE: case NFT_MSG_DELRULE: case kDestroyRule: ev.type = T::Rule; break;
    case NFT_MSG_NEWSET: case NFT_MSG_DELSET: case kDestroySet: ev.type = T::Set; break;
    case NFT_MSG_NEWSETELEM: case NFT_MSG_DELSETELEM: case kDestroySetElem: ev.type = T::Element; break;
    case NFT_MSG_NEWOBJ: case NFT_MSG_DELOBJ: case kDestroyObj: ev.type = T::Object; break;
    case NFT_MSG_NEWFLOWTABLE: case NFT_MSG_DELFLOWTABLE: case kDestroyFlowtable: ev.type = T::Flowtable; break;
    case NFT_MSG_NEWGEN: ev.type = T::Gen; break;
    default: return false;  // GET* replies, traces, newer message types
  }
  ev.del = !(msg == NFT_MSG_NEWTABLE || msg == NFT_MSG_NEWCHAIN || msg == NFT_MSG_NEWRULE || msg == NFT_MSG_NEWSET ||
             msg == NFT_MSG_NEWSETELEM || msg == NFT_MSG_NEWOBJ || msg == NFT_MSG_NEWFLOWTABLE || msg == NFT_MSG_NEWGEN);
  ev.family = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh))->nfgen_family;
  ev.portid = nlh->nlmsg_pid;

  const nlattr* tb[kMaxAttr + 1] = {};
  if (mnl_attr_parse(nlh, sizeof(nfgenmsg), CollectAttr, tb) < 0) return false;
  // Every object message carries its table as attribute 1 except tables
  // themselves (NFTA_TABLE_NAME is 1 too): one line per kind below.
  switch (ev.type) {
    case T::Table:
      ev.name = ev.table = Str(tb[NFTA_TABLE_NAME]);
      Handle(tb[NFTA_TABLE_HANDLE], ev);
      break;
    case T::Chain:
      ev.table = Str(tb[NFTA_CHAIN_TABLE]);
      ev.name = Str(tb[NFTA_CHAIN_NAME]);
      Handle(tb[NFTA_CHAIN_HANDLE], ev);
      break;
    case T::Rule:
      ev.table = Str(tb[NFTA_RULE_TABLE]);
      ev.chain = Str(tb[NFTA_RULE_CHAIN]);
      Handle(tb[NFTA_RULE_HANDLE], ev);
      break;
    case T::Set:
      ev.table = Str(tb[NFTA_SET_TABLE]);
      ev.name = Str(tb[NFTA_SET_NAME]);
      Handle(tb[NFTA_SET_HANDLE], ev);
      break;
    case T::Element: {
      ev.table = Str(tb[NFTA_SET_ELEM_LIST_TABLE]);
      ev.set = Str(tb[NFTA_SET_ELEM_LIST_SET]);
      const nlattr* list = tb[NFTA_SET_ELEM_LIST_ELEMENTS];
      if (list) {
        // mnl_attr_for_each_nested, spelled out (its void* does not convert in C++).
        const char* p = static_cast<const char*>(mnl_attr_get_payload(list));
        int len = static_cast<int>(mnl_attr_get_payload_len(list));
        for (auto* e = reinterpret_cast<const nlattr*>(p); mnl_attr_ok(e, len); e = mnl_attr_next(e)) {
          len -= MNL_ALIGN(e->nla_len);
          ev.elements++;
        }
      }
      break;
    }
    case T::Object:
      ev.table = Str(tb[NFTA_OBJ_TABLE]);
      ev.name = Str(tb[NFTA_OBJ_NAME]);
      U32(tb[NFTA_OBJ_TYPE], ev.obj_type);
      Handle(tb[NFTA_OBJ_HANDLE], ev);
      break;
    case T::Flowtable:
      ev.table = Str(tb[NFTA_FLOWTABLE_TABLE]);
      ev.name = Str(tb[NFTA_FLOWTABLE_NAME]);
      Handle(tb[NFTA_FLOWTABLE_HANDLE], ev);
      break;
    case T::Gen:
      ev.family = 0;
      if (!U32(tb[NFTA_GEN_ID], ev.gen_id)) return false;
      U32(tb[NFTA_GEN_PROC_PID], ev.pid);
      ev.proc = Str(tb[NFTA_GEN_PROC_NAME]);
      break;
    default:
      return false;
  }
  return true;
}

void AppendEvent(std::vector<MonitorEvent>& batch, MonitorEvent&& ev) {
  if (ev.type == MonitorEvent::Type::Element && !batch.empty()) {
    MonitorEvent& last = batch.back();
    if (last.type == ev.type && last.del == ev.del && last.family == ev.family && last.portid == ev.portid &&
        last.table == ev.table && last.set == ev.set) {
      last.elements += ev.elements;
      return;
    }
  }
  batch.push_back(std::move(ev));
}

NetlinkMonitor::NetlinkMonitor(const std::string& netns_path, int rcvbuf) {
  int fd = OpenNetfilterSocket(netns_path);
  auto fail = [&](const char* what) {
    int e = errno;
    close(fd);
    errno = e;
    ThrowErrno(what);
  };
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;  // nl_pid 0: the kernel picks a free port id
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) fail("bind netlink socket");
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0) fail("getsockname");
  int group = NFNLGRP_NFTABLES;
  if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
    fail("subscribe to NFNLGRP_NFTABLES");
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
    fail("setsockopt(SO_RCVBUF)");
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) fail("eventfd");
  fd_ = fd;
  wake_fd_ = wake;
  portid_ = addr.nl_pid;
}

NetlinkMonitor::~NetlinkMonitor() { Stop(); }

void NetlinkMonitor::Start(Sink sink) {
  if (fd_ < 0) throw SystemError(EBADF, "monitor is closed");
  if (thread_.joinable()) return;
  sink_ = std::move(sink);
  // The thread inherits the signal mask: block everything while creating it,
  // so signals keep going to the threads that handle them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw SystemError(EAGAIN, "cannot start the monitor thread");
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void NetlinkMonitor::Stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    // A full counter (never happens: it is written once) would still wake poll().
    ssize_t ignored = write(wake_fd_, &one, sizeof(one));
    (void)ignored;
    thread_.join();
  }
  if (fd_ >= 0) close(fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  fd_ = wake_fd_ = -1;
}

void NetlinkMonitor::Run() {
  std::vector<char> buf(kReceiveBuffer);
  std::vector<MonitorEvent> batch;
  auto flush = [&] {
    if (!batch.empty()) sink_(batch);
    batch.clear();
  };
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      batch.push_back(Condition(MonitorEvent::Type::Error, errno));
      flush();
      return;
    }
    if (fds[1].revents) return;  // Stop()
    // Drain everything queued, then hand it over in one go.
    for (;;) {
      iovec iov{buf.data(), buf.size()};
      msghdr mh{};
      mh.msg_iov = &iov;
      mh.msg_iovlen = 1;
      ssize_t n = recvmsg(fd_, &mh, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == ENOBUFS) {
          // The receive queue overflowed: notifications were dropped. The
          // socket keeps working; the consumer must re-read the ruleset.
          batch.push_back(Condition(MonitorEvent::Type::Overrun));
          continue;
        }
        batch.push_back(Condition(MonitorEvent::Type::Error, errno));
        flush();
        return;
      }
      if (mh.msg_flags & MSG_TRUNC) {
        batch.push_back(Condition(MonitorEvent::Type::Overrun));
        continue;
      }
      int left = static_cast<int>(n);
      for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, left);
           nlh = mnl_nlmsg_next(nlh, &left)) {
        MonitorEvent ev;
        if (ParseNotification(nlh, ev)) AppendEvent(batch, std::move(ev));
      }
      if (batch.size() >= kSliceEvents) flush();
    }
    flush();
  }
}

}  // namespace nftkit
