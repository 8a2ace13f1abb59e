#include "agent/kernel/ring_reader.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include <bpf/libbpf.h>

namespace ztai {
namespace {

int on_sample(void* ctx, void* data, size_t size) {
  static_cast<RecordSink*>(ctx)->on_record(std::span<const std::byte>(static_cast<const std::byte*>(data), size));
  return 0;
}

}  // namespace

Result<std::unique_ptr<RingReader>> RingReader::create(int control_fd, int data_fd, RecordSink& sink) {
  ring_buffer* rb = ring_buffer__new(control_fd, on_sample, &sink, nullptr);
  if (!rb) return make_error(ErrorCode::kKernel, "cannot map the control ring buffer: {}", strerror(errno));
  std::unique_ptr<RingReader> reader(new RingReader(rb));
  if (int err = ring_buffer__add(rb, data_fd, on_sample, &sink); err) {
    return make_error(ErrorCode::kKernel, "cannot map the data ring buffer: {}", strerror(-err));
  }
  return reader;
}

RingReader::~RingReader() { ring_buffer__free(rb_); }

Result<size_t> RingReader::poll(int timeout_ms) {
  // poll() consumes only the rings that signalled a wakeup; records submitted without one are
  // picked up by the consume() that follows.
  int n = ring_buffer__poll(rb_, timeout_ms);
  if (n < 0 && n != -EINTR) return make_error(ErrorCode::kKernel, "ring buffer poll failed: {}", strerror(-n));
  int m = ring_buffer__consume(rb_);
  if (m < 0 && m != -EINTR) return make_error(ErrorCode::kKernel, "ring buffer read failed: {}", strerror(-m));
  return static_cast<size_t>(std::max(n, 0) + std::max(m, 0));
}

}  // namespace ztai
