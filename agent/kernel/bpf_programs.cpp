#include "agent/kernel/bpf_programs.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <mutex>
#include <set>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/common/log.h"
#include "agent/kernel/link_teardown.h"
#include "bpf/abi/config.h"
#include "bpf/abi/events.h"
#include "bpf/abi/filter.h"
#include "ztai_bpf.skel.h"

namespace ztai {
namespace {

// bpf/sock_data.bpf.c's sock_data_on bits.
constexpr uint32_t kSockDataPorts = 1;
constexpr uint32_t kSockDataStdio = 2;
constexpr uint32_t kSockDataHello = 4;

// libbpf speaks through a print callback: keep its last warning to explain a failure in one
// sentence, and show the rest only at debug level.
std::mutex g_libbpf_mutex;
std::string g_libbpf_last_warning;

int libbpf_print(enum libbpf_print_level level, const char* format, va_list args) {
  char buf[1024];
  int n = vsnprintf(buf, sizeof(buf), format, args);
  std::string_view line(buf, n > 0 ? std::min<size_t>(static_cast<size_t>(n), sizeof(buf) - 1) : 0);
  while (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (level == LIBBPF_WARN) {
    std::lock_guard lock(g_libbpf_mutex);
    g_libbpf_last_warning = line;
  }
  log::debug("libbpf: {}", line);
  return 0;
}

std::string last_libbpf_warning() {
  std::lock_guard lock(g_libbpf_mutex);
  return g_libbpf_last_warning;
}

Error load_error(int err) {
  std::string libbpf = last_libbpf_warning();
  std::string detail = libbpf.empty() ? "" : fmt::format(" (libbpf: {})", libbpf);
  if (err == EACCES) {
    return make_error(ErrorCode::kKernel,
                      "the kernel's verifier rejected one of ztai's BPF programs (EACCES): this kernel cannot check it "
                      "as built; run with --log-level debug for the verifier's log{}",
                      detail);
  }
  if (err == EPERM) {
    // libbpf suggests raising `ulimit -l`; on kernels that account BPF memory to the cgroup
    // (5.11+) that advice is wrong, and EPERM means the kernel forbids the program.
    return make_error(ErrorCode::kPermission,
                      "the kernel refused to load ztai's BPF programs (EPERM): the agent lacks CAP_BPF/CAP_PERFMON, "
                      "or this kernel forbids the program type (lockdown, a security module); RLIMIT_MEMLOCK is not "
                      "the cause on this kernel{}",
                      detail);
  }
  return make_error(ErrorCode::kKernel, "loading ztai's BPF programs failed: {}{}", strerror(err), detail);
}

// A family is a set of programs that only make sense together, and the features they need.
struct Family {
  const char* name;
  const char* needs;  // feature names, space-separated
  bool required;      // the agent cannot run without it
  std::vector<bpf_program*> programs;
};

// The first of `needs` (space-separated) the kernel lacks; empty when it has them all.
std::string missing_feature(const KernelFeatures& features, std::string_view needs) {
  while (!needs.empty()) {
    size_t end = needs.find(' ');
    std::string_view name = needs.substr(0, end);
    if (!features.has(name)) return std::string(name);
    needs = end == std::string_view::npos ? std::string_view{} : needs.substr(end + 1);
  }
  return {};
}

// Why a map pinned by an earlier agent cannot be reused by this build; "" when it can (or is
// not there). libbpf refuses such a map at load; seen first, the directory is set aside instead.
std::string pinned_map_mismatch(const bpf_map* m, const std::string& path) {
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) return "";
  bpf_map_info info{};
  __u32 len = sizeof(info);
  int r = bpf_obj_get_info_by_fd(fd, &info, &len);
  close(fd);
  if (r != 0) return fmt::format("{}: unreadable: {}", path, strerror(errno));
  if (info.type != bpf_map__type(m) || info.key_size != bpf_map__key_size(m) ||
      info.value_size != bpf_map__value_size(m) || info.max_entries != bpf_map__max_entries(m) ||
      info.map_flags != bpf_map__map_flags(m)) {
    return fmt::format("{} differs from this build's map (type, key, value, entries or flags)", path);
  }
  return "";
}

// The maps declared with LIBBPF_PIN_BY_NAME are the enforcement state: pinned in the pins'
// directory (and reused from there) when they persist, the agent's own like any other map when not.
Status set_map_pins(ztai_bpf* skel, EnforcementPins* pins) {
  std::vector<bpf_map*> persistent;
  bpf_map* m;
  bpf_object__for_each_map(m, skel->obj) {
    if (bpf_map__pin_path(m)) persistent.push_back(m);
  }
  const bool persist = pins && pins->persist();
  if (persist && pins->adopting()) {
    for (bpf_map* p : persistent) {
      std::string why = pinned_map_mismatch(p, pins->map_path(bpf_map__name(p)));
      if (why.empty()) continue;
      if (Status s = pins->retire(why); !s) return s;
      break;
    }
    if (pins->adopting()) {
      log::info("enforcement.persist: adopting {}, pinned by an earlier agent; its programs enforce until this "
                "agent's replace them",
                pins->dir());
    }
  }
  for (bpf_map* p : persistent) {
    std::string path = persist ? pins->map_path(bpf_map__name(p)) : "";
    if (int r = bpf_map__set_pin_path(p, persist ? path.c_str() : nullptr); r != 0) {
      return make_error(ErrorCode::kKernel, "setting the pin path of {} failed: {}", bpf_map__name(p), strerror(-r));
    }
  }
  return {};
}

bool uses_any_map(int prog_fd, const std::set<__u32>& map_ids) {
  std::vector<__u32> ids(256);
  bpf_prog_info info{};
  info.nr_map_ids = static_cast<__u32>(ids.size());
  info.map_ids = reinterpret_cast<__u64>(ids.data());
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0) return false;
  ids.resize(std::min<size_t>(info.nr_map_ids, ids.size()));
  return std::any_of(ids.begin(), ids.end(), [&](__u32 id) { return map_ids.count(id) != 0; });
}

// A program attached by the skeleton that uses a persistent map belongs to the persistent
// enforcement (egress_inherit today): its link is pinned under its name, so a family that adds
// such a program persists without being listed anywhere.
Status pin_skeleton_links(ztai_bpf* skel, EnforcementPins& pins) {
  std::set<__u32> persistent;
  bpf_map* m;
  bpf_object__for_each_map(m, skel->obj) {
    if (!bpf_map__is_pinned(m)) continue;
    bpf_map_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len) == 0) persistent.insert(info.id);
  }
  const bpf_object_skeleton* s = skel->skeleton;
  for (int i = 0; i < s->prog_cnt; i++) {
    bpf_link* link = *s->progs[i].link;
    if (!link || !uses_any_map(bpf_program__fd(*s->progs[i].prog), persistent)) continue;
    if (Status st = pins.pin_link(bpf_link__fd(link), s->progs[i].name); !st) return st;
  }
  return {};
}

