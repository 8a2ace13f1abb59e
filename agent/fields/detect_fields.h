// Fields computed by the detectors over the text of LLM and MCP events: dlp.* (secrets and
// personal data, agent/detect/dlp) and llm.injection.* (prompt-injection signals,
// agent/detect/injection).
#pragma once

#include "agent/fields/field_registry.h"

namespace ztai {

void add_detect_fields(FieldRegistry& registry);

}  // namespace ztai
