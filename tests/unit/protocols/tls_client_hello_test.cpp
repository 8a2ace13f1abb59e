// ClientHellos recorded from real clients on this machine (openssl s_client with -servername and
// -alpn, curl, Python's ssl, openssl without SNI), then every truncation, byte flips and garbage.
#include "agent/protocols/tls/client_hello.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/unit/protocols/protocol_fixtures.h"

namespace ztai::tls {
namespace {

std::vector<uint8_t> hello(const std::string& name) {
  std::string s = ztai::testing::fixture(name);
  return {s.begin(), s.end()};
}

TEST(ClientHello, RecordedHellosGiveTheirServerNameAndAlpn) {
  auto openssl = parse_client_hello(hello("openssl_s_client_alpn.clienthello"));
  ASSERT_TRUE(openssl) << openssl.error().message();
  EXPECT_EQ(openssl->sni, "api.openai.com");
  EXPECT_EQ(openssl->alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(openssl->version, 0x0303);
  auto curl = parse_client_hello(hello("curl.clienthello"));
  ASSERT_TRUE(curl) << curl.error().message();
  EXPECT_EQ(curl->sni, "api.anthropic.com");
  EXPECT_FALSE(curl->alpn.empty());
  auto python = parse_client_hello(hello("python_ssl.clienthello"));
  ASSERT_TRUE(python) << python.error().message();
  EXPECT_EQ(python->sni, "ollama.internal.example");
  auto none = parse_client_hello(hello("openssl_no_sni.clienthello"));
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_EQ(none->sni, "");
  for (const char* f : {"openssl_s_client_alpn.clienthello", "curl.clienthello", "openssl_no_sni.clienthello"}) {
    EXPECT_TRUE(looks_like_client_hello(hello(f))) << f;
  }
}

// Every prefix: an error, or the right name once the server_name extension is complete; never
// a wrong name, never a read past the end (ASan runs these).
TEST(ClientHello, EveryTruncationIsAnErrorOrTheRightName) {
  for (auto [file, sni] : {std::pair{"openssl_s_client_alpn.clienthello", "api.openai.com"},
                           {"curl.clienthello", "api.anthropic.com"}, {"python_ssl.clienthello", "ollama.internal.example"}}) {
    std::vector<uint8_t> full = hello(file);
    bool named = false;
    for (size_t n = 0; n < full.size(); ++n) {
      auto r = parse_client_hello(std::span(full).first(n));
      if (r) {
        EXPECT_EQ(r->sni, sni) << file << " cut at " << n;
        named = true;
      } else {
        EXPECT_FALSE(named) << file << ": cut at " << n << " fails after a shorter prefix named the server";
      }
    }
    EXPECT_TRUE(named) << file;
  }
  std::vector<uint8_t> curl = hello("curl.clienthello");
  auto cut = parse_client_hello(std::span(curl).first(60));
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message().find("cut short"), std::string::npos) << cut.error().message();
}

TEST(ClientHello, OtherProtocolsAndGarbageAreErrors) {
  std::string http = "POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n\r\n";
  EXPECT_FALSE(parse_client_hello({reinterpret_cast<const uint8_t*>(http.data()), http.size()}));
  EXPECT_FALSE(looks_like_client_hello({reinterpret_cast<const uint8_t*>(http.data()), http.size()}));
  EXPECT_FALSE(parse_client_hello({}));
  // A handshake record that is not a ClientHello (a ServerHello).
  std::vector<uint8_t> server_hello = hello("openssl_s_client_alpn.clienthello");
  server_hello[5] = 2;
  EXPECT_FALSE(parse_client_hello(server_hello));
  // A server name with a control character or a NUL is refused, not passed on to outputs.
  std::vector<uint8_t> evil = hello("python_ssl.clienthello");
  std::string name = "ollama.internal.example";
  auto at = std::search(evil.begin(), evil.end(), name.begin(), name.end());
  ASSERT_NE(at, evil.end());
  *(at + 6) = '\n';
  auto r = parse_client_hello(evil);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("not a host name"), std::string::npos);

  std::mt19937 rng(8);
  std::vector<uint8_t> full = hello("curl.clienthello");
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> b = full;
    for (int k = 0; k < 1 + i % 4; ++k) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    b.resize(rng() % (b.size() + 1));
    auto x = parse_client_hello(b);
    if (x) {
      EXPECT_LE(x->sni.size(), 255u);
    }
    std::vector<uint8_t> noise(rng() % 600);
    for (uint8_t& c : noise) c = static_cast<uint8_t>(rng());
    if (!noise.empty()) noise[0] = 22;
    (void)parse_client_hello(noise);
  }
}

}  // namespace
}  // namespace ztai::tls
