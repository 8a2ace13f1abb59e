#include "exporters/line_writer.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ztai {

Status write_fully(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // A descriptor someone else made non-blocking: wait until it takes more.
      pollfd p{fd, POLLOUT, 0};
      poll(&p, 1, -1);
      continue;
    }
    if (n <= 0) {
      return make_error(ErrorCode::kIo, "{}: write failed: {}", what, n < 0 ? strerror(errno) : "no progress");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

LineWriter::~LineWriter() {
  if (owned_) close(fd_);
}

Status LineWriter::send(const Record& record) {
  line_.clear();
  format_(record, line_);
  line_ += '\n';
  return write_fully(fd_, line_, name_);
}

}  // namespace ztai
