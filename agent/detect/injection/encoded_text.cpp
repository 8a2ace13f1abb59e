#include "agent/detect/injection/encoded_text.h"

#include <optional>

#include "agent/common/base64.h"

namespace ztai::detect {
namespace {

constexpr std::size_t kMinBase64 = 24;
constexpr std::size_t kMinHex = 32;

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
         c == '-' || c == '_' || c == '=';
}

bool is_hex_char(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

bool readable(std::string_view s) {
  if (s.empty()) return false;
  std::size_t printable = 0;
  bool space = false;
  for (unsigned char c : s) {
    if ((c >= 0x20 && c < 0x7F) || c == '\n' || c == '\t' || c >= 0x80) ++printable;
    if (c == ' ') space = true;
  }
  return space && printable * 10 >= s.size() * 9;
}

std::optional<std::string> decode_hex(std::string_view run) {
  if (run.size() % 2 != 0) run.remove_suffix(1);
  std::string out;
  for (std::size_t i = 0; i + 1 < run.size(); i += 2) {
    out.push_back(static_cast<char>(hex_value(run[i]) * 16 + hex_value(run[i + 1])));
  }
  return out;
}

}  // namespace

std::vector<std::string> decode_embedded_text(std::string_view text, std::size_t limit) {
  std::vector<std::string> out;
  std::size_t tried = 0;
  for (std::size_t i = 0; i < text.size() && tried < limit;) {
    if (!is_base64_char(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    bool all_hex = true;
    while (end < text.size() && is_base64_char(text[end])) {
      all_hex = all_hex && is_hex_char(text[end]);
      ++end;
    }
    std::string_view run = text.substr(i, end - i);
    i = end;
    std::optional<std::string> decoded;
    if (all_hex && run.size() >= kMinHex) {
      ++tried;
      decoded = decode_hex(run);
    } else if (run.size() >= kMinBase64) {
      ++tried;
      // Padding only at the end; a run like "a=b" is an assignment, not base64.
      std::size_t pad = run.find('=');
      if (pad != std::string_view::npos && run.find_first_not_of('=', pad) != std::string_view::npos) continue;
      decoded = base64_decode(run);
    }
    if (decoded && readable(*decoded)) out.push_back(std::move(*decoded));
  }
  return out;
}

}  // namespace ztai::detect
