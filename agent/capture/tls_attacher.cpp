#include "agent/capture/tls_attacher.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <bpf/libbpf.h>

#include "agent/common/log.h"
#include "agent/kernel/bpf_programs.h"
#include "agent/kernel/link_teardown.h"

namespace ztai {
namespace {

bool is_tls_library(std::string_view path) {
  std::string_view base = path.substr(path.rfind('/') + 1);
  return base.starts_with("libssl.so") || base.starts_with("libgnutls.so");
}

}  // namespace

TlsAttacher::~TlsAttacher() { destroy_links(links_); }

Result<size_t> TlsAttacher::attach_file(const std::string& path, pid_t pid) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return make_error(ErrorCode::kNotFound, "{}: {}", path, strerror(errno));
  pid_t scope_pid = scope_ == UprobeScope::kPerProcess ? pid : -1;
  Key key{st.st_dev, st.st_ino, scope_pid};
  if (seen_.contains(key)) return size_t{0};

  auto elf = ElfFile::open(path);
  if (!elf) {
    seen_[key] = false;
    return elf.error();
  }
  auto targets = find_tls_targets(*elf);
  seen_[key] = false;
  if (!targets) return targets.error();
  if (targets->probes.empty()) return size_t{0};

  // All of a file's probes or none: a read hook without its return hook would only leak state.
  std::vector<bpf_link*> made;
  for (const UprobeSpec& p : targets->probes) {
    bpf_program* prog = programs_.program(p.program);
    if (!prog) {
      for (bpf_link* l : made) bpf_link__destroy(l);
      return make_error(ErrorCode::kUnsupported, "{}: the {} program is not loaded", path, p.program);
    }
    LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = p.retprobe);
    bpf_link* link = bpf_program__attach_uprobe_opts(prog, scope_pid, path.c_str(), p.offset, &opts);
    if (!link) {
      int err = errno;
      for (bpf_link* l : made) bpf_link__destroy(l);
      return make_error(ErrorCode::kKernel, "{}: uprobe on {}+{:#x} failed: {}", path, p.symbol, p.offset, strerror(err));
    }
    made.push_back(link);
  }
  links_.insert(links_.end(), made.begin(), made.end());
  seen_[key] = true;
  files_.push_back({path, st.st_dev, st.st_ino, scope_pid, std::move(*targets)});
  log::info("TLS capture on {} ({} probes{})", path, made.size(),
            scope_pid > 0 ? fmt::format(", pid {}", scope_pid) : std::string());
  return made.size();
}

Result<size_t> TlsAttacher::scan_process(pid_t pid) {
  std::string proc = fmt::format("/proc/{}", pid);
  std::ifstream maps(proc + "/maps");
  if (!maps) return make_error(ErrorCode::kNotFound, "{}/maps: {}", proc, strerror(errno));
  std::set<std::string> candidates;
  std::string line;
  while (std::getline(maps, line)) {
    size_t slash = line.find('/');
    if (slash == std::string::npos || line.ends_with(" (deleted)")) continue;
    std::string path = line.substr(slash);
    if (is_tls_library(path)) candidates.insert(path);
  }
  size_t attached = 0;
  // The executable: node links OpenSSL in, Go binaries carry crypto/tls.
  auto exe = attach_file(proc + "/exe", pid);
  if (exe) attached += *exe;
  else if (exe.error().code() != ErrorCode::kInvalidArgument) log::debug("{}", exe.error().message());
  for (const std::string& path : candidates) {
    auto n = attach_file(proc + "/root" + path, pid);
    if (!n) return n.error();
    attached += *n;
  }
  return attached;
}

size_t TlsAttacher::attach_system_libraries() {
  size_t attached = 0;
  for (const char* dir : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/usr/lib",
                          "/usr/local/lib"}) {
    DIR* d = opendir(dir);
    if (!d) continue;
    while (dirent* e = readdir(d)) {
      std::string path = std::string(dir) + "/" + e->d_name;
      // Only a versioned library (libssl.so.3), not the development symlink that points to it.
      if (!is_tls_library(path) || std::string_view(e->d_name).ends_with(".so")) continue;
      auto n = attach_file(path);
      if (n) attached += *n;
      else log::warn("TLS capture: {}", n.error().message());
    }
    closedir(d);
  }
  return attached;
}

size_t TlsAttacher::scan_all_processes() {
  size_t attached = 0;
  DIR* dir = opendir("/proc");
  if (!dir) return 0;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long pid = strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end) continue;
    auto n = scan_process(static_cast<pid_t>(pid));
    if (n) attached += *n;
    else if (n.error().code() != ErrorCode::kNotFound) log::warn("TLS capture: pid {}: {}", pid, n.error().message());
  }
  closedir(dir);
  return attached;
}

}  // namespace ztai
