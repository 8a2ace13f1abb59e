// Writes what rules and policies want from the file sensor into its kernel maps, so that the
// kernel emits only those events. Applied at start-up and on every rule or policy reload.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "agent/common/path_pattern.h"
#include "agent/common/result.h"

namespace ztai {

struct FileInterest {
  bool enabled = false;    // something uses file events at all
  bool all_paths = false;  // something uses file events whatever the path
  std::vector<PathPattern> patterns;
  std::optional<std::vector<uint64_t>> cgroups;  // nullopt: every workload

  // Merges another consumer's interest (rules, policies, config).
  void merge(const FileInterest& other);
};

class FileFilter {
 public:
  FileFilter(int config_fd, int prefixes_fd, int suffixes_fd, int cgroups_fd)
      : config_fd_(config_fd), prefixes_fd_(prefixes_fd), suffixes_fd_(suffixes_fd), cgroups_fd_(cgroups_fd) {}

  // New entries are added first, the settings written next and stale entries removed last, so a
  // reload never has a moment where a wanted path is filtered out.
  Status apply(const FileInterest& interest);

 private:
  int config_fd_, prefixes_fd_, suffixes_fd_, cgroups_fd_;
};

}  // namespace ztai
