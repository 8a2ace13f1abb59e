// The mount table, to find cgroup v2, tracefs and bpffs wherever this host put them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/result.h"

namespace ztai {

struct MountEntry {
  std::string source;
  std::string target;
  std::string fstype;
};

// Parses /proc/mounts text (octal escapes such as \040 decoded).
std::vector<MountEntry> parse_mounts(std::string_view text);
Result<std::vector<MountEntry>> read_mounts(const std::string& path = "/proc/mounts");

// First mount point of that filesystem type: "cgroup2" is /sys/fs/cgroup on unified hosts and
// /sys/fs/cgroup/unified on hybrid ones.
std::optional<std::string> find_mount(const std::vector<MountEntry>& mounts, std::string_view fstype);

}  // namespace ztai
