// ztai: zero-trust runtime for AI workloads. Wiring only: each subcommand lives in agent/cli/.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "agent/cli/commands.h"

namespace {

constexpr const char* kUsage = R"(usage: ztai <command> [options]

commands:
  run        run the agent: load the BPF sensors, print alerts as JSON lines
               --config FILE     agent config (default /etc/ztai/ztai.yaml when present)
               --events          also print every decoded event as a JSON line
               --output FILE     append to FILE instead of the configured outputs
               --log-level L     debug, info, warn or error (diagnostics go to stderr)
               --rules PATH      rule file or folder, repeatable; replaces the configured rule paths
               --policy PATH     WorkloadPolicy file or folder, repeatable; replaces enforcement.policies
  rules validate PATH...   check rule files and folders; every problem as file:line:col, exit 1 on errors
  rules test PATH...       run rule test files (events in, expected alerts out); exit 1 on a failure
  policy validate PATH...  check WorkloadPolicy files and folders; problems as file:line:col, exit 1 on errors
  quarantine WORKLOAD  deny every connect of a workload and cut its TCP connections, through the running agent
               WORKLOAD is a cgroup path (/a.slice/b.scope), container:ID, pod:NAMESPACE/NAME or unit:NAME
               --list            list the quarantined workloads instead
               --socket PATH     the agent's control socket (default /run/ztai/control.sock)
               --config FILE     read api.control_socket from FILE
  release WORKLOAD     end a workload's quarantine (same options as quarantine, without --list)
  fields [--json]          list every field rules and outputs can use, with its type and description
  status     print the running agent's health, counters and outputs (from its /metrics)
               --config FILE     read api.listen from FILE
               --address H:P     the agent's api address (default 127.0.0.1:9377)
  demo       run a small local AI stack (HTTPS model server, node agent with the openai client, MCP
             filesystem server) in cgroups of its own, do benign and malicious steps and show each alert
             and block; exit 1 unless every malicious step was caught and no benign one alerted
               --assets DIR        demo files (default /usr/share/ztai/demo)
               --node-modules DIR  the npm packages to use instead of installing the pinned ones
               --cache DIR         where the pinned npm packages are installed (default /var/cache/ztai/demo)
               --config FILE       agent config to start from; --rules PATH (repeatable) as for run
               --log-level L       the agent's diagnostics on stderr (default warn)
  version    print the version, git revision and the kernel features found
  help       print this text
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    fmt::print("{}", kUsage);
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "run") return ztai::run_command(args);
  if (command == "version" || command == "--version") return ztai::version_command(args);
  if (command == "status") return ztai::status_command(args);
  if (command == "rules") return ztai::rules_command(args);
  if (command == "fields") return ztai::fields_command(args);
  if (command == "policy") return ztai::policy_command(args);
  if (command == "demo") return ztai::demo_command(args);
  if (command == "quarantine" || command == "release") return ztai::quarantine_command(command, args);
  fmt::print(stderr, "ztai: unknown command '{}'\n\n{}", command, kUsage);
  return 2;
}
