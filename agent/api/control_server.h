// The agent's control socket: commands that change what the agent enforces (`ztai quarantine`,
// `ztai release`) come over a unix socket (default /run/ztai/control.sock, mode 0600), not over
// the HTTP endpoint: on 127.0.0.1 any local user could send them, while the socket's mode lets
// only root in, and SO_PEERCRED names the caller (pid, uid, binary) for the audit record.
//
// One request per connection: a line "VERB ARGUMENT\n"; the answer is "ok\n" or "error\n"
// followed by text, then the agent closes the connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "agent/api/accept_loop.h"
#include "agent/common/result.h"

namespace ztai {

struct ControlCaller {
  uint32_t pid = 0, uid = 0, gid = 0;
  std::string exe;  // /proc/PID/exe when readable
  std::string str() const;  // "uid=0 pid=123 exe=/usr/bin/ztai"
};

struct ControlRequest {
  std::string verb;
  std::string argument;
  ControlCaller caller;
};

// The answer text, or an error whose message is sent back.
using ControlHandler = std::function<Result<std::string>(const ControlRequest&)>;

// "VERB ARGUMENT" -> verb and argument (the rest of the line); fails on an empty verb or a line
// with control characters.
Result<ControlRequest> parse_control_line(std::string_view line);

class ControlServer {
 public:
  // Creates the socket now (a path in use by a live agent is an error); serves on its own thread,
  // one request at a time.
  static Result<std::unique_ptr<ControlServer>> start(const std::string& path, ControlHandler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  ControlServer(std::string path, ControlHandler handler) : path_(std::move(path)), handler_(std::move(handler)) {}
  void serve(int fd);

  std::string path_;
  ControlHandler handler_;
  std::unique_ptr<AcceptLoop> loop_;
};

// Sends one request to the agent at path; the answer text, or an error carrying it.
Result<std::string> control_request(const std::string& path, const std::string& verb, const std::string& argument);

}  // namespace ztai
