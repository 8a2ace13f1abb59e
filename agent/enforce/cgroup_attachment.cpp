#include "agent/enforce/cgroup_attachment.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <bpf/bpf.h>
#include <fmt/format.h>

#include "agent/common/log.h"

namespace ztai::enforce {

EgressProgramFds egress_program_fds(const BpfPrograms& programs) {
  return {programs.program_fd("egress_connect4"), programs.program_fd("egress_connect6"),
          programs.program_fd("egress_sendmsg4"), programs.program_fd("egress_sendmsg6"),
          programs.program_fd("fqdn_query"), programs.program_fd("fqdn_answer"),
          programs.program_fd("seg_bind4"), programs.program_fd("seg_bind6"),
          programs.program_fd("seg_release"), programs.program_fd("seg_connect4"),
          programs.program_fd("seg_connect6"), programs.program_fd("seg_sendmsg4"),
          programs.program_fd("seg_sendmsg6")};
}

EgressMapFds egress_map_fds(const BpfPrograms& programs) {
  return {programs.map_fd("ztai_policy_state"), programs.map_fd("ztai_policy_cgroups"),
          programs.map_fd("ztai_egress_prefixes"), programs.map_fd("ztai_quarantine"),
          programs.map_fd("ztai_ingress_allow"), programs.map_fd("ztai_remote_pods")};
}

FqdnMapFds fqdn_map_fds(const BpfPrograms& programs) {
  return {programs.map_fd("ztai_fqdn_names"),     programs.map_fd("ztai_fqdn_sets"),
          programs.map_fd("ztai_fqdn_allowed"),   programs.map_fd("ztai_dns_resolvers"),
          programs.map_fd("ztai_fqdn_config"),    programs.map_fd("ztai_fqdn_counters")};
}

Result<std::unique_ptr<CgroupAttachment>> CgroupAttachment::attach(const EgressProgramFds& programs,
                                                                   const std::string& cgroup_dir,
                                                                   EnforcementPins* pins) {
  std::unique_ptr<CgroupAttachment> self(new CgroupAttachment(cgroup_dir));
  int cg = open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg < 0) return make_error(ErrorCode::kIo, "{}: cannot open the cgroup: {}", cgroup_dir, strerror(errno));
  struct Hook {
    int prog;
    bpf_attach_type type;
    const char* name;
  };
  const Hook hooks[] = {{programs.connect4, BPF_CGROUP_INET4_CONNECT, "connect4"},
                        {programs.connect6, BPF_CGROUP_INET6_CONNECT, "connect6"},
                        {programs.sendmsg4, BPF_CGROUP_UDP4_SENDMSG, "sendmsg4"},
                        {programs.sendmsg6, BPF_CGROUP_UDP6_SENDMSG, "sendmsg6"}};
  // A link, pinned with persist so that the program keeps enforcing while the agent restarts.
  auto link = [&](int prog, bpf_attach_type type, const char* name) -> Result<int> {
    int fd = bpf_link_create(prog, cg, type, nullptr);
    if (fd < 0) {
      return make_error(ErrorCode::kKernel, "{}: attaching cgroup/{} failed: {}", cgroup_dir, name, strerror(errno));
    }
    self->links_.push_back(fd);
    if (pins && pins->persist()) {
      bpf_prog_info info{};
      __u32 len = sizeof(info);
      bpf_obj_get_info_by_fd(prog, &info, &len);
      if (Status s = pins->pin_link(fd, fmt::format("{}-{}", name, info.name)); !s) return s.error();
    }
    return fd;
  };
  for (const Hook& h : hooks) {
    if (h.prog < 0) {
      close(cg);
      return make_error(ErrorCode::kUnsupported, "the egress {} program is not loaded (cgroup_sock_addr missing)",
                        h.name);
    }
    if (auto l = link(h.prog, h.type, h.name); !l) {
      close(cg);
      return l.error();
    }
  }
  // Without them fqdn rules allow nothing, which the policy status says (assess_policy).
  if (programs.fqdn_query >= 0 && programs.fqdn_answer >= 0) {
    auto query = link(programs.fqdn_query, BPF_CGROUP_INET_EGRESS, "skb_egress");
    auto answer = query ? link(programs.fqdn_answer, BPF_CGROUP_INET_INGRESS, "skb_ingress") : query;
    self->fqdn_ = query && answer;
    if (!self->fqdn_) log::warn("{}; fqdn rules allow nothing", (query ? answer : query).error().message());
  }
  // Without them ingress rules are not enforced, which the policy status says (assess_policy).
  if (programs.segmentation()) {
    const Hook seg[] = {{programs.bind4, BPF_CGROUP_INET4_POST_BIND, "post_bind4"},
                        {programs.bind6, BPF_CGROUP_INET6_POST_BIND, "post_bind6"},
                        {programs.release, BPF_CGROUP_INET_SOCK_RELEASE, "sock_release"},
                        {programs.seg_connect4, BPF_CGROUP_INET4_CONNECT, "connect4"},
                        {programs.seg_connect6, BPF_CGROUP_INET6_CONNECT, "connect6"},
                        {programs.seg_sendmsg4, BPF_CGROUP_UDP4_SENDMSG, "sendmsg4"},
                        {programs.seg_sendmsg6, BPF_CGROUP_UDP6_SENDMSG, "sendmsg6"}};
    self->segmented_ = true;
    for (const Hook& h : seg) {
      auto l = h.prog >= 0 ? link(h.prog, h.type, h.name)
                           : Result<int>(make_error(ErrorCode::kUnsupported, "the {} segmentation program is not loaded",
                                                    h.name));
      if (!l) {
        log::warn("{}; ingress rules are not enforced", l.error().message());
        self->segmented_ = false;
        break;
      }
    }
  }
  close(cg);
  return self;
}

CgroupAttachment::~CgroupAttachment() {
  for (int fd : links_) close(fd);
}

}  // namespace ztai::enforce
