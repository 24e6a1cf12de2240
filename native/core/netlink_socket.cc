#include "core/netlink_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/dump_reader.h"
#include "util/handles.h"

namespace nftkit {
namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { if (fd >= 0) close(fd); }
};

// Large enough for the echoes and errors of a big batch; the kernel drops
// replies (ENOBUFS) that do not fit.
constexpr int kRecvBuffer = 16 << 20;
constexpr size_t kInitialSendBuffer = 4 << 20;
// Requests are small; MNL_SOCKET_BUFFER_SIZE is not a constant expression.
constexpr size_t kRequestBuffer = 8192;
// Counter-resetting rule dump (kernel >= 6.4), newer than some uapi headers.
constexpr uint16_t kGetRuleReset = 25;

void ParseExtAck(const nlmsghdr* nlh, OpError& err) {
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return;
  const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  size_t off = sizeof(nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) off += e->msg.nlmsg_len - sizeof(nlmsghdr);
  const char* base = static_cast<const char*>(mnl_nlmsg_get_payload(nlh));
  size_t total = mnl_nlmsg_get_payload_len(nlh);
  off = MNL_ALIGN(off);
  while (off + sizeof(nlattr) <= total) {
    const auto* a = reinterpret_cast<const nlattr*>(base + off);
    if (a->nla_len < sizeof(nlattr) || off + a->nla_len > total) break;
    const char* val = base + off + MNL_ATTR_HDRLEN;
    size_t vlen = a->nla_len - MNL_ATTR_HDRLEN;
    if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
      err.ext_msg.assign(val, strnlen(val, vlen));
    else if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_OFFS && vlen >= 4)
      std::memcpy(&err.ext_offset, val, 4);
    off += MNL_ALIGN(a->nla_len);
  }
}

uint64_t EchoHandle(const nlmsghdr* nlh) {
  switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
    case NFT_MSG_NEWTABLE: {
      TablePtr t(nftnl_table_alloc());
      if (nftnl_table_nlmsg_parse(nlh, t.get()) == 0) return nftnl_table_get_u64(t.get(), NFTNL_TABLE_HANDLE);
      break;
    }
    case NFT_MSG_NEWCHAIN: {
      ChainPtr c(nftnl_chain_alloc());
      if (nftnl_chain_nlmsg_parse(nlh, c.get()) == 0) return nftnl_chain_get_u64(c.get(), NFTNL_CHAIN_HANDLE);
      break;
    }
    case NFT_MSG_NEWRULE: {
      RulePtr r(nftnl_rule_alloc());
      if (nftnl_rule_nlmsg_parse(nlh, r.get()) == 0) return nftnl_rule_get_u64(r.get(), NFTNL_RULE_HANDLE);
      break;
    }
    case NFT_MSG_NEWSET: {
      SetPtr s(nftnl_set_alloc());
      if (nftnl_set_nlmsg_parse(nlh, s.get()) == 0) return nftnl_set_get_u64(s.get(), NFTNL_SET_HANDLE);
      break;
    }
    case NFT_MSG_NEWOBJ: {
      ObjPtr o(nftnl_obj_alloc());
      if (nftnl_obj_nlmsg_parse(nlh, o.get()) == 0) return nftnl_obj_get_u64(o.get(), NFTNL_OBJ_HANDLE);
      break;
    }
  }
  return 0;
}

}  // namespace

int OpenNetfilterSocket(const std::string& netns_path, int* netlink_table) {
  auto open_table = [netlink_table] {
    if (netlink_table) *netlink_table = open("/proc/thread-self/net/netlink", O_RDONLY | O_CLOEXEC);
  };
  if (netns_path.empty()) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd < 0) ThrowErrno("socket(NETLINK_NETFILTER)");
    open_table();
    return fd;
  }
  // A socket belongs to the namespace it was created in, so switch this thread
  // into the target namespace just long enough to create it, then switch back.
  Fd target(open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (target.fd < 0) ThrowErrno("open network namespace " + netns_path);
  Fd self(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (self.fd < 0) ThrowErrno("open /proc/thread-self/ns/net");
  if (setns(target.fd, CLONE_NEWNET) < 0) ThrowErrno("setns " + netns_path);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  int saved = errno;
  if (fd >= 0) open_table();
  if (setns(self.fd, CLONE_NEWNET) < 0) {
    // Cannot return to the original namespace: nothing safe is left to do.
    if (fd >= 0) close(fd);
    ThrowErrno("setns back to the original network namespace");
  }
  errno = saved;
  if (fd < 0) ThrowErrno("socket(NETLINK_NETFILTER) in " + netns_path);
  return fd;
}

int CountNftablesListeners(int netlink_table) {
  if (netlink_table < 0) return -1;
  // Lines of "sk Eth Pid Groups ...": protocol 12 is NETLINK_NETFILTER; Groups
  // is the first 32 multicast groups as hex, group N at bit N-1.
  std::string text;
  char chunk[4096];
  for (off_t at = 0;;) {
    ssize_t n = pread(netlink_table, chunk, sizeof chunk, at);
    if (n < 0) return -1;
    if (n == 0) break;
    text.append(chunk, static_cast<size_t>(n));
    at += n;
  }
  int count = 0;
  size_t line = text.find('\n');
  while (line != std::string::npos && line + 1 < text.size()) {
    size_t end = text.find('\n', line + 1);
    std::string row = text.substr(line + 1, end == std::string::npos ? std::string::npos : end - line - 1);
    char sk[32];
    int proto = 0;
    unsigned pid = 0, groups = 0;
    if (sscanf(row.c_str(), "%31s %d %u %x", sk, &proto, &pid, &groups) == 4 && proto == NETLINK_NETFILTER &&
        (groups & (1u << (NFNLGRP_NFTABLES - 1))))
      count++;
    line = end;
  }
  return count;
}

NetlinkSocket::NetlinkSocket(const std::string& netns_path) : rbuf_(kHeldBytes) {
  int fd = OpenNetfilterSocket(netns_path, &netlink_table_);
  nl_ = mnl_socket_fdopen(fd);
  if (!nl_) {
    close(fd);
    Close();
    ThrowErrno("mnl_socket_fdopen");
  }
  if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
    int e = errno;
    Close();
    errno = e;
    ThrowErrno("bind netlink socket");
  }
  portid_ = mnl_socket_get_portid(nl_);
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  int rcv = kRecvBuffer;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
  EnsureSendBuffer(kInitialSendBuffer);
}

