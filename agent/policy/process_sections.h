// Parsers of the process and file sections (process_spec.h), listed in the section table
// (policy_parser.cpp) next to the network sections.
#pragma once

#include "agent/policy/spec_sections.h"

namespace ztai::policy {

Status parse_exec(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out);
Status parse_files(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out);
Status parse_io_uring(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out);
Status parse_unix(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out);

}  // namespace ztai::policy
