#include "agent/service/instance_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ztai {
namespace {

class InstanceLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ztai-lock-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    dir_ = tmpl;
    path_ = dir_ + "/ztai.lock";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Tries the lock from another process (flock locks belong to the open file, so a second
  // acquire in this process would be a different open file too, but a child is what a second
  // agent is). Exit status 0: acquired; 1: refused, with the message in `message`.
  int try_from_child(std::string& message) {
    int pipefd[2];
    EXPECT_EQ(pipe(pipefd), 0);
    pid_t child = fork();
    if (child == 0) {
      close(pipefd[0]);
      auto lock = InstanceLock::acquire(path_);
      std::string msg = lock ? "" : lock.error().message();
      if (write(pipefd[1], msg.data(), msg.size()) < 0) _exit(3);
      _exit(lock ? 0 : 1);
    }
    close(pipefd[1]);
    char buf[1024];
    ssize_t n = read(pipefd[0], buf, sizeof(buf));
    message.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
    close(pipefd[0]);
    int status = 0;
    waitpid(child, &status, 0);
    return WEXITSTATUS(status);
  }

  std::string dir_;
  std::string path_;
};

TEST_F(InstanceLockTest, ASecondAgentIsRefusedWithTheFirstOnesPid) {
  auto first = InstanceLock::acquire(path_);
  ASSERT_TRUE(first) << first.error().message();
  std::ifstream in(path_);
  std::string pid;
  in >> pid;
  EXPECT_EQ(pid, std::to_string(getpid()));
  std::string message;
  EXPECT_EQ(try_from_child(message), 1);
  EXPECT_NE(message.find("another ztai agent (pid " + std::to_string(getpid()) + ")"), std::string::npos) << message;
  EXPECT_NE(message.find(path_), std::string::npos) << message;
}

TEST_F(InstanceLockTest, TheLockGoesWithTheHolderAndALeftoverFileDoesNotBlock) {
  {
    auto first = InstanceLock::acquire(path_);
    ASSERT_TRUE(first);
  }
  ASSERT_TRUE(std::filesystem::exists(path_)) << "a stale file with a dead agent's pid stays behind";
  std::string message;
  EXPECT_EQ(try_from_child(message), 0) << message;
  auto again = InstanceLock::acquire(path_);
  EXPECT_TRUE(again) << "the child's lock went with the child";
}

TEST_F(InstanceLockTest, ItsFolderIsMadeButNotAWholeMissingTree) {
  EXPECT_TRUE(InstanceLock::acquire(dir_ + "/run/ztai.lock")) << "like /run/ztai outside systemd";
  auto lock = InstanceLock::acquire(dir_ + "/missing/deeper/ztai.lock");
  ASSERT_FALSE(lock);
  EXPECT_NE(lock.error().message().find("lock_file " + dir_ + "/missing/deeper/ztai.lock"), std::string::npos)
      << lock.error().message();
}

TEST_F(InstanceLockTest, ASymlinkIsNotFollowed) {
  std::filesystem::create_symlink(dir_ + "/elsewhere", path_);
  auto lock = InstanceLock::acquire(path_);
  EXPECT_FALSE(lock) << "a planted link must not make the agent truncate another file";
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/elsewhere"));
}

}  // namespace
}  // namespace ztai
