#include "agent/kernel/ring_merge.h"

#include <cstring>

#include "bpf/abi/events.h"

namespace ztai {
namespace {

// A record too short to carry a time counts as time 0; the decoder reports it.
uint64_t ktime_of(std::span<const std::byte> record) {
  uint64_t t = 0;
  constexpr size_t kAt = offsetof(ztai_event_header, ktime_ns);
  if (record.size() >= kAt + sizeof(t)) std::memcpy(&t, record.data() + kAt, sizeof(t));
  return t;
}

}  // namespace

void RingMerge::control(std::span<const std::byte> record) {
  held_.push_back(Held{ktime_of(record), bytes_.size(), record.size()});
  bytes_.insert(bytes_.end(), record.begin(), record.end());
}

void RingMerge::data(std::span<const std::byte> record) {
  release_until(ktime_of(record));
  sink_.on_record(record);
}

void RingMerge::flush() {
  release_until(UINT64_MAX);
  held_.clear();
  bytes_.clear();
  next_ = 0;
}

void RingMerge::release_until(uint64_t ktime_ns) {
  for (; next_ < held_.size() && held_[next_].ktime_ns <= ktime_ns; ++next_) {
    sink_.on_record(std::span<const std::byte>(bytes_.data() + held_[next_].offset, held_[next_].size));
  }
}

}  // namespace ztai
