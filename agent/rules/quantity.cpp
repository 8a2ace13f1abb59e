#include "agent/rules/quantity.h"

#include <cctype>
#include <string>

namespace ztai::rules {
namespace {

// A number with an optional suffix named in `units`; nullopt when malformed or when the product
// overflows.
std::optional<uint64_t> scaled(std::string_view s, std::initializer_list<std::pair<std::string_view, uint64_t>> units,
                               uint64_t bare) {
  size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  if (digits == 0 || digits > 19) return std::nullopt;
  uint64_t n = std::stoull(std::string(s.substr(0, digits)));
  std::string_view unit = s.substr(digits);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  uint64_t mult = 0;
  if (unit.empty()) {
    mult = bare;
  } else {
    for (const auto& [name, m] : units) {
      if (unit == name) mult = m;
    }
  }
  if (mult == 0 || n > UINT64_MAX / mult) return std::nullopt;
  return n * mult;
}

}  // namespace

std::optional<uint64_t> parse_duration_ns(std::string_view s) {
  return scaled(s, {{"ms", 1'000'000}, {"s", 1'000'000'000}, {"m", 60'000'000'000}, {"h", 3'600'000'000'000}},
                1'000'000'000);
}

std::optional<uint64_t> parse_amount(std::string_view s) {
  return scaled(s,
                {{"k", 1000}, {"K", 1000}, {"KB", 1000}, {"kB", 1000}, {"M", 1'000'000}, {"MB", 1'000'000},
                 {"G", 1'000'000'000}, {"GB", 1'000'000'000}, {"T", 1'000'000'000'000}, {"TB", 1'000'000'000'000},
                 {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}, {"TiB", 1ull << 40}},
                1);
}

}  // namespace ztai::rules
