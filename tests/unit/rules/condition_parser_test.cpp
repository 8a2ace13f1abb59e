#include "agent/rules/condition_parser.h"

#include <gtest/gtest.h>

#include <random>

namespace ztai::rules {
namespace {

const Node& parsed(const std::variant<NodePtr, ConditionError>& r) {
  if (auto* e = std::get_if<ConditionError>(&r)) ADD_FAILURE() << e->message;
  return *std::get<NodePtr>(r);
}

ConditionError error_of(std::string_view text) {
  auto r = parse_condition(text);
  if (!std::holds_alternative<ConditionError>(r)) {
    ADD_FAILURE() << "parsed: " << text;
    return {};
  }
  return std::get<ConditionError>(r);
}

TEST(ConditionParser, NotBindsTighterThanAndThanOr) {
  auto r = parse_condition("a or not b and c");
  const Node& root = parsed(r);
  ASSERT_EQ(root.kind, Node::Kind::kOr);
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_EQ(root.children[0]->kind, Node::Kind::kMacro);
  const Node& conj = *root.children[1];
  ASSERT_EQ(conj.kind, Node::Kind::kAnd);
  EXPECT_EQ(conj.children[0]->kind, Node::Kind::kNot);
  EXPECT_EQ(conj.children[0]->children[0]->field, "b");
  EXPECT_EQ(conj.children[1]->field, "c");
}

TEST(ConditionParser, ComparisonsValuesAndLists) {
  auto r = parse_condition(
      "evt.type=execve and proc.aname[2] != 'my shell' and proc.name in (sh, \"ba sh\", zsh) "
      "and proc.cmdline contains /tmp/x and user.uid>=1000 and proc.exepath exists and proc.name in shells");
  const Node& root = parsed(r);
  ASSERT_EQ(root.kind, Node::Kind::kAnd);
  ASSERT_EQ(root.children.size(), 7u);
  const Node& type = *root.children[0];
  EXPECT_EQ(type.field, "evt.type");
  EXPECT_EQ(type.op, Op::kEq);
  EXPECT_EQ(type.values[0].text, "execve");
  EXPECT_EQ(root.children[1]->field, "proc.aname[2]");
  EXPECT_EQ(root.children[1]->values[0].text, "my shell");
  EXPECT_TRUE(root.children[1]->values[0].quoted);
  const Node& in = *root.children[2];
  ASSERT_EQ(in.values.size(), 3u);
  EXPECT_EQ(in.values[1].text, "ba sh");
  EXPECT_EQ(root.children[3]->values[0].text, "/tmp/x");
  EXPECT_EQ(root.children[4]->op, Op::kGe);
  EXPECT_EQ(root.children[5]->op, Op::kExists);
  EXPECT_TRUE(root.children[6]->bare_list);
  EXPECT_EQ(root.children[6]->values[0].text, "shells");
}

TEST(ConditionParser, EscapedQuotesAndParentheses) {
  auto r = parse_condition("((proc.cmdline = 'it\\'s'))");
  const Node& root = parsed(r);
  EXPECT_EQ(root.values[0].text, "it's");
}

TEST(ConditionParser, ErrorsPointAtTheProblem) {
  ConditionError e = error_of("proc.name = 'sh");
  EXPECT_EQ(e.offset, 12u);
  EXPECT_NE(e.message.find("unterminated string"), std::string::npos);

  e = error_of("proc.name bcontains 41");
  EXPECT_EQ(e.offset, 10u);
  EXPECT_NE(e.message.find("not supported"), std::string::npos);

  e = error_of("proc.name = sh and (user.uid = 0");
  EXPECT_NE(e.message.find("expected ')'"), std::string::npos);

  e = error_of("proc.name in sh, bash");
  EXPECT_NE(e.message.find("expected 'and', 'or'"), std::string::npos);

  e = error_of("proc.name foo sh");
  EXPECT_NE(e.message.find("unknown operator 'foo'"), std::string::npos);

  e = error_of("tolower(proc.name) = sh");
  EXPECT_NE(e.message.find("transformers"), std::string::npos);

  e = error_of("proc.name = sh and");
  EXPECT_NE(e.message.find("expected a condition"), std::string::npos);

  e = error_of("   ");
  EXPECT_NE(e.message.find("empty"), std::string::npos);
}

TEST(ConditionParser, DeepNestingIsBoundedWithAClearError) {
  std::string deep(10'000, '(');
  deep += "a";
  deep += std::string(10'000, ')');
  EXPECT_NE(error_of(deep).message.find("nesting deeper than"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 10'000; ++i) nots += "not ";
  EXPECT_NE(error_of(nots + "a").message.find("nesting deeper than"), std::string::npos);
}

TEST(ConditionParser, HugeListsAndConditionsAreBounded) {
  std::string list = "proc.name in (";
  for (size_t i = 0; i <= kMaxListItems; ++i) list += "a,";
  list += "b)";
  EXPECT_NE(error_of(list).message.find("more than"), std::string::npos);
  EXPECT_NE(error_of(std::string(kMaxConditionBytes + 1, 'a')).message.find("longer than"), std::string::npos);
}

TEST(ConditionParser, MutatedInputNeverCrashes) {
  const std::string seed =
      "evt.type in (execve, clone) and not (proc.name = 'a b' or proc.aname[2] startswith /usr) "
      "and user.uid >= 10 and proc.args regex '.*x' and macro_a";
  const std::string alphabet = "()[],'\" =!<>andornotin.ab/\\";
  std::mt19937 rng(42);
  for (int i = 0; i < 20'000; ++i) {
    std::string s = seed;
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits; ++k) {
      size_t at = rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0: s.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        case 1: if (at < s.size()) s.erase(at, 1); break;
        default: if (at < s.size()) s[at] = alphabet[rng() % alphabet.size()]; break;
      }
    }
    auto r = parse_condition(s);
    if (auto* e = std::get_if<ConditionError>(&r)) {
      EXPECT_LE(e->offset, s.size());
      EXPECT_FALSE(e->message.empty());
    }
  }
}

}  // namespace
}  // namespace ztai::rules