NetlinkSocket::~NetlinkSocket() { Close(); }

void NetlinkSocket::Close() {
  if (nl_) mnl_socket_close(nl_);
  nl_ = nullptr;
  if (netlink_table_ >= 0) close(netlink_table_);
  netlink_table_ = -1;
  // The receive buffer (1 MiB) goes with the socket, not with the object that
  // JS may keep until a garbage collection.
  std::vector<char>().swap(rbuf_);
}

void NetlinkSocket::EnsureSendBuffer(size_t bytes) {
  if (bytes <= sndbuf_) return;
  // The whole batch must fit in one skb: nfnetlink never joins a batch across
  // sendmsg() calls. The kernel doubles the value it is given.
  int v = static_cast<int>(bytes);
  int fd = mnl_socket_get_fd(nl_);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) < 0)
    ThrowErrno("setsockopt(SO_SNDBUF)");
  sndbuf_ = bytes;
}

CommitResult NetlinkSocket::Commit(const BatchBuilder& batch, const std::vector<OpDesc>& ops) {
  if (!nl_) throw SystemError(EBADF, "socket is closed");
  const std::string& bytes = batch.bytes();
  EnsureSendBuffer(bytes.size());
  seq_ = batch.last_seq() + 1;
  CommitResult res;
  timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ssize_t sent = mnl_socket_sendto(nl_, bytes.data(), bytes.size());
  if (sent < 0) ThrowErrno("sendmsg(" + std::to_string(bytes.size()) + " bytes)");

  // nfnetlink processes the batch inside sendmsg(), so every reply is queued by
  // now except in rare replay cases; read without blocking until the END ack,
  // then block only if the ack has not arrived yet.
  const uint32_t end_seq = batch.last_seq();
  bool done = false;
  int fd = mnl_socket_get_fd(nl_);
  while (!done) {
    ssize_t n = recv(fd, rbuf_.data(), rbuf_.size(), res.errors.empty() ? 0 : MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;  // errors seen, no END ack: batch aborted
      ThrowErrno("recv");
    }
    const nlmsghdr* nlh = reinterpret_cast<const nlmsghdr*>(rbuf_.data());
    int len = static_cast<int>(n);
    for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_pid != portid_ && nlh->nlmsg_pid != 0) continue;
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        uint32_t seq = e->msg.nlmsg_seq;
        if (e->error == 0) {
          if (seq == end_seq) { res.acked = true; done = true; }
          continue;
        }
        OpError err;
        err.err = -e->error;
        err.op_index = batch.OpForSeq(seq);
        err.msg_type = e->msg.nlmsg_type;
        ParseExtAck(nlh, err);
        res.errors.push_back(std::move(err));
        // An error on BATCH_END itself (e.g. ERESTART for a stale generation)
        // ends the exchange too.
        if (seq == end_seq || seq == batch.first_seq()) done = true;
        continue;
      }
      int op = batch.OpForSeq(nlh->nlmsg_seq);
      if (op >= 0 && static_cast<size_t>(op) < ops.size() && ops[op].echo) {
        // Echoes also carry a NEWGEN notification; only object echoes have handles.
        uint64_t handle = EchoHandle(nlh);
        if (handle) res.handles.emplace_back(op, handle);
      }
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  last_commit_ns_.store(static_cast<uint64_t>(t1.tv_sec - t0.tv_sec) * 1000000000ull + t1.tv_nsec - t0.tv_nsec,
                        std::memory_order_relaxed);
  return res;
}

