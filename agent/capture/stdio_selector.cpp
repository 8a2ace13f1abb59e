#include "agent/capture/stdio_selector.h"

namespace ztai {
namespace {

bool names(const std::vector<std::string>& patterns, std::string_view exe_path, const std::vector<std::string>& argv) {
  for (const std::string& p : patterns) {
    if (p.empty()) continue;
    if (exe_path.find(p) != std::string_view::npos) return true;
    for (const std::string& a : argv) {
      if (a.find(p) != std::string::npos) return true;
    }
  }
  return false;
}

}  // namespace

StdioRole stdio_role(const StdioSelection& selection, std::string_view exe_path, const std::vector<std::string>& argv) {
  if (names(selection.servers, exe_path, argv)) return StdioRole::kServer;
  if (names(selection.clients, exe_path, argv)) return StdioRole::kClient;
  return StdioRole::kNone;
}

}  // namespace ztai
