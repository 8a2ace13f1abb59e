#include "agent/events/process_decoder.h"

#include <cstring>

#include "bpf/abi/events.h"

namespace ztai {
namespace {

// Copies the fixed part of a record (records in the ring are only 8-byte aligned).
template <typename Raw>
Status read_fixed(std::span<const std::byte> record, Raw& raw, std::string_view what) {
  if (record.size() < sizeof(raw)) {
    return make_error(ErrorCode::kInvalidArgument, "{} record of {} bytes is shorter than {}", what,
                      record.size(), sizeof(raw));
  }
  std::memcpy(&raw, record.data(), sizeof(raw));
  return {};
}

ProcKey key_of(const ztai_proc_key& k) { return {k.tgid, k.start_ticks}; }

// A string read with bpf_probe_read_kernel_str: NUL-terminated within len.
std::string c_string(std::span<const std::byte> bytes) {
  const char* p = reinterpret_cast<const char*>(bytes.data());
  return std::string(p, strnlen(p, bytes.size()));
}

}  // namespace

std::vector<std::string> split_argv(std::string_view block) {
  std::vector<std::string> args;
  while (!block.empty()) {
    size_t end = block.find('\0');
    args.emplace_back(block.substr(0, end));
    if (end == std::string_view::npos) break;
    block.remove_prefix(end + 1);
  }
  return args;
}

Result<Event> decode_exec(const EventHeader& hdr, std::span<const std::byte> record) {
  ztai_exec_event raw_storage;
  if (Status s = read_fixed(record, raw_storage, "exec"); !s) return s.error();
  const ztai_exec_event* raw = &raw_storage;
  size_t data_len = record.size() - sizeof(ztai_exec_event);
  if (size_t{raw->filename_len} + raw->args_len != data_len) {
    return make_error(ErrorCode::kInvalidArgument, "exec record: filename {} + args {} bytes != data {} bytes",
                      raw->filename_len, raw->args_len, data_len);
  }
  auto data = record.subspan(sizeof(ztai_exec_event));
  // The record type changed when posture was added; the event type did not.
  EventHeader exec_hdr = hdr;
  exec_hdr.type = EventType::kExec;
  ExecPayload p;
  p.parent = key_of(raw->parent);
  p.uid = raw->uid;
  p.gid = raw->gid;
  p.euid = raw->euid;
  p.egid = raw->egid;
  p.exe_ino = raw->exe_ino;
  p.exe_dev = raw->exe_dev;
  p.old_tid = raw->old_tid;
  p.filename = c_string(data.first(raw->filename_len));
  auto args = data.subspan(raw->filename_len, raw->args_len);
  p.argv = split_argv(std::string_view(reinterpret_cast<const char*>(args.data()), args.size()));
  p.args_truncated = raw->flags & ZTAI_EXEC_ARGS_TRUNCATED;
  p.filename_truncated = raw->flags & ZTAI_EXEC_FILENAME_TRUNCATED;
  p.args_unreadable = raw->flags & ZTAI_EXEC_ARGS_UNREADABLE;
  const ztai_posture& pos = raw->posture;
  p.posture = {pos.cap_effective, pos.cap_permitted, pos.cap_bounding, pos.pid_ns, pos.net_ns, pos.mnt_ns,
               pos.seccomp,       pos.no_new_privs != 0};
  return Event{exec_hdr, std::move(p)};
}

Result<Event> decode_fork(const EventHeader& hdr, std::span<const std::byte> record) {
  ztai_fork_event raw_storage;
  if (Status s = read_fixed(record, raw_storage, "fork"); !s) return s.error();
  const ztai_fork_event* raw = &raw_storage;
  ForkPayload p;
  p.child = key_of(raw->child);
  p.parent = key_of(raw->parent);
  p.child_cgroup_id = raw->child_cgroup_id;
  p.child_tid = raw->child_tid;
  return Event{hdr, p};
}

Result<Event> decode_exit(const EventHeader& hdr, std::span<const std::byte> record) {
  ztai_exit_event raw_storage;
  if (Status s = read_fixed(record, raw_storage, "exit"); !s) return s.error();
  const ztai_exit_event* raw = &raw_storage;
  return Event{hdr, ExitPayload{raw->status}};
}

}  // namespace ztai
