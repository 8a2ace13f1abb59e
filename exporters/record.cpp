#include "exporters/record.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace ztai {
namespace {
constexpr std::array<std::string_view, 8> kNames = {"Emergency", "Alert",  "Critical",      "Error",
                                                    "Warning",   "Notice", "Informational", "Debug"};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

std::string_view priority_name(Priority p) { return kNames[static_cast<size_t>(p)]; }

std::optional<Priority> parse_priority(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (iequals(name, kNames[i])) return static_cast<Priority>(i);
  }
  if (iequals(name, "info")) return Priority::kInformational;
  if (iequals(name, "warn")) return Priority::kWarning;
  return std::nullopt;
}

}  // namespace ztai
