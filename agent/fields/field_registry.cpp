#include "agent/fields/field_registry.h"

#include "agent/fields/process_fields.h"

namespace ztai {

std::string_view field_type_name(FieldType type) {
  switch (type) {
    case FieldType::kString: return "string";
    case FieldType::kInt: return "int";
    case FieldType::kUInt: return "uint";
    case FieldType::kBool: return "bool";
    case FieldType::kStringList: return "list";
  }
  return "unknown";
}

Status FieldRegistry::add(FieldInfo field) {
  if (fields_.count(field.name)) {
    return make_error(ErrorCode::kInternal, "field {} is registered twice", field.name);
  }
  std::string name = field.name;
  fields_.emplace(std::move(name), std::move(field));
  return {};
}

const FieldInfo* FieldRegistry::find(std::string_view name) const {
  auto it = fields_.find(name);
  return it == fields_.end() ? nullptr : &it->second;
}

std::vector<const FieldInfo*> FieldRegistry::all() const {
  std::vector<const FieldInfo*> out;
  out.reserve(fields_.size());
  for (const auto& [name, info] : fields_) out.push_back(&info);
  return out;
}

const FieldRegistry& builtin_fields() {
  static const FieldRegistry registry = [] {
    FieldRegistry r;
    add_process_fields(r);
    return r;
  }();
  return registry;
}

FieldList extract_fields(const FieldRegistry& registry, const EventContext& ctx,
                         const std::vector<std::string>& names) {
  FieldList out;
  out.reserve(names.size());
  for (const std::string& name : names) {
    std::string_view base = name;
    std::string_view index;
    if (size_t open = name.find('['); open != std::string::npos && name.back() == ']') {
      base = std::string_view(name).substr(0, open);
      index = std::string_view(name).substr(open + 1, name.size() - open - 2);
    }
    const FieldInfo* info = registry.find(base);
    if (!info) continue;
    FieldValue v = info->extract(ctx, index);
    if (!std::holds_alternative<std::monostate>(v)) out.emplace_back(name, std::move(v));
  }
  return out;
}

}  // namespace ztai
