#include "agent/capture/data_decoder.h"

#include <cstring>

#include "bpf/abi/events.h"

namespace ztai {

bool DataDecoder::is_data_record(std::span<const std::byte> record) {
  uint16_t type = 0;
  if (record.size() < sizeof(type)) return false;
  std::memcpy(&type, record.data(), sizeof(type));  // ztai_event_header.type comes first
  return type == ZTAI_EVENT_DATA;
}

Result<DataChunk> DataDecoder::decode(std::span<const std::byte> record) {
  ztai_data_event raw;
  if (record.size() < sizeof(raw)) {
    return make_error(ErrorCode::kInvalidArgument, "data record of {} bytes is shorter than its {} fixed bytes",
                      record.size(), sizeof(raw));
  }
  std::memcpy(&raw, record.data(), sizeof(raw));
  if (raw.hdr.type != ZTAI_EVENT_DATA) {
    return make_error(ErrorCode::kInvalidArgument, "record type {} is not a data record", raw.hdr.type);
  }
  if (raw.data_len > ZTAI_DATA_CHUNK || sizeof(raw) + raw.data_len > record.size() ||
      raw.call_offset + uint64_t{raw.data_len} > raw.call_bytes || raw.direction > ZTAI_DATA_INGRESS) {
    return make_error(ErrorCode::kInvalidArgument,
                      "data record declares {} bytes at offset {} of a {}-byte call in a {}-byte record (direction {})",
                      raw.data_len, raw.call_offset, raw.call_bytes, record.size(), raw.direction);
  }
  DataChunk c;
  c.hdr.type = static_cast<EventType>(raw.hdr.type);
  c.hdr.boot_ns = raw.hdr.ktime_ns;
  c.hdr.tid = raw.hdr.tid;
  c.hdr.cpu = raw.hdr.cpu;
  c.hdr.proc = {raw.hdr.proc.tgid, raw.hdr.proc.start_ticks};
  c.hdr.cgroup_id = raw.hdr.cgroup_id;
  c.conn_id = raw.conn_id;
  c.direction = raw.direction == ZTAI_DATA_EGRESS ? ChunkDirection::kEgress : ChunkDirection::kIngress;
  c.transport = raw.source == ZTAI_DATA_SOCKET ? ChunkTransport::kTcp
                : raw.source == ZTAI_DATA_PIPE ? ChunkTransport::kPipe
                                               : ChunkTransport::kTls;
  c.peer_tgid = raw.peer_tgid;
  if (!(raw.flags & ZTAI_DATA_NO_SOCKET) && c.transport != ChunkTransport::kPipe) {
    c.local = {IpAddress::from_af(raw.family, raw.laddr).unmapped(), raw.lport};
    c.remote = {IpAddress::from_af(raw.family, raw.raddr).unmapped(), raw.rport};
  }
  c.truncated = (raw.flags & ZTAI_DATA_TRUNCATED) != 0;
  c.data.assign(reinterpret_cast<const char*>(record.data()) + sizeof(raw), raw.data_len);

  StreamKey key{raw.hdr.proc.tgid, raw.hdr.proc.start_ticks, raw.conn_id, raw.direction};
  auto it = next_pos_.find(key);
  if (it != next_pos_.end()) {
    if (raw.stream_pos > it->second) c.lost_bytes = raw.stream_pos - it->second;
  } else if (next_pos_.size() >= kMaxStreams) {
    next_pos_.clear();
  }
  // A read whose buffer could not be copied counts as lost for the next chunk.
  next_pos_[key] = raw.stream_pos + raw.data_len;
  return c;
}

}  // namespace ztai
