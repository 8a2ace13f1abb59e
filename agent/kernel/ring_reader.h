// Drains the control and data ring buffers. BPF programs submit without waking the reader
// (a wakeup costs ~1.5 us per record here), so the reader polls on a timer and is woken early
// only when a ring passes its fill threshold.
#pragma once

#include <cstddef>
#include <span>

#include "agent/common/result.h"

struct ring_buffer;

namespace ztai {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // One raw record; the bytes are valid during the call only.
  virtual void on_record(std::span<const std::byte> record) = 0;
};

class RingReader {
 public:
  static Result<std::unique_ptr<RingReader>> create(int control_fd, int data_fd, RecordSink& sink);
  ~RingReader();
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;

  // Waits up to timeout_ms for a wakeup, then drains both rings; returns records read.
  Result<size_t> poll(int timeout_ms);

 private:
  RingReader(ring_buffer* rb) : rb_(rb) {}
  ring_buffer* rb_;
};

}  // namespace ztai
