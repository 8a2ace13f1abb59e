// JSON-RPC 2.0 messages as MCP uses them (stdio lines, Streamable HTTP bodies and SSE events),
// decoded into mcp_message payloads.
#pragma once

#include <string_view>
#include <vector>

#include "agent/events/ai_payloads.h"

namespace ztai::mcp {

// Is the method one of MCP's (initialize, ping, tools/..., resources/..., notifications/...)?
bool is_mcp_method(std::string_view method);

// The messages of one JSON-RPC text (a single message or a batch); empty when the text is not
// JSON-RPC 2.0. Fills kind, id, method, tool, resource, error and result; stream, http and
// direction are the caller's.
std::vector<McpPayload> decode(std::string_view text);

}  // namespace ztai::mcp
