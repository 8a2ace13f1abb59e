// OCSF 1.1 Detection Finding (class_uid 2004, category Findings): the rule is the finding, the
// process, file, network and HTTP fields are its evidence, and every field also goes to
// `unmapped` so nothing the rule printed is lost in the mapping.
#pragma once

#include <string>

#include "exporters/record.h"

namespace ztai {

inline constexpr int kOcsfClassDetectionFinding = 2004;
inline constexpr int kOcsfCategoryFindings = 2;
inline constexpr int kOcsfActivityCreate = 1;

// OCSF severity_id for a priority: Fatal 6 .. Informational 1.
int ocsf_severity_id(Priority p);
void format_ocsf(const Record& record, std::string& out);

}  // namespace ztai
