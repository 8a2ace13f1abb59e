#include "agent/protocols/llm/api_key.h"

#include <openssl/evp.h>

#include <array>

#include <fmt/format.h>

namespace ztai::llm {
namespace {

// In order of preference when several are present.
constexpr std::array<std::string_view, 6> kSecretHeaders = {"x-api-key", "api-key", "x-goog-api-key", "authorization",
                                                            "proxy-authorization", "cookie"};

}  // namespace

bool is_secret_header(std::string_view name) {
  for (std::string_view s : kSecretHeaders) {
    if (s == name) return true;
  }
  return false;
}

std::string fingerprint(std::string_view provider, std::string_view secret) {
  for (std::string_view scheme : {"Bearer ", "bearer ", "Basic ", "basic "}) {
    if (secret.starts_with(scheme)) {
      secret.remove_prefix(scheme.size());
      break;
    }
  }
  while (!secret.empty() && secret.front() == ' ') secret.remove_prefix(1);
  if (secret.empty()) return {};
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(secret.data(), secret.size(), md.data(), &len, EVP_sha256(), nullptr) != 1 || len < 4) return {};
  // A short secret would be mostly revealed by its last 4: show them only for real keys.
  std::string_view last4 = secret.size() >= 16 ? secret.substr(secret.size() - 4) : std::string_view("****");
  return fmt::format("{}:{:02x}{:02x}{:02x}{:02x}:{}", provider.empty() ? "unknown" : provider, md[0], md[1], md[2],
                     md[3], last4);
}

std::string api_key_id(std::string_view provider, const http::MessageHead& request) {
  for (std::string_view name : kSecretHeaders) {
    if (name == "cookie" || name == "proxy-authorization") continue;  // not API keys
    if (const std::string* v = request.find(name)) return fingerprint(provider, *v);
  }
  return {};
}

}  // namespace ztai::llm
