#include "agent/fields/field_registry.h"

#include "agent/fields/chain_fields.h"
#include "agent/fields/detect_fields.h"
#include "agent/fields/file_fields.h"
#include "agent/fields/http_fields.h"
#include "agent/fields/llm_fields.h"
#include "agent/fields/mcp_fields.h"
#include "agent/fields/tls_fields.h"
#include "agent/fields/net_fields.h"
#include "agent/fields/policy_fields.h"
#include "agent/fields/selfguard_fields.h"
#include "agent/fields/posture_fields.h"
#include "agent/fields/sequence_fields.h"
#include "agent/fields/process_fields.h"
#include "agent/fields/workload_fields.h"

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

std::string FieldRef::name() const { return index.empty() ? info->name : info->name + "[" + index + "]"; }

Result<FieldRef> FieldRegistry::resolve(std::string_view text) const {
  std::string_view base = text;
  std::string_view index;
  bool indexed = false;
  if (size_t open = text.find('['); open != std::string_view::npos) {
    if (text.back() != ']') return make_error(ErrorCode::kInvalidArgument, "field {}: missing ']'", text);
    base = text.substr(0, open);
    index = text.substr(open + 1, text.size() - open - 2);
    indexed = true;
  }
  const FieldInfo* info = find(base);
  if (!info) return make_error(ErrorCode::kNotFound, "unknown field {}", base);
  if (indexed && index.empty()) return make_error(ErrorCode::kInvalidArgument, "field {}: empty index", base);
  if (indexed && info->index == FieldIndex::kNone) {
    return make_error(ErrorCode::kInvalidArgument, "field {} takes no index", base);
  }
  if (!indexed && info->index == FieldIndex::kRequired) {
    return make_error(ErrorCode::kInvalidArgument, "field {} needs an index: {}[...]", base, base);
  }
  FieldType type = info->type;
  if (!indexed && info->index == FieldIndex::kOptional) type = FieldType::kStringList;
  return FieldRef{info, std::string(index), type};
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
    add_file_fields(r);
    add_net_fields(r);
    add_workload_fields(r);
    add_policy_fields(r);
    add_selfguard_fields(r);
    add_posture_fields(r);
    add_chain_fields(r);
    add_detect_fields(r);
    add_http_fields(r);
    add_llm_fields(r);
    add_mcp_fields(r);
    add_tls_fields(r);
    add_sequence_fields(r);
    return r;
  }();
  return registry;
}

FieldSelection select_fields(const FieldRegistry& registry, const std::vector<std::string>& names) {
  FieldSelection out;
  out.reserve(names.size());
  for (const std::string& name : names) {
    if (auto ref = registry.resolve(name)) out.emplace_back(name, std::move(*ref));
  }
  return out;
}

FieldList extract_fields(const EventContext& ctx, const FieldSelection& selection) {
  FieldList out;
  out.reserve(selection.size());
  for (const auto& [name, ref] : selection) {
    FieldValue v = ref.extract(ctx);
    if (!std::holds_alternative<std::monostate>(v)) out.emplace_back(name, std::move(v));
  }
  return out;
}

FieldList extract_fields(const FieldRegistry& registry, const EventContext& ctx,
                         const std::vector<std::string>& names) {
  return extract_fields(ctx, select_fields(registry, names));
}

}  // namespace ztai
