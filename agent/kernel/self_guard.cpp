#include "agent/kernel/self_guard.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <bpf/bpf.h>

#include "agent/common/clock.h"
#include "agent/common/log.h"
#include "agent/kernel/bpf_programs.h"
#include "bpf/abi/selfguard.h"

namespace ztai {
namespace {

// The anonymous inode names bpf(2) gives its descriptors (kernel/bpf/syscall.c); links were
// "bpf_link" before 6.x kernels named them "bpf-link".
SelfGuardObject kind_of_link_target(std::string_view target) {
  if (target == "anon_inode:bpf-map") return SelfGuardObject::kMap;
  if (target == "anon_inode:bpf-prog") return SelfGuardObject::kProg;
  if (target == "anon_inode:bpf-link" || target == "anon_inode:bpf_link") return SelfGuardObject::kLink;
  return SelfGuardObject::kNone;
}

uint64_t link_attachment(const bpf_link_info& info) {
  switch (info.type) {
    case BPF_LINK_TYPE_CGROUP: return info.cgroup.cgroup_id;
    case BPF_LINK_TYPE_NETNS: return info.netns.netns_ino;
    case BPF_LINK_TYPE_XDP: return info.xdp.ifindex;
    default: return 0;
  }
}

}  // namespace

uint64_t selfguard_signal_mask() {
  uint64_t mask = 0;
  for (int sig = 1; sig < 64; ++sig) mask |= 1ull << sig;
  // Ignored by default (they stop or end nothing), and SIGHUP, the agent's reload.
  for (int sig : {SIGHUP, SIGCHLD, SIGCONT, SIGURG, SIGWINCH}) mask &= ~(1ull << sig);
  return mask;
}

Result<std::unique_ptr<SelfGuard>> SelfGuard::start(const BpfPrograms& programs, uint32_t tgid) {
  int config_fd = programs.map_fd("selfguard_config");
  int objects_fd = programs.map_fd("selfguard_objects");
  if (config_fd < 0 || objects_fd < 0) {
    return make_error(ErrorCode::kKernel, "the BPF object has no self-protection maps");
  }
  std::unique_ptr<SelfGuard> self(new SelfGuard(objects_fd, tgid));
  self->scan();  // the objects first, so no write to them goes unreported once the tgid is set
  ztai_selfguard_config cfg{};
  cfg.protected_tgid = tgid;
  struct stat ns {};
  if (stat(fmt::format("/proc/{}/ns/pid", tgid).c_str(), &ns) == 0) cfg.pid_ns = static_cast<__u32>(ns.st_ino);
  cfg.signals = selfguard_signal_mask();
  __u32 zero = 0;
  if (bpf_map_update_elem(config_fd, &zero, &cfg, BPF_ANY) != 0) {
    return make_error(ErrorCode::kKernel, "writing the self-protection settings failed: {}", strerror(errno));
  }
  return self;
}

void SelfGuard::remember(SelfGuardObject kind, uint32_t id, Known known) {
  ztai_selfguard_key key{static_cast<__u32>(kind), id};
  __u8 one = 1;
  if (bpf_map_update_elem(objects_fd_, &key, &one, BPF_ANY) != 0 && !full_logged_) {
    full_logged_ = true;
    log::warn("self-protection: {} {} cannot be registered ({}): writes to it by other processes go unreported",
              selfguard_object_name(kind), id, strerror(errno));
  }
  known_.emplace(std::pair{kind, id}, std::move(known));
}

std::vector<Event> SelfGuard::scan() {
  std::vector<Event> found;
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) {
    log::warn("self-protection: cannot list /proc/self/fd: {}", strerror(errno));
    return found;
  }
  int own = dirfd(dir);
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long fd = strtol(e->d_name, &end, 10);
    if (*end != '\0' || e->d_name[0] == '\0' || fd == own) continue;
    char target[64];
    std::string path = fmt::format("/proc/self/fd/{}", fd);
    ssize_t n = readlink(path.c_str(), target, sizeof(target));
    if (n <= 0 || n == sizeof(target)) continue;
    SelfGuardObject kind = kind_of_link_target(std::string_view(target, static_cast<size_t>(n)));
    uint32_t id = 0;
    Known k;
    bpf_link_info link{};
    if (kind == SelfGuardObject::kMap) {
      bpf_map_info info{};
      __u32 len = sizeof(info);
      if (bpf_obj_get_info_by_fd(static_cast<int>(fd), &info, &len) != 0) continue;
      id = info.id;
      k.name = info.name;
    } else if (kind == SelfGuardObject::kProg) {
      bpf_prog_info info{};
      __u32 len = sizeof(info);
      if (bpf_obj_get_info_by_fd(static_cast<int>(fd), &info, &len) != 0) continue;
      id = info.id;
      k.name = info.name;
    } else if (kind == SelfGuardObject::kLink) {
      __u32 len = sizeof(link);
      if (bpf_obj_get_info_by_fd(static_cast<int>(fd), &link, &len) != 0) continue;
      id = link.id;
      k.prog_id = link.prog_id;
      k.attached_to = link_attachment(link);
    } else {
      continue;
    }
    auto it = known_.find({kind, id});
    if (it == known_.end()) {
      if (kind == SelfGuardObject::kLink) {
        // A link is named after its program, as `bpftool link` shows it.
        auto prog = known_.find({SelfGuardObject::kProg, link.prog_id});
        if (prog != known_.end()) k.name = prog->second.name;
      }
      remember(kind, id, std::move(k));
      continue;
    }
    if (kind != SelfGuardObject::kLink || it->second.reported) continue;
    bool detached = it->second.attached_to != 0 && link_attachment(link) == 0;
    bool replaced = link.prog_id != it->second.prog_id;
    if (!detached && !replaced) continue;
    it->second.reported = true;
    Event ev;
    ev.hdr.type = EventType::kSelfGuard;
    ev.hdr.boot_ns = BootClock::now_boot_ns();
    SelfGuardPayload p;
    p.action = detached ? SelfGuardAction::kLinkDetached : SelfGuardAction::kLinkReplaced;
    p.object = SelfGuardObject::kLink;
    p.target_tgid = tgid_;
    p.object_id = id;
    p.object_name = it->second.name;
    ev.payload = std::move(p);
    found.push_back(std::move(ev));
  }
  closedir(dir);
  return found;
}

std::vector<Event> SelfGuard::check() { return scan(); }

void SelfGuard::name(SelfGuardPayload& p) const {
  if (p.object == SelfGuardObject::kNone || !p.object_name.empty()) return;
  if (auto it = known_.find({p.object, p.object_id}); it != known_.end()) p.object_name = it->second.name;
}

}  // namespace ztai
