// Fields of network, DNS and blind-spot events (net.*, socket fd.*, evt.arg.* of io_uring_setup
// and raw_socket). Names follow Falco where Falco has the field.
#pragma once

#include "agent/fields/field_registry.h"

namespace ztai {

void add_net_fields(FieldRegistry& registry);

}  // namespace ztai
