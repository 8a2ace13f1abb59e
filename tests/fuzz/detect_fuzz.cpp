// The DLP scanner and the prompt-injection detector on arbitrary bytes (prompts, tool results and
// MCP messages come from models and the network): no crash, findings inside the text, in order and
// not overlapping, and no preview that holds the value it stands for.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/detect/dlp/dlp_scanner.h"
#include "agent/detect/injection/injection_detector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto dlp = ztai::detect::DlpScanner::create();
  static auto injection = ztai::detect::InjectionDetector::create();
  if (!dlp || !injection) std::abort();
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto findings = dlp->scan(text);
  if (!findings) std::abort();
  std::size_t last_end = 0;
  for (const auto& f : *findings) {
    if (f.offset < last_end || f.length == 0 || f.offset + f.length > size) std::abort();
    last_end = f.offset + f.length;
    std::string_view value = text.substr(f.offset, f.length);
    if (value.size() >= 8 && f.preview.find(value) != std::string::npos) std::abort();
  }

  auto verdict = injection->score(text);
  if (!verdict || verdict->score < 0 || verdict->score > 1) std::abort();
  return 0;
}
