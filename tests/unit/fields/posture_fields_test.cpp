#include "agent/fields/posture_fields.h"

#include <gtest/gtest.h>

#include "agent/identity/process_table.h"
#include "agent/identity/workload.h"

namespace ztai {
namespace {

constexpr uint64_t kAllCaps = (1ull << 41) - 1;
constexpr uint64_t kSysAdmin = 1ull << 21;
constexpr uint64_t kDockerDefault = 0xa80425fb;  // docker's default set, without CAP_SYS_ADMIN

class PostureFieldsTest : public ::testing::Test {
 protected:
  PostureFieldsTest() {
    Posture host{kAllCaps, kAllCaps, kAllCaps, 4026531836, 4026531840, 4026531841, 0, false};
    exec(init_, host);
  }

  const ProcessInfo* exec(ProcKey who, Posture p, uint32_t euid = 0) {
    ExecPayload x;
    x.filename = "/bin/sh";
    x.euid = euid;
    x.posture = p;
    return table_.apply(Event{EventHeader{EventType::kExec, 0, who.tgid, 0, who, 7}, x});
  }

  FieldValue one(const ProcessInfo* proc, const WorkloadIdentity* w, const std::string& name) {
    Event event{};
    EventContext ctx{event, proc, table_, clock_, w};
    FieldList l = extract_fields(builtin_fields(), ctx, {name});
    return l.empty() ? FieldValue() : l[0].second;
  }

  static WorkloadIdentity container() {
    WorkloadIdentity w;
    w.cgroup.container_id = std::string(64, 'a');
    w.resolution = Resolution::kResolved;
    return w;
  }

  MetricsRegistry metrics_;
  ProcessTable table_{{}, "host", metrics_};
  BootClock clock_;
  ProcKey init_{1, 1}, app_{20, 2000};
};

TEST_F(PostureFieldsTest, CapabilitiesByName) {
  EXPECT_EQ(capability_names(0), std::vector<std::string>{});
  EXPECT_EQ(capability_names((1ull << 0) | (1ull << 21) | (1ull << 40) | (1ull << 50)),
            (std::vector<std::string>{"CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE", "CAP_50"}));
  const ProcessInfo* p = exec(app_, {.cap_effective = (1ull << 12) | (1ull << 13)});
  WorkloadIdentity w = container();
  EXPECT_EQ(std::get<std::vector<std::string>>(one(p, &w, "proc.caps_eff")),
            (std::vector<std::string>{"CAP_NET_ADMIN", "CAP_NET_RAW"}));
}

TEST_F(PostureFieldsTest, RootSeccompAndNoNewPrivs) {
  const ProcessInfo* p = exec(app_, {.seccomp = 2, .no_new_privs = true}, /*euid=*/1000);
  EXPECT_FALSE(std::get<bool>(one(p, nullptr, "proc.is_root")));
  EXPECT_EQ(std::get<std::string>(one(p, nullptr, "proc.seccomp")), "filter");
  EXPECT_TRUE(std::get<bool>(one(p, nullptr, "proc.nnp")));
  const ProcessInfo* root = exec(app_, {});
  EXPECT_TRUE(std::get<bool>(one(root, nullptr, "proc.is_root")));
  EXPECT_EQ(std::get<std::string>(one(root, nullptr, "proc.seccomp")), "disabled");
}

TEST_F(PostureFieldsTest, PrivilegedMeansTheHostsBoundingSetAndSysAdmin) {
  WorkloadIdentity w = container();
  const ProcessInfo* privileged = exec(app_, {kAllCaps, kAllCaps, kAllCaps, 1, 2, 3, 0, false});
  EXPECT_TRUE(std::get<bool>(one(privileged, &w, "container.privileged")));
  const ProcessInfo* plain = exec(app_, {kDockerDefault, kDockerDefault, kDockerDefault, 1, 2, 3, 2, false});
  EXPECT_FALSE(std::get<bool>(one(plain, &w, "container.privileged")));
  const ProcessInfo* dropped = exec(app_, {kAllCaps & ~kSysAdmin, kAllCaps, kAllCaps, 1, 2, 3, 0, false});
  EXPECT_FALSE(std::get<bool>(one(dropped, &w, "container.privileged"))) << "full bounding set, no CAP_SYS_ADMIN";
  WorkloadIdentity host;
  host.resolution = Resolution::kHost;
  EXPECT_FALSE(std::get<bool>(one(privileged, &host, "container.privileged"))) << "not a container";
}

TEST_F(PostureFieldsTest, SharedHostNamespaces) {
  WorkloadIdentity w = container();
  const ProcessInfo* host_net = exec(app_, {.pid_ns = 99, .net_ns = 4026531840, .mnt_ns = 98});
  EXPECT_FALSE(std::get<bool>(one(host_net, &w, "container.host_pid")));
  EXPECT_TRUE(std::get<bool>(one(host_net, &w, "container.host_net")));
  EXPECT_FALSE(std::get<bool>(one(host_net, &w, "container.host_mnt")));
  const ProcessInfo* unknown = exec(app_, {.pid_ns = 0});
  EXPECT_TRUE(std::holds_alternative<std::monostate>(one(unknown, &w, "container.host_pid")))
      << "an unknown namespace is no answer, not false";
}

TEST_F(PostureFieldsTest, NoPostureNoValues) {
  EXPECT_TRUE(std::holds_alternative<std::monostate>(one(nullptr, nullptr, "proc.caps_eff")));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(one(nullptr, nullptr, "proc.is_root")));
  MetricsRegistry m;
  ProcessTable empty{{}, "host", m};
  Event event{};
  ExecPayload x;
  x.posture = {kAllCaps, kAllCaps, kAllCaps, 1, 2, 3, 0, false};
  const ProcessInfo* p = empty.apply(Event{EventHeader{EventType::kExec, 0, 5, 0, {5, 5}, 7}, x});
  EventContext ctx{event, p, empty, clock_};
  WorkloadIdentity w = container();
  ctx.workload = &w;
  FieldList l = extract_fields(builtin_fields(), ctx, {"container.privileged", "container.host_net"});
  EXPECT_TRUE(std::holds_alternative<std::monostate>(l[0].second)) << "no PID 1 in the table: no host reference";
  EXPECT_TRUE(std::holds_alternative<std::monostate>(l[1].second));
}

}  // namespace
}  // namespace ztai
