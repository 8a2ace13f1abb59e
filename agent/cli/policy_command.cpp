// `ztai policy validate PATH...`: every bad file as file:line:col, a summary per policy otherwise.
#include <fmt/format.h>

#include "agent/cli/args.h"
#include "agent/cli/commands.h"
#include "agent/policy/policy_parser.h"

namespace ztai {
namespace {

constexpr const char* kPolicyUsage = "usage: ztai policy validate PATH...\n";

int validate(const std::vector<std::string>& paths) {
  policy::LoadedPolicies loaded = policy::load_policies(paths);
  for (const Error& e : loaded.errors) fmt::print("{}\n", e.message());
  if (!loaded.ok()) {
    fmt::print("{} errors in {} files\n", loaded.errors.size(), loaded.files.size());
    return 1;
  }
  if (loaded.files.empty()) {
    fmt::print("no policy file (*.yaml, *.yml) under {}\n", fmt::join(paths, ", "));
    return 1;
  }
  auto section = [](bool present, size_t rules) {
    return present ? fmt::format("{} allow rules", rules) : std::string("not filtered");
  };
  for (const policy::WorkloadPolicy& p : loaded.policies) {
    fmt::print("{}: {} ({}): egress {}, ingress {}\n", p.where.str(), p.name, policy::mode_name(p.mode),
               section(p.egress.present, p.egress.allow.size()), section(p.ingress.present, p.ingress.allow.size()));
  }
  fmt::print("OK: {} policies from {} files\n", loaded.policies.size(), loaded.files.size());
  return 0;
}

}  // namespace

int policy_command(const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {});
  if (!args || args->positional.size() < 2) {
    fmt::print(stderr, "{}{}", args ? "" : args.error().message() + "\n", kPolicyUsage);
    return 2;
  }
  std::vector<std::string> paths(args->positional.begin() + 1, args->positional.end());
  if (args->positional[0] == "validate") return validate(paths);
  fmt::print(stderr, "ztai policy: unknown command '{}'\n{}", args->positional[0], kPolicyUsage);
  return 2;
}

}  // namespace ztai
