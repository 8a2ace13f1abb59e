// Payloads of the events decoded from captured byte streams (agent/protocols/stream): LLM API
// calls and MCP messages. They never hold credentials: a request's API key is kept only as a
// fingerprint (agent/protocols/secrets.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/protocols/stream_types.h"

namespace ztai {

// The connection a message travelled on.
struct StreamInfo {
  uint64_t conn_id = 0;
  ChunkTransport transport = ChunkTransport::kTls;
  ChunkEndpoint local;
  ChunkEndpoint remote;
  uint32_t peer_tgid = 0;  // pipes: the client process at the other end, 0 when unknown
};

// The HTTP exchange a message belongs to; absent for stdio.
struct HttpInfo {
  uint8_t version = 1;  // 1 (HTTP/1.x) or 2
  std::string method;
  std::string host;  // Host or :authority
  std::string path;  // the request target as sent, query included
  uint32_t status = 0;  // 0 until the response head is seen
};

struct LlmToolCall {
  std::string id;
  std::string name;
  std::string args;  // JSON text as the model produced it
};

// llm_request and llm_response. A response repeats its request's provider, endpoint, model and
// key fingerprint so that rules on a response need not look back.
struct LlmPayload {
  StreamInfo stream;
  HttpInfo http;
  std::string provider;  // openai, azure-openai, anthropic, ollama, openai-compatible, tgi
  std::string endpoint;  // chat.completions, completions, responses, messages, ollama.chat, ollama.generate, tgi.generate
  std::string model;
  std::string api_key_id;  // provider:hash-prefix:last4, empty without a credential header
  bool stream_requested = false;
  // Request: the text of the system/developer and user messages, in order, one per line.
  std::string prompt;
  std::vector<std::string> tools;  // request: names of the tools offered to the model
  // Response: the model's text (streamed deltas merged) and the tool calls it asked for.
  std::string response;
  std::vector<LlmToolCall> tool_calls;
  std::optional<uint64_t> tokens_in;
  std::optional<uint64_t> tokens_out;
  std::string finish_reason;
  std::string error;  // an API error's message, or why the body could not be decoded
  uint64_t latency_ns = 0;  // response: from the end of the request to the end of the response
  bool body_truncated = false;  // the body exceeded the capture cap or lost bytes: fields may be partial
  // The capturing process read the request and wrote the response: the model server's side of a
  // local connection, not the client that acts on the answer.
  bool server_side = false;
};

enum class McpKind : uint8_t { kRequest, kNotification, kResult, kError };

constexpr std::string_view mcp_kind_name(McpKind kind) {
  switch (kind) {
    case McpKind::kRequest: return "request";
    case McpKind::kNotification: return "notification";
    case McpKind::kResult: return "result";
    case McpKind::kError: return "error";
  }
  return "unknown";
}

// mcp_message: one JSON-RPC 2.0 message, over stdio lines or Streamable HTTP (JSON or SSE).
struct McpPayload {
  StreamInfo stream;
  std::optional<HttpInfo> http;
  ChunkDirection direction = ChunkDirection::kEgress;  // as the capturing process saw it
  McpKind kind = McpKind::kRequest;
  std::string id;      // JSON text of the id ("1", "\"abc\""); empty for notifications
  std::string method;  // requests and notifications; results and errors: their request's, when seen
  std::string tool_name;     // tools/call
  std::string tool_args;     // tools/call: arguments as JSON text
  std::string resource_uri;  // resources/read, resources/subscribe...
  std::string error;         // error: code and message
  std::string result;        // result: JSON text, capped
};

}  // namespace ztai
