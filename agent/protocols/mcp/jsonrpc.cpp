#include "agent/protocols/mcp/jsonrpc.h"

#include <array>

#include "agent/protocols/json_text.h"

namespace ztai::mcp {
namespace {

using json_text::Json;

constexpr size_t kMaxArgs = 64 * 1024;
constexpr size_t kMaxResult = 16 * 1024;

std::optional<McpPayload> message(const Json& j) {
  if (!j.is_object() || json_text::str(j, "jsonrpc") != "2.0") return std::nullopt;
  McpPayload p;
  const Json* id = json_text::member(j, "id");
  if (id && !id->is_null()) p.id = id->dump(-1, ' ', false, Json::error_handler_t::replace);
  p.method = json_text::str(j, "method");
  if (!p.method.empty()) {
    p.kind = p.id.empty() ? McpKind::kNotification : McpKind::kRequest;
    if (const Json* params = json_text::object(j, "params")) {
      if (p.method == "tools/call") {
        p.tool_name = json_text::str(*params, "name");
        if (const Json* args = json_text::member(*params, "arguments")) p.tool_args = json_text::text(*args, kMaxArgs);
      }
      p.resource_uri = json_text::str(*params, "uri");
    }
    return p;
  }
  if (const Json* e = json_text::member(j, "error")) {
    p.kind = McpKind::kError;
    if (e->is_object()) {
      const Json* code = json_text::member(*e, "code");
      std::string msg = json_text::str(*e, "message");
      p.error = code && code->is_number_integer() ? std::to_string(code->get<int64_t>()) + ": " + msg : msg;
    } else {
      p.error = json_text::text(*e, 1024);
    }
    return p;
  }
  if (const Json* r = json_text::member(j, "result")) {
    p.kind = McpKind::kResult;
    p.result = json_text::text(*r, kMaxResult);
    // A tools/call result that failed reports it in the result, not as a JSON-RPC error.
    if (const Json* is_error = json_text::member(*r, "isError"); is_error && is_error->is_boolean() && is_error->get<bool>()) {
      p.error = "tool error";
      if (const Json* content = json_text::array(*r, "content"); content && !content->empty()) {
        if (std::string t = json_text::str(content->front(), "text"); !t.empty()) p.error = t.substr(0, 1024);
      }
    }
    return p;
  }
  return std::nullopt;
}

}  // namespace

bool is_mcp_method(std::string_view method) {
  static constexpr std::array<std::string_view, 10> kPrefixes = {
      "tools/", "resources/", "prompts/", "notifications/", "completion/", "logging/", "sampling/", "roots/",
      "elicitation/", "tasks/"};
  if (method == "initialize" || method == "ping") return true;
  for (std::string_view p : kPrefixes) {
    if (method.starts_with(p)) return true;
  }
  return false;
}

std::vector<McpPayload> decode(std::string_view text) {
  std::vector<McpPayload> out;
  auto j = json_text::parse(text);
  if (!j) return out;
  if (j->is_array()) {
    for (const Json& m : *j) {
      if (auto p = message(m)) out.push_back(std::move(*p));
    }
  } else if (auto p = message(*j)) {
    out.push_back(std::move(*p));
  }
  return out;
}

}  // namespace ztai::mcp
