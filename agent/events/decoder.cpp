#include "agent/events/decoder.h"

#include <array>
#include <cstring>

#include "agent/events/cgroup_decoder.h"
#include "agent/events/file_decoder.h"
#include "agent/events/guard_decoder.h"
#include "agent/events/net_decoder.h"
#include "agent/events/policy_decoder.h"
#include "agent/events/process_decoder.h"
#include "agent/events/selfguard_decoder.h"
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
  t[ZTAI_EVENT_CGROUP_MKDIR] = decode_cgroup;
  t[ZTAI_EVENT_CGROUP_RMDIR] = decode_cgroup;
  t[ZTAI_EVENT_FILE] = decode_file;
  for (int type = ZTAI_EVENT_NET_CONNECT; type <= ZTAI_EVENT_NET_CLOSE; ++type) t[type] = decode_net;
  t[ZTAI_EVENT_DNS] = decode_dns;
  t[ZTAI_EVENT_DNS_QUERY] = decode_dns;
  t[ZTAI_EVENT_IO_URING_SETUP] = decode_io_uring_setup;
  t[ZTAI_EVENT_RAW_SOCKET] = decode_raw_socket;
  t[ZTAI_EVENT_TLS_CLIENT_HELLO] = decode_tls_hello;
  t[ZTAI_EVENT_POLICY_DENIAL] = decode_policy_denial;
  t[ZTAI_EVENT_GUARD_DENIAL] = decode_guard_denial;
  t[ZTAI_EVENT_SELFGUARD] = decode_selfguard;
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
    case EventType::kCgroupMkdir: return "cgroup_mkdir";
    case EventType::kCgroupRmdir: return "cgroup_rmdir";
    case EventType::kOpen: return "open";
    case EventType::kOpenat: return "openat";
    case EventType::kOpenat2: return "openat2";
    case EventType::kCreat: return "creat";
    case EventType::kUnlink: return "unlink";
    case EventType::kUnlinkat: return "unlinkat";
    case EventType::kRename: return "rename";
    case EventType::kRenameat: return "renameat";
    case EventType::kRenameat2: return "renameat2";
    case EventType::kChmod: return "chmod";
    case EventType::kFchmod: return "fchmod";
    case EventType::kFchmodat: return "fchmodat";
    case EventType::kChown: return "chown";
    case EventType::kLchown: return "lchown";
    case EventType::kFchown: return "fchown";
    case EventType::kFchownat: return "fchownat";
    case EventType::kMemfdCreate: return "memfd_create";
    case EventType::kConnect: return "connect";
    case EventType::kAccept: return "accept";
    case EventType::kBind: return "bind";
    case EventType::kListen: return "listen";
    case EventType::kSendto: return "sendto";
    case EventType::kSendmsg: return "sendmsg";
    case EventType::kTcpClose: return "tcp_close";
    case EventType::kDns: return "dns";
    case EventType::kIoUringSetup: return "io_uring_setup";
    case EventType::kRawSocket: return "raw_socket";
    case EventType::kDnsQuery: return "dns_query";
    case EventType::kTlsClientHello: return "tls_client_hello";
    case EventType::kNetDenial: return "net_denial";
    case EventType::kGuardDenial: return "policy_denial";
    case EventType::kSelfGuard: return "selfguard";
    case EventType::kLlmRequest: return "llm_request";
    case EventType::kLlmResponse: return "llm_response";
    case EventType::kMcpMessage: return "mcp_message";
  }
  return "unknown";
}

}  // namespace ztai
