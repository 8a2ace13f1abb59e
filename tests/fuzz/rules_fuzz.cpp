// The rule loader and compiler, and the condition parser alone, on arbitrary bytes: no crash, no
// hang, memory bounded (libFuzzer's -rss_limit_mb and -timeout enforce the last two).
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/rules/condition_parser.h"
#include "agent/rules/rule_compiler.h"
#include "agent/rules/rule_document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)ztai::rules::parse_condition(text);
  ztai::rules::Diagnostics diags;
  ztai::rules::RuleDocument doc;
  doc.add_text(text, "fuzz.yaml", diags);
  (void)ztai::rules::compile_rules(doc, ztai::builtin_fields(), diags);
  for (const auto& d : diags.all()) (void)d.str();
  return 0;
}
