#include "agent/fields/mcp_fields.h"

#include <stdexcept>

namespace ztai {
namespace {

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

template <typename Get>
FieldValue mcp_text(const EventContext& c, Get get) {
  const McpPayload* p = c.event.as<McpPayload>();
  if (!p) return {};
  const std::string& s = get(*p);
  return s.empty() ? FieldValue() : FieldValue(s);
}

}  // namespace

void add_mcp_fields(FieldRegistry& r) {
  using T = FieldType;
  add(r, {"mcp.method", T::kString, "JSON-RPC method (tools/call, resources/read...); results and errors: their request's",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return mcp_text(c, [](const McpPayload& p) -> const std::string& { return p.method; });
          }});
  add(r, {"mcp.kind", T::kString, "request, notification, result or error",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const McpPayload* p = c.event.as<McpPayload>();
            return p ? FieldValue(std::string(mcp_kind_name(p->kind))) : FieldValue();
          }});
  add(r, {"mcp.id", T::kString, "JSON-RPC id as JSON text (absent for notifications)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return mcp_text(c, [](const McpPayload& p) -> const std::string& { return p.id; });
          }});
  add(r, {"mcp.tool.name", T::kString, "tools/call: the tool's name",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return mcp_text(c, [](const McpPayload& p) -> const std::string& { return p.tool_name; });
          }});
  add(r, {"mcp.tool.args", T::kString, "tools/call: the arguments as JSON text",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return mcp_text(c, [](const McpPayload& p) -> const std::string& { return p.tool_args; });
          }});
  add(r, {"mcp.resource.uri", T::kString, "resources/read, resources/subscribe...: the resource's URI",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return mcp_text(c, [](const McpPayload& p) -> const std::string& { return p.resource_uri; });
          }});
  add(r, {"mcp.error", T::kString, "error: code and message; a tool result with isError: its text",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return mcp_text(c, [](const McpPayload& p) -> const std::string& { return p.error; });
          }});
  add(r, {"mcp.transport", T::kString, "stdio pipe or socket the message travelled on: pipe, unix, tcp or tls",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const McpPayload* p = c.event.as<McpPayload>();
            return p ? FieldValue(std::string(chunk_transport_name(p->stream.transport))) : FieldValue();
          }});
  add(r, {"mcp.client.pid", T::kUInt,
          "stdio: the client process that started the server (the event's process is the server); absent otherwise",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const McpPayload* p = c.event.as<McpPayload>();
            return p && p->stream.peer_tgid ? FieldValue(uint64_t{p->stream.peer_tgid}) : FieldValue();
          }});
}

}  // namespace ztai
