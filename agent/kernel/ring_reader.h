// Drains the control and data ring buffers. BPF programs submit without waking the reader
// (a wakeup costs ~1.5 us per record here), so the reader polls on a timer and is woken early
// only when a ring passes its fill threshold. The records of both rings reach the sink in kernel
// time order (agent/kernel/ring_merge.h).
#pragma once

#include <cstddef>
#include <memory>

#include "agent/common/result.h"
#include "agent/kernel/record_sink.h"
#include "agent/kernel/ring_merge.h"

struct ring_buffer;

namespace ztai {

class RingReader {
 public:
  static Result<std::unique_ptr<RingReader>> create(int control_fd, int data_fd, RecordSink& sink);
  ~RingReader();
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;

  // Waits up to timeout_ms for a wakeup, then drains both rings; returns records read.
  Result<size_t> poll(int timeout_ms);

 private:
  explicit RingReader(RecordSink& sink) : merge_(sink) {}
  RingMerge merge_;
  ring_buffer* rb_ = nullptr;
};

}  // namespace ztai
