#include "agent/identity/exe_hasher.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <memory>

#include <fmt/format.h>

namespace ztai {
namespace {

// The kernel's dev_t (MAJOR << 20 | MINOR), as exec records carry it, in glibc's encoding.
dev_t user_dev(uint32_t kernel_dev) { return makedev(kernel_dev >> 20, kernel_dev & 0xfffff); }

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

int64_t mtime_ns(const struct stat& sb) {
  return static_cast<int64_t>(sb.st_mtim.tv_sec) * 1'000'000'000 + sb.st_mtim.tv_nsec;
}

}  // namespace

std::string sha256_of(int fd, uint64_t& bytes_read) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return {};
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) return {};
    if (n == 0) break;
    bytes_read += static_cast<uint64_t>(n);
    EVP_DigestUpdate(ctx.get(), buf, static_cast<size_t>(n));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) return {};
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

std::string_view exe_hash_status_name(ExeHashStatus s) {
  switch (s) {
    case ExeHashStatus::kPending: return "pending";
    case ExeHashStatus::kOk: return "ok";
    case ExeHashStatus::kDeleted: return "deleted";
    case ExeHashStatus::kModified: return "modified";
    case ExeHashStatus::kTooLarge: return "too_large";
    case ExeHashStatus::kUnreadable: return "unreadable";
  }
  return "pending";
}

ExeHasher::ExeHasher(ExeHasherSettings settings, MetricsRegistry& metrics)
    : settings_(std::move(settings)),
      hashed_(metrics.counter("ztai_exe_hashes_total", "Executables hashed (SHA-256)")),
      bytes_(metrics.counter("ztai_exe_hash_bytes_total", "Bytes read to hash executables")),
      dropped_(metrics.counter("ztai_exe_hash_dropped_total", "Executables not hashed because the queue was full")),
      unreadable_(metrics.counter("ztai_exe_hash_unreadable_total",
                                  "Executables that could not be read (process and path gone, or not the exec'd file)")),
      evicted_(metrics.counter("ztai_exe_hash_cache_evicted_total", "Hashes evicted at the cache cap")) {
  thread_ = std::thread([this] { run(); });
}

ExeHasher::~ExeHasher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ExeHasher::observe(const Event& event) {
  const ExecPayload* exec = event.as<ExecPayload>();
  if (!exec || exec->exe_ino == 0) return;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= settings_.queue_capacity) {
      dropped_.inc();
      return;
    }
    std::string path = !exec->filename.empty() && exec->filename[0] == '/' ? exec->filename : std::string();
    queue_.push_back({event.hdr.proc.tgid, exec->exe_dev, exec->exe_ino, std::move(path)});
  }
  wake_.notify_one();
}

ExeHash ExeHasher::lookup(uint32_t kernel_dev, uint64_t ino) const {
  std::lock_guard lock(mutex_);
  auto it = cache_.find({kernel_dev, ino});
  return it == cache_.end() ? ExeHash{} : it->second.hash;
}

void ExeHasher::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

void ExeHasher::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    process(job);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

void ExeHasher::process(const Job& job) {
  const dev_t want_dev = user_dev(job.dev);
  auto is_execd_file = [&](const struct stat& sb) { return sb.st_dev == want_dev && sb.st_ino == job.ino; };

  // The process's own image first: it is the exec'd inode even after a rename or unlink.
  std::string exe_link = fmt::format("{}/{}/exe", settings_.proc_root, job.tgid);
  FdCloser fd{open(exe_link.c_str(), O_RDONLY | O_CLOEXEC)};
  struct stat sb {};
  bool via_proc = fd.fd >= 0 && fstat(fd.fd, &sb) == 0 && is_execd_file(sb);
  if (!via_proc) {
    // Gone already (short-lived), or it exec'd again: the path, if it still names that inode.
    if (fd.fd >= 0) close(fd.fd);
    fd.fd = job.path.empty() ? -1 : open(job.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd.fd < 0 || fstat(fd.fd, &sb) != 0 || !is_execd_file(sb)) {
      unreadable_.inc();
      // A hash already known for this inode stays; only an unknown one becomes unreadable.
      bool known;
      {
        std::lock_guard lock(mutex_);
        known = cache_.count({job.dev, job.ino}) > 0;
      }
      if (!known) store(job.dev, job.ino, {ExeHashStatus::kUnreadable, {}}, 0, 0);
      return;
    }
  }

  ExeHashStatus flag = ExeHashStatus::kOk;
  if (via_proc) {
    char target[4096];
    ssize_t n = readlink(exe_link.c_str(), target, sizeof(target) - 1);
    std::string_view t(target, n > 0 ? static_cast<size_t>(n) : 0);
    if (t.ends_with(" (deleted)")) flag = ExeHashStatus::kDeleted;
  }

  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find({job.dev, job.ino});
    if (it != cache_.end() && it->second.size == static_cast<uint64_t>(sb.st_size) &&
        it->second.mtime_ns == mtime_ns(sb) && !it->second.hash.sha256.empty()) {
      it->second.hash.status = flag;
      return;  // same content as last time
    }
    if (it != cache_.end() && !it->second.hash.sha256.empty()) it->second.hash.status = ExeHashStatus::kModified;
  }
  if (static_cast<uint64_t>(sb.st_size) > settings_.max_file_bytes) {
    store(job.dev, job.ino, {ExeHashStatus::kTooLarge, {}}, sb.st_size, mtime_ns(sb));
    return;
  }
  uint64_t read_bytes = 0;
  std::string sha = sha256_of(fd.fd, read_bytes);
  bytes_.inc(read_bytes);
  if (sha.empty()) {
    unreadable_.inc();
    store(job.dev, job.ino, {ExeHashStatus::kUnreadable, {}}, sb.st_size, mtime_ns(sb));
    return;
  }
  hashed_.inc();
  store(job.dev, job.ino, {flag, std::move(sha)}, sb.st_size, mtime_ns(sb));
}

void ExeHasher::store(uint32_t dev, uint64_t ino, ExeHash hash, uint64_t size, int64_t mtime) {
  std::lock_guard lock(mutex_);
  FileKey k{dev, ino};
  auto it = cache_.find(k);
  if (it == cache_.end()) {
    while (cache_.size() >= settings_.cache_entries && !order_.empty()) {
      cache_.erase(order_.front());
      order_.pop_front();
      evicted_.inc();
    }
    order_.push_back(k);
    it = cache_.emplace(k, Entry{{}, 0, 0, std::prev(order_.end())}).first;
  }
  it->second.hash = std::move(hash);
  it->second.size = size;
  it->second.mtime_ns = mtime;
}

}  // namespace ztai
