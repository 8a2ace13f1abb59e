#include "agent/api/control_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ztai {
namespace {

std::string temp_socket() {
  return (std::filesystem::temp_directory_path() / ("ztai-control-test-" + std::to_string(getpid()) + "/c.sock")).string();
}

TEST(ControlLine, SplitsTheVerbFromTheRestAndRefusesControlCharacters) {
  auto r = parse_control_line("quarantine pod:ml/server 1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->verb, "quarantine");
  EXPECT_EQ(r->argument, "pod:ml/server 1");
  EXPECT_EQ(parse_control_line("list")->argument, "");
  EXPECT_FALSE(parse_control_line(""));
  EXPECT_FALSE(parse_control_line(" x"));
  EXPECT_FALSE(parse_control_line("quarantine a\x1b[2J"));
}

TEST(ControlServer, AnswersWithTheHandlersTextOrErrorAndNamesTheCaller) {
  std::string path = temp_socket();
  ControlRequest seen;
  auto server = ControlServer::start(path, [&](const ControlRequest& r) -> Result<std::string> {
    seen = r;
    if (r.argument == "bad") return make_error(ErrorCode::kNotFound, "workload 'bad': no cgroup matches it");
    return std::string("quarantined ") + r.argument;
  });
  ASSERT_TRUE(server) << server.error().message();
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "only the owner may connect";

  auto ok = control_request(path, "quarantine", "/a.slice");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*ok, "quarantined /a.slice");
  EXPECT_EQ(seen.verb, "quarantine");
  EXPECT_EQ(seen.caller.pid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(seen.caller.uid, geteuid());
  EXPECT_NE(seen.caller.str().find("exe=/"), std::string::npos) << seen.caller.str();

  auto bad = control_request(path, "quarantine", "bad");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "workload 'bad': no cgroup matches it");

  // A second agent on the same socket is refused while the first answers.
  EXPECT_FALSE(ControlServer::start(path, [](const ControlRequest&) -> Result<std::string> { return std::string(); }));
  server->reset();
  EXPECT_FALSE(std::filesystem::exists(path)) << "the socket goes with the server";
  EXPECT_FALSE(control_request(path, "list", ""));
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

TEST(ControlServer, ReplacesASocketLeftByADeadAgentButNotAFile) {
  std::string path = temp_socket();
  {
    auto first = ControlServer::start(path, [](const ControlRequest&) -> Result<std::string> { return std::string("1"); });
    ASSERT_TRUE(first);
    // Leave the socket file behind as a crashed agent would.
    std::filesystem::rename(path, path + ".keep");
  }
  std::filesystem::rename(path + ".keep", path);
  auto second = ControlServer::start(path, [](const ControlRequest&) -> Result<std::string> { return std::string("2"); });
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(*control_request(path, "list", ""), "2");
  second->reset();
  std::ofstream(path) << "x";
  EXPECT_FALSE(ControlServer::start(path, [](const ControlRequest&) -> Result<std::string> { return std::string(); }));
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

}  // namespace
}  // namespace ztai
