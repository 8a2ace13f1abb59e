// Subcommands of the ztai binary; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace ztai {

int run_command(const std::vector<std::string>& args);
int version_command(const std::vector<std::string>& args);
int status_command(const std::vector<std::string>& args);
int rules_command(const std::vector<std::string>& args);
int fields_command(const std::vector<std::string>& args);
int policy_command(const std::vector<std::string>& args);
int demo_command(const std::vector<std::string>& args);
// verb: "quarantine" or "release".
int quarantine_command(const std::string& verb, const std::vector<std::string>& args);

// Where `ztai run` looks for its config when --config is not given.
inline constexpr const char* kDefaultConfigPath = "/etc/ztai/ztai.yaml";

}  // namespace ztai
