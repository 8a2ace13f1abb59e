// Hands the records of the control and the data ring to the sink in kernel-time (record header
// ktime) order. The reader drains the two rings in turn, so an exec on the control ring would be
// handled before the TLS plaintext read just before it on the data ring (the model's answer that
// asked for it) whenever both land in the same drain, and the exec would miss its causal chain.
//
// Control records wait, copied, until the drain ends; each data record first lets out the waiting
// control records that are not newer than it. Data records (bulk payloads) are never copied, and
// nothing waits beyond the drain it arrived in, so stateless rules are not delayed.
//
// Records that caused one another come out in order: a record committed before another was
// consumed is in the same drain or an earlier one, because every drain reads the data ring after
// the control ring. Unrelated records from different CPUs can still cross a drain boundary; the
// sequence rules' reorder window (agent/rules/reorder_buffer.h) is there for those.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "agent/kernel/record_sink.h"

namespace ztai {

class RingMerge {
 public:
  explicit RingMerge(RecordSink& sink) : sink_(sink) {}

  // A control ring record: waits until a newer data record or the end of the drain.
  void control(std::span<const std::byte> record);
  // A data ring record: the waiting control records not newer than it go first, then it.
  void data(std::span<const std::byte> record);
  // The end of a drain: the control records still waiting go, in ring order.
  void flush();

  size_t waiting() const { return held_.size() - next_; }

 private:
  struct Held {
    uint64_t ktime_ns;
    size_t offset;  // into bytes_
    size_t size;
  };
  // Lets out, in ring order, the waiting records up to the first one newer than ktime_ns.
  void release_until(uint64_t ktime_ns);

  RecordSink& sink_;
  // Reused from drain to drain; at most what one drain of the control ring held.
  std::vector<std::byte> bytes_;
  std::vector<Held> held_;
  size_t next_ = 0;  // the first record of held_ still waiting
};

}  // namespace ztai
