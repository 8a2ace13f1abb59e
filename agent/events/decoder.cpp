#include "agent/events/decoder.h"

#include <array>
#include <cstring>

#include "agent/events/process_decoder.h"
#include "bpf/abi/events.h"

namespace ztai {
namespace {

using DecodeFn = Result<Event> (*)(const EventHeader&, std::span<const std::byte>);

// One decoder per record type, indexed by enum ztai_event_type; families add their entry here.
constexpr std::array<DecodeFn, ZTAI_EVENT_TYPE_MAX> kDecoders = [] {
  std::array<DecodeFn, ZTAI_EVENT_TYPE_MAX> t{};
  t[ZTAI_EVENT_PROCESS_EXEC] = decode_exec;
  t[ZTAI_EVENT_PROCESS_FORK] = decode_fork;
  t[ZTAI_EVENT_PROCESS_EXIT] = decode_exit;
  return t;
}();

}  // namespace

Result<Event> decode_record(std::span<const std::byte> record) {
  ztai_event_header raw;
  if (record.size() < sizeof(raw)) {
    return make_error(ErrorCode::kInvalidArgument, "record of {} bytes is shorter than its header",
                      record.size());
  }
  std::memcpy(&raw, record.data(), sizeof(raw));
  if (raw.size < sizeof(raw) || raw.size > record.size()) {
    return make_error(ErrorCode::kInvalidArgument, "record type {} declares {} bytes but has {}", raw.type,
                      raw.size, record.size());
  }
  if (raw.type >= kDecoders.size() || kDecoders[raw.type] == nullptr) {
    return make_error(ErrorCode::kInvalidArgument, "unknown record type {}", raw.type);
  }
  EventHeader hdr;
  hdr.type = static_cast<EventType>(raw.type);
  hdr.boot_ns = raw.ktime_ns;
  hdr.tid = raw.tid;
  hdr.cpu = raw.cpu;
  hdr.proc = {raw.proc.tgid, raw.proc.start_ticks};
  hdr.cgroup_id = raw.cgroup_id;
  return kDecoders[raw.type](hdr, record.first(raw.size));
}

std::string_view event_type_name(EventType type) {
  switch (type) {
    case EventType::kExec: return "execve";
    case EventType::kFork: return "clone";
    case EventType::kExit: return "procexit";
  }
  return "unknown";
}

}  // namespace ztai
