#include "tests/support/bpf_inventory.h"

#include <unistd.h>

#include <algorithm>

#include <bpf/bpf.h>

namespace ztai::testing {

std::vector<LoadedProgram> loaded_programs() {
  std::vector<LoadedProgram> out;
  __u32 id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) out.push_back({id, info.name});
    close(fd);
  }
  return out;
}

std::vector<LoadedProgram> loaded_programs_named(const std::vector<std::string>& names) {
  std::vector<LoadedProgram> out;
  for (const LoadedProgram& p : loaded_programs()) {
    // The kernel keeps the first 15 bytes of a program name.
    if (std::any_of(names.begin(), names.end(), [&](const std::string& n) { return n.substr(0, 15) == p.name; })) {
      out.push_back(p);
    }
  }
  return out;
}

}  // namespace ztai::testing
