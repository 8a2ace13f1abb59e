// Decoder for the file family (bpf/file.bpf.c).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "agent/common/result.h"
#include "agent/events/event.h"

namespace ztai {

Result<Event> decode_file(const EventHeader& hdr, std::span<const std::byte> record);

// Folds "//", "/./" and "/../" without touching the filesystem (the process's view of the path,
// as the kernel saw the string; symlinks are not followed).
std::string normalize_path(std::string_view path);

}  // namespace ztai
