#include "agent/config/yaml_map.h"

#include <gtest/gtest.h>

namespace ztai {
namespace {

TEST(YamlMap, ReadsTypedValuesAndStringLists) {
  auto node = yaml_load_string("n: 5\ns: hello\nb: true\nl: [a, b]\n", "f.yaml");
  ASSERT_TRUE(node);
  auto m = YamlMap::of(*node, "f.yaml", "x");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m->get_uint("n", 0, 0, 10), 5u);
  EXPECT_EQ(*m->get_string("s", ""), "hello");
  EXPECT_TRUE(*m->get_bool("b", false));
  EXPECT_EQ(*m->get_string_list("l"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*m->get_uint("absent", 7, 0, 10), 7u);
  EXPECT_TRUE(m->finish());
}

TEST(YamlMap, RejectsWrongShapes) {
  auto node = yaml_load_string("l: {a: 1}\nn: [1]\n", "f.yaml");
  auto m = YamlMap::of(*node, "f.yaml", "x");
  auto l = m->get_string_list("l");
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().message(), "f.yaml:1:4: x.l: expected a list of strings");
  auto n = m->get_uint("n", 0, 0, 1);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().message(), "f.yaml:2:4: x.n: expected a number");
  EXPECT_FALSE(YamlMap::of(YAML::Load("[1]"), "f.yaml", "x"));
}

}  // namespace
}  // namespace ztai
