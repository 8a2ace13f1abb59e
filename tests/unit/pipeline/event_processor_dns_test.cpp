// The pipeline learns names from dns events and a later connect to the answered address lists
// them in net.dns.names; an answer that did not parse teaches nothing.
#include <gtest/gtest.h>

#include "agent/pipeline/event_processor.h"
#include "tests/unit/pipeline/pipeline_harness.h"

namespace ztai {
namespace {

using testing::PipelineHarness;
using testing::record_field;


Event dns_answer(uint64_t at_ns, const char* name, const char* address) {
  dns::Message m;
  m.is_response = true;
  m.questions.push_back({name, dns::kTypeA, 1});
  dns::ResourceRecord rr;
  rr.name = name;
  rr.type = dns::kTypeA;
  rr.ttl = 300;
  rr.address = IpAddress::parse(address);
  m.answers.push_back(rr);
  DnsPayload d;
  d.proto = 17;
  d.client = *IpAddress::parse("127.0.0.1");
  d.server = *IpAddress::parse("127.0.0.53");
  d.client_port = 40000;
  d.server_port = 53;
  d.message = m;
  return Event{EventHeader{EventType::kDns, at_ns, 10, 0, ProcKey{10, 1}, 5}, d};
}

Event connect_to(uint64_t at_ns, const char* address) {
  NetPayload n;
  n.fd = 3;
  n.proto = 6;
  n.saddr = *IpAddress::parse("127.0.0.1");
  n.daddr = *IpAddress::parse(address);
  n.sport = 50000;
  n.dport = 443;
  return Event{EventHeader{EventType::kConnect, at_ns, 10, 0, ProcKey{10, 1}, 5}, n};
}

TEST(EventProcessorDns, ConnectCarriesTheNamesOfEarlierAnswers) {
  PipelineHarness h(true);

  h.proc.on_event(connect_to(1'000, "127.0.0.88"));  // before any answer: no names
  h.proc.on_event(dns_answer(2'000, "api.model.test", "127.0.0.88"));
  DnsPayload broken;
  broken.client = *IpAddress::parse("127.0.0.1");
  broken.server = *IpAddress::parse("127.0.0.53");
  broken.parse_error = "DNS message truncated";
  h.proc.on_event(Event{EventHeader{EventType::kDns, 3'000, 10, 0, ProcKey{10, 1}, 5}, broken});
  h.proc.on_event(connect_to(4'000, "127.0.0.88"));
  h.proc.on_event(connect_to(5'000, "127.0.0.89"));
  h.finish();

  ASSERT_EQ(h.records.size(), 5u);
  EXPECT_EQ(record_field(h.records[0], "net.dns.names"), FieldValue(std::vector<std::string>{}));
  EXPECT_EQ(record_field(h.records[1], "evt.type"), FieldValue(std::string("dns")));
  EXPECT_EQ(record_field(h.records[1], "net.dns.query"), FieldValue(std::string("api.model.test")));
  EXPECT_EQ(record_field(h.records[1], "net.dns.answers"), FieldValue(std::vector<std::string>{"127.0.0.88"}));
  EXPECT_EQ(record_field(h.records[2], "net.dns.error"), FieldValue(std::string("DNS message truncated")));
  EXPECT_EQ(record_field(h.records[2], "net.dns.query"), FieldValue());
  EXPECT_EQ(record_field(h.records[3], "evt.type"), FieldValue(std::string("connect")));
  EXPECT_EQ(record_field(h.records[3], "net.dip"), FieldValue(std::string("127.0.0.88")));
  EXPECT_EQ(record_field(h.records[3], "net.dns.names"), FieldValue(std::vector<std::string>{"api.model.test"}));
  EXPECT_EQ(record_field(h.records[4], "net.dns.names"), FieldValue(std::vector<std::string>{}));
  EXPECT_EQ(h.metrics.value("ztai_events_total", {{"type", "dns"}}), 2);
  EXPECT_EQ(h.metrics.value("ztai_events_total", {{"type", "connect"}}), 3);
}

}  // namespace
}  // namespace ztai
