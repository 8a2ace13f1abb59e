// Kernel record -> typed Event. Records are checked against their declared sizes before any
// field is read, so a truncated or corrupt record is an error, never an out-of-bounds read.
#pragma once

#include <cstddef>
#include <span>

#include "agent/common/result.h"
#include "agent/events/event.h"

namespace ztai {

Result<Event> decode_record(std::span<const std::byte> record);

}  // namespace ztai
