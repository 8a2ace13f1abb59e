// ArcSight CEF (Common Event Format, rev. 25): a pipe-separated header and key=value extensions.
// Header fields escape `\` and `|`; extension values escape `\`, `=` and line breaks (as \n, \r);
// both are valid UTF-8 after escaping, whatever bytes the process put in its command line.
#pragma once

#include <string>
#include <string_view>

#include "exporters/record.h"

namespace ztai {

// CEF severity 0..10 for a priority.
int cef_severity(Priority p);
void cef_escape_header(std::string& out, std::string_view s);
void cef_escape_extension(std::string& out, std::string_view s);
void format_cef(const Record& record, std::string& out);

}  // namespace ztai
