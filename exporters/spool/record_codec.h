// A compact binary form of a Record for the on-disk spool. Decoding checks every length, so a
// torn or corrupted spool entry is an error, never a crash.
#pragma once

#include <string>
#include <string_view>

#include "agent/common/result.h"
#include "exporters/record.h"

namespace ztai {

void encode_record(const Record& record, std::string& out);
Result<Record> decode_record(std::string_view bytes);

}  // namespace ztai
