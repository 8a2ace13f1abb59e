// `ztai quarantine WORKLOAD`, `ztai release WORKLOAD`, `ztai quarantine --list`: sent to the running
// agent over its control socket (api.control_socket), which audits each one.

#include <fmt/format.h>

#include "agent/api/control_server.h"
#include "agent/cli/args.h"
#include "agent/cli/command_config.h"
#include "agent/cli/commands.h"
#include "agent/common/log.h"
#include "agent/config/agent_config.h"

namespace ztai {

int quarantine_command(const std::string& verb, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{"list"}, {"config", "socket"}, {}});
  bool list = args && args->has("list") && verb == "quarantine";
  if (!args || (list ? !args->positional.empty() : args->positional.size() != 1)) {
    log::error("{}: {}", verb,
               args ? fmt::format("usage: ztai {} WORKLOAD [--socket PATH] [--config FILE]{}", verb,
                                  verb == "quarantine" ? " | ztai quarantine --list" : "")
                    : args.error().message());
    return 2;
  }
  auto config = command_config(*args);
  if (!config) {
    log::error("{}", config.error().message());
    return 2;
  }
  std::string socket = config->api.control_socket;
  if (auto s = args->get("socket")) socket = *s;
  if (socket.empty()) {
    log::error("{}: the agent's control socket is off (api.control_socket is empty); give --socket", verb);
    return 2;
  }
  auto answer = control_request(socket, list ? "list" : verb, list ? "" : args->positional[0]);
  if (!answer) {
    fmt::print(stderr, "ztai {}: {}\n", verb, answer.error().message());
    return 1;
  }
  fmt::print("{}\n", *answer);
  return 0;
}

}  // namespace ztai
