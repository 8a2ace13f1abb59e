// Elastic Common Schema 8.x: event.kind "alert", the rule in rule.*, the process in process.*,
// and every field under ztai.fields so nothing is lost in the mapping.
#pragma once

#include <string>

#include "exporters/record.h"

namespace ztai {

void format_ecs(const Record& record, std::string& out);

}  // namespace ztai
