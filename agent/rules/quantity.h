// Durations and amounts as rule files write them: "500ms", "60s", "5m", "1h"; "200k", "100MB",
// "1GiB".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ztai::rules {

// A bare number is seconds. nullopt when malformed or too large.
std::optional<uint64_t> parse_duration_ns(std::string_view text);

// k/K/KB, M/MB, G/GB, T/TB are powers of 1000; KiB, MiB, GiB, TiB powers of 1024; a bare number
// is itself. nullopt when malformed or too large.
std::optional<uint64_t> parse_amount(std::string_view text);

}  // namespace ztai::rules
