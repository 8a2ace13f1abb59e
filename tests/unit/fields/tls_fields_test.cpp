// tls_client_hello records decoded from a recorded ClientHello (curl to api.anthropic.com), and
// the tls.* fields, http.host and net.* on them; a record whose bytes are not a readable hello
// still becomes an event that says why.
#include "agent/fields/tls_fields.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "agent/events/decoder.h"
#include "bpf/abi/events.h"

namespace ztai {
namespace {

std::string recorded(const std::string& name) {
  std::ifstream in(std::string(ZTAI_SOURCE_DIR) + "/tests/unit/protocols/data/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<std::byte> record(std::string_view data, uint32_t call_bytes, uint32_t data_len) {
  ztai_tls_hello_event ev{};
  ev.hdr.type = ZTAI_EVENT_TLS_CLIENT_HELLO;
  ev.hdr.size = static_cast<uint32_t>(sizeof(ev) + data.size());
  ev.hdr.proc.tgid = 42;
  ev.hdr.proc.start_ticks = 7;
  ev.call_bytes = call_bytes;
  ev.data_len = data_len;
  ev.fd = 5;
  ev.family = AF_INET;
  ev.lport = 40000;
  ev.rport = 443;
  inet_pton(AF_INET, "10.0.0.2", ev.laddr);
  inet_pton(AF_INET, "160.79.104.10", ev.raddr);
  std::vector<std::byte> out(sizeof(ev) + data.size());
  std::memcpy(out.data(), &ev, sizeof(ev));
  std::memcpy(out.data() + sizeof(ev), data.data(), data.size());
  return out;
}

class TlsFieldsTest : public ::testing::Test {
 protected:
  FieldValue get(const Event& e, const std::string& name) {
    EventContext ctx{.event = e, .proc = nullptr, .processes = table, .clock = clock};
    auto list = extract_fields(builtin_fields(), ctx, {name});
    return list.empty() ? FieldValue() : list[0].second;
  }
  MetricsRegistry metrics;
  ProcessTable table{{}, "h", metrics};
  BootClock clock{0};
};

TEST_F(TlsFieldsTest, ClientHelloGivesTheServerNameAsTlsSniAndHttpHost) {
  std::string hello = recorded("curl.clienthello");
  ASSERT_EQ(hello.size(), 517u);
  auto e = decode_record(record(hello, 517, 517));
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->hdr.type, EventType::kTlsClientHello);
  EXPECT_EQ(get(*e, "evt.type"), FieldValue(std::string("tls_client_hello")));
  EXPECT_EQ(get(*e, "tls.sni"), FieldValue(std::string("api.anthropic.com")));
  EXPECT_EQ(get(*e, "http.host"), FieldValue(std::string("api.anthropic.com")));
  EXPECT_EQ(get(*e, "net.dip"), FieldValue(std::string("160.79.104.10")));
  EXPECT_EQ(get(*e, "net.dport"), FieldValue(uint64_t{443}));
  EXPECT_EQ(get(*e, "net.sport"), FieldValue(uint64_t{40000}));
  EXPECT_TRUE(std::holds_alternative<std::vector<std::string>>(get(*e, "tls.alpn")));
  EXPECT_EQ(get(*e, "tls.error"), FieldValue());
}

TEST_F(TlsFieldsTest, AHelloThatCannotBeReadSaysWhyAndNamesNothing) {
  std::string hello = recorded("curl.clienthello").substr(0, 80);
  auto e = decode_record(record(hello, 517, 80));
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(get(*e, "tls.sni"), FieldValue());
  EXPECT_EQ(get(*e, "http.host"), FieldValue());
  auto why = get(*e, "tls.error");
  ASSERT_TRUE(std::holds_alternative<std::string>(why));
  EXPECT_NE(std::get<std::string>(why).find("cut short"), std::string::npos);
  EXPECT_EQ(get(*e, "net.dport"), FieldValue(uint64_t{443}));
}

TEST_F(TlsFieldsTest, InconsistentRecordsAreDecodeErrors) {
  std::string hello = recorded("curl.clienthello");
  EXPECT_FALSE(decode_record(record(hello, 517, 600)));         // more declared than follows
  EXPECT_FALSE(decode_record(record(hello, 100, 517)));         // more captured than written
  EXPECT_FALSE(decode_record(record(std::string(3000, '\x16'), 3000, 3000)));  // past the kernel's cap
}

}  // namespace
}  // namespace ztai
