#include "agent/kernel/network_namespace.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

namespace ztai {

Status run_in_network_namespace(const std::string& ns_path, const std::function<Status()>& fn) {
  Status result;
  std::thread t([&] {
    int fd = open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      result = make_error(ErrorCode::kKernel, "entering the network namespace {} failed: {}", ns_path, strerror(errno));
      if (fd >= 0) close(fd);
      return;
    }
    close(fd);
    result = fn();
  });
  t.join();
  return result;
}

Status parse_address_dump(std::span<const std::byte> reply, std::vector<IpAddress>& out, bool& done) {
  const auto* base = reinterpret_cast<const uint8_t*>(reply.data());
  size_t off = 0;
  while (reply.size() - off >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, base + off, sizeof(h));
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > reply.size() - off) {
      return make_error(ErrorCode::kInvalidArgument, "rtnetlink message at byte {} has length {} of {} left", off,
                        h.nlmsg_len, reply.size() - off);
    }
    const uint8_t* body = base + off + NLMSG_HDRLEN;
    size_t body_len = h.nlmsg_len > NLMSG_HDRLEN ? h.nlmsg_len - NLMSG_HDRLEN : 0;
    if (h.nlmsg_type == NLMSG_DONE) {
      done = true;
      return {};
    }
    if (h.nlmsg_type == NLMSG_ERROR) {
      int err = 0;
      if (body_len >= sizeof(int)) std::memcpy(&err, body, sizeof(err));
      return make_error(ErrorCode::kKernel, "listing addresses failed: {}", strerror(-err));
    }
    if (h.nlmsg_type == RTM_NEWADDR && body_len >= sizeof(ifaddrmsg)) {
      ifaddrmsg ifa;
      std::memcpy(&ifa, body, sizeof(ifa));
      // IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer on point-to-point links).
      std::optional<IpAddress> local, address;
      size_t a = NLMSG_ALIGN(sizeof(ifaddrmsg));
      while (a + sizeof(rtattr) <= body_len) {
        rtattr ra;
        std::memcpy(&ra, body + a, sizeof(ra));
        if (ra.rta_len < sizeof(rtattr) || ra.rta_len > body_len - a) {
          return make_error(ErrorCode::kInvalidArgument, "rtnetlink address attribute at byte {} has length {}",
                            off + NLMSG_HDRLEN + a, ra.rta_len);
        }
        size_t len = ra.rta_len - sizeof(rtattr);
        const uint8_t* data = body + a + RTA_ALIGN(sizeof(rtattr));
        bool fits = (ifa.ifa_family == AF_INET && len == 4) || (ifa.ifa_family == AF_INET6 && len == 16);
        if (fits && ra.rta_type == IFA_LOCAL) local = IpAddress::from_af(ifa.ifa_family, data);
        if (fits && ra.rta_type == IFA_ADDRESS) address = IpAddress::from_af(ifa.ifa_family, data);
        a += RTA_ALIGN(ra.rta_len);
      }
      std::optional<IpAddress> ip = local ? local : address;
      bool reachable = ifa.ifa_scope < RT_SCOPE_LINK;  // universe (0) and site (200)
      if (ip && ip->valid() && reachable && !ip->loopback()) out.push_back(*ip);
    }
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
  return {};
}

namespace {

Status dump_addresses(NetnsAddresses& out) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return make_error(ErrorCode::kKernel, "rtnetlink socket: {}", strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  socklen_t len = sizeof(out.cookie);
  if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &out.cookie, &len) != 0) {
    return make_error(ErrorCode::kUnsupported, "reading the network namespace cookie (SO_NETNS_COOKIE): {}",
                      strerror(errno));
  }
  struct {
    nlmsghdr h;
    ifaddrmsg ifa;
  } request{};
  request.h.nlmsg_len = sizeof(request);
  request.h.nlmsg_type = RTM_GETADDR;
  request.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.h.nlmsg_seq = 1;
  request.ifa.ifa_family = AF_UNSPEC;
  if (send(fd, &request, sizeof(request), 0) != static_cast<ssize_t>(sizeof(request))) {
    return make_error(ErrorCode::kKernel, "rtnetlink address dump request: {}", strerror(errno));
  }
  std::array<std::byte, 32768> buffer;
  bool done = false;
  while (!done) {
    ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(ErrorCode::kKernel, "rtnetlink address dump: {}", n < 0 ? strerror(errno) : "closed");
    if (Status st = parse_address_dump({buffer.data(), static_cast<size_t>(n)}, out.addresses, done); !st) return st;
  }
  return {};
}

}  // namespace

Result<NetnsAddresses> read_netns_addresses(const std::string& ns_path) {
  NetnsAddresses out;
  if (Status st = run_in_network_namespace(ns_path, [&] { return dump_addresses(out); }); !st) {
    return st.error().context(ns_path);
  }
  return out;
}

}  // namespace ztai
