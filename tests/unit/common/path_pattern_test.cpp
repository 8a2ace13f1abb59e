#include "agent/common/path_pattern.h"

#include <gtest/gtest.h>

namespace ztai {
namespace {

using K = PathPattern::Kind;

TEST(PathPattern, ParsesTheThreeFormsTheKernelMatches) {
  EXPECT_EQ(*parse_path_pattern("/etc/shadow"), (PathPattern{K::kExact, "/etc/shadow"}));
  EXPECT_EQ(*parse_path_pattern("/var/lib/models/*"), (PathPattern{K::kPrefix, "/var/lib/models/"}));
  EXPECT_EQ(*parse_path_pattern("/var/lib/models/"), (PathPattern{K::kPrefix, "/var/lib/models/"}));
  EXPECT_EQ(*parse_path_pattern("*.gguf"), (PathPattern{K::kSuffix, ".gguf"}));
}

TEST(PathPattern, RejectsWhatTheKernelCannotMatchAndSaysWhatItCan) {
  for (const char* bad : {"", "*", "/a/*/b", "/a/**", "/a/?", "/a/[ab]", "relative/path", "/a/*.gguf*"}) {
    auto p = parse_path_pattern(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_NE(p.error().message().find("use an exact path"), std::string::npos) << p.error().message();
  }
}

TEST(PathPattern, Matches) {
  EXPECT_TRUE((PathPattern{K::kSuffix, ".gguf"}.matches("/m/x.gguf")));
  EXPECT_FALSE((PathPattern{K::kExact, "/etc/shadow"}.matches("/etc/shadow-")));
  EXPECT_TRUE((PathPattern{K::kPrefix, "/etc/"}.matches("/etc/shadow-")));
}

}  // namespace
}  // namespace ztai
