// Fields of the acting workload: container.*, k8s.*, systemd.unit, workload.*, spiffe.id, and
// cgroup.path, and the executable's hash (proc.exe_sha256). Names follow Falco where Falco has
// the field.
#pragma once

#include "agent/fields/field_registry.h"

namespace ztai {

void add_workload_fields(FieldRegistry& registry);

// Every workload field an event or alert lists, in output order.
const std::vector<std::string>& workload_output_fields();

}  // namespace ztai
