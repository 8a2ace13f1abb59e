// The process and file sections of the loaded WorkloadPolicies in a running agent: builds the
// plans (process_plan.h), keeps the exec guard's tables and the protected-file guard current, names
// denials, and says what cannot be enforced on this host. Called by the policy service on every
// load and re-resolution, next to the network enforcer.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/enforce/file_guard.h"
#include "agent/enforce/process_guard.h"
#include "agent/enforce/process_plan.h"
#include "agent/kernel/bpf_programs.h"

namespace ztai::enforce {

struct ProcessEnforcerSettings {
  std::string cgroup_mount;
  uint32_t self_tgid = 0;
  size_t file_cache_entries = 4096;
  size_t max_pending_denials = 4096;  // file denials waiting for the event loop; more are counted
};

class ProcessEnforcer {
 public:
  ProcessEnforcer(ProcessEnforcerSettings settings, const BpfPrograms& programs);

  // Applies the process and file parts of every policy. The file guard starts with the first
  // policy that protects files (fanotify needs CAP_SYS_ADMIN).
  Status apply(const std::vector<policy::WorkloadPolicy>& policies, const policy::PolicyTargets& targets,
               const std::vector<policy::CgroupFacts>& cgroups);
  // Why a policy's process or file sections are not (fully) enforced here, one sentence each.
  std::vector<std::string> unenforced(const policy::WorkloadPolicy& p) const;
  // Fills the policy and rule names of a denial.
  void name(GuardDenialPayload& d) const;
  // File denials reported since the last call (the guard answers on its own thread); the count
  // of those dropped because the event loop fell behind.
  std::vector<Event> take_file_denials(uint64_t& dropped);

 private:
  ProcessEnforcerSettings settings_;
  std::unique_ptr<ProcessGuard> process_;  // null when the guard family did not load
  std::string process_unavailable_;
  std::unique_ptr<FileGuard> files_;
  std::string files_unavailable_;
  mutable std::mutex mutex_;
  GuardNames names_;
  std::deque<Event> pending_;
  uint64_t dropped_ = 0;
};

}  // namespace ztai::enforce
