#include "agent/fields/llm_fields.h"

#include <stdexcept>

namespace ztai {
namespace {

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

template <typename Get>
FieldValue of_llm(const EventContext& c, Get get) {
  const LlmPayload* p = c.event.as<LlmPayload>();
  return p ? FieldValue(get(*p)) : FieldValue();
}

// Absent when empty: a rule on llm.model = "" should not match a request that had none.
template <typename Get>
FieldValue llm_text(const EventContext& c, Get get) {
  const LlmPayload* p = c.event.as<LlmPayload>();
  if (!p) return {};
  const std::string& s = get(*p);
  return s.empty() ? FieldValue() : FieldValue(s);
}

bool is_response(const EventContext& c) { return c.event.hdr.type == EventType::kLlmResponse; }

}  // namespace

void add_llm_fields(FieldRegistry& r) {
  using T = FieldType;
  add(r, {"llm.provider", T::kString,
          "API provider: openai, azure-openai, anthropic, ollama, openai-compatible (vLLM, llama.cpp, TGI...), tgi, "
          "llama.cpp",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return llm_text(c, [](const LlmPayload& p) -> const std::string& { return p.provider; });
          }});
  add(r, {"llm.endpoint", T::kString,
          "API called: chat.completions, completions, responses, messages, ollama.chat, ollama.generate, "
          "tgi.generate, llamacpp.completion",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return llm_text(c, [](const LlmPayload& p) -> const std::string& { return p.endpoint; });
          }});
  add(r, {"llm.model", T::kString, "Model asked for (llm_request) or that answered (llm_response)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return llm_text(c, [](const LlmPayload& p) -> const std::string& { return p.model; });
          }});
  add(r, {"llm.prompt", T::kString, "llm_request: text of the system, developer and user messages, one per line",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return llm_text(c, [](const LlmPayload& p) -> const std::string& { return p.prompt; });
          }});
  add(r, {"llm.response", T::kString, "llm_response: the model's text, streamed parts merged",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return llm_text(c, [](const LlmPayload& p) -> const std::string& { return p.response; });
          }});
  add(r, {"llm.tools", T::kStringList, "llm_request: names of the tools offered to the model",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (is_response(c)) return {};
            return of_llm(c, [](const LlmPayload& p) { return p.tools; });
          }});
  add(r, {"llm.tool.name", T::kStringList, "llm_response: names of the tools the model asked to call",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!is_response(c)) return {};
            return of_llm(c, [](const LlmPayload& p) {
              std::vector<std::string> names;
              for (const LlmToolCall& t : p.tool_calls) names.push_back(t.name);
              return names;
            });
          }});
  add(r, {"llm.tool.args", T::kStringList, "llm_response: arguments (JSON text) of each tool call, in llm.tool.name order",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!is_response(c)) return {};
            return of_llm(c, [](const LlmPayload& p) {
              std::vector<std::string> args;
              for (const LlmToolCall& t : p.tool_calls) args.push_back(t.args);
              return args;
            });
          }});
  add(r, {"llm.tokens.in", T::kUInt, "llm_response: prompt tokens, as the API reported them",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const LlmPayload* p = c.event.as<LlmPayload>();
            return p && p->tokens_in ? FieldValue(*p->tokens_in) : FieldValue();
          }});
  add(r, {"llm.tokens.out", T::kUInt, "llm_response: generated tokens, as the API reported them",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const LlmPayload* p = c.event.as<LlmPayload>();
            return p && p->tokens_out ? FieldValue(*p->tokens_out) : FieldValue();
          }});
  add(r, {"llm.status", T::kUInt, "llm_response: HTTP status of the answer",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const LlmPayload* p = c.event.as<LlmPayload>();
            if (!p || !is_response(c) || p->http.status == 0) return {};
            return uint64_t{p->http.status};
          }});
  add(r, {"llm.latency_ms", T::kUInt, "llm_response: from the end of the request to the end of the response",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const LlmPayload* p = c.event.as<LlmPayload>();
            if (!p || !is_response(c) || p->latency_ns == 0) return {};
            return p->latency_ns / 1'000'000;
          }});
  add(r, {"llm.api_key_id", T::kString,
          "Fingerprint of the request's API key: provider:first 8 hex of its SHA-256:last 4 characters (never the key)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return llm_text(c, [](const LlmPayload& p) -> const std::string& { return p.api_key_id; });
          }});
  add(r, {"llm.finish_reason", T::kString, "llm_response: why generation stopped (stop, tool_calls, tool_use, length...)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return llm_text(c, [](const LlmPayload& p) -> const std::string& { return p.finish_reason; });
          }});
  add(r, {"llm.error", T::kString, "The API's error message, or why a body could not be decoded",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return llm_text(c, [](const LlmPayload& p) -> const std::string& { return p.error; });
          }});
  add(r, {"llm.truncated", T::kBool, "A body exceeded the capture cap or lost bytes: other llm fields may be partial",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_llm(c, [](const LlmPayload& p) { return p.body_truncated; });
          }});
}

}  // namespace ztai
