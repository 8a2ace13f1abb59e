#include "agent/identity/exe_hasher.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace ztai {
namespace {

namespace fs = std::filesystem;

// SHA-256("abc"), FIPS 180-2 appendix B.1.
const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

struct FileId {
  uint32_t kernel_dev;
  uint64_t ino;
};

FileId id_of(const fs::path& p) {
  struct stat sb;
  EXPECT_EQ(stat(p.c_str(), &sb), 0) << p;
  return {static_cast<uint32_t>((major(sb.st_dev) << 20) | minor(sb.st_dev)), sb.st_ino};
}

Event exec_of(uint32_t tgid, FileId f, const std::string& path) {
  Event e;
  e.hdr.type = EventType::kExec;
  e.hdr.proc = {tgid, 1};
  ExecPayload x;
  x.exe_dev = f.kernel_dev;
  x.exe_ino = f.ino;
  x.filename = path;
  e.payload = x;
  return e;
}

class ExeHasherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ztai-exehash-" + std::to_string(getpid()));
    fs::create_directories(root_ / "proc" / "42");
    fs::create_directories(root_ / "bin");
    std::ofstream(root_ / "bin" / "tool") << "abc";
    fs::create_symlink(root_ / "bin" / "tool", root_ / "proc" / "42" / "exe");
    settings_.proc_root = (root_ / "proc").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
  ExeHasherSettings settings_;
  MetricsRegistry metrics_;
};

TEST_F(ExeHasherTest, HashesThroughTheProcessImage) {
  ExeHasher h(settings_, metrics_);
  FileId f = id_of(root_ / "bin" / "tool");
  EXPECT_EQ(h.lookup(f.kernel_dev, f.ino).status, ExeHashStatus::kPending);
  h.observe(exec_of(42, f, "tool"));  // relative path: only /proc can be used
  h.drain();
  ExeHash got = h.lookup(f.kernel_dev, f.ino);
  EXPECT_EQ(got.status, ExeHashStatus::kOk);
  EXPECT_EQ(got.sha256, kAbc);
  EXPECT_EQ(metrics_.value("ztai_exe_hashes_total"), 1);
  // Same size and mtime: not read again.
  h.observe(exec_of(42, f, "tool"));
  h.drain();
  EXPECT_EQ(metrics_.value("ztai_exe_hashes_total"), 1);
}

TEST_F(ExeHasherTest, AGoneProcessIsHashedThroughItsPathOnlyIfItIsTheSameInode) {
  ExeHasher h(settings_, metrics_);
  FileId f = id_of(root_ / "bin" / "tool");
  h.observe(exec_of(7777, f, (root_ / "bin" / "tool").string()));  // no /proc entry: gone
  h.drain();
  EXPECT_EQ(h.lookup(f.kernel_dev, f.ino).sha256, kAbc);

  FileId other{f.kernel_dev, f.ino + 1000000};  // the kernel ran another inode than the path names now
  h.observe(exec_of(7777, other, (root_ / "bin" / "tool").string()));
  h.drain();
  EXPECT_EQ(h.lookup(other.kernel_dev, other.ino).status, ExeHashStatus::kUnreadable);
  EXPECT_EQ(h.lookup(other.kernel_dev, other.ino).sha256, "");
  EXPECT_EQ(metrics_.value("ztai_exe_hash_unreadable_total"), 1);
}

TEST_F(ExeHasherTest, ModifiedInPlaceIsHashedAgainAndLargeFilesAreNotRead) {
  ExeHasher h(settings_, metrics_);
  FileId f = id_of(root_ / "bin" / "tool");
  h.observe(exec_of(42, f, ""));
  h.drain();
  std::ofstream(root_ / "bin" / "tool", std::ios::app) << "d";
  h.observe(exec_of(42, f, ""));
  h.drain();
  // SHA-256("abcd")
  EXPECT_EQ(h.lookup(f.kernel_dev, f.ino).sha256, "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589");

  settings_.max_file_bytes = 2;
  ExeHasher small(settings_, metrics_);
  small.observe(exec_of(42, f, ""));
  small.drain();
  EXPECT_EQ(small.lookup(f.kernel_dev, f.ino).status, ExeHashStatus::kTooLarge);
}

// Real processes whose executable is deleted, or renamed over, after exec.
TEST_F(ExeHasherTest, DeletedAndReplacedExecutablesAreFlagged) {
  fs::path copy = root_ / "bin" / "sleep-copy";
  fs::copy_file("/bin/sleep", copy);
  fs::permissions(copy, fs::perms::owner_all);
  FileId f = id_of(copy);
  pid_t child = fork();
  if (child == 0) {
    execl(copy.c_str(), "sleep", "30", static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until the child runs the copy (its /proc/PID/exe names it).
  for (int i = 0; i < 200; ++i) {
    std::error_code ec;
    if (fs::read_symlink("/proc/" + std::to_string(child) + "/exe", ec) == copy) break;
    usleep(10000);
  }
  fs::remove(copy);
  ExeHasherSettings real;
  ExeHasher h(real, metrics_);
  h.observe(exec_of(static_cast<uint32_t>(child), f, copy.string()));
  h.drain();
  ExeHash deleted = h.lookup(f.kernel_dev, f.ino);
  EXPECT_EQ(deleted.status, ExeHashStatus::kDeleted);
  EXPECT_EQ(deleted.sha256.size(), 64u) << "still hashed through the process image";

  // Something else now sits at the path.
  std::ofstream(copy) << "not sleep";
  h.observe(exec_of(static_cast<uint32_t>(child), f, copy.string()));
  h.drain();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(h.lookup(f.kernel_dev, f.ino).status, ExeHashStatus::kDeleted);
}

TEST_F(ExeHasherTest, RenamedOverIsFlaggedToo) {
  fs::path bin = root_ / "bin" / "sleep-copy";
  fs::copy_file("/bin/sleep", bin);
  fs::permissions(bin, fs::perms::owner_all);
  FileId f = id_of(bin);
  // A package upgrade renames the new file over the old one; a hard link keeps the old inode.
  fs::create_hard_link(bin, root_ / "bin" / "keep");
  pid_t child = fork();
  if (child == 0) {
    execl(bin.c_str(), "sleep", "30", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    std::error_code ec;
    if (fs::read_symlink("/proc/" + std::to_string(child) + "/exe", ec) == bin) break;
    usleep(10000);
  }
  std::ofstream(root_ / "bin" / "new") << "upgraded";
  fs::rename(root_ / "bin" / "new", bin);
  ExeHasherSettings real;
  ExeHasher h(real, metrics_);
  h.observe(exec_of(static_cast<uint32_t>(child), f, bin.string()));
  h.drain();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(h.lookup(f.kernel_dev, f.ino).status, ExeHashStatus::kDeleted);
  EXPECT_EQ(h.lookup(f.kernel_dev, f.ino).sha256.size(), 64u);
}

}  // namespace
}  // namespace ztai