// Exit tracepoints only, reading the arguments from the saved user registers: one program per
// read or write. They run on every read and write on the host, so they are attached when the
// first capture is switched on, not at load.
std::vector<bpf_program*> sock_data_programs(ztai_bpf* skel) {
  return {skel->progs.sock_exit_write,    skel->progs.sock_exit_sendto, skel->progs.sock_exit_read,
          skel->progs.sock_exit_recvfrom, skel->progs.sock_exit_writev, skel->progs.sock_exit_readv,
          skel->progs.sock_enter_connect};
}

}  // namespace

Result<std::unique_ptr<BpfPrograms>> BpfPrograms::load(const LoaderSettings& settings, const KernelFeatures& features) {
  libbpf_set_print(libbpf_print);
  // RLIMIT_MEMLOCK is left alone: libbpf raises it only on kernels without memcg accounting of
  // BPF memory (before 5.11), and this agent must not fail where it cannot be raised.

  ztai_bpf* skel = ztai_bpf__open();
  if (!skel) return make_error(ErrorCode::kKernel, "opening the BPF object failed: {}", strerror(errno));
  std::unique_ptr<BpfPrograms> self(new BpfPrograms(skel));

  ztai_kernel_config& cfg = skel->rodata->ztai_config;
  cfg.self_tgid = settings.self_tgid;
  cfg.max_args_bytes = std::min<uint32_t>(settings.max_args_bytes, ZTAI_MAX_ARGS_CAP);
  cfg.wakeup_bytes[ZTAI_RING_CONTROL] = settings.control_ring_bytes * settings.wakeup_percent / 100;
  cfg.wakeup_bytes[ZTAI_RING_DATA] = settings.data_ring_bytes * settings.wakeup_percent / 100;
  cfg.data_max_call_bytes = std::min<uint32_t>(settings.data_max_call_bytes, ZTAI_DATA_CALL_CAP);
  cfg.data_scope = settings.data_cgroups_only ? ZTAI_DATA_SCOPE_CGROUPS : ZTAI_DATA_SCOPE_ALL;
  bpf_map__set_max_entries(skel->maps.control_rb, static_cast<uint32_t>(settings.control_ring_bytes));
  bpf_map__set_max_entries(skel->maps.data_rb, static_cast<uint32_t>(settings.data_ring_bytes));

  std::vector<Family> families = {
      {"process", "tp_btf", true,
       {skel->progs.process_exec, skel->progs.process_fork, skel->progs.process_exit}},
      // Without it the identity cache still works (scan and lookup by id), but misses removals.
      {"cgroup", "tp_btf", false, {skel->progs.cgroup_mkdir, skel->progs.cgroup_rmdir}},
      // Syscall exit tracepoints reading the arguments from the saved user registers.
      {"file", "task_pt_regs", false,
       {skel->progs.file_exit_open, skel->progs.file_exit_openat, skel->progs.file_exit_openat2,
        skel->progs.file_exit_creat, skel->progs.file_exit_unlink, skel->progs.file_exit_unlinkat,
        skel->progs.file_exit_rename, skel->progs.file_exit_renameat, skel->progs.file_exit_renameat2,
        skel->progs.file_exit_chmod, skel->progs.file_exit_fchmod, skel->progs.file_exit_fchmodat,
        skel->progs.file_exit_chown, skel->progs.file_exit_lchown, skel->progs.file_exit_fchown,
        skel->progs.file_exit_fchownat, skel->progs.file_exit_memfd_create}},
      {"net", "tracepoint", false,
       {skel->progs.net_enter_connect, skel->progs.net_exit_connect, skel->progs.net_sock_state,
        skel->progs.net_exit_accept, skel->progs.net_exit_accept4, skel->progs.net_enter_bind,
        skel->progs.net_exit_bind, skel->progs.net_enter_listen, skel->progs.net_exit_listen,
        skel->progs.net_enter_sendto, skel->progs.net_exit_sendto, skel->progs.net_enter_sendmsg,
        skel->progs.net_exit_sendmsg}},
      // DNS over UDP: queries as they leave and answers as they arrive, for the sockets the net
      // family saw asking.
      {"dns", "tp_btf", false, {skel->progs.dns_send, skel->progs.dns_receive}},
      // Network enforcement: the agent attaches these at the enforcement root cgroup itself.
      {"egress", "cgroup_sock_addr", false,
       {skel->progs.egress_connect4, skel->progs.egress_connect6, skel->progs.egress_sendmsg4,
        skel->progs.egress_sendmsg6}},
      // DNS answers allow the addresses of fqdn rules; attached with the egress programs.
      {"egress_fqdn", "cgroup_skb", false, {skel->progs.fqdn_query, skel->progs.fqdn_answer}},
      // New cgroups take the policy of their parent in the kernel.
      {"egress_inherit", "tp_btf", false, {skel->progs.egress_cgroup_mkdir, skel->progs.egress_cgroup_rmdir}},
      // Segmentation: who listens where (post_bind, sock_release) and ingress rules at connect;
      // attached with the egress programs.
      {"segment", "cgroup_sock", false,
       {skel->progs.seg_bind4, skel->progs.seg_bind6, skel->progs.seg_release,
        skel->progs.seg_connect4, skel->progs.seg_connect6, skel->progs.seg_sendmsg4,
        skel->progs.seg_sendmsg6}},
      // Listeners older than the agent, listed by iterators the agent runs per network namespace.
      {"segment_seed", "socket_iter", false, {skel->progs.seg_seed_tcp, skel->progs.seg_seed_udp}},
      // Quarantine's connection cut, run by the agent through an iterator link.
      {"quarantine_cut", "sock_destroy", false, {skel->progs.quarantine_cut}},
      {"blindspot", "tracepoint", false,
       {skel->progs.blindspot_enter_io_uring_setup, skel->progs.blindspot_exit_io_uring_setup,
        skel->progs.blindspot_enter_socket, skel->progs.blindspot_exit_socket}},
      // Plaintext at OpenSSL and GnuTLS; the uprobes are attached per file by TlsAttacher, the
      // socket send/receive hooks (which tie a call to its socket) by the skeleton.
      {"tls", "uprobe sock_length_tp task_pt_regs", false,
       {skel->progs.tls_openssl_write, skel->progs.tls_openssl_read, skel->progs.tls_openssl_write_ex,
        skel->progs.tls_openssl_read_ex, skel->progs.tls_gnutls_send, skel->progs.tls_gnutls_recv,
        skel->progs.tls_return, skel->progs.tls_socket_send, skel->progs.tls_socket_recv}},
      {"tls_go", "uprobe", false, {skel->progs.tls_go_write, skel->progs.tls_go_read, skel->progs.tls_go_return}},
      // Plaintext on sockets of selected ports and on stdio pipes of selected processes, and the
      // ClientHello of TCP connections made; attached when capture_ports() lists a port or
      // capture_stdio() or capture_tls_hello() is called.
      {"sock_data", "task_pt_regs", false, sock_data_programs(skel)},
      // Process enforcement: a denied exec or io_uring_setup is answered with SIGKILL.
      {"guard", "send_signal", false, {skel->progs.guard_exec, skel->progs.guard_io_uring_setup}},
      {"guard_unix", "cgroup_unix_connect", false, {skel->progs.guard_connect_unix}},
      // Another process touching the agent's programs and maps, signalling or tracing the agent.
      {"selfguard", "tp_btf", false,
       {skel->progs.selfguard_enter_bpf, skel->progs.selfguard_signal, skel->progs.selfguard_enter_ptrace,
        skel->progs.selfguard_enter_process_vm_writev, skel->progs.selfguard_enter_process_vm_readv}},
  };
  // libbpf 1.1 does not know the cgroup/connect_unix section; it is typed here, attached by
  // GuardMaps to each guarded cgroup, and never by the skeleton.
  bpf_program__set_type(skel->progs.guard_connect_unix, BPF_PROG_TYPE_CGROUP_SOCK_ADDR);
  bpf_program__set_expected_attach_type(skel->progs.guard_connect_unix,
                                        static_cast<bpf_attach_type>(kBpfCgroupUnixConnect));
  bpf_program__set_autoattach(skel->progs.guard_connect_unix, false);
  for (bpf_program* p : {skel->progs.quarantine_cut, skel->progs.seg_seed_tcp, skel->progs.seg_seed_udp}) {
    bpf_program__set_autoattach(p, false);
  }
  for (bpf_program* p : sock_data_programs(skel)) bpf_program__set_autoattach(p, false);
  for (bpf_program* p : {skel->progs.tls_openssl_write, skel->progs.tls_openssl_read, skel->progs.tls_openssl_write_ex,
                         skel->progs.tls_openssl_read_ex, skel->progs.tls_gnutls_send, skel->progs.tls_gnutls_recv,
                         skel->progs.tls_return, skel->progs.tls_go_write, skel->progs.tls_go_read,
                         skel->progs.tls_go_return}) {
    bpf_program__set_autoattach(p, false);
  }
  for (Family& f : families) {
    if (std::find(settings.families_off.begin(), settings.families_off.end(), f.name) != settings.families_off.end()) {
      if (f.required) return make_error(ErrorCode::kInvalidArgument, "the {} sensor cannot be switched off", f.name);
      for (bpf_program* p : f.programs) bpf_program__set_autoload(p, false);
      continue;
    }
    std::string missing = missing_feature(features, f.needs);
    if (missing.empty()) {
      self->loaded_families_.emplace_back(f.name);
      continue;
    }
    const Feature* why = features.find(missing);
    std::string reason = why ? why->detail : "not probed";
    if (f.required) {
      return make_error(ErrorCode::kUnsupported, "the {} sensor needs {}, and {}", f.name, missing, reason);
    }
    log::warn("{} sensor is off: it needs {}, and {}", f.name, missing, reason);
    for (bpf_program* p : f.programs) bpf_program__set_autoload(p, false);
  }

  if (Status s = set_map_pins(skel, settings.pins); !s) return s.error();
  if (int err = ztai_bpf__load(skel); err) return load_error(-err);
  if (int err = ztai_bpf__attach(skel); err) {
    return make_error(ErrorCode::kKernel, "attaching ztai's BPF programs failed: {}", strerror(-err));
  }
  if (settings.pins && settings.pins->persist()) {
    if (Status s = pin_skeleton_links(skel, *settings.pins); !s) return s.error();
  }
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) {
    if (bpf_program__autoload(prog)) self->attached_.emplace_back(bpf_program__name(prog));
  }
  return self;
}

