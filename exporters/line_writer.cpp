#include "exporters/line_writer.h"

#include <cerrno>
#include <cstring>

namespace ztai {

LineWriter::~LineWriter() {
  fflush(stream_);
  if (owned_) fclose(stream_);
}

Status LineWriter::send(const Record& record) {
  line_.clear();
  format_(record, line_);
  line_ += '\n';
  if (fwrite(line_.data(), 1, line_.size(), stream_) != line_.size()) {
    return make_error(ErrorCode::kIo, "{}: write failed: {}", name_, strerror(errno));
  }
  return {};
}

Status LineWriter::flush() {
  if (fflush(stream_) != 0) return make_error(ErrorCode::kIo, "{}: flush failed: {}", name_, strerror(errno));
  return {};
}

}  // namespace ztai
