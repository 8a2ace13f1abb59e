#include "agent/cli/command_config.h"

#include <filesystem>

#include "agent/cli/commands.h"

namespace ztai {

Result<AgentConfig> command_config(const ParsedArgs& args) {
  std::optional<std::string> path = args.get("config");
  if (!path && std::filesystem::exists(kDefaultConfigPath)) path = kDefaultConfigPath;
  return path ? load_agent_config(*path) : Result<AgentConfig>(default_agent_config());
}

}  // namespace ztai
