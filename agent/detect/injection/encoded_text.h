// Instructions smuggled as base64 or hex: runs long enough to hold a sentence that decode to
// readable text. The detector then reads the decoded text like any other.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ztai::detect {

// Decoded texts of the base64 runs (>= 24 characters) and hex runs (>= 32 digits) in `text` that
// decode to printable text with at least one space (instructions are sentences; keys and hashes
// are not). At most `limit` runs are decoded, so a hostile input cannot make this expensive.
std::vector<std::string> decode_embedded_text(std::string_view text, std::size_t limit = 16);

}  // namespace ztai::detect
