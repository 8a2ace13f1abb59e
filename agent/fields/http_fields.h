// Fields of the HTTP exchange an llm_request, llm_response or mcp_message travelled in (http.*).
#pragma once

#include "agent/fields/field_registry.h"

namespace ztai {

void add_http_fields(FieldRegistry& registry);

}  // namespace ztai
