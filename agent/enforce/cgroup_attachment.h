// The egress programs attached to one cgroup v2 directory (the enforcement root, or a test's own
// cgroup) through BPF links with multi-attach semantics, so programs others attached there keep
// running. Destroying it detaches them, unless the links were pinned (enforcement.persist): each
// is then pinned as <hook>-<program name> and stays attached after the agent.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/enforce/egress_maps.h"
#include "agent/enforce/fqdn_maps.h"
#include "agent/kernel/bpf_programs.h"

namespace ztai::enforce {

struct EgressProgramFds {
  int connect4 = -1;
  int connect6 = -1;
  int sendmsg4 = -1;
  int sendmsg6 = -1;
  int fqdn_query = -1;   // cgroup_skb egress/ingress pair of fqdn rules; -1 when not loaded
  int fqdn_answer = -1;
  // Segmentation (optional: -1 when its family is off): bind/release bookkeeping and the ingress
  // check at connect, attached at the same cgroup so binders and callers are both seen.
  int bind4 = -1;
  int bind6 = -1;
  int release = -1;
  int seg_connect4 = -1;
  int seg_connect6 = -1;
  int seg_sendmsg4 = -1;
  int seg_sendmsg6 = -1;
  bool segmentation() const { return bind4 >= 0 || seg_connect4 >= 0; }
};

EgressProgramFds egress_program_fds(const BpfPrograms& programs);
// The maps those programs read, by their names in the loaded object (-1 for one not loaded).
EgressMapFds egress_map_fds(const BpfPrograms& programs);
FqdnMapFds fqdn_map_fds(const BpfPrograms& programs);

class CgroupAttachment {
 public:
  static Result<std::unique_ptr<CgroupAttachment>> attach(const EgressProgramFds& programs,
                                                          const std::string& cgroup_dir,
                                                          EnforcementPins* pins = nullptr);
  ~CgroupAttachment();
  CgroupAttachment(const CgroupAttachment&) = delete;
  CgroupAttachment& operator=(const CgroupAttachment&) = delete;

  const std::string& cgroup_dir() const { return cgroup_dir_; }
  const std::vector<int>& link_fds() const { return links_; }
  // The DNS answer programs of fqdn rules are attached too.
  bool fqdn() const { return fqdn_; }
  bool segmented() const { return segmented_; }

 private:
  explicit CgroupAttachment(std::string dir) : cgroup_dir_(std::move(dir)) {}
  std::string cgroup_dir_;
  std::vector<int> links_;
  bool fqdn_ = false;
  bool segmented_ = false;
};

}  // namespace ztai::enforce
