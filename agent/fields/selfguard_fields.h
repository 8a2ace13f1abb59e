// Fields of self-protection events (selfguard.*): what another process did to the agent.
#pragma once

#include "agent/fields/field_registry.h"

namespace ztai {

void add_selfguard_fields(FieldRegistry& registry);

}  // namespace ztai