BpfPrograms::~BpfPrograms() {
  // Every link first, all at once; then the skeleton frees programs and maps (that does not wait).
  std::vector<bpf_link*> links(sock_data_links_.begin(), sock_data_links_.end());
  const bpf_object_skeleton* s = skel_->skeleton;
  for (int i = 0; i < s->prog_cnt; i++) links.push_back(*s->progs[i].link);
  destroy_links(links);
  for (int i = 0; i < s->prog_cnt; i++) *s->progs[i].link = nullptr;
  ztai_bpf__destroy(skel_);
}

int BpfPrograms::control_ring_fd() const { return bpf_map__fd(skel_->maps.control_rb); }
int BpfPrograms::data_ring_fd() const { return bpf_map__fd(skel_->maps.data_rb); }

bool BpfPrograms::family_loaded(std::string_view family) const {
  return std::find(loaded_families_.begin(), loaded_families_.end(), family) != loaded_families_.end();
}

FileFilter BpfPrograms::file_filter() const {
  return FileFilter(bpf_map__fd(skel_->maps.file_filter_config), bpf_map__fd(skel_->maps.file_prefixes),
                    bpf_map__fd(skel_->maps.file_suffixes), bpf_map__fd(skel_->maps.file_cgroups));
}

std::unique_ptr<GuardMaps> BpfPrograms::guard_maps() const {
  int unix_prog = family_loaded("guard_unix") ? bpf_program__fd(skel_->progs.guard_connect_unix) : -1;
  return std::make_unique<GuardMaps>(bpf_map__fd(skel_->maps.guard_workloads), bpf_map__fd(skel_->maps.guard_exec_files),
                                     bpf_map__fd(skel_->maps.guard_unix_paths), unix_prog);
}

