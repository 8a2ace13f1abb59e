#include "agent/cli/args.h"

#include <gtest/gtest.h>

namespace ztai {
namespace {

const ArgSpec kSpec{{"events"}, {"config", "output"}, {"policy"}};

TEST(Args, ParsesFlagsOptionsAndRepeats) {
  auto a = parse_args({"--events", "--config", "c.yaml", "--output=o.json", "--policy", "a", "--policy=b", "x"}, kSpec);
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_TRUE(a->has("events"));
  EXPECT_EQ(a->get("config"), "c.yaml");
  EXPECT_EQ(a->get("output"), "o.json");
  EXPECT_EQ(a->options.at("policy"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(a->positional, (std::vector<std::string>{"x"}));
}

TEST(Args, RejectsWhatItDoesNotKnow) {
  EXPECT_EQ(parse_args({"--colour"}, kSpec).error().message(), "unknown option --colour");
  EXPECT_EQ(parse_args({"--config"}, kSpec).error().message(), "--config needs a value");
  EXPECT_EQ(parse_args({"--events=yes"}, kSpec).error().message(), "--events takes no value");
  EXPECT_EQ(parse_args({"--config", "a", "--config", "b"}, kSpec).error().message(), "--config given twice");
}

}  // namespace
}  // namespace ztai
