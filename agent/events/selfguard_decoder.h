// Decoder for the self-protection family's records.
#pragma once

#include <cstddef>
#include <span>

#include "agent/common/result.h"
#include "agent/events/event.h"

namespace ztai {

Result<Event> decode_selfguard(const EventHeader& hdr, std::span<const std::byte> record);

}  // namespace ztai
