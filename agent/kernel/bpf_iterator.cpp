#include "agent/kernel/bpf_iterator.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ztai {

Result<size_t> run_bpf_iterator(int prog_fd, std::string_view what) {
  int link = bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, nullptr);
  if (link < 0) return make_error(ErrorCode::kKernel, "creating {} failed: {}", what, strerror(errno));
  int iter = bpf_iter_create(link);
  if (iter < 0) {
    int err = errno;
    close(link);
    return make_error(ErrorCode::kKernel, "opening {} failed: {}", what, strerror(err));
  }
  size_t bytes = 0;
  char buf[4096];
  ssize_t n;
  while ((n = read(iter, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) bytes += static_cast<size_t>(n);
  }
  int err = errno;
  close(iter);
  close(link);
  if (n < 0) return make_error(ErrorCode::kKernel, "reading {} failed: {}", what, strerror(err));
  return bytes;
}

}  // namespace ztai
