// Fields of policy decisions (policy.*): which WorkloadPolicy and rule decided, and what was done.
#pragma once

#include "agent/fields/field_registry.h"

namespace ztai {

void add_policy_fields(FieldRegistry& registry);

}  // namespace ztai
