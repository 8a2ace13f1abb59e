// An output that keeps what it receives, for pipeline tests.
#pragma once

#include <string_view>
#include <vector>

#include "exporters/exporter.h"

namespace ztai::testing {

class CaptureExporter : public Exporter {
 public:
  explicit CaptureExporter(std::vector<Record>& out) : out_(out) {}
  std::string_view name() const override { return "capture"; }
  Status send(const Record& r) override {
    out_.push_back(r);
    return {};
  }

 private:
  std::vector<Record>& out_;
};

// The value of one output field of a record; monostate when absent.
inline FieldValue record_field(const Record& r, std::string_view name) {
  for (const auto& [k, v] : r.fields) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace ztai::testing
