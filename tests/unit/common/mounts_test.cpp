#include "agent/common/mounts.h"

#include <gtest/gtest.h>

namespace ztai {
namespace {

TEST(Mounts, FindsCgroup2OnHybridAndUnifiedHosts) {
  auto hybrid = parse_mounts(
      "sysfs /sys sysfs rw 0 0\n"
      "tmpfs /sys/fs/cgroup tmpfs ro 0 0\n"
      "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nsdelegate 0 0\n"
      "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n");
  EXPECT_EQ(find_mount(hybrid, "cgroup2"), "/sys/fs/cgroup/unified");
  auto unified = parse_mounts("cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n");
  EXPECT_EQ(find_mount(unified, "cgroup2"), "/sys/fs/cgroup");
  EXPECT_EQ(find_mount(unified, "tracefs"), std::nullopt);
}

TEST(Mounts, DecodesOctalEscapes) {
  auto m = parse_mounts("/dev/sda1 /mnt/my\\040disk ext4 rw 0 0\n");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].target, "/mnt/my disk");
}

TEST(Mounts, IgnoresMalformedLines) {
  EXPECT_TRUE(parse_mounts("garbage\n\n").empty());
}

}  // namespace
}  // namespace ztai
