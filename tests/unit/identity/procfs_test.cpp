#include "agent/identity/procfs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/identity/process_table.h"

namespace ztai {
namespace {

namespace fs = std::filesystem;

std::string stat_line(uint32_t pid, const std::string& comm, uint32_t ppid, uint64_t start) {
  // Fields 3..22; 22 is starttime.
  return std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid) +
         " 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 " + std::to_string(start) + " 1000 200\n";
}

class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ztai-fakeproc-" + std::to_string(getpid()));
    fs::create_directories(root_);
    cgroot_ = root_ / "cgroup2";
    fs::create_directories(cgroot_ / "system.slice" / "model.service");
  }
  void TearDown() override { fs::remove_all(root_); }

  void add(uint32_t pid, const std::string& comm, uint32_t ppid, uint64_t start, std::string cmdline,
           const std::string& exe, const std::string& cgroup) {
    fs::path d = root_ / "proc" / std::to_string(pid);
    fs::create_directories(d);
    std::ofstream(d / "stat") << stat_line(pid, comm, ppid, start);
    std::ofstream(d / "cmdline", std::ios::binary) << cmdline;
    std::ofstream(d / "status") << "Name:\t" << comm << "\nUid:\t1000\t0\t0\t0\nGid:\t100\t101\t0\t0\n";
    std::ofstream(d / "cgroup") << "12:memory:/x\n0::" << cgroup << "\n";
    if (!exe.empty()) fs::create_symlink(exe, d / "exe");
  }

  fs::path root_, cgroot_;
};

TEST(ProcStat, ParsesCommWithSpacesAndParentheses) {
  auto st = parse_proc_stat(stat_line(7, "evil) (name", 3, 12345));
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->comm, "evil) (name");
  EXPECT_EQ(st->ppid, 3u);
  EXPECT_EQ(st->start_ticks, 12345u);
  EXPECT_FALSE(parse_proc_stat("7 (x) S 1"));
  EXPECT_FALSE(parse_proc_stat("no comm"));
}

TEST_F(FakeProc, ReadsEveryFieldAndResolvesTheCgroupId) {
  using namespace std::string_literals;
  add(1, "init", 0, 1, "/sbin/init\0"s, "/usr/lib/systemd/systemd", "/");
  add(42, "python3", 1, 500, "python3\0-m\0vllm\0"s, "/usr/bin/python3.11", "/system.slice/model.service");
  Procfs procfs((root_ / "proc").string(), cgroot_.string());
  auto e = procfs.read(42);
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->key, (ProcKey{42, 500}));
  EXPECT_EQ(e->parent, (ProcKey{1, 1}));
  EXPECT_EQ(e->argv, (std::vector<std::string>{"python3", "-m", "vllm"}));
  EXPECT_EQ(e->exe_path, "/usr/bin/python3.11");
  EXPECT_EQ(e->uid, 1000u);
  EXPECT_EQ(e->euid, 0u);
  EXPECT_EQ(e->gid, 100u);
  EXPECT_EQ(e->egid, 101u);
  EXPECT_EQ(e->cgroup_path, "/system.slice/model.service");
  struct stat sb;
  ASSERT_EQ(stat((cgroot_ / "system.slice" / "model.service").c_str(), &sb), 0);
  EXPECT_EQ(e->cgroup_id, sb.st_ino);
  EXPECT_FALSE(procfs.read(43)) << "a vanished process is an error, not an empty entry";
}

TEST_F(FakeProc, SeedsTheTableWithLineageAndFullNames) {
  using namespace std::string_literals;
  add(1, "init", 0, 1, "/sbin/init\0"s, "/sbin/init", "/");
  add(20, "model-server-wo", 1, 50, "model-server-worker\0"s, "/opt/bin/model-server-worker", "/");
  add(30, "sh", 20, 60, "sh\0-c\0id\0"s, "/bin/dash", "/");
  MetricsRegistry metrics;
  ProcessTable table({}, "h", metrics);
  EXPECT_EQ(table.seed(Procfs((root_ / "proc").string(), cgroot_.string())), 3u);
  const ProcessInfo* sh = table.find({30, 60});
  ASSERT_NE(sh, nullptr);
  EXPECT_EQ(sh->name, "sh") << "comm, not the resolved binary, names the process";
  auto chain = table.ancestors(*sh, 5);
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0]->name, "model-server-worker") << "comm cut at 15 bytes is completed from exe";
  EXPECT_EQ(chain[1]->name, "init");
  EXPECT_EQ(table.find({20, 50})->children, 1u);
}

TEST(Procfs, ReadsTheRealProcOfThisProcess) {
  Procfs procfs;
  auto self = procfs.read(static_cast<uint32_t>(getpid()));
  ASSERT_TRUE(self) << self.error().message();
  EXPECT_EQ(self->key.tgid, static_cast<uint32_t>(getpid()));
  EXPECT_GT(self->key.start_ticks, 0u);
  EXPECT_EQ(self->parent.tgid, static_cast<uint32_t>(getppid()));
  EXPECT_FALSE(self->argv.empty());
  ASSERT_TRUE(self->posture) << "status and ns links of this process are readable";
  struct stat net;
  ASSERT_EQ(stat("/proc/self/ns/net", &net), 0);
  EXPECT_EQ(self->posture->net_ns, static_cast<uint32_t>(net.st_ino));
  EXPECT_NE(self->posture->pid_ns, 0u);
  EXPECT_NE(self->posture->mnt_ns, 0u);
}

TEST(StatusPosture, ReadsCapabilitiesSeccompAndNoNewPrivs) {
  auto p = parse_status_posture(
      "Name:\tsh\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t00000000a80425fb\n"
      "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n"
      "Seccomp_filters:\t1\n");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->cap_effective, 0xa80425fbull);
  EXPECT_EQ(p->cap_permitted, 0x1ffffffffffull);
  EXPECT_EQ(p->cap_bounding, 0x1ffffffffffull);
  EXPECT_TRUE(p->no_new_privs);
  EXPECT_EQ(p->seccomp, 2) << "Seccomp:, not Seccomp_filters:";
}

TEST(StatusPosture, RejectsWhatIsNotAStatusFile) {
  EXPECT_FALSE(parse_status_posture("Name:\tsh\n")) << "no capability lines";
  EXPECT_FALSE(parse_status_posture("CapPrm:\t0\nCapEff:\tzz\nCapBnd:\t0\n")) << "not hex";
  EXPECT_FALSE(parse_status_posture("CapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\nSeccomp:\t7\n")) << "no such mode";
  EXPECT_FALSE(parse_status_posture("XCapEff:\t0\nCapPrm:\t0\nCapBnd:\t0\n")) << "a label inside another line";
}

}  // namespace
}  // namespace ztai
