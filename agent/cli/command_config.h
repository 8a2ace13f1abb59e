// The agent config a command works with: --config FILE, else /etc/ztai/ztai.yaml when it exists,
// else the defaults. `ztai run` starts from it; `ztai status` and `ztai quarantine` read from it
// where the running agent listens.
#pragma once

#include "agent/cli/args.h"
#include "agent/common/result.h"
#include "agent/config/agent_config.h"

namespace ztai {

Result<AgentConfig> command_config(const ParsedArgs& args);

}  // namespace ztai
