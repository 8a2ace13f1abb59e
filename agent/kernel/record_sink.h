// Where raw kernel records go, one at a time.
#pragma once

#include <cstddef>
#include <span>

namespace ztai {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // One raw record; the bytes are valid during the call only.
  virtual void on_record(std::span<const std::byte> record) = 0;
};

}  // namespace ztai
