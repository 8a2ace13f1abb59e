#include "agent/fields/process_fields.h"

#include <charconv>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace ztai {
namespace {

// The return value of events that carry one (payloads with a `res` member).
std::optional<int64_t> syscall_result(const Event& e) {
  return std::visit(
      [](const auto& p) -> std::optional<int64_t> {
        if constexpr (requires { p.res; }) {
          return static_cast<int64_t>(p.res);
        } else {
          return std::nullopt;
        }
      },
      e.payload);
}

std::string join_args(const std::vector<std::string>& argv, size_t from) {
  std::string out;
  for (size_t i = from; i < argv.size(); ++i) {
    if (i > from) out += ' ';
    out += argv[i];
  }
  return out;
}

std::string cmdline_of(const ProcessInfo& p) {
  std::string args = join_args(p.argv, 1);
  return args.empty() ? p.name : p.name + " " + args;
}

// The process an index designates: none or 0 is the process itself, 1 its parent, and so on.
const ProcessInfo* ancestor(const EventContext& ctx, size_t level) {
  const ProcessInfo* p = ctx.proc;
  for (size_t i = 0; i < level && p; ++i) p = ctx.processes.parent_of(*p);
  return p;
}

bool parse_level(std::string_view index, size_t& level) {
  auto [end, ec] = std::from_chars(index.data(), index.data() + index.size(), level);
  return ec == std::errc() && end == index.data() + index.size();
}

// proc.aname[N] is ancestor N's value; without an index, the values of every known ancestor.
template <typename Get>
FieldValue ancestor_field(const EventContext& ctx, std::string_view index, Get get) {
  if (!ctx.proc) return {};
  if (!index.empty()) {
    size_t level;
    if (!parse_level(index, level) || level == 0) return {};
    const ProcessInfo* a = ancestor(ctx, level);
    return a ? FieldValue(get(*a)) : FieldValue();
  }
  std::vector<std::string> all;
  for (const ProcessInfo* a : ctx.processes.ancestors(*ctx.proc, 64)) all.push_back(get(*a));
  return all;
}

template <typename Get>
FieldValue of_proc(const EventContext& ctx, Get get) {
  return ctx.proc ? FieldValue(get(*ctx.proc)) : FieldValue();
}

template <typename Get>
FieldValue of_parent(const EventContext& ctx, Get get) {
  const ProcessInfo* p = ancestor(ctx, 1);
  return p ? FieldValue(get(*p)) : FieldValue();
}

template <typename Payload, typename Get>
FieldValue of_payload(const EventContext& ctx, Get get) {
  const Payload* p = ctx.event.as<Payload>();
  return p ? FieldValue(get(*p)) : FieldValue();
}

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

}  // namespace

