// Fields of tls_client_hello events (tls.*): the server name a TLS client asked for.
#pragma once

#include "agent/fields/field_registry.h"

namespace ztai {

void add_tls_fields(FieldRegistry& registry);

}  // namespace ztai
