#include "agent/enforce/process_enforcer.h"

#include <algorithm>

#include "agent/common/log.h"

namespace ztai::enforce {

ProcessEnforcer::ProcessEnforcer(ProcessEnforcerSettings settings, const BpfPrograms& programs)
    : settings_(std::move(settings)) {
  if (!programs.family_loaded("guard")) {
    process_unavailable_ = "the exec and io_uring guard did not load on this kernel (it needs bpf_send_signal)";
    return;
  }
  auto guard = ProcessGuard::start(programs.guard_maps());
  if (!guard) {
    process_unavailable_ = guard.error().message();
    return;
  }
  process_ = std::move(*guard);
}

Status ProcessEnforcer::apply(const std::vector<policy::WorkloadPolicy>& policies,
                              const policy::PolicyTargets& targets, const std::vector<policy::CgroupFacts>& cgroups) {
  ProcessPlans plans = build_process_plans(policies, targets, cgroups, settings_.cgroup_mount);
  if (process_) {
    if (Status s = process_->apply(std::move(plans.process)); !s) return s;
  }
  bool protects_files = std::any_of(plans.files.policies.begin(), plans.files.policies.end(),
                                    [](const FilePolicy& f) { return !f.deny.empty(); });
  if (!files_ && protects_files && files_unavailable_.empty()) {
    FileGuardSettings fs;
    fs.cgroup2_mount = settings_.cgroup_mount;
    fs.cache_entries = settings_.file_cache_entries;
    fs.self_tgid = settings_.self_tgid;
    auto guard = FileGuard::start(fs, [this](Event e) {
      std::lock_guard lock(mutex_);
      if (pending_.size() >= settings_.max_pending_denials) {
        dropped_++;
        return;
      }
      pending_.push_back(std::move(e));
    });
    if (guard) {
      files_ = std::move(*guard);
    } else {
      files_unavailable_ = guard.error().message();
      log::error("protected files are not enforced: {}", files_unavailable_);
    }
  }
  if (files_) {
    if (Status s = files_->apply(std::move(plans.files)); !s) return s;
  }
  std::lock_guard lock(mutex_);
  names_ = std::move(plans.names);
  return {};
}

std::vector<std::string> ProcessEnforcer::unenforced(const policy::WorkloadPolicy& p) const {
  std::vector<std::string> out;
  const policy::ProcessSpecs& s = p.process;
  if ((s.exec.present || s.io_uring_deny || !s.unix_sockets.deny.empty()) && !process_) {
    out.push_back(fmt::format("exec, io_uring and unix rules are not enforced: {}", process_unavailable_));
  } else if (!s.unix_sockets.deny.empty() && !process_->unix_enforced()) {
    out.push_back("unix socket rules are not enforced: the kernel has no cgroup/connect_unix hook (6.7+)");
  }
  if (!s.files.deny.empty() && !files_unavailable_.empty()) {
    out.push_back(fmt::format("protected files are not enforced: {}", files_unavailable_));
  }
  if (process_) {
    for (const std::string& note : process_->notes()) {
      if (note.rfind("policy " + p.name + " ", 0) == 0) out.push_back(note);
    }
  }
  return out;
}

void ProcessEnforcer::name(GuardDenialPayload& d) const {
  std::lock_guard lock(mutex_);
  names_.name(d);
}

std::vector<Event> ProcessEnforcer::take_file_denials(uint64_t& dropped) {
  std::lock_guard lock(mutex_);
  std::vector<Event> out(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
  pending_.clear();
  dropped = dropped_;
  dropped_ = 0;
  return out;
}

}  // namespace ztai::enforce
