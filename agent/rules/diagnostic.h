// One problem found in a rule file, printed as `file:line:col: rule NAME: what is wrong`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace ztai::rules {

// A loaded rule file: its path, and its text for turning offsets into line and column.
struct SourceFile {
  std::string path;
  std::string text;
};

// A place in a rule file.
struct Where {
  std::shared_ptr<const SourceFile> file;
  YAML::Mark mark;

  std::string str() const;
};

// Text that came from YAML scalars, possibly several (a condition with `append`), so that an
// offset in the text maps back to its file, line and column.
class LocatedText {
 public:
  LocatedText() = default;
  LocatedText(std::string text, Where where);

  const std::string& text() const { return text_; }
  bool empty() const { return text_.empty(); }
  // Falco appends with a space between the parts.
  void append(const LocatedText& more);
  // The place of `token` found at `offset` of the text; the scalar's start when it cannot be found.
  std::string where(size_t offset, std::string_view token) const;
  const Where& start() const { return segments_.front().where; }

 private:
  struct Segment {
    Where where;
    size_t begin = 0;  // offset in text_
    size_t size = 0;
  };
  std::string text_;
  std::vector<Segment> segments_;
};

struct Diagnostic {
  enum class Severity { kError, kWarning };

  Severity severity = Severity::kError;
  std::string where;  // file:line:col
  std::string item;   // "rule NAME", "macro NAME", "list NAME", or empty
  std::string message;

  std::string str() const;
};

class Diagnostics {
 public:
  void error(std::string where, std::string item, std::string message);
  void warning(std::string where, std::string item, std::string message);
  void add(Diagnostic d) { all_.push_back(std::move(d)); }

  bool has_errors() const;
  size_t error_count() const;
  const std::vector<Diagnostic>& all() const { return all_; }
  // Every error on its own line, for a start-up failure or a rejected reload.
  std::string errors_text() const;

 private:
  std::vector<Diagnostic> all_;
};

}  // namespace ztai::rules
