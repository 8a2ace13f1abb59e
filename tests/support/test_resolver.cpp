#include "tests/support/test_resolver.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/socket_address.h"

namespace ztai::testing {
namespace {

int udp_socket(const char* ip, uint16_t& port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  socklen_t len = 0;
  sockaddr_storage ss = socket_address(AF_INET, ip, 0, len);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return -1;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  port = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

void put_name(std::string& out, const std::string& name) {
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    out += static_cast<char>(dot - start);
    out += name.substr(start, dot - start);
    start = dot + 1;
  }
  out += '\0';
}

void put16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

std::string answer_to(const std::string& query, uint32_t ttl) {
  std::string a = query.substr(0, 12);
  a[2] = static_cast<char>(0x81);
  a[3] = static_cast<char>(0x80);
  a[6] = 0;
  a[7] = 3;  // ANCOUNT
  a += query.substr(12);
  auto record = [&](uint16_t owner, uint16_t type, const std::string& rdata) {
    put16(a, owner);
    put16(a, type);
    put16(a, 1);
    put16(a, static_cast<uint16_t>(ttl >> 16));
    put16(a, static_cast<uint16_t>(ttl & 0xffff));
    put16(a, static_cast<uint16_t>(rdata.size()));
    a += rdata;
  };
  std::string target;
  put_name(target, "cdn.elsewhere.test");
  uint16_t target_at = static_cast<uint16_t>(a.size() + 12);
  record(0xc00c, 5, target);  // owner: the question name
  record(0xc000 | target_at, 1, std::string("\x7f\x00\x00\x03", 4));
  std::string v6(16, '\0');
  v6[15] = 1;
  record(0xc000 | target_at, 28, v6);
  return a;
}

}  // namespace

TestResolver::TestResolver(uint32_t ttl_seconds) : ttl_(ttl_seconds) {
  real_ = udp_socket("127.0.0.2", real_port_);
  forger_ = udp_socket("127.0.0.4", forger_port_);
  thread_ = std::thread([this] { serve(); });
}

TestResolver::~TestResolver() {
  stop_ = true;
  thread_.join();
  if (real_ >= 0) close(real_);
  if (forger_ >= 0) close(forger_);
}

void TestResolver::serve() {
  while (!stop_) {
    pollfd p{real_, POLLIN, 0};
    if (real_ < 0 || poll(&p, 1, 50) <= 0) continue;
    char buf[512];
    sockaddr_storage from{};
    socklen_t len = sizeof(from);
    ssize_t n = recvfrom(real_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 12) continue;
    std::string query(buf, static_cast<size_t>(n));
    std::string answer = answer_to(query, ttl_);
    bool forged = query.size() > 19 && query.compare(13, 6, "forged") == 0;
    sendto(forged ? forger_ : real_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
  }
}

void TestResolver::answer_unasked(const std::string& name, uint16_t port) const {
  std::string answer = answer_to(dns_query(name, 99), ttl_);
  socklen_t len = 0;
  sockaddr_storage to = socket_address(AF_INET, "127.0.0.1", port, len);
  sendto(real_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&to), len);
}

std::string dns_query(const std::string& name, uint16_t id) {
  std::string q;
  put16(q, id);
  put16(q, 0x0100);  // RD
  put16(q, 1);
  put16(q, 0);
  put16(q, 0);
  put16(q, 0);
  put_name(q, name);
  put16(q, 1);  // A
  put16(q, 1);  // IN
  return q;
}

int resolve_from(const std::string& name, uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  socklen_t len = 0;
  sockaddr_storage r = socket_address(AF_INET, "127.0.0.2", port, len);
  std::string q = dns_query(name, static_cast<uint16_t>(getpid()));
  if (sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&r), len) < 0) {
    close(fd);
    return 201;
  }
  char buf[512];
  ssize_t n = recv(fd, buf, sizeof(buf), 0);
  close(fd);
  return n > 12 ? 0 : 202;
}

}  // namespace ztai::testing
