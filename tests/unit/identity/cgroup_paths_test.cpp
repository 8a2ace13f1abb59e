#include "agent/identity/cgroup_paths.h"

#include <sys/stat.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace ztai {
namespace {

namespace fs = std::filesystem;

uint64_t inode_of(const fs::path& p) {
  struct stat sb;
  EXPECT_EQ(stat(p.c_str(), &sb), 0) << p;
  return sb.st_ino;
}

// A directory tree stands in for the cgroup2 mount: ids are inodes either way.
class CgroupPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ztai-cgpaths-" + std::to_string(getpid()));
    fs::create_directories(root_ / "system.slice" / "sshd.service");
    fs::create_directories(root_ / "kubepods.slice");
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
  MetricsRegistry metrics_;
};

TEST_F(CgroupPathsTest, ScanFindsEveryDirectory) {
  CgroupPaths paths(root_.string(), 100, metrics_);
  EXPECT_EQ(paths.scan(), 4u);
  ASSERT_NE(paths.find(inode_of(root_ / "system.slice" / "sshd.service")), nullptr);
  EXPECT_EQ(*paths.find(inode_of(root_ / "system.slice" / "sshd.service")), "/system.slice/sshd.service");
  EXPECT_EQ(*paths.find(inode_of(root_)), "/");
  EXPECT_EQ(metrics_.value("ztai_cgroup_cache_entries"), 4);
}

TEST_F(CgroupPathsTest, MkdirIsKeptOnlyWhenThePathHasThatInode) {
  CgroupPaths paths(root_.string(), 100, metrics_);
  fs::create_directories(root_ / "new");
  uint64_t id = inode_of(root_ / "new");
  paths.on_mkdir(id + 1000000, "/new");  // wrong id for that path (a namespaced view)
  EXPECT_EQ(paths.size(), 0u);
  paths.on_mkdir(id, "/new");
  ASSERT_NE(paths.find(id), nullptr);
  EXPECT_EQ(*paths.find(id), "/new");
  paths.on_rmdir(id);
  EXPECT_EQ(paths.size(), 0u);
}

TEST_F(CgroupPathsTest, UnknownIdsAreCountedAndTheCapHolds) {
  CgroupPaths paths(root_.string(), 2, metrics_);
  paths.scan();
  EXPECT_EQ(paths.size(), 2u);
  EXPECT_EQ(metrics_.value("ztai_cgroup_cache_evicted_total"), 2);
  // Not cgroupfs, so it cannot be opened by id either.
  EXPECT_EQ(paths.find(1), nullptr);
  EXPECT_EQ(metrics_.value("ztai_cgroup_unresolved_total"), 1);
}

TEST(ProcCgroup, ParsesV1AndV2Lines) {
  auto lines = parse_proc_cgroup(
      "12:memory:/docker/abc\n1:name=systemd:/system.slice/docker-x.scope\n0::/system.slice/docker.service\nbad\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].hierarchy, 12u);
  EXPECT_EQ(lines[0].controllers, "memory");
  EXPECT_EQ(lines[0].path, "/docker/abc");
  EXPECT_EQ(lines[2].hierarchy, 0u);
  EXPECT_EQ(lines[2].path, "/system.slice/docker.service");
}

TEST(ProcCgroup, HybridHostsHaveV1Mounts) {
  EXPECT_TRUE(has_cgroup_v1_mounts(parse_mounts("cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n"
                                                "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n")));
  EXPECT_FALSE(has_cgroup_v1_mounts(parse_mounts("cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n")));
}

}  // namespace
}  // namespace ztai