template <typename Cb>
void NetlinkSocket::Request(const char* buf, size_t len, uint32_t seq, Cb&& cb) {
  if (mnl_socket_sendto(nl_, buf, len) < 0) ThrowErrno("sendmsg(dump request)");
  int fd = mnl_socket_get_fd(nl_);
  for (;;) {
    ssize_t n = recv(fd, rbuf_.data(), rbuf_.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("recv(dump)");
    }
    const nlmsghdr* nlh = reinterpret_cast<const nlmsghdr*>(rbuf_.data());
    int left = static_cast<int>(n);
    for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_seq != seq) continue;  // stale reply of an earlier request
      if (nlh->nlmsg_type == NLMSG_DONE) return;
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        if (e->error == 0) return;
        throw SystemError(-e->error, std::string("dump: ") + std::strerror(-e->error));
      }
      cb(nlh);
      if (!(nlh->nlmsg_flags & NLM_F_MULTI)) return;
    }
  }
}

uint32_t NetlinkSocket::GetGen() {
  if (!nl_) throw SystemError(EBADF, "socket is closed");
  char buf[kRequestBuffer];
  uint32_t seq = seq_++;
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, seq);
  uint32_t id = 0;
  Request(buf, nlh->nlmsg_len, seq, [&](const nlmsghdr* m) {
    GenPtr g(nftnl_gen_alloc());
    if (nftnl_gen_nlmsg_parse(m, g.get()) == 0) id = nftnl_gen_get_u32(g.get(), NFTNL_GEN_ID);
  });
  return id;
}

void NetlinkSocket::DumpOnce(const DumpRequest& req, DumpResult& out, bool& interrupted) {
  char buf[kRequestBuffer];
  auto run = [&](uint16_t type, auto&& fill, auto&& sink) {
    uint32_t seq = seq_++;
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, type, req.family, NLM_F_DUMP, seq);
    fill(nlh);
    Request(buf, nlh->nlmsg_len, seq, [&](const nlmsghdr* m) {
      if (m->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
      sink(m);
    });
  };
  auto none = [](nlmsghdr*) {};
  const std::string& t = req.table;
  auto keep = [&](const std::string& table) { return t.empty() || t == table; };

  run(NFT_MSG_GETTABLE, none, [&](const nlmsghdr* m) {
    Record r;
    if (DecodeTable(m, r) && keep(TableOf(r))) out.tables.push_back(std::move(r));
  });
  run(NFT_MSG_GETCHAIN, none, [&](const nlmsghdr* m) {
    Record r;
    if (DecodeChain(m, r) && keep(TableOf(r))) out.chains.push_back(std::move(r));
  });
  run(NFT_MSG_GETSET, none, [&](const nlmsghdr* m) {
    Record r;
    if (DecodeSet(m, r) && keep(TableOf(r))) out.sets.push_back(std::move(r));
  });
  run(req.reset ? kGetRuleReset : static_cast<uint16_t>(NFT_MSG_GETRULE),
      [&](nlmsghdr* nlh) { if (!t.empty()) mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, t.c_str()); },
      [&](const nlmsghdr* m) {
        Record r;
        if (DecodeRule(m, r) && keep(TableOf(r))) out.rules.push_back(std::move(r));
      });
  run(NFT_MSG_GETOBJ, [&](nlmsghdr* nlh) { if (!t.empty()) mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, t.c_str()); },
      [&](const nlmsghdr* m) {
        Record r;
        if (DecodeObject(m, r) && keep(TableOf(r))) out.objects.push_back(std::move(r));
      });
  if (!req.elements) return;
  for (auto& set : out.sets) {
    std::string table = TableOf(set), name = FieldStr(set, "name");
    uint32_t family = static_cast<uint32_t>(FieldNum(set, "family"));
    ElementAccumulator elems;
    uint32_t seq = seq_++;
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, family, NLM_F_DUMP, seq);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table.c_str());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, name.c_str());
    Request(buf, nlh->nlmsg_len, seq, [&](const nlmsghdr* m) {
      if (m->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
      DecodeElements(m, elems);
    });
    elems.PutOn(set);
  }
}

DumpResult NetlinkSocket::Dump(const DumpRequest& req) {
  if (!nl_) throw SystemError(EBADF, "socket is closed");
  // A listing spans several dumps; it is consistent only if the generation did
  // not move while we read. Retry a few times, then report EINTR.
  for (int attempt = 0; attempt < 10; attempt++) {
    DumpResult out;
    bool interrupted = false;
    out.gen_id = GetGen();
    DumpOnce(req, out, interrupted);
    if (!interrupted && GetGen() == out.gen_id) return out;
  }
  throw SystemError(EINTR, "the ruleset kept changing while it was being read");
}

void ThrowErrno(const std::string& what) {
  int e = errno;
  throw SystemError(e, what + ": " + std::strerror(e));
}

}  // namespace nftkit
