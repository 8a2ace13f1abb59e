// `ztai fields [--json]`: every field rules and outputs can name.
#include <fmt/format.h>

#include "agent/cli/args.h"
#include "agent/cli/commands.h"
#include "agent/common/json_writer.h"
#include "agent/fields/field_registry.h"

namespace ztai {
namespace {

std::string display_name(const FieldInfo& f) {
  switch (f.index) {
    case FieldIndex::kNone: return f.name;
    case FieldIndex::kOptional: return f.name + "[N]";
    case FieldIndex::kRequired: return f.name + "[KEY]";
  }
  return f.name;
}

}  // namespace

int fields_command(const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{"json"}, {}, {}});
  if (!args || !args->positional.empty()) {
    fmt::print(stderr, "usage: ztai fields [--json]\n");
    return 2;
  }
  std::vector<const FieldInfo*> fields = builtin_fields().all();
  if (args->has("json")) {
    std::string out;
    JsonWriter w(out);
    w.begin_array();
    for (const FieldInfo* f : fields) {
      w.begin_object();
      w.field("name", f->name);
      w.field("type", field_type_name(f->type));
      w.field("index", f->index == FieldIndex::kNone ? "none" : f->index == FieldIndex::kOptional ? "optional" : "required");
      w.field("description", f->description);
      w.end_object();
    }
    w.end_array();
    fmt::print("{}\n", out);
    return 0;
  }
  size_t width = 0;
  for (const FieldInfo* f : fields) width = std::max(width, display_name(*f).size());
  for (const FieldInfo* f : fields) {
    fmt::print("{:<{}}  {:<6}  {}\n", display_name(*f), width, field_type_name(f->type), f->description);
  }
  return 0;
}

}  // namespace ztai
