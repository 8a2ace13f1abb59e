#pragma once

#include <string>
#include <string_view>

namespace ztai {

// RFC 4648 base64 with padding.
std::string base64_encode(std::string_view bytes);

}  // namespace ztai
