#include "agent/fields/http_fields.h"

#include <stdexcept>

namespace ztai {
namespace {

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

const HttpInfo* http_of(const Event& e) {
  if (const LlmPayload* l = e.as<LlmPayload>()) return &l->http;
  if (const McpPayload* m = e.as<McpPayload>(); m && m->http) return &*m->http;
  return nullptr;
}

template <typename Get>
FieldValue of_http(const EventContext& c, Get get) {
  const HttpInfo* h = http_of(c.event);
  return h ? FieldValue(get(*h)) : FieldValue();
}

}  // namespace

void add_http_fields(FieldRegistry& r) {
  using T = FieldType;
  add(r, {"http.method", T::kString, "HTTP request method (llm_*, mcp_message over HTTP)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_http(c, [](const HttpInfo& h) { return h.method; });
          }});
  add(r, {"http.host", T::kString,
          "Host header or HTTP/2 :authority, port included when sent; tls_client_hello: the server name (SNI)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            // Of a connection whose plaintext is not captured, the SNI is all that is known.
            if (const TlsHelloPayload* t = c.event.as<TlsHelloPayload>()) {
              return t->hello && !t->hello->sni.empty() ? FieldValue(t->hello->sni) : FieldValue();
            }
            return of_http(c, [](const HttpInfo& h) { return h.host; });
          }});
  add(r, {"http.path", T::kString, "Request target as sent, query included",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_http(c, [](const HttpInfo& h) { return h.path; });
          }});
  add(r, {"http.status", T::kUInt, "Response status code (absent before the response head was seen)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const HttpInfo* h = http_of(c.event);
            if (!h || h->status == 0) return {};
            return uint64_t{h->status};
          }});
  add(r, {"http.version", T::kUInt, "HTTP major version: 1 or 2",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_http(c, [](const HttpInfo& h) { return uint64_t{h.version}; });
          }});
}

}  // namespace ztai
