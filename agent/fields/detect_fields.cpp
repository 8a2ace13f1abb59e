#include "agent/fields/detect_fields.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "agent/common/log.h"
#include "agent/detect/dlp/dlp_scanner.h"
#include "agent/detect/injection/injection_detector.h"

namespace ztai {
namespace {

using detect::DlpFinding;
using detect::DlpScanner;
using detect::InjectionDetector;
using detect::InjectionVerdict;

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

// What a model reads or writes in this event, or nullopt for other events: the prompt and the
// response with the arguments of the tool calls (llm_request, llm_response), the tool arguments,
// result and error of an MCP message.
std::optional<std::string> inspected_text(const Event& e) {
  std::string text;
  auto append = [&](const std::string& part) {
    if (part.empty()) return;
    if (!text.empty()) text.push_back('\n');
    text += part;
  };
  if (const LlmPayload* p = e.as<LlmPayload>()) {
    append(p->prompt);
    append(p->response);
    for (const LlmToolCall& call : p->tool_calls) append(call.args);
    return text;
  }
  if (const McpPayload* p = e.as<McpPayload>()) {
    append(p->tool_args);
    append(p->result);
    append(p->error);
    return text;
  }
  return std::nullopt;
}

struct Analysis {
  std::vector<DlpFinding> findings;
  bool dlp_ok = false;
  InjectionVerdict injection;
  bool injection_ok = false;
};

// One scan per event whatever the number of rules and outputs asking: the last text analysed on
// this thread is kept with its results. The key is the text itself, so a stale entry can never
// answer for another event.
const Analysis* analyse(const Event& e) {
  std::optional<std::string> text = inspected_text(e);
  if (!text) return nullptr;
  struct Cache {
    std::optional<DlpScanner> dlp;
    std::optional<InjectionDetector> injection;
    bool failed = false;
    std::string text;
    Analysis result;
    bool valid = false;
  };
  thread_local Cache cache;
  if (cache.valid && cache.text == *text) return &cache.result;

  if (!cache.dlp && !cache.failed) {
    auto dlp = DlpScanner::create();
    auto injection = InjectionDetector::create();
    if (!dlp || !injection) {
      // Built-in patterns that do not compile are a build defect the unit tests catch; say so
      // once and leave the fields absent rather than guess.
      log::error("detection fields unavailable: {}", !dlp ? dlp.error().message() : injection.error().message());
      cache.failed = true;
    } else {
      cache.dlp.emplace(std::move(*dlp));
      cache.injection.emplace(std::move(*injection));
    }
  }
  if (cache.failed) return nullptr;
  Analysis result;
  if (auto findings = cache.dlp->scan(*text)) {
    result.findings = std::move(*findings);
    result.dlp_ok = true;
  } else {
    log::warn("dlp: {}", findings.error().message());
  }
  if (auto verdict = cache.injection->score(*text)) {
    result.injection = std::move(*verdict);
    result.injection_ok = true;
  } else {
    log::warn("prompt injection: {}", verdict.error().message());
  }
  cache.text = std::move(*text);
  cache.result = std::move(result);
  cache.valid = true;
  return &cache.result;
}

}  // namespace

void add_detect_fields(FieldRegistry& r) {
  using T = FieldType;
  add(r, {"dlp.kinds", T::kStringList,
          "Kinds of secrets and personal data in the prompt, response, tool arguments or results of an LLM or MCP "
          "event (aws_access_key_id, github_token, openai_key, private_key, jwt, generic_secret, email, phone, "
          "payment_card, iban, us_ssn...), each once, in order of first appearance",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const Analysis* a = analyse(c.event);
            if (!a || !a->dlp_ok) return {};
            std::vector<std::string> kinds;
            for (const DlpFinding& f : a->findings) {
              std::string name(detect::dlp_kind_name(f.kind));
              if (std::find(kinds.begin(), kinds.end(), name) == kinds.end()) kinds.push_back(std::move(name));
            }
            return kinds;
          }});
  add(r, {"dlp.count", T::kUInt, "Number of DLP findings in an LLM or MCP event (0 when none)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const Analysis* a = analyse(c.event);
            if (!a || !a->dlp_ok) return {};
            return static_cast<uint64_t>(a->findings.size());
          }});
  add(r, {"dlp.findings", T::kStringList,
          "Each DLP finding as kind@offset:preview; the preview is redacted (a public prefix such as ghp_ and the "
          "length), never the value",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const Analysis* a = analyse(c.event);
            if (!a || !a->dlp_ok) return {};
            std::vector<std::string> out;
            for (const DlpFinding& f : a->findings) {
              out.push_back(fmt::format("{}@{}:{}", detect::dlp_kind_name(f.kind), f.offset, f.preview));
            }
            return out;
          }});
  add(r, {"dlp.redacted_text", T::kString,
          "The text DLP scans in an LLM or MCP event (prompt, response and tool-call arguments; MCP arguments, "
          "result and error; one per line) with every finding replaced by its redacted preview; absent when the "
          "scan did not run",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const Analysis* a = analyse(c.event);
            std::optional<std::string> text = inspected_text(c.event);
            if (!a || !a->dlp_ok || !text) return {};
            std::string out;
            size_t at = 0;
            for (const DlpFinding& f : a->findings) {
              if (f.offset < at || f.offset + f.length > text->size()) continue;
              out.append(*text, at, f.offset - at);
              out += "[" + f.preview + "]";
              at = f.offset + f.length;
            }
            out.append(*text, at);
            return out;
          }});
  add(r, {"llm.injection.score", T::kUInt,
          "Prompt-injection score of an LLM or MCP event's text, 0-100 (the detector's 0-1 score in percent); "
          "30 is the detector's default threshold (docs/detection.md)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const Analysis* a = analyse(c.event);
            if (!a || !a->injection_ok) return {};
            return static_cast<uint64_t>(std::lround(a->injection.score * 100));
          }});
  add(r, {"llm.injection.signals", T::kStringList,
          "Prompt-injection signals found: instruction_override, task_switch, prompt_leak, role_play, "
          "jailbreak_marker, zero_width, tag_characters, bidi_override, hidden_instruction, encoded_instruction, "
          "exfiltration_link",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const Analysis* a = analyse(c.event);
            if (!a || !a->injection_ok) return {};
            std::vector<std::string> out;
            for (auto s : a->injection.signals) out.emplace_back(detect::injection_signal_name(s));
            return out;
          }});
}

}  // namespace ztai
