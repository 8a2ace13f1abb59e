#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ztai {

// RFC 4648 base64 with padding.
std::string base64_encode(std::string_view bytes);
// Decodes base64 in the standard or the URL-safe alphabet, with or without padding; nullopt on any
// other character or an impossible length.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ztai
