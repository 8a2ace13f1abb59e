// Fields of file events (fd.*, evt.arg.* of file syscalls). Names follow Falco.
#pragma once

#include "agent/fields/field_registry.h"

namespace ztai {

void add_file_fields(FieldRegistry& registry);

// "O_RDWR|O_CREAT|O_CLOEXEC", as Falco prints open flags.
std::string open_flags_string(uint32_t flags);

}  // namespace ztai
