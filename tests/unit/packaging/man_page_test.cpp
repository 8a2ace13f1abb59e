// The man page documents every command and option `ztai help` lists.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

namespace {

std::string help_text() {
  FILE* p = popen(ZTAI_BINARY " help", "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  pclose(p);
  return out;
}

// The page's text with roff escapes of '-' undone ("\-\-rules" -> "--rules").
std::string man_text() {
  std::ifstream in(ZTAI_SOURCE_DIR "/packaging/man/ztai.8");
  std::stringstream s;
  s << in.rdbuf();
  return std::regex_replace(s.str(), std::regex(R"(\\-)"), "-");
}

TEST(ManPage, NamesEveryOptionOfTheHelp) {
  std::string help = help_text();
  std::string man = man_text();
  ASSERT_FALSE(help.empty());
  std::regex option(R"(--[a-z][a-z-]*)");
  int checked = 0;
  for (auto it = std::sregex_iterator(help.begin(), help.end(), option); it != std::sregex_iterator(); ++it) {
    EXPECT_NE(man.find(it->str()), std::string::npos) << it->str() << " is in `ztai help` but not in ztai(8)";
    ++checked;
  }
  EXPECT_GT(checked, 5);
}

TEST(ManPage, NamesEveryCommandOfTheHelp) {
  std::string help = help_text();
  std::string man = man_text();
  // Commands are the lines indented by two spaces: "  run ...", "  rules validate PATH...".
  std::regex command(R"(\n  ([a-z]+(?: [a-z]+)?)(?=\s))");
  int checked = 0;
  for (auto it = std::sregex_iterator(help.begin(), help.end(), command); it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[1];
    if (name.find(' ') != std::string::npos) {
      // "rules validate": the page has ".B rules validate"; a single word plus a description
      // ("run        run the agent") only matches its first word.
      if (man.find(".B " + name) == std::string::npos) name = name.substr(0, name.find(' '));
    }
    EXPECT_NE(man.find(".B " + name), std::string::npos) << name << " is in `ztai help` but not in ztai(8)";
    ++checked;
  }
  EXPECT_GT(checked, 5);
}

}  // namespace
