#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include "agent/cli/commands.h"
#include "agent/kernel/features.h"
#include "agent/kernel/preflight.h"
#include "agent/version.h"

namespace ztai {

int version_command(const std::vector<std::string>&) {
  utsname u{};
  uname(&u);
  fmt::print("ztai {} (git {})\nkernel {} {}\n", kVersion, kGitRevision, u.release, u.machine);
  if (Status s = check_privileges(); !s) {
    fmt::print("kernel features: not probed ({})\n", s.error().message());
    return 0;
  }
  fmt::print("kernel features:\n");
  for (const Feature& f : probe_kernel_features().features) {
    if (f.available) {
      fmt::print("  {:<17} yes\n", f.name);
    } else {
      fmt::print("  {:<17} no: {}\n", f.name, f.detail);
    }
  }
  return 0;
}

}  // namespace ztai
