// SHA-256 of every executed file, computed on a worker thread so the event path only looks up.
// The file is read through /proc/PID/exe (the very inode the process runs, even when the path was
// since replaced or deleted), or through the exec'd path when the process is already gone, and
// in both cases only when its device and inode are the ones the kernel saw at exec. Hashes are
// cached by device and inode and checked against size and mtime, so a binary modified in place
// is hashed again; the cache is bounded.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "agent/events/event.h"
#include "agent/pipeline/metrics.h"

namespace ztai {

enum class ExeHashStatus {
  kPending,     // queued, or not seen yet
  kOk,
  // Hashed, but since exec the file was deleted, or another was renamed over its path (a
  // package upgrade): the kernel then names the image "PATH (deleted)" either way.
  kDeleted,
  kModified,    // the file changed since it was hashed; the new content is being hashed
  kTooLarge,    // above identity.exe_hash.max_file_bytes
  kUnreadable,  // the process and its path were gone, or the file could not be read
};

std::string_view exe_hash_status_name(ExeHashStatus s);

// SHA-256 (lower-case hex) of an open file read to its end, or empty when it cannot be read;
// bytes_read grows by what was read. Also used to check binaries pinned by policies.
std::string sha256_of(int fd, uint64_t& bytes_read);

struct ExeHash {
  ExeHashStatus status = ExeHashStatus::kPending;
  std::string sha256;  // lower-case hex, empty unless hashed
};

struct ExeHasherSettings {
  uint64_t max_file_bytes = 256ull << 20;
  size_t cache_entries = 16384;
  size_t queue_capacity = 4096;
  std::string proc_root = "/proc";
};

class ExeHasher {
 public:
  ExeHasher(ExeHasherSettings settings, MetricsRegistry& metrics);
  ~ExeHasher();
  ExeHasher(const ExeHasher&) = delete;
  ExeHasher& operator=(const ExeHasher&) = delete;

  // Queues the executable of an exec event (dropped and counted when the queue is full).
  void observe(const Event& event);
  // What is known of the file the kernel identified by (dev, ino) at exec.
  ExeHash lookup(uint32_t kernel_dev, uint64_t ino) const;
  // Blocks until the queue is empty (tests and benchmarks).
  void drain();

 private:
  struct Job {
    uint32_t tgid;
    uint32_t dev;
    uint64_t ino;
    std::string path;
  };
  struct FileKey {
    uint32_t dev;
    uint64_t ino;
    bool operator==(const FileKey&) const = default;
  };
  struct FileKeyHash {
    size_t operator()(const FileKey& k) const noexcept { return std::hash<uint64_t>{}(k.ino * 31 + k.dev); }
  };
  struct Entry {
    ExeHash hash;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    std::list<FileKey>::iterator order_it;
  };
  void run();
  void process(const Job& job);
  void store(uint32_t dev, uint64_t ino, ExeHash hash, uint64_t size, int64_t mtime_ns);

  ExeHasherSettings settings_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool stop_ = false;
  std::unordered_map<FileKey, Entry, FileKeyHash> cache_;
  std::list<FileKey> order_;
  std::thread thread_;

  Counter& hashed_;
  Counter& bytes_;
  Counter& dropped_;
  Counter& unreadable_;
  Counter& evicted_;
};

}  // namespace ztai
