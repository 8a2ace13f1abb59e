// Writes each record as one line to a file descriptor, in a chosen format; the stdout output.
// One write() per record and no stdio buffer: what a write reported is on the stream, and a
// thread left behind blocked on a full pipe leaves no half-written stdio buffer that exit()
// would try to flush into the same full pipe.
#pragma once

#include <string>

#include "exporters/exporter.h"
#include "exporters/format/format.h"

namespace ztai {

// Writes all of data, going on after short writes and signals. `what` names the stream in errors.
Status write_fully(int fd, std::string_view data, std::string_view what);

class LineWriter : public Exporter {
 public:
  LineWriter(std::string name, int fd, bool owned, FormatFn format)
      : name_(std::move(name)), fd_(fd), owned_(owned), format_(format) {}
  ~LineWriter() override;
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  std::string_view name() const override { return name_; }
  Status send(const Record& record) override;

 private:
  std::string name_;
  int fd_;
  bool owned_;
  FormatFn format_;
  std::string line_;  // reused buffer
};

}  // namespace ztai
