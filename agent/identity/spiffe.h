// SPIFFE ids for every kind of workload (docs/identity.md has the scheme):
//   pod                          spiffe://TD/ns/NAMESPACE/sa/SERVICE_ACCOUNT
//   container outside Kubernetes spiffe://TD/node/NODE/container/RUNTIME/ID
//   systemd unit                 spiffe://TD/node/NODE/systemd/UNIT
//   unit in a user's slice       spiffe://TD/node/NODE/user/UID/systemd/UNIT
//   host process                 spiffe://TD/node/NODE/host
// Path segments may hold only letters, digits, '.', '-' and '_' (SPIFFE ID spec, 2.2); any other
// byte, and '_' itself, is written _XX (hex), so two names never map to the same id.
#pragma once

#include <string>
#include <string_view>

#include "agent/identity/workload.h"

namespace ztai {

std::string spiffe_segment(std::string_view s);

// Empty when the workload is not known well enough to name (a pod whose namespace and service
// account are not known yet).
std::string spiffe_id(const WorkloadIdentity& w, std::string_view trust_domain, std::string_view node);

}  // namespace ztai
