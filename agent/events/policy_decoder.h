// Decoder of network policy denial records (ZTAI_EVENT_POLICY_DENIAL).
#pragma once

#include <cstddef>
#include <span>

#include "agent/common/result.h"
#include "agent/events/event.h"

namespace ztai {

Result<Event> decode_policy_denial(const EventHeader& hdr, std::span<const std::byte> record);

}  // namespace ztai
