// Writes each record as one JSON line to a stdio stream; shared by the stdout and file outputs.
#pragma once

#include <cstdio>
#include <string>

#include "exporters/exporter.h"

namespace ztai {

class LineWriter : public Exporter {
 public:
  LineWriter(std::string name, FILE* stream, bool owned) : name_(std::move(name)), stream_(stream), owned_(owned) {}
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
  std::string line_;  // reused buffer
};

}  // namespace ztai
