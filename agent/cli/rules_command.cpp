// `ztai rules validate PATH...` and `ztai rules test PATH...`.
#include <fmt/format.h>

#include "agent/cli/args.h"
#include "agent/cli/commands.h"
#include "agent/rules/rule_loader.h"
#include "agent/rules/rule_tests.h"

namespace ztai {
namespace {

constexpr const char* kRulesUsage = "usage: ztai rules validate PATH... | ztai rules test PATH...\n";

int validate(const std::vector<std::string>& paths) {
  rules::LoadedRules loaded = rules::load_rules(paths, false, builtin_fields());
  for (const rules::Diagnostic& d : loaded.diags.all()) fmt::print("{}\n", d.str());
  size_t errors = loaded.diags.error_count();
  size_t warnings = loaded.diags.all().size() - errors;
  if (!loaded.rules) {
    fmt::print("{} errors, {} warnings in {} files\n", errors, warnings, loaded.files.size());
    return 1;
  }
  fmt::print("OK: {} rules from {} files, {} warnings\n", loaded.rules->rules().size(), loaded.files.size(), warnings);
  return 0;
}

int test(const std::vector<std::string>& paths) {
  rules::RuleTestReport report = rules::run_rule_tests(paths, builtin_fields());
  for (const std::string& line : report.lines) fmt::print("{}\n", line);
  fmt::print("{} passed, {} failed\n", report.passed, report.failed);
  return report.ok() ? 0 : 1;
}

}  // namespace

int rules_command(const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {});
  if (!args || args->positional.size() < 2) {
    fmt::print(stderr, "{}{}", args ? "" : args.error().message() + "\n", kRulesUsage);
    return 2;
  }
  std::vector<std::string> paths(args->positional.begin() + 1, args->positional.end());
  const std::string& verb = args->positional[0];
  if (verb == "validate") return validate(paths);
  if (verb == "test") return test(paths);
  fmt::print(stderr, "ztai rules: unknown command '{}'\n{}", verb, kRulesUsage);
  return 2;
}

}  // namespace ztai
