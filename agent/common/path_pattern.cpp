#include "agent/common/path_pattern.h"

#include <algorithm>

namespace ztai {

bool PathPattern::matches(std::string_view path) const {
  switch (kind) {
    case Kind::kExact: return path == value;
    case Kind::kPrefix: return path.starts_with(value);
    case Kind::kSuffix: return path.ends_with(value);
  }
  return false;
}

Result<PathPattern> parse_path_pattern(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument,
                      "path pattern '{}' {}: use an exact path (/etc/shadow), a prefix (/var/lib/models/*) or a "
                      "suffix (*.gguf)",
                      text, why);
  };
  if (text.empty()) return bad("is empty");
  if (text.find_first_of("?[]{}") != std::string_view::npos) return bad("has glob characters the kernel cannot match");
  size_t stars = std::count(text.begin(), text.end(), '*');
  if (stars == 0) {
    if (text[0] != '/') return bad("is not absolute");
    if (text.back() == '/') return PathPattern{PathPattern::Kind::kPrefix, std::string(text)};
    return PathPattern{PathPattern::Kind::kExact, std::string(text)};
  }
  if (stars > 1) return bad("has more than one '*'");
  if (text.front() == '*') {
    if (text.size() == 1) return bad("matches every path");
    return PathPattern{PathPattern::Kind::kSuffix, std::string(text.substr(1))};
  }
  if (text.back() == '*' && text[0] == '/') {
    return PathPattern{PathPattern::Kind::kPrefix, std::string(text.substr(0, text.size() - 1))};
  }
  return bad("has a '*' in the middle");
}

}  // namespace ztai
