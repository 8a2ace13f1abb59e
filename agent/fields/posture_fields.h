// Posture fields: what a process may do (capabilities, uid 0, seccomp, no_new_privs) and which
// host namespaces its workload shares. Read by the kernel at exec, so short-lived processes
// have them too; docs/identity.md says how each is derived.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/fields/field_registry.h"

namespace ztai {

void add_posture_fields(FieldRegistry& registry);

// "CAP_CHOWN", ... for each set bit, in bit order; unknown bits as "CAP_<n>".
std::vector<std::string> capability_names(uint64_t caps);

}  // namespace ztai
