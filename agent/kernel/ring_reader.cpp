#include "agent/kernel/ring_reader.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include <bpf/libbpf.h>

namespace ztai {
namespace {

std::span<const std::byte> bytes(void* data, size_t size) {
  return std::span<const std::byte>(static_cast<const std::byte*>(data), size);
}

int on_control(void* ctx, void* data, size_t size) {
  static_cast<RingMerge*>(ctx)->control(bytes(data, size));
  return 0;
}

int on_data(void* ctx, void* data, size_t size) {
  static_cast<RingMerge*>(ctx)->data(bytes(data, size));
  return 0;
}

}  // namespace

Result<std::unique_ptr<RingReader>> RingReader::create(int control_fd, int data_fd, RecordSink& sink) {
  std::unique_ptr<RingReader> reader(new RingReader(sink));
  // libbpf drains the rings in the order they were added: control, then data (see ring_merge.h).
  reader->rb_ = ring_buffer__new(control_fd, on_control, &reader->merge_, nullptr);
  if (!reader->rb_) return make_error(ErrorCode::kKernel, "cannot map the control ring buffer: {}", strerror(errno));
  if (int err = ring_buffer__add(reader->rb_, data_fd, on_data, &reader->merge_); err) {
    return make_error(ErrorCode::kKernel, "cannot map the data ring buffer: {}", strerror(-err));
  }
  return reader;
}

RingReader::~RingReader() { ring_buffer__free(rb_); }

Result<size_t> RingReader::poll(int timeout_ms) {
  // poll() consumes only the rings that signalled a wakeup; records submitted without one are
  // picked up by the consume() that follows, which reads the data ring last.
  int n = ring_buffer__poll(rb_, timeout_ms);
  int m = n < 0 && n != -EINTR ? 0 : ring_buffer__consume(rb_);
  // What was read is handed on even when a read failed.
  merge_.flush();
  if (n < 0 && n != -EINTR) return make_error(ErrorCode::kKernel, "ring buffer poll failed: {}", strerror(-n));
  if (m < 0 && m != -EINTR) return make_error(ErrorCode::kKernel, "ring buffer read failed: {}", strerror(-m));
  return static_cast<size_t>(std::max(n, 0) + std::max(m, 0));
}

}  // namespace ztai
