#include "agent/api/control_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "agent/api/accept_loop.h"
#include "agent/common/log.h"

namespace ztai {
namespace {

constexpr int kIoTimeoutSeconds = 30;  // a quarantine scans cgroups and walks sockets: allow time
constexpr size_t kMaxLine = 4096;

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(sa.sun_path)) {
    return make_error(ErrorCode::kInvalidArgument, "'{}': a unix socket path is 1 to {} bytes", path,
                      sizeof(sa.sun_path) - 1);
  }
  std::memcpy(sa.sun_path, path.data(), path.size());
  return sa;
}

}  // namespace

std::string ControlCaller::str() const {
  return fmt::format("uid={} pid={} exe={}", uid, pid, exe.empty() ? "<unknown>" : exe);
}

Result<ControlRequest> parse_control_line(std::string_view line) {
  if (std::any_of(line.begin(), line.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return make_error(ErrorCode::kInvalidArgument, "the request has control characters");
  }
  ControlRequest r;
  size_t space = line.find(' ');
  r.verb = std::string(line.substr(0, space));
  if (space != std::string_view::npos) r.argument = std::string(line.substr(space + 1));
  if (r.verb.empty()) return make_error(ErrorCode::kInvalidArgument, "the request names no command");
  return r;
}

Result<std::unique_ptr<ControlServer>> ControlServer::start(const std::string& path, ControlHandler handler) {
  auto sa = unix_address(path);
  if (!sa) return sa.error();
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error(ErrorCode::kIo, "{}: cannot create the folder: {}", dir.string(), ec.message());
    chmod(dir.c_str(), 0700);
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return make_error(ErrorCode::kInvalidArgument, "{}: exists and is not a socket", path);
    // A socket left by an agent that died; a live one answers (and the agent's lock file
    // already keeps two agents apart).
    if (auto probe = control_request(path, "ping", ""); probe) {
      return make_error(ErrorCode::kInvalidArgument, "{}: another agent answers on this socket", path);
    }
    unlink(path.c_str());
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::kIo, "socket: {}", strerror(errno));
  // Created 0600 from the start: no moment where another user could connect.
  mode_t old = umask(0177);
  int rc = bind(fd, reinterpret_cast<const sockaddr*>(&*sa), sizeof(*sa));
  int err = errno;
  umask(old);
  if (rc != 0 || listen(fd, 8) != 0) {
    if (rc == 0) err = errno;
    close(fd);
    return make_error(ErrorCode::kIo, "{}: cannot listen: {}", path, strerror(err));
  }
  std::unique_ptr<ControlServer> s(new ControlServer(path, std::move(handler)));
  auto loop = AcceptLoop::start(fd, "control socket", kIoTimeoutSeconds, [p = s.get()](int c) { p->serve(c); });
  if (!loop) {
    unlink(path.c_str());
    return loop.error();
  }
  s->loop_ = std::move(*loop);
  return s;
}

ControlServer::~ControlServer() {
  loop_.reset();  // no request is served past this point
  unlink(path_.c_str());
}

void ControlServer::serve(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return;
  ControlCaller caller{static_cast<uint32_t>(cred.pid), cred.uid, cred.gid, ""};
  std::error_code ec;
  caller.exe = std::filesystem::read_symlink(fmt::format("/proc/{}/exe", cred.pid), ec).string();
  // The socket's mode already keeps others out; this holds even if someone loosens it.
  if (cred.uid != 0 && cred.uid != geteuid()) {
    log::warn("control socket: refused a request from {}", caller.str());
    send_all(fd, "error\nonly root may send commands to the agent\n");
    return;
  }
  std::string line;
  char buf[512];
  while (line.find('\n') == std::string::npos && line.size() <= kMaxLine) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  size_t nl = line.find('\n');
  if (nl == std::string::npos) {
    send_all(fd, "error\nthe request is not one line of at most 4096 bytes\n");
    return;
  }
  auto req = parse_control_line(std::string_view(line).substr(0, nl));
  if (!req) {
    send_all(fd, fmt::format("error\n{}\n", req.error().message()));
    return;
  }
  req->caller = caller;
  if (req->verb == "ping") {
    send_all(fd, "ok\npong\n");
    return;
  }
  Result<std::string> answer = handler_(*req);
  if (!answer) {
    send_all(fd, fmt::format("error\n{}\n", answer.error().message()));
    return;
  }
  send_all(fd, fmt::format("ok\n{}{}", *answer, answer->ends_with('\n') ? "" : "\n"));
}

Result<std::string> control_request(const std::string& path, const std::string& verb, const std::string& argument) {
  auto sa = unix_address(path);
  if (!sa) return sa.error();
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::kIo, "socket: {}", strerror(errno));
  set_io_timeouts(fd, kIoTimeoutSeconds);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&*sa), sizeof(*sa)) != 0) {
    int err = errno;
    close(fd);
    return make_error(ErrorCode::kIo, "{}: cannot connect: {} (is the agent running, and are you root?)", path,
                      strerror(err));
  }
  std::string res;
  if (send_all(fd, fmt::format("{}{}{}\n", verb, argument.empty() ? "" : " ", argument))) {
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0) res.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  size_t nl = res.find('\n');
  std::string status = res.substr(0, nl);
  std::string text = nl == std::string::npos ? "" : res.substr(nl + 1);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (status == "ok") return text;
  if (status == "error") return make_error(ErrorCode::kInvalidArgument, "{}", text);
  return make_error(ErrorCode::kIo, "{}: no answer from the agent", path);
}

}  // namespace ztai
