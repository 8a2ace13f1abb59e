// Path patterns that the kernel can match: an exact path, a prefix ("/dir/*" or "/dir/"), or a
// suffix ("*.gguf"). Rules and policies that need other globs are matched in userspace only.
#pragma once

#include <string>
#include <string_view>

#include "agent/common/result.h"

namespace ztai {

struct PathPattern {
  enum class Kind { kExact, kPrefix, kSuffix };
  Kind kind;
  std::string value;  // the path, the prefix, or the suffix without its '*'

  bool matches(std::string_view path) const;
  bool operator==(const PathPattern&) const = default;
};

// "/etc/shadow" -> exact, "/var/lib/models/*" or "/var/lib/models/" -> prefix "/var/lib/models/",
// "*.gguf" -> suffix ".gguf". Anything else (another '*', '?', '[', a relative path) is an error
// that says which forms are allowed.
Result<PathPattern> parse_path_pattern(std::string_view text);

}  // namespace ztai
