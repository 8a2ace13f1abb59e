// Fields of the acting process and its lineage (proc.*, user.*, group.*), and of the event
// itself (evt.*). Names follow Falco where Falco has the field.
#pragma once

#include "agent/fields/field_registry.h"

namespace ztai {

void add_process_fields(FieldRegistry& registry);

}  // namespace ztai
