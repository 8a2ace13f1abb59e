#include "agent/events/cgroup_decoder.h"

#include <cstring>

#include "bpf/abi/events.h"

namespace ztai {

Result<Event> decode_cgroup(const EventHeader& hdr, std::span<const std::byte> record) {
  ztai_cgroup_event raw;
  if (record.size() < sizeof(raw)) {
    return make_error(ErrorCode::kInvalidArgument, "cgroup record of {} bytes is shorter than {}", record.size(),
                      sizeof(raw));
  }
  std::memcpy(&raw, record.data(), sizeof(raw));
  if (raw.path_len > sizeof(raw.path)) {
    return make_error(ErrorCode::kInvalidArgument, "cgroup record: path of {} bytes exceeds {}", raw.path_len,
                      sizeof(raw.path));
  }
  CgroupPayload p;
  p.id = raw.id;
  p.level = raw.level;
  p.path.assign(raw.path, strnlen(raw.path, raw.path_len));
  p.path_truncated = raw.flags & ZTAI_CGROUP_PATH_TRUNCATED;
  return Event{hdr, std::move(p)};
}

}  // namespace ztai
