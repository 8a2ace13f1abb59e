// Fields of llm_request and llm_response events (llm.*).
#pragma once

#include "agent/fields/field_registry.h"

namespace ztai {

void add_llm_fields(FieldRegistry& registry);

}  // namespace ztai
