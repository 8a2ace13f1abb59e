// Decoders for the process family (bpf/process.bpf.c).
#pragma once

#include <cstddef>
#include <span>

#include "agent/common/result.h"
#include "agent/events/event.h"

namespace ztai {

Result<Event> decode_exec(const EventHeader& hdr, std::span<const std::byte> record);
Result<Event> decode_fork(const EventHeader& hdr, std::span<const std::byte> record);
Result<Event> decode_exit(const EventHeader& hdr, std::span<const std::byte> record);

// argv block (NUL-terminated strings, the last one possibly unterminated) -> arguments.
std::vector<std::string> split_argv(std::string_view block);

}  // namespace ztai