bpf_program* BpfPrograms::program(std::string_view name) const {
  bpf_program* p = bpf_object__find_program_by_name(skel_->obj, std::string(name).c_str());
  return p && bpf_program__autoload(p) ? p : nullptr;
}

Status BpfPrograms::capture_ports(const std::vector<uint16_t>& ports) const {
  __u8 one = 1;
  for (uint16_t port : ports) {
    if (int r = bpf_map__update_elem(skel_->maps.data_ports, &port, sizeof(port), &one, sizeof(one), BPF_ANY); r != 0) {
      return make_error(ErrorCode::kKernel, "adding port {} to the socket capture failed: {}", port, strerror(-r));
    }
  }
  return set_sock_data(kSockDataPorts, !ports.empty());
}

Status BpfPrograms::capture_stdio() const { return set_sock_data(kSockDataStdio, true); }

Status BpfPrograms::capture_tls_hello() const { return set_sock_data(kSockDataHello, true); }

Status BpfPrograms::select_stdio(uint32_t tgid, uint32_t client_tgid, bool server) const {
  ztai_stdio_proc p{client_tgid, server ? ZTAI_STDIO_SERVER : ZTAI_STDIO_CLIENT};
  if (int r = bpf_map__update_elem(skel_->maps.stdio_procs, &tgid, sizeof(tgid), &p, sizeof(p), BPF_ANY); r != 0) {
    return make_error(ErrorCode::kKernel, "selecting process {} for stdio capture failed: {}", tgid, strerror(-r));
  }
  return {};
}

