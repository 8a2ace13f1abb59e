// Command-line parsing for the subcommands: --flag, --key VALUE and --key=VALUE.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/common/result.h"

namespace ztai {

struct ArgSpec {
  std::set<std::string> flags;        // take no value
  std::set<std::string> options;      // take one value
  std::set<std::string> repeatable;   // options that may appear more than once
};

struct ParsedArgs {
  std::set<std::string> flags;
  std::map<std::string, std::vector<std::string>> options;
  std::vector<std::string> positional;

  bool has(const std::string& flag) const { return flags.count(flag) != 0; }
  std::optional<std::string> get(const std::string& option) const;
};

Result<ParsedArgs> parse_args(const std::vector<std::string>& args, const ArgSpec& spec);

}  // namespace ztai
