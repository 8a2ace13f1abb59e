// chain.*: the tool call (and the prompt before it) that an exec, file operation or connect is
// linked to by agent/detect/chain. Absent when the action has no such link.
#pragma once

#include "agent/fields/field_registry.h"

namespace ztai {

void add_chain_fields(FieldRegistry& registry);

}  // namespace ztai
