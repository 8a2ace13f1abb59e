#include <stdexcept>

#include "exporters/exporter.h"
#include "exporters/file/file_exporter.h"
#include "exporters/stdout/stdout_exporter.h"

namespace ztai {

Status ExporterRegistry::add(std::string name, ExporterFactory factory) {
  if (factories_.count(name)) return make_error(ErrorCode::kInternal, "exporter {} is registered twice", name);
  factories_.emplace(std::move(name), std::move(factory));
  return {};
}

Result<std::unique_ptr<Exporter>> ExporterRegistry::create(std::string_view type, const YAML::Node& config,
                                                           const ExporterContext& ctx) const {
  auto it = factories_.find(type);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& [name, f] : factories_) known += (known.empty() ? "" : ", ") + name;
    return make_error(ErrorCode::kInvalidArgument, "unknown output type '{}' (known: {})", type, known);
  }
  return it->second(config, ctx);
}

std::vector<std::string> ExporterRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, f] : factories_) out.push_back(name);
  return out;
}

const ExporterRegistry& builtin_exporters() {
  static const ExporterRegistry registry = [] {
    ExporterRegistry r;
    for (auto [name, factory] : {std::pair<const char*, ExporterFactory>{"stdout", make_stdout_exporter},
                                 std::pair<const char*, ExporterFactory>{"file", make_file_exporter}}) {
      if (Status s = r.add(name, factory); !s) throw std::logic_error(s.error().message());
    }
    return r;
  }();
  return registry;
}

}  // namespace ztai
