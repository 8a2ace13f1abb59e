// Text a reader does not see but a model reads: zero-width characters, Unicode tag characters
// (U+E0000-U+E007F, which spell ASCII invisibly) and bidirectional overrides that reorder what is
// displayed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ztai::detect {

struct HiddenText {
  std::size_t zero_width = 0;  // U+200B, U+200C, U+2060-U+2064, U+180E, U+FEFF past the start
  std::size_t tags = 0;        // U+E0000-U+E007F
  std::size_t bidi = 0;        // U+202A-U+202E, U+2066-U+2069
  std::string tag_text;        // the ASCII the tag characters spell
  // The text without any of them, so "ig<ZWSP>nore" reads "ignore"; empty when there were none.
  std::string visible;
  bool any() const { return zero_width + tags + bidi > 0; }
};

// Invalid UTF-8 is passed through byte by byte: the point is to see what a model would see.
HiddenText find_hidden_text(std::string_view text);

}  // namespace ztai::detect
