#include "agent/detect/injection/hidden_text.h"

namespace ztai::detect {
namespace {

// Decodes one UTF-8 sequence at `i`; returns its length, or 0 when it is not valid UTF-8.
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  std::size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  return len;
}

}  // namespace

HiddenText find_hidden_text(std::string_view text) {
  HiddenText out;
  std::string visible;
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    std::size_t len = decode_utf8(text, i, cp);
    if (len == 0) {
      visible.push_back(text[i]);
      ++i;
      continue;
    }
    bool hidden = true;
    if (cp >= 0xE0000 && cp <= 0xE007F) {
      ++out.tags;
      if (cp >= 0xE0020 && cp <= 0xE007E) out.tag_text.push_back(static_cast<char>(cp - 0xE0000));
    } else if (cp == 0x200B || cp == 0x200C || (cp >= 0x2060 && cp <= 0x2064) || cp == 0x180E ||
               (cp == 0xFEFF && i > 0)) {
      // U+200D (zero-width joiner) is left out: emoji sequences are built with it.
      ++out.zero_width;
    } else if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
      ++out.bidi;
    } else {
      hidden = false;
    }
    if (!hidden) visible.append(text.substr(i, len));
    i += len;
  }
  if (out.any()) out.visible = std::move(visible);
  return out;
}

}  // namespace ztai::detect