void add_process_fields(FieldRegistry& r) {
  using T = FieldType;
  // evt.*
  add(r, {"evt.type", T::kString, "Event type: execve, clone, procexit, ...",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return std::string(event_type_name(c.event.hdr.type));
          }});
  add(r, {"evt.time", T::kString, "Event time, RFC 3339 UTC with nanoseconds",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return format_rfc3339_ns(c.clock.to_unix_ns(c.event.hdr.boot_ns));
          }});
  add(r, {"evt.rawtime", T::kUInt, "Event time in nanoseconds since the Unix epoch",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return c.clock.to_unix_ns(c.event.hdr.boot_ns);
          }});
  add(r, {"evt.res", T::kString, "Result: SUCCESS, or the errno name of a failed call (ENOENT...)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (c.event.as<ExecPayload>()) return std::string("SUCCESS");  // only successful execs are seen
            auto res = syscall_result(c.event);
            if (!res) return {};
            if (*res >= 0) return std::string("SUCCESS");
            const char* name = strerrorname_np(static_cast<int>(-*res));
            return name ? std::string(name) : std::to_string(*res);
          }});
  add(r, {"evt.rawres", T::kInt, "Return value of the syscall (negative errno on failure)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            auto res = syscall_result(c.event);
            return res ? FieldValue(*res) : FieldValue();
          }});
  // Falco rules test evt.dir = < to pick the exit of a syscall; the sensor only reports completed
  // calls, so rules written for Falco keep working.
  add(r, {"evt.dir", T::kString, "Event direction as Falco names it: always '<' (every event is a completed call)",
          [](const EventContext&, std::string_view) -> FieldValue { return std::string("<"); }});
  add(r, {"evt.arg.child_pid", T::kUInt, "clone: pid of the new process",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_payload<ForkPayload>(c, [](const ForkPayload& f) { return uint64_t{f.child.tgid}; });
          }});
  add(r, {"evt.arg.child_exec_id", T::kString, "clone: exec id of the new process",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const ForkPayload* f = c.event.as<ForkPayload>();
            const ProcessInfo* child = f ? c.processes.find(f->child) : nullptr;
            return child ? FieldValue(child->exec_id) : FieldValue();
          }});
  add(r, {"cgroup.id", T::kUInt, "cgroup v2 id of the acting task (the inode of its cgroup directory)",
          [](const EventContext& c, std::string_view) -> FieldValue { return c.event.hdr.cgroup_id; }});

  // proc.* of the acting process
  add(r, {"proc.pid", T::kUInt, "Process id (thread-group id)",
          [](const EventContext& c, std::string_view) -> FieldValue { return uint64_t{c.event.hdr.proc.tgid}; }});
  add(r, {"proc.tid", T::kUInt, "Thread id",
          [](const EventContext& c, std::string_view) -> FieldValue { return uint64_t{c.event.hdr.tid}; }});
  add(r, {"proc.ppid", T::kUInt, "Parent process id (the creator, kept after re-parenting)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_proc(c, [](const ProcessInfo& p) { return uint64_t{p.parent.tgid}; });
          }});
  add(r, {"proc.name", T::kString, "Executable name without its path",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_proc(c, [](const ProcessInfo& p) { return p.name; });
          }});
  add(r, {"proc.exe", T::kString, "First command-line argument (argv[0]), as in Falco",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_proc(c, [](const ProcessInfo& p) { return p.argv.empty() ? std::string() : p.argv[0]; });
          }});
  add(r, {"proc.exepath", T::kString, "Path of the executable, as given to execve",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_proc(c, [](const ProcessInfo& p) { return p.exe_path; });
          }});
  add(r, {"proc.args", T::kString, "Arguments after argv[0], joined by spaces",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_proc(c, [](const ProcessInfo& p) { return join_args(p.argv, 1); });
          }});
  add(r, {"proc.argv", T::kStringList, "Every argument, argv[0] included",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_proc(c, [](const ProcessInfo& p) { return p.argv; });
          }});
  add(r, {"proc.args_truncated", T::kBool, "The arguments were longer than kernel.max_args_bytes",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_proc(c, [](const ProcessInfo& p) { return p.args_truncated; });
          }});
  add(r, {"proc.cmdline", T::kString, "Name and arguments: 'name arg1 arg2'",
          [](const EventContext& c, std::string_view) -> FieldValue { return of_proc(c, cmdline_of); }});
  add(r, {"proc.exec_id", T::kString, "Stable id of the process on this host (host + process key)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_proc(c, [](const ProcessInfo& p) { return p.exec_id; });
          }});
  add(r, {"proc.start_time", T::kString, "Process start, RFC 3339 UTC",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_proc(c, [&](const ProcessInfo& p) {
              return format_rfc3339_ns(c.clock.to_unix_ns(p.start_boot_ns()));
            });
          }});
  add(r, {"proc.exit_code", T::kInt, "procexit: exit code",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_payload<ExitPayload>(c, [](const ExitPayload& e) { return int64_t{e.exit_code()}; });
          }});
  add(r, {"proc.exit_signal", T::kInt, "procexit: signal that ended the process, 0 when none",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_payload<ExitPayload>(c, [](const ExitPayload& e) { return int64_t{e.signal()}; });
          }});
  add(r, {"proc.core_dumped", T::kBool, "procexit: the process dumped core",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_payload<ExitPayload>(c, [](const ExitPayload& e) { return e.core_dumped(); });
          }});

  // the parent and the ancestors
  add(r, {"proc.pname", T::kString, "Parent's executable name",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_parent(c, [](const ProcessInfo& p) { return p.name; });
          }});
  add(r, {"proc.pexepath", T::kString, "Parent's executable path",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_parent(c, [](const ProcessInfo& p) { return p.exe_path; });
          }});
  add(r, {"proc.pcmdline", T::kString, "Parent's name and arguments",
          [](const EventContext& c, std::string_view) -> FieldValue { return of_parent(c, cmdline_of); }});
  add(r, {"proc.pexec_id", T::kString, "Parent's exec id",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_parent(c, [](const ProcessInfo& p) { return p.exec_id; });
          }});
  add(r, {"proc.aname", T::kString, "Ancestor's name: [1] the parent, [2] the grandparent; no index: all",
          [](const EventContext& c, std::string_view i) -> FieldValue {
            return ancestor_field(c, i, [](const ProcessInfo& p) { return p.name; });
          },
          FieldIndex::kOptional});
  add(r, {"proc.aexepath", T::kString, "Ancestor's executable path: [1] the parent...; no index: all",
          [](const EventContext& c, std::string_view i) -> FieldValue {
            return ancestor_field(c, i, [](const ProcessInfo& p) { return p.exe_path; });
          },
          FieldIndex::kOptional});
  add(r, {"proc.aexe", T::kString, "Ancestor's argv[0]: [1] the parent...; no index: all",
          [](const EventContext& c, std::string_view i) -> FieldValue {
            return ancestor_field(c, i, [](const ProcessInfo& p) { return p.argv.empty() ? std::string() : p.argv[0]; });
          },
          FieldIndex::kOptional});
  add(r, {"proc.acmdline", T::kString, "Ancestor's name and arguments: [1] the parent...; no index: all",
          [](const EventContext& c, std::string_view i) -> FieldValue { return ancestor_field(c, i, cmdline_of); },
          FieldIndex::kOptional});
  add(r, {"proc.pexe", T::kString, "Parent's argv[0]",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_parent(c, [](const ProcessInfo& p) { return p.argv.empty() ? std::string() : p.argv[0]; });
          }});

  // credentials
  add(r, {"user.uid", T::kUInt, "Real user id",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_proc(c, [](const ProcessInfo& p) { return uint64_t{p.uid}; });
          }});
  add(r, {"user.euid", T::kUInt, "Effective user id",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_proc(c, [](const ProcessInfo& p) { return uint64_t{p.euid}; });
          }});
  add(r, {"group.gid", T::kUInt, "Real group id",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_proc(c, [](const ProcessInfo& p) { return uint64_t{p.gid}; });
          }});
}

}  // namespace ztai
