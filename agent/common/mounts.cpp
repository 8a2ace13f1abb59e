#include "agent/common/mounts.h"

#include <fstream>
#include <sstream>

namespace ztai {
namespace {

std::string unescape_octal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' &&
        s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::vector<MountEntry> parse_mounts(std::string_view text) {
  std::vector<MountEntry> mounts;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string source, target, fstype;
    if (fields >> source >> target >> fstype) {
      mounts.push_back({unescape_octal(source), unescape_octal(target), fstype});
    }
  }
  return mounts;
}

Result<std::vector<MountEntry>> read_mounts(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kIo, "cannot read the mount table {}", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_mounts(ss.str());
}

std::optional<std::string> find_mount(const std::vector<MountEntry>& mounts, std::string_view fstype) {
  for (const MountEntry& m : mounts) {
    if (m.fstype == fstype) return m.target;
  }
  return std::nullopt;
}

}  // namespace ztai