// One reader-modify-writer (the agent's thread): the bits are bpf/sock_data.bpf.c's SOCK_DATA_*.
Status BpfPrograms::set_sock_data(uint32_t bit, bool on) const {
  if (on && sock_data_links_.empty() && family_loaded("sock_data")) {
    for (bpf_program* p : sock_data_programs(skel_)) {
      bpf_link* l = bpf_program__attach(p);
      if (!l) {
        int err = errno;
        for (bpf_link* made : sock_data_links_) bpf_link__destroy(made);
        sock_data_links_.clear();
        return make_error(ErrorCode::kKernel, "attaching {} failed: {}", bpf_program__name(p), strerror(err));
      }
      sock_data_links_.push_back(l);
    }
  }
  __u32 zero = 0, bits = 0;
  if (int r = bpf_map__lookup_elem(skel_->maps.sock_data_on, &zero, sizeof(zero), &bits, sizeof(bits), 0); r != 0) {
    return make_error(ErrorCode::kKernel, "reading the socket and pipe capture switch failed: {}", strerror(-r));
  }
  bits = on ? (bits | bit) : (bits & ~bit);
  if (int r = bpf_map__update_elem(skel_->maps.sock_data_on, &zero, sizeof(zero), &bits, sizeof(bits), BPF_ANY); r != 0) {
    return make_error(ErrorCode::kKernel, "switching the socket and pipe capture failed: {}", strerror(-r));
  }
  return {};
}

