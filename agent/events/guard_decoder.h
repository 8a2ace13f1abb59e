// Decoder for the enforcement family's denial records.
#pragma once

#include <cstddef>
#include <span>

#include "agent/common/result.h"
#include "agent/events/event.h"

namespace ztai {

Result<Event> decode_guard_denial(const EventHeader& hdr, std::span<const std::byte> record);

}  // namespace ztai
