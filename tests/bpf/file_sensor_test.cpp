// Loads the real file programs with a filter, makes real file syscalls (relative, dirfd-relative,
// failing, renames, chmod/chown, memfd) and asserts every field of the records; paths no filter
// entry names are dropped in the kernel and counted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "tests/support/event_collector.h"
#include "tests/support/kernel_test.h"

namespace ztai {
namespace {

namespace fs = std::filesystem;
using testing::EventCollector;

class FileSensorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Trace this process too: the test is the workload here, and the filter keeps the rest out.
    auto c = EventCollector::start_with_prerequisites(LoaderSettings{}, {"file"});
    ZTAI_KERNEL_PREREQ(c ? Status() : Status(c.error()));
    collector_ = std::move(*c);
    dir_ = fs::temp_directory_path() / ("ztai-file-test-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "models");
    FileInterest interest;
    interest.enabled = true;
    interest.patterns = {{PathPattern::Kind::kPrefix, dir_.string() + "/"},
                         {PathPattern::Kind::kSuffix, ".gguf"},
                         {PathPattern::Kind::kExact, "memfd:ztai-test"}};
    ASSERT_TRUE(collector_->programs().file_filter().apply(interest));
    cwd_ = fs::current_path();
  }
  void TearDown() override {
    if (!cwd_.empty()) fs::current_path(cwd_);
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // glibc implements open() with openat, chmod() with fchmodat...: accept either syscall.
  const Event* wait_file(EventType type, const std::string& path, EventType or_type = EventType{}) {
    return collector_->wait_for([&](const Event& e) {
      const FilePayload* f = e.as<FilePayload>();
      return f && (e.hdr.type == type || e.hdr.type == or_type) && f->path == path &&
             e.hdr.proc.tgid == static_cast<uint32_t>(getpid());
    });
  }

  std::unique_ptr<EventCollector> collector_;
  fs::path dir_, cwd_;
};

TEST_F(FileSensorTest, AbsoluteOpenCarriesFlagsModeAndTheDescriptor) {
  std::string path = (dir_ / "a.txt").string();
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0640);
  ASSERT_GE(fd, 0);
  close(fd);
  const Event* e = wait_file(EventType::kOpen, path, EventType::kOpenat);
  ASSERT_NE(e, nullptr);
  const FilePayload* f = e->as<FilePayload>();
  EXPECT_EQ(f->res, fd);
  EXPECT_EQ(f->flags & (O_CREAT | O_WRONLY | O_CLOEXEC), static_cast<uint32_t>(O_CREAT | O_WRONLY | O_CLOEXEC));
  EXPECT_EQ(f->mode, 0640u);
  EXPECT_FALSE(f->path_resolved);
  EXPECT_EQ(e->hdr.tid, static_cast<uint32_t>(gettid()));
}

TEST_F(FileSensorTest, RelativePathsAreJoinedToTheCwdAndToTheDirfd) {
  fs::current_path(dir_ / "models");
  int fd = open("model.gguf", O_CREAT | O_RDONLY, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  const Event* e = wait_file(EventType::kOpenat, (dir_ / "models" / "model.gguf").string());
  ASSERT_NE(e, nullptr) << "cd into a folder, open a relative name: the full path is seen";
  EXPECT_TRUE(e->as<FilePayload>()->path_resolved);

  int dirfd = open(dir_.c_str(), O_DIRECTORY | O_RDONLY);
  ASSERT_GE(dirfd, 0);
  fd = openat(dirfd, "models/../models/other.gguf", O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  e = wait_file(EventType::kOpenat, (dir_ / "models" / "other.gguf").string());
  ASSERT_NE(e, nullptr) << "relative to a dirfd, with '..' folded";
  EXPECT_TRUE(e->as<FilePayload>()->path_resolved);

  open_how how{};
  how.flags = O_RDONLY;
  fd = static_cast<int>(syscall(SYS_openat2, dirfd, "models/model.gguf", &how, sizeof(how)));
  ASSERT_GE(fd, 0);
  close(fd);
  e = wait_file(EventType::kOpenat2, (dir_ / "models" / "model.gguf").string());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->as<FilePayload>()->res, fd);
  close(dirfd);
}

TEST_F(FileSensorTest, AFailedOpenCarriesItsErrno) {
  std::string path = (dir_ / "missing").string();
  ASSERT_LT(open(path.c_str(), O_RDONLY), 0);
  const Event* e = wait_file(EventType::kOpenat, path);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->as<FilePayload>()->res, -ENOENT);
}

TEST_F(FileSensorTest, UnlinkRenameChmodChownAndMemfd) {
  std::string a = (dir_ / "a").string(), b = (dir_ / "b").string();
  int fd = open(a.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fchmod(fd, 0604), 0);
  ASSERT_EQ(fchownat(AT_FDCWD, a.c_str(), getuid(), getgid(), 0), 0);
  ASSERT_EQ(chmod(a.c_str(), 0644), 0);
  close(fd);
  ASSERT_EQ(renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_NOREPLACE), 0);
  ASSERT_EQ(unlink(b.c_str()), 0);
  int mfd = memfd_create("ztai-test", MFD_CLOEXEC);
  ASSERT_GE(mfd, 0);
  close(mfd);

