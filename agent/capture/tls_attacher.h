// Finds the files that do TLS in running processes and puts the TLS uprobes on them: libssl and
// libgnutls mapped in /proc/PID/maps, executables exporting SSL_write (node), Go binaries with
// crypto/tls. Files are seen through /proc/PID/root, so a container's copy of a library is found
// and probed like the host's, and each file (device + inode) is attached once.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "agent/capture/tls_targets.h"
#include "agent/common/result.h"

struct bpf_link;

namespace ztai {

class BpfPrograms;

// Per file: one attachment covers every process that maps the file, now and later; the kernel
// programs drop the processes outside the capture scope. Per process: only that process traps,
// at the price of one attachment per process and probe, made once the library is mapped.
enum class UprobeScope { kPerFile, kPerProcess };

class TlsAttacher {
 public:
  TlsAttacher(const BpfPrograms& programs, UprobeScope scope) : programs_(programs), scope_(scope) {}
  ~TlsAttacher();
  TlsAttacher(const TlsAttacher&) = delete;
  TlsAttacher& operator=(const TlsAttacher&) = delete;

  struct AttachedFile {
    std::string path;
    dev_t dev = 0;
    ino_t ino = 0;
    pid_t pid = -1;  // per-process attachments only
    TlsTargets targets;
  };

  // Attaches to one file if it holds TLS functions; returns the probes attached (0 when it has
  // none or is already attached). pid: the process the probes are scoped to (per-process mode),
  // and whose root the path is relative to; -1 for a host path in per-file mode.
  Result<size_t> attach_file(const std::string& path, pid_t pid = -1);
  // The process's executable and its mapped libssl/libgnutls.
  Result<size_t> scan_process(pid_t pid);
  // libssl and libgnutls in the host's library directories, so that processes started later are
  // captured from their first call.
  size_t attach_system_libraries();
  // Every process in /proc; per-process failures (a process that exited) are skipped, the others
  // logged.
  size_t scan_all_processes();

  const std::vector<AttachedFile>& files() const { return files_; }
  size_t link_count() const { return links_.size(); }

 private:
  using Key = std::tuple<dev_t, ino_t, pid_t>;

  const BpfPrograms& programs_;
  UprobeScope scope_;
  std::map<Key, bool> seen_;  // true: attached; false: checked and holds nothing to hook
  std::vector<AttachedFile> files_;
  std::vector<bpf_link*> links_;
};

}  // namespace ztai
