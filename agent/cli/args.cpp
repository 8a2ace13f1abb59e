#include "agent/cli/args.h"

namespace ztai {

std::optional<std::string> ParsedArgs::get(const std::string& option) const {
  auto it = options.find(option);
  if (it == options.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

Result<ParsedArgs> parse_args(const std::vector<std::string>& args, const ArgSpec& spec) {
  ParsedArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 3 || a.rfind("--", 0) != 0) {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (spec.flags.count(name)) {
      if (value) return make_error(ErrorCode::kInvalidArgument, "--{} takes no value", name);
      out.flags.insert(name);
    } else if (spec.options.count(name) || spec.repeatable.count(name)) {
      if (!value) {
        if (i + 1 >= args.size()) return make_error(ErrorCode::kInvalidArgument, "--{} needs a value", name);
        value = args[++i];
      }
      auto& values = out.options[name];
      if (!values.empty() && !spec.repeatable.count(name)) {
        return make_error(ErrorCode::kInvalidArgument, "--{} given twice", name);
      }
      values.push_back(*value);
    } else {
      return make_error(ErrorCode::kInvalidArgument, "unknown option --{}", name);
    }
  }
  return out;
}

}  // namespace ztai
