// Decoders for the cgroup lifecycle family (bpf/cgroup.bpf.c).
#pragma once

#include <cstddef>
#include <span>

#include "agent/common/result.h"
#include "agent/events/event.h"

namespace ztai {

// cgroup_mkdir and cgroup_rmdir share one record layout.
Result<Event> decode_cgroup(const EventHeader& hdr, std::span<const std::byte> record);

}  // namespace ztai
