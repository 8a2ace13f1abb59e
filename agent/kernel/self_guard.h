// The agent's watch over itself, with bpf/selfguard.bpf.c: tells the kernel which process is the
// agent and which BPF maps, programs and links are its own, so that another process's bpf(2) on
// them, signals, ptrace and process_vm_* on the agent are reported; and checks, on each call of
// check(), that the agent's links are still attached, for detachments the kernel side cannot see.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/common/result.h"
#include "agent/events/event.h"

namespace ztai {

class BpfPrograms;

// Signals reported when another process sends them to the agent: all that stop or end a process
// by default, except SIGHUP, which the agent takes as "reload its rules".
uint64_t selfguard_signal_mask();

class SelfGuard {
 public:
  // Protects `tgid` (the agent's pid) and registers every BPF object the calling process holds.
  static Result<std::unique_ptr<SelfGuard>> start(const BpfPrograms& programs, uint32_t tgid);

  // Registers the BPF objects opened since the last call (links made for new policies, uprobes)
  // and returns one event for each link found detached or given another program since the last
  // call. Such an event's header names no process: the actor is unknown.
  std::vector<Event> check();

  // Fills object_name when the object is one of the agent's.
  void name(SelfGuardPayload& p) const;

  size_t objects() const { return known_.size(); }

 private:
  struct Known {
    std::string name;
    uint32_t prog_id = 0;      // links: the program first seen behind it
    uint64_t attached_to = 0;  // links: cgroup id or netns inode first seen; 0 when the type has none
    bool reported = false;
  };
  SelfGuard(int objects_fd, uint32_t tgid) : objects_fd_(objects_fd), tgid_(tgid) {}
  void remember(SelfGuardObject kind, uint32_t id, Known known);
  std::vector<Event> scan();

  int objects_fd_;
  uint32_t tgid_;
  bool full_logged_ = false;
  std::map<std::pair<SelfGuardObject, uint32_t>, Known> known_;
};

}  // namespace ztai
