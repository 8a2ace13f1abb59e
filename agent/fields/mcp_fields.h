// Fields of mcp_message events (mcp.*).
#pragma once

#include "agent/fields/field_registry.h"

namespace ztai {

void add_mcp_fields(FieldRegistry& registry);

}  // namespace ztai
