// A network policy denial becomes one alert naming the policy, the rule and the destination,
// with the policy.* fields rules and outputs see; a rule can match on them too.
#include <gtest/gtest.h>

#include "agent/pipeline/event_processor.h"
#include "tests/unit/pipeline/pipeline_harness.h"

namespace ztai {
namespace {

using testing::PipelineHarness;
using testing::record_field;

Event denial(bool audit) {
  NetDenialPayload d;
  d.policy_id = 1;
  d.generation = 1;
  d.rule = 0xffff;
  d.hook = PolicyHook::kConnect4;
  d.audit = audit;
  d.protocol = 6;
  d.daddr = *IpAddress::parse("10.1.2.3");
  d.dport = 5432;
  return Event{EventHeader{EventType::kNetDenial, 7, 42, 0, ProcKey{42, 9}, 5}, d};
}

TEST(EventProcessorPolicy, EachDenialIsAnAlertNamingPolicyRuleAndDestination) {
  PipelineHarness h(false);
  std::vector<uint32_t> asked;
  h.proc.use_denial_names([&](NetDenialPayload& d) {
    asked.push_back(d.policy_id);
    d.policy_name = "model-server";
    d.rule_name = "egress.default";
    d.mode = d.audit ? "audit" : "enforce";
  });
  h.proc.on_event(denial(false));
  h.proc.on_event(denial(true));
  h.finish();

  ASSERT_EQ(h.records.size(), 2u);
  EXPECT_EQ(asked, (std::vector<uint32_t>{1, 1}));
  const Record& r = h.records[0];
  EXPECT_EQ(r.kind, RecordKind::kAlert);
  EXPECT_EQ(r.rule, "Network policy denial");
  EXPECT_EQ(r.priority, Priority::kWarning);
  EXPECT_EQ(r.source, "policy");
  EXPECT_EQ(record_field(r, "policy.name"), FieldValue(std::string("model-server")));
  EXPECT_EQ(record_field(r, "policy.rule"), FieldValue(std::string("egress.default")));
  EXPECT_EQ(record_field(r, "policy.action"), FieldValue(std::string("deny")));
  EXPECT_EQ(record_field(r, "policy.hook"), FieldValue(std::string("connect4")));
  EXPECT_EQ(record_field(r, "net.dip"), FieldValue(std::string("10.1.2.3")));
  EXPECT_EQ(record_field(r, "net.dport"), FieldValue(uint64_t{5432}));
  EXPECT_EQ(record_field(r, "evt.type"), FieldValue(std::string("net_denial")));
  EXPECT_NE(r.output.find("network policy denied connect4 tcp to 10.1.2.3:5432 (policy=model-server "
                          "rule=egress.default"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(h.records[1].priority, Priority::kNotice);
  EXPECT_EQ(record_field(h.records[1], "policy.action"), FieldValue(std::string("audit")));
  EXPECT_EQ(record_field(h.records[1], "policy.mode"), FieldValue(std::string("audit")));
  EXPECT_EQ(h.metrics.value("ztai_policy_denial_alerts_total"), 2);
}

}  // namespace
}  // namespace ztai
