#include "agent/api/metrics_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "agent/api/accept_loop.h"
#include "agent/common/log.h"

namespace ztai {
namespace {

constexpr int kIoTimeoutSeconds = 2;

Result<int> open_socket(const std::string& host, uint16_t port, bool listen_on) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | (listen_on ? AI_PASSIVE : 0);
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    return make_error(ErrorCode::kInvalidArgument, "{}: not a numeric address: {}", host, gai_strerror(rc));
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int ok = -1;
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    set_io_timeouts(fd, kIoTimeoutSeconds);
    ok = listen_on ? bind(fd, res->ai_addr, res->ai_addrlen) : connect(fd, res->ai_addr, res->ai_addrlen);
    if (ok == 0 && listen_on) ok = listen(fd, 16);
  }
  int err = errno;
  freeaddrinfo(res);
  if (ok != 0) {
    if (fd >= 0) close(fd);
    return make_error(ErrorCode::kIo, "cannot {} {}:{}: {}", listen_on ? "listen on" : "connect to", host, port,
                      strerror(err));
  }
  return fd;
}

std::string response(int status, std::string_view reason, std::string_view type, std::string_view body) {
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", status,
                     reason, type, body.size(), body);
}

}  // namespace

Result<std::pair<std::string, uint16_t>> split_listen_address(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    return make_error(ErrorCode::kInvalidArgument, "'{}' is not host:port", address);
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(address.data() + colon + 1, address.data() + address.size(), port);
  // Port 0 asks the kernel for any free port (tests).
  if (ec != std::errc() || p != address.data() + address.size() || port > 65535) {
    return make_error(ErrorCode::kInvalidArgument, "'{}': the port is not 0..65535", address);
  }
  return std::pair{host, static_cast<uint16_t>(port)};
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& address,
                                                            const MetricsRegistry& metrics) {
  auto hp = split_listen_address(address);
  if (!hp) return hp.error();
  auto fd = open_socket(hp->first, hp->second, true);
  if (!fd) return fd.error();
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(*fd, reinterpret_cast<sockaddr*>(&ss), &len);
  uint16_t port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                 : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  std::unique_ptr<MetricsServer> s(new MetricsServer(port, metrics));
  auto loop = AcceptLoop::start(*fd, "metrics server", kIoTimeoutSeconds, [p = s.get()](int c) { p->serve(c); });
  if (!loop) return loop.error();
  s->loop_ = std::move(*loop);
  return s;
}

void MetricsServer::serve(int fd) {
  std::string req;
  char buf[1024];
  // Only the request line and headers matter; a client that sends more than 8 KiB is cut off.
  while (req.find("\r\n\r\n") == std::string::npos && req.size() < 8192) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return;
    req.append(buf, static_cast<size_t>(n));
  }
  std::string_view line(req);
  line = line.substr(0, line.find("\r\n"));
  std::string_view method = line.substr(0, line.find(' '));
  std::string_view rest = line.substr(std::min(line.size(), method.size() + 1));
  std::string_view path = rest.substr(0, rest.find(' '));
  path = path.substr(0, path.find('?'));
  if (method != "GET") {
    send_all(fd, response(405, "Method Not Allowed", "text/plain", "only GET\n"));
  } else if (path == "/metrics") {
    send_all(fd, response(200, "OK", "text/plain; version=0.0.4; charset=utf-8",
                           render_prometheus(metrics_.snapshot())));
  } else if (path == "/healthz") {
    send_all(fd, response(200, "OK", "text/plain", "ok\n"));
  } else {
    send_all(fd, response(404, "Not Found", "text/plain", "try /metrics or /healthz\n"));
  }
}

Result<std::string> http_get_local(const std::string& address, const std::string& path) {
  auto hp = split_listen_address(address);
  if (!hp) return hp.error();
  auto fd = open_socket(hp->first, hp->second, false);
  if (!fd) return fd.error().context("is the agent running? its api.listen");
  std::string req = fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", path, address);
  std::string res;
  if (send_all(*fd, req)) {
    char buf[16384];
    ssize_t n;
    while ((n = recv(*fd, buf, sizeof(buf), 0)) > 0) res.append(buf, static_cast<size_t>(n));
  }
  close(*fd);
  size_t end = res.find("\r\n\r\n");
  if (end == std::string::npos) return make_error(ErrorCode::kIo, "{}{}: no HTTP answer", address, path);
  std::string_view status_line = std::string_view(res).substr(0, res.find("\r\n"));
  if (status_line.substr(0, 12) != "HTTP/1.1 200") {
    return make_error(ErrorCode::kIo, "{}{}: {}", address, path, status_line);
  }
  return res.substr(end + 4);
}

}  // namespace ztai
