#include "agent/enforce/network_enforcer.h"

#include <algorithm>
#include <cstring>

#include "agent/enforce/egress_compiler.h"
#include "agent/enforce/fqdn_compiler.h"

namespace ztai::enforce {

std::string_view enforcement_state_name(EnforcementState s) {
  switch (s) {
    case EnforcementState::kEnforced: return "enforced";
    case EnforcementState::kPartial: return "partially_enforced";
    case EnforcementState::kNotEnforced: break;
  }
  return "not_enforced";
}

PolicyStatus assess_policy(const policy::WorkloadPolicy& p, const EnforceEnvironment& env, size_t cgroups) {
  PolicyStatus s;
  s.name = p.name;
  s.where = p.where;
  s.mode = p.mode;
  s.cgroups = cgroups;
  auto partial = [&](std::string why) {
    if (s.state == EnforcementState::kEnforced) s.state = EnforcementState::kPartial;
    s.reasons.push_back(std::move(why));
  };
  auto none = [&](std::string why) {
    s.state = EnforcementState::kNotEnforced;
    s.reasons.push_back(std::move(why));
  };
  if (!env.attached) none("the egress programs are not attached (the kernel lacks cgroup_sock_addr or attaching failed)");
  bool needs_pods = p.selector.needs_kubernetes() || p.selector.container_image.has_value();
  if (needs_pods && !env.kubernetes) {
    none("its selector needs Kubernetes pod metadata (k8s or container.image), which is not available");
  }
  if (needs_pods && env.hybrid_cgroups) {
    partial("cgroup v1 only: on this hybrid host containers of cgroupfs-driver runtimes share one cgroup v2 "
            "directory, which the kernel cannot tell apart");
  }
  if (!env.fqdn &&
      std::any_of(p.egress.allow.begin(), p.egress.allow.end(), [](const auto& r) { return r.fqdn.has_value(); })) {
    partial("fqdn rules are not enforced: the DNS answer programs (cgroup_skb) are not attached, so their names "
            "allow no address and traffic they allow is denied");
  }
  if (p.ingress.present && p.ingress.default_action == policy::DefaultAction::kDeny) {
    if (!env.segmented) {
      partial("ingress rules (segmentation) are not enforced: the kernel lacks cgroup_sock (post_bind, sock_release)");
    } else {
      if (!env.namespaces) {
        partial("ingress rules are enforced only for callers in the receiver's network namespace (loopback, host "
                "network): the addresses of this node's network namespaces are not listed");
      }
      if (!env.seeded) {
        partial("listeners bound before the agent started are not segmented until they bind again: the kernel "
                "lacks TCP/UDP socket iterators");
      }
      if (env.remote_pods) {
        partial("ingress rules are enforced at each caller's connect by the agent of the caller's node: callers on "
                "hosts that do not run ztai (outside the cluster) are not checked");
      } else {
        partial("ingress rules are enforced at the callers' connect on this node: callers on other hosts are not "
                "checked");
      }
    }
  }
  if (!env.inherit) partial("cgroups made after the policy load are covered only at the next reload");
  return s;
}

namespace {

ztai_egress_value value_of(const std::vector<ztai_port_range>& ranges) {
  ztai_egress_value v{};
  v.count = static_cast<uint32_t>(ranges.size());
  std::copy(ranges.begin(), ranges.end(), v.ranges);
  return v;
}

}  // namespace

Result<std::vector<PolicyStatus>> NetworkEnforcer::apply(const std::vector<policy::WorkloadPolicy>& policies,
                                                         const policy::PolicyTargets& targets,
                                                         const EnforceEnvironment& env) {
  std::vector<std::vector<EgressPrefix>> compiled;
  std::vector<std::vector<IngressEntry>> ingress;
  for (size_t i = 0; i < policies.size(); i++) {
    auto c = compile_egress(policies[i]);
    if (!c) return c.error();
    compiled.push_back(std::move(*c));
    auto in = compile_ingress(policies, i);
    if (!in) return in.error();
    ingress.push_back(std::move(*in));
  }
  auto current = maps_.generation();
  if (!current) return current.error();
  uint32_t next = *current ^ 1;
  // A previous apply that failed half-way may have left entries in the idle slot.
  if (auto st = maps_.clear_generation(next); !st) return st.error();
  if (fqdn_) {
    if (auto st = fqdn_->clear_generation(next); !st) return st.error();
  }
  auto fail = [&](const Error& e) -> Error {
    (void)maps_.clear_generation(next);
    if (fqdn_) (void)fqdn_->clear_generation(next);
    return e;
  };
  if (auto st = put_fqdn(policies, next); !st) return fail(st.error());
  for (size_t i = 0; i < policies.size(); i++) {
    uint32_t id = static_cast<uint32_t>(i + 1);
    for (const EgressPrefix& e : compiled[i]) {
      if (auto st = maps_.put_prefix(egress_key(e, id, next), value_of(e.ranges)); !st) return fail(st.error());
    }
    if (maps_.fds().ingress < 0) continue;  // not loaded: assess_policy says the rules are not enforced
    for (const IngressEntry& e : ingress[i]) {
      if (auto st = maps_.put_ingress({id << 1 | next, e.from_policy}, value_of(e.ranges)); !st) return fail(st.error());
    }
  }
  auto entry = [&](size_t index) {
    const policy::WorkloadPolicy& p = policies[index];
    ztai_policy_cgroup v{static_cast<uint32_t>(index + 1), 0};
    if (p.mode == policy::Mode::kAudit) v.flags |= ZTAI_POLICY_AUDIT;
    if (p.egress.present && p.egress.default_action == policy::DefaultAction::kDeny) v.flags |= ZTAI_POLICY_EGRESS;
    if (p.ingress.present && p.ingress.default_action == policy::DefaultAction::kDeny) v.flags |= ZTAI_POLICY_INGRESS;
    return v;
  };
  for (const auto& [cgroup, index] : targets.by_cgroup) {
    if (auto st = maps_.put_cgroup(cgroup, next, entry(index)); !st) return fail(st.error());
  }
  if (maps_.fds().remote_pods >= 0) {
    for (const auto& [address, index] : targets.remote_pods) {
      if (auto st = maps_.put_remote_pod(address, next, entry(index)); !st) return fail(st.error());
    }
  }
  auto loaded = std::make_shared<Loaded>();
  loaded->policies = policies;
  std::vector<PolicyStatus> status;
  for (size_t i = 0; i < policies.size(); i++) {
    status.push_back(assess_policy(policies[i], env, targets.matched_count.empty() ? 0 : targets.matched_count[i]));
  }
  {
    // Names first: a record of the new generation may arrive right after the flip.
    std::lock_guard lock(mutex_);
    slots_[next] = loaded;
  }
  if (auto st = maps_.set_generation(next); !st) return fail(st.error());
  // Programs that read the old generation before the flip may still be running; their records
  // keep their names because slots_[current] is replaced only by the next apply.
  if (auto st = maps_.clear_generation(*current); !st) return st.error();
  if (fqdn_) {
    if (auto st = fqdn_->clear_generation(*current); !st) return st.error();
  }
  std::lock_guard lock(mutex_);
  status_ = status;
  return status;
}

Status NetworkEnforcer::put_fqdn(const std::vector<policy::WorkloadPolicy>& policies, uint32_t generation) {
  if (!fqdn_) return {};
  for (size_t i = 0; i < policies.size(); i++) {
    std::string sig = fqdn_signature(policies[i]);
    if (sig.empty()) continue;
    auto names = compile_fqdn(policies[i]);
    if (!names) return names.error();
    auto it = fqdn_set_ids_.try_emplace(sig, fqdn_set_base_ + static_cast<uint32_t>(fqdn_set_ids_.size())).first;
    uint32_t id = static_cast<uint32_t>(i + 1);
    for (const FqdnName& n : *names) {
      ztai_egress_value v{};
      v.count = static_cast<uint32_t>(n.ranges.size());
      std::copy(n.ranges.begin(), n.ranges.end(), v.ranges);
      if (auto st = fqdn_->put_name(fqdn_key(n, id, generation), v); !st) return st;
    }
    if (auto st = fqdn_->put_set(id << 1 | (generation & 1), it->second); !st) return st;
  }
  return {};
}

Status NetworkEnforcer::clear() {
  if (auto st = maps_.clear_generation(0); !st) return st;
  if (auto st = maps_.clear_generation(1); !st) return st;
  if (fqdn_) {
    if (auto st = fqdn_->clear_generation(0); !st) return st;
    if (auto st = fqdn_->clear_generation(1); !st) return st;
  }
  std::lock_guard lock(mutex_);
  status_.clear();
  return {};
}

DenialNames NetworkEnforcer::describe(uint32_t generation, uint32_t policy_id, uint16_t rule) const {
  std::shared_ptr<const Loaded> loaded;
  {
    std::lock_guard lock(mutex_);
    loaded = slots_[generation & 1];
  }
  DenialNames n;
  n.rule = rule == ZTAI_POLICY_RULE_QUARANTINE ? "quarantine"
           : rule == ZTAI_POLICY_RULE_DEFAULT ? "egress.default"
           : rule == ZTAI_POLICY_RULE_INGRESS ? "ingress.default"
                                              : "";
  if (!loaded || policy_id == 0 || policy_id > loaded->policies.size()) return n;
  const policy::WorkloadPolicy& p = loaded->policies[policy_id - 1];
  n.policy = p.name;
  n.mode = std::string(policy::mode_name(p.mode));
  if (n.rule.empty() && rule < p.egress.allow.size()) n.rule = p.egress.allow[rule].name;
  return n;
}

std::vector<PolicyStatus> NetworkEnforcer::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

}  // namespace ztai::enforce