Status BpfPrograms::capture_cgroup(uint64_t cgroup_id, bool captured) const {
  __u8 one = 1;
  int r = captured ? bpf_map__update_elem(skel_->maps.data_cgroups, &cgroup_id, sizeof(cgroup_id), &one, sizeof(one), BPF_ANY)
                   : bpf_map__delete_elem(skel_->maps.data_cgroups, &cgroup_id, sizeof(cgroup_id), 0);
  if (r != 0 && !(r == -ENOENT && !captured)) {
    return make_error(ErrorCode::kKernel, "updating the TLS capture cgroups failed: {}", strerror(-r));
  }
  return {};
}

Status BpfPrograms::skip_net_events(uint32_t mask) const {
  __u32 zero = 0;
  if (bpf_map__update_elem(skel_->maps.net_skip, &zero, sizeof(zero), &mask, sizeof(mask), BPF_ANY) != 0) {
    return make_error(ErrorCode::kKernel, "setting which network events the kernel drops failed: {}", strerror(errno));
  }
  return {};
}

int BpfPrograms::map_fd(std::string_view name) const {
  bpf_map* m = bpf_object__find_map_by_name(skel_->obj, std::string(name).c_str());
  return m ? bpf_map__fd(m) : -1;
}

int BpfPrograms::program_fd(std::string_view name) const {
  bpf_program* p = bpf_object__find_program_by_name(skel_->obj, std::string(name).c_str());
  return p && bpf_program__autoload(p) ? bpf_program__fd(p) : -1;
}

Result<KernelCounters> BpfPrograms::read_counters() const {
  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return make_error(ErrorCode::kKernel, "cannot count possible CPUs: {}", strerror(-ncpus));
  std::vector<ztai_kernel_counters> per_cpu(static_cast<size_t>(ncpus));
  __u32 zero = 0;
  if (bpf_map__lookup_elem(skel_->maps.counters, &zero, sizeof(zero), per_cpu.data(),
                           per_cpu.size() * sizeof(ztai_kernel_counters), 0) != 0) {
    return make_error(ErrorCode::kKernel, "reading the kernel counters failed: {}", strerror(errno));
  }
  KernelCounters sum;
  for (const ztai_kernel_counters& c : per_cpu) {
    sum.control_drops += c.ring_drops[ZTAI_RING_CONTROL];
    sum.data_drops += c.ring_drops[ZTAI_RING_DATA];
    sum.read_errors += c.read_errors;
    sum.file_filtered += c.file_filtered;
    sum.net_untracked += c.net_untracked;
    sum.net_filtered += c.net_filtered;
    sum.data_truncated += c.data_truncated;
  }
  return sum;
}

}  // namespace ztai
