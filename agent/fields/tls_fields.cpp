#include "agent/fields/tls_fields.h"

#include <stdexcept>

namespace ztai {
namespace {

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

const tls::ClientHello* hello_of(const EventContext& c) {
  const TlsHelloPayload* p = c.event.as<TlsHelloPayload>();
  return p && p->hello ? &*p->hello : nullptr;
}

}  // namespace

void add_tls_fields(FieldRegistry& r) {
  using T = FieldType;
  add(r, {"tls.sni", T::kString, "tls_client_hello: the server name (SNI) the client asked for; absent when it sent none",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const tls::ClientHello* h = hello_of(c);
            return h && !h->sni.empty() ? FieldValue(h->sni) : FieldValue();
          }});
  add(r, {"tls.alpn", T::kStringList, "tls_client_hello: the application protocols offered (h2, http/1.1...)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const tls::ClientHello* h = hello_of(c);
            return h ? FieldValue(h->alpn) : FieldValue();
          }});
  add(r, {"tls.error", T::kString, "tls_client_hello: why the ClientHello could not be read (cut, malformed)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const TlsHelloPayload* p = c.event.as<TlsHelloPayload>();
            return p && !p->parse_error.empty() ? FieldValue(p->parse_error) : FieldValue();
          }});
}

}  // namespace ztai
