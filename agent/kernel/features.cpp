#include "agent/kernel/features.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include "agent/kernel/guard_maps.h"

namespace ztai {
namespace {

// r0 = 0; exit
const bpf_insn kReturnZero[] = {
    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
};

std::string load_error(int err) {
  if (err == EPERM || err == EACCES) {
    return "the kernel refuses this program type (EPERM): it is forbidden here (lockdown or policy), "
           "not a memory limit";
  }
  return fmt::format("the kernel cannot load it: {}", strerror(err));
}

// Loads a program attached by BTF id (tp_btf, fentry, lsm) against a vmlinux type.
Feature probe_btf_attach(const char* name, const btf* vmlinux, bpf_prog_type type, bpf_attach_type attach,
                         const char* target, int kind) {
  Feature f{name, false, ""};
  if (!vmlinux) {
    f.detail = "needs kernel BTF (/sys/kernel/btf/vmlinux)";
    return f;
  }
  int id = btf__find_by_name_kind(vmlinux, target, kind);
  if (id < 0) {
    f.detail = fmt::format("the kernel has no {} to attach to", target);
    return f;
  }
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach, .attach_btf_id = static_cast<__u32>(id));
  int fd = bpf_prog_load(type, nullptr, "GPL", kReturnZero, 2, &opts);
  if (fd < 0) {
    f.detail = load_error(errno);
    return f;
  }
  close(fd);
  f.available = true;
  return f;
}

Feature probe_prog_type(const char* name, bpf_prog_type type) {
  int r = libbpf_probe_bpf_prog_type(type, nullptr);
  return {name, r == 1, r == 1 ? "" : r == 0 ? "not supported by this kernel" : load_error(-r)};
}

Feature probe_perf_pmu(const char* name, const char* pmu) {
  std::string path = fmt::format("/sys/bus/event_source/devices/{}/type", pmu);
  bool ok = access(path.c_str(), R_OK) == 0;
  return {name, ok, ok ? "" : fmt::format("not built into this kernel ({} is missing)", path)};
}

}  // namespace

bool KernelFeatures::has(std::string_view name) const {
  const Feature* f = find(name);
  return f && f->available;
}

const Feature* KernelFeatures::find(std::string_view name) const {
  for (const Feature& f : features) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

KernelFeatures probe_kernel_features() {
  KernelFeatures out;
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) {
    out.features.push_back({"btf", false, "the kernel has no BTF at /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF)"});
  } else {
    out.features.push_back({"btf", true, ""});
  }
  out.features.push_back(probe_prog_type("tracepoint", BPF_PROG_TYPE_TRACEPOINT));
  out.features.push_back(probe_prog_type("raw_tracepoint", BPF_PROG_TYPE_RAW_TRACEPOINT));
  out.features.push_back(probe_btf_attach("tp_btf", vmlinux, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP,
                                          "btf_trace_sched_process_exec", BTF_KIND_TYPEDEF));
  // sock:sock_send_length/sock_recv_length (6.3+) fire inside every socket send and receive.
  out.features.push_back(probe_btf_attach("sock_length_tp", vmlinux, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP,
                                          "btf_trace_sock_send_length", BTF_KIND_TYPEDEF));
  out.features.push_back(
      probe_btf_attach("fentry", vmlinux, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "vfs_read", BTF_KIND_FUNC));
  out.features.push_back(
      probe_btf_attach("lsm", vmlinux, BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_open", BTF_KIND_FUNC));
  out.features.push_back(probe_perf_pmu("kprobe", "kprobe"));
  out.features.push_back(probe_perf_pmu("uprobe", "uprobe"));
  out.features.push_back(probe_prog_type("cgroup_sock_addr", BPF_PROG_TYPE_CGROUP_SOCK_ADDR));
  out.features.push_back(probe_prog_type("cgroup_skb", BPF_PROG_TYPE_CGROUP_SKB));
  out.features.push_back(probe_prog_type("cgroup_sock", BPF_PROG_TYPE_CGROUP_SOCK));
  {
    // Quarantine aborts connections from a TCP iterator with the bpf_sock_destroy kfunc (6.5+);
    // a kfunc is known by its BTF, and the object fails to load where it is missing.
    bool ok = vmlinux && btf__find_by_name_kind(vmlinux, "bpf_sock_destroy", BTF_KIND_FUNC) >= 0 &&
              btf__find_by_name_kind(vmlinux, "bpf_iter__tcp", BTF_KIND_STRUCT) >= 0;
    out.features.push_back({"sock_destroy", ok, ok ? "" : "the kernel has no bpf_sock_destroy kfunc for TCP iterators (6.5+)"});
  }
  {
    bool ok = vmlinux && btf__find_by_name_kind(vmlinux, "bpf_iter__tcp", BTF_KIND_STRUCT) >= 0 &&
              btf__find_by_name_kind(vmlinux, "bpf_iter__udp", BTF_KIND_STRUCT) >= 0;
    out.features.push_back({"socket_iter", ok, ok ? "" : "the kernel has no TCP/UDP socket iterators (5.9+)"});
  }
  out.features.push_back(probe_prog_type("sockops", BPF_PROG_TYPE_SOCK_OPS));
  {
    int r = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr);
    out.features.push_back({"ringbuf", r == 1, r == 1 ? "" : "the kernel has no BPF ring buffer (5.8+)"});
  }
  {
    // The file sensor reads syscall arguments at exit from the saved user registers (5.15+).
    int r = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs, nullptr);
    out.features.push_back(
        {"task_pt_regs", r == 1, r == 1 ? "" : "bpf_task_pt_regs is not available to tracepoints (5.15+)"});
  }
  {
    int r = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_send_signal, nullptr);
    out.features.push_back({"send_signal", r == 1, r == 1 ? "" : "bpf_send_signal is not available (5.3+)"});
  }
  {
    // cgroup/connect_unix (6.7+): a sock_addr program with that expected attach type loads only
    // where the kernel has the hook.
    LIBBPF_OPTS(bpf_prog_load_opts, opts,
                .expected_attach_type = static_cast<bpf_attach_type>(kBpfCgroupUnixConnect));
    // r0 = 1 (allow); exit
    const bpf_insn allow[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, nullptr, "GPL", allow, 2, &opts);
    Feature f{"cgroup_unix_connect", fd >= 0, ""};
    if (fd >= 0) {
      close(fd);
    } else {
      f.detail = errno == EINVAL ? "the kernel has no cgroup/connect_unix hook (6.7+)" : load_error(errno);
    }
    out.features.push_back(std::move(f));
  }
  btf__free(vmlinux);
  return out;
}

}  // namespace ztai