  const Event* e = wait_file(EventType::kFchmod, a);
  ASSERT_NE(e, nullptr) << "fchmod: the path comes from the descriptor";
  EXPECT_EQ(e->as<FilePayload>()->mode, 0604u);
  e = wait_file(EventType::kFchownat, a);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->as<FilePayload>()->uid, getuid());
  EXPECT_EQ(e->as<FilePayload>()->gid, getgid());
  e = wait_file(EventType::kChmod, a, EventType::kFchmodat);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->as<FilePayload>()->mode, 0644u);
  e = wait_file(EventType::kRenameat2, a);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->as<FilePayload>()->path2, b);
  EXPECT_EQ(e->as<FilePayload>()->flags, static_cast<uint32_t>(RENAME_NOREPLACE));
  e = wait_file(EventType::kUnlink, b, EventType::kUnlinkat);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->as<FilePayload>()->res, 0);
  e = wait_file(EventType::kMemfdCreate, "memfd:ztai-test");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->as<FilePayload>()->res, mfd);
  EXPECT_EQ(e->as<FilePayload>()->flags, static_cast<uint32_t>(MFD_CLOEXEC));
}

TEST_F(FileSensorTest, PathsNoFilterNamesAreDroppedInTheKernelAndCounted) {
  auto before = collector_->programs().read_counters();
  ASSERT_TRUE(before);
  for (int i = 0; i < 100; ++i) close(open("/etc/hostname", O_RDONLY));
  std::string wanted = (dir_ / "marker").string();
  close(open(wanted.c_str(), O_CREAT | O_RDONLY, 0600));
  ASSERT_NE(wait_file(EventType::kOpenat, wanted), nullptr);
  for (const Event& e : collector_->events()) {
    const FilePayload* f = e.as<FilePayload>();
    if (f) {
      EXPECT_NE(f->path, "/etc/hostname") << "an unwanted path reached userspace";
    }
  }
  auto after = collector_->programs().read_counters();
  ASSERT_TRUE(after);
  EXPECT_GE(after->file_filtered - before->file_filtered, 100u);
}

TEST_F(FileSensorTest, ReloadingTheFilterSwitchesPathsOnAndOff) {
  std::string path = (dir_ / "x.bin").string();
  FileInterest only_gguf;
  only_gguf.enabled = true;
  only_gguf.patterns = {{PathPattern::Kind::kSuffix, ".gguf"}};
  ASSERT_TRUE(collector_->programs().file_filter().apply(only_gguf));
  close(open(path.c_str(), O_CREAT | O_RDONLY, 0600));
  std::string marker = (dir_ / "m.gguf").string();
  close(open(marker.c_str(), O_CREAT | O_RDONLY, 0600));
  ASSERT_NE(wait_file(EventType::kOpenat, marker), nullptr);
  for (const Event& e : collector_->events()) {
    const FilePayload* f = e.as<FilePayload>();
    if (f) {
      EXPECT_NE(f->path, path) << "the prefix entry was removed by the reload";
    }
  }
  FileInterest all;
  all.enabled = true;
  all.all_paths = true;
  ASSERT_TRUE(collector_->programs().file_filter().apply(all));
  close(open(path.c_str(), O_RDONLY));
  EXPECT_NE(wait_file(EventType::kOpenat, path), nullptr);
}

}  // namespace
}  // namespace ztai
