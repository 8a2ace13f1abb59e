// Recognises LLM API calls by their HTTP request (path, host, headers) and decodes request and
// response bodies of OpenAI Chat Completions, Completions and Responses, Anthropic Messages,
// Ollama /api/chat and /api/generate, and the OpenAI-compatible and native APIs of local servers
// (vLLM, TGI, llama.cpp). Streamed answers (SSE or NDJSON) are merged into one response.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/events/ai_payloads.h"
#include "agent/protocols/http/http1_parser.h"
#include "agent/protocols/http/sse_parser.h"
#include "agent/protocols/json_text.h"

namespace ztai::llm {

enum class Api {
  kChatCompletions,  // OpenAI and compatible: /v1/chat/completions
  kCompletions,      // /v1/completions
  kResponses,        // OpenAI /v1/responses
  kMessages,         // Anthropic /v1/messages
  kOllamaChat,       // /api/chat
  kOllamaGenerate,   // /api/generate
  kTgiGenerate,      // TGI /generate, /generate_stream
  kLlamaCppCompletion,  // llama.cpp /completion
};

struct Route {
  Api api;
  std::string provider;
  std::string endpoint;
};

// The API a request calls, or nullopt when it is not one this decoder knows. Only POSTs qualify.
std::optional<Route> classify(const http::MessageHead& request);

// Fills model, prompt, tools and stream_requested from a request body; sets error when the body
// is not the JSON the API takes.
void decode_request(Api api, std::string_view body, LlmPayload& out);

// A complete (not streamed) response body.
void decode_response(Api api, std::string_view body, LlmPayload& out);

// Merges a streamed answer: SSE events (OpenAI, Anthropic, TGI, llama.cpp) or NDJSON lines
// (Ollama), in order, into the payload's response, tool calls, tokens and finish reason.
class StreamMerger {
 public:
  StreamMerger(Api api, LlmPayload& out, size_t max_text_bytes) : api_(api), out_(out), max_(max_text_bytes) {}
  void on_sse(const http::SseEvent& event);
  void on_json_line(std::string_view line);

 private:
  void chunk(const json_text::Json& j, std::string_view sse_event);
  void append(std::string& to, std::string_view text);
  LlmToolCall& tool_at(size_t index);

  Api api_;
  LlmPayload& out_;
  size_t max_;
  // Anthropic content block index / OpenAI tool call index -> position in out_.tool_calls.
  std::vector<std::pair<size_t, size_t>> tool_index_;
};

}  // namespace ztai::llm
