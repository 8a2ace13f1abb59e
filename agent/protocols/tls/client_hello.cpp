#include "agent/protocols/tls/client_hello.h"

#include <optional>

namespace ztai::tls {
namespace {

constexpr uint8_t kHandshakeRecord = 22;
constexpr uint8_t kClientHello = 1;
constexpr uint16_t kServerName = 0;
constexpr uint16_t kAlpn = 16;
constexpr size_t kMaxRecord = 16384 + 2048;  // TLSPlaintext length limit with slack for TLS 1.2 records

// A bounds-checked cursor: every read past the end fails instead of reading it.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> b) : b_(b) {}
  size_t left() const { return b_.size(); }
  std::optional<uint32_t> uint(size_t width) {
    if (b_.size() < width) return std::nullopt;
    uint32_t v = 0;
    for (size_t i = 0; i < width; ++i) v = (v << 8) | b_[i];
    b_ = b_.subspan(width);
    return v;
  }
  std::optional<std::span<const uint8_t>> bytes(size_t n) {
    if (b_.size() < n) return std::nullopt;
    auto out = b_.first(n);
    b_ = b_.subspan(n);
    return out;
  }
  // A vector with a length prefix of `width` bytes.
  std::optional<std::span<const uint8_t>> vec(size_t width) {
    auto n = uint(width);
    if (!n) return std::nullopt;
    return bytes(*n);
  }

 private:
  std::span<const uint8_t> b_;
};

Error cut(std::string_view what) {
  return make_error(ErrorCode::kInvalidArgument, "ClientHello cut short in its {}", what);
}

Error malformed(std::string_view what) {
  return make_error(ErrorCode::kInvalidArgument, "malformed ClientHello: {}", what);
}

bool host_name(std::span<const uint8_t> name) {
  if (name.empty() || name.size() > 255) return false;
  for (uint8_t c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

Status server_name(std::span<const uint8_t> ext, ClientHello& hello) {
  Reader r(ext);
  auto list = r.vec(2);
  if (!list || r.left()) return malformed("server_name list length");
  Reader names(*list);
  while (names.left()) {
    auto type = names.uint(1);
    auto name = names.vec(2);
    if (!type || !name) return malformed("server_name entry");
    if (*type != 0 || !hello.sni.empty()) continue;  // host_name is type 0; the first one counts
    if (!host_name(*name)) return malformed("server_name is not a host name");
    hello.sni.assign(name->begin(), name->end());
  }
  return {};
}

Status alpn(std::span<const uint8_t> ext, ClientHello& hello) {
  Reader r(ext);
  auto list = r.vec(2);
  if (!list || r.left()) return malformed("ALPN list length");
  Reader protos(*list);
  while (protos.left()) {
    auto p = protos.vec(1);
    if (!p || p->empty()) return malformed("ALPN protocol");
    std::string s;
    for (uint8_t c : *p) s.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
    hello.alpn.push_back(std::move(s));
  }
  return {};
}

}  // namespace

bool looks_like_client_hello(std::span<const uint8_t> b) {
  return b.size() >= 6 && b[0] == kHandshakeRecord && b[1] == 3 && b[5] == kClientHello;
}

Result<ClientHello> parse_client_hello(std::span<const uint8_t> bytes) {
  // Join the handshake fragments of the records present.
  std::vector<uint8_t> hs;
  Reader records(bytes);
  while (records.left()) {
    auto type = records.uint(1);
    auto version = records.uint(2);
    auto length = records.uint(2);
    if (!type || !version || !length) break;  // a record header cut by the capture
    if (*type != kHandshakeRecord || (*version >> 8) != 3) {
      if (hs.empty()) return make_error(ErrorCode::kInvalidArgument, "not a TLS handshake record");
      break;  // something after the hello's records
    }
    if (*length == 0 || *length > kMaxRecord) return malformed("record length");
    size_t n = std::min<size_t>(*length, records.left());
    auto frag = records.bytes(n);
    hs.insert(hs.end(), frag->begin(), frag->end());
    if (n < *length) break;  // the record continues past the capture
  }
  if (hs.empty()) return cut("record header");
  Reader r(hs);
  auto msg_type = r.uint(1);
  if (!msg_type || *msg_type != kClientHello) return make_error(ErrorCode::kInvalidArgument, "not a ClientHello");
  auto msg_len = r.uint(3);
  if (!msg_len) return cut("handshake header");
  // The capture may end inside the hello: then a missing part is "cut", never "absent".
  const bool whole = *msg_len <= r.left();
  if (*msg_len < r.left()) {
    // More handshake bytes than the hello: the rest is another message; keep the hello's.
    hs.resize(4 + *msg_len);
    r = Reader(std::span<const uint8_t>(hs).subspan(4));
  }
  ClientHello hello;
  auto version = r.uint(2);
  if (!version) return cut("version");
  hello.version = static_cast<uint16_t>(*version);
  if (!r.bytes(32)) return cut("random");
  auto session = r.vec(1);
  if (!session) return cut("session id");
  if (session->size() > 32) return malformed("session id longer than 32 bytes");
  auto suites = r.vec(2);
  if (!suites) return cut("cipher suites");
  if (suites->empty() || suites->size() % 2) return malformed("cipher suite list");
  auto compression = r.vec(1);
  if (!compression) return cut("compression methods");
  if (!r.left()) {
    if (!whole) return cut("extensions length");
    return hello;  // an old hello without extensions
  }
  auto ext_len = r.uint(2);
  if (!ext_len) return cut("extensions length");
  Reader exts(*r.bytes(std::min<size_t>(*ext_len, r.left())));
  bool all = *ext_len <= exts.left();
  while (exts.left()) {
    auto type = exts.uint(2);
    auto body = exts.vec(2);
    if (!type || !body) {
      if (all) return malformed("extension length");
      return hello.sni.empty() ? Result<ClientHello>(cut("extensions")) : Result<ClientHello>(std::move(hello));
    }
    Status s;
    if (*type == kServerName) s = server_name(*body, hello);
    if (*type == kAlpn) s = alpn(*body, hello);
    if (!s) return s.error();
  }
  if (!all && hello.sni.empty()) return cut("extensions");
  return hello;
}

}  // namespace ztai::tls
