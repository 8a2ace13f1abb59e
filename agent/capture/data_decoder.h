// Kernel plaintext records (ZTAI_EVENT_DATA) to DataChunks, with the bytes lost between records
// of a stream (ring full, per-call cap) worked out from each record's stream position.
#pragma once

#include <cstdint>
#include <span>
#include <tuple>
#include <unordered_map>

#include "agent/common/result.h"
#include "agent/protocols/data_chunk.h"

namespace ztai {

class DataDecoder {
 public:
  // Streams whose next position is remembered; past this the table starts over (later gaps in
  // those streams are then not reported).
  static constexpr size_t kMaxStreams = 65536;

  // Whether a raw record is a plaintext record (ZTAI_EVENT_DATA), which decode() takes.
  static bool is_data_record(std::span<const std::byte> record);
  Result<DataChunk> decode(std::span<const std::byte> record);
  size_t streams() const { return next_pos_.size(); }

 private:
  struct StreamKey {
    uint32_t tgid;
    uint64_t start_ticks;
    uint64_t conn_id;
    uint8_t direction;
    bool operator==(const StreamKey&) const = default;
  };
  struct StreamKeyHash {
    size_t operator()(const StreamKey& k) const noexcept {
      return std::hash<uint64_t>{}(k.conn_id * 31 + (k.start_ticks << 24) + (uint64_t{k.tgid} << 1) + k.direction);
    }
  };
  std::unordered_map<StreamKey, uint64_t, StreamKeyHash> next_pos_;
};

}  // namespace ztai
