// Writes each record as one line to a stdio stream, in a chosen format; the stdout output.
#pragma once

#include <cstdio>
#include <string>

#include "exporters/exporter.h"
#include "exporters/format/format.h"

namespace ztai {

class LineWriter : public Exporter {
 public:
  LineWriter(std::string name, FILE* stream, bool owned, FormatFn format)
      : name_(std::move(name)), stream_(stream), owned_(owned), format_(format) {}
  ~LineWriter() override;
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  std::string_view name() const override { return name_; }
  Status send(const Record& record) override;
  Status flush() override;

 private:
  std::string name_;
  FILE* stream_;
  bool owned_;
  FormatFn format_;
  std::string line_;  // reused buffer
};

}  // namespace ztai
