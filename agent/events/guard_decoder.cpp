#include "agent/events/guard_decoder.h"

#include <cstring>

#include "bpf/abi/guard.h"

namespace ztai {

std::string_view denial_kind_name(DenialKind kind) {
  switch (kind) {
    case DenialKind::kExec: return "exec";
    case DenialKind::kIoUring: return "io_uring";
    case DenialKind::kUnixConnect: return "unix_connect";
    case DenialKind::kFileOpen: return "file_open";
  }
  return "unknown";
}

Result<Event> decode_guard_denial(const EventHeader& hdr, std::span<const std::byte> record) {
  ztai_guard_denial_event raw;
  if (record.size() < sizeof(raw)) {
    return make_error(ErrorCode::kInvalidArgument, "guard denial record of {} bytes is shorter than {}",
                      record.size(), sizeof(raw));
  }
  std::memcpy(&raw, record.data(), sizeof(raw));
  if (raw.kind < ZTAI_GUARD_KIND_EXEC || raw.kind > ZTAI_GUARD_KIND_UNIX_CONNECT) {
    return make_error(ErrorCode::kInvalidArgument, "guard denial record of unknown kind {}", raw.kind);
  }
  if (raw.path_len > sizeof(raw.path)) {
    return make_error(ErrorCode::kInvalidArgument, "guard denial path of {} bytes exceeds {}", raw.path_len,
                      sizeof(raw.path));
  }
  GuardDenialPayload p;
  p.kind = static_cast<DenialKind>(raw.kind);
  p.audit = raw.flags & ZTAI_DENIAL_AUDIT;
  p.kill_failed = raw.flags & ZTAI_DENIAL_KILL_FAILED;
  p.path_truncated = raw.flags & ZTAI_DENIAL_PATH_TRUNCATED;
  p.workload_cgroup_id = raw.workload_cgroup_id;
  p.policy_id = raw.policy_id;
  p.rule_id = raw.rule_id;
  p.dev = raw.dev;
  p.ino = raw.ino;
  p.path.assign(raw.path, strnlen(raw.path, raw.path_len));
  return Event{hdr, std::move(p)};
}

}  // namespace ztai
