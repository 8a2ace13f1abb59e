#include "agent/rules/diagnostic.h"

#include <fmt/format.h>

namespace ztai::rules {

std::string Where::str() const {
  std::string path = file ? file->path : "<rules>";
  if (mark.is_null()) return path;
  return fmt::format("{}:{}:{}", path, mark.line + 1, mark.column + 1);
}

LocatedText::LocatedText(std::string text, Where where) : text_(std::move(text)) {
  segments_.push_back(Segment{std::move(where), 0, text_.size()});
}

void LocatedText::append(const LocatedText& more) {
  if (segments_.empty()) {
    *this = more;
    return;
  }
  text_ += ' ';
  for (const Segment& s : more.segments_) segments_.push_back(Segment{s.where, text_.size() + s.begin, s.size});
  text_ += more.text_;
}

std::string LocatedText::where(size_t offset, std::string_view token) const {
  if (segments_.empty()) return "<rules>";
  const Segment* seg = &segments_.front();
  for (const Segment& s : segments_) {
    if (offset >= s.begin) seg = &s;
  }
  const Where& w = seg->where;
  if (!w.file || w.mark.is_null() || token.empty()) return w.str();
  // A YAML scalar's text differs from its source (folding, quoting), so find the token in the
  // source: the same occurrence as in the text, searched from where the scalar starts.
  std::string_view part = std::string_view(text_).substr(seg->begin, seg->size);
  size_t local = offset - seg->begin;
  size_t nth = 0;
  for (size_t i = part.find(token); i != std::string_view::npos && i < local; i = part.find(token, i + 1)) ++nth;
  const std::string& src = w.file->text;
  size_t limit = std::min(src.size(), static_cast<size_t>(w.mark.pos) + seg->size * 2 + 256);
  size_t at = static_cast<size_t>(w.mark.pos);
  for (size_t k = 0;; ++k) {
    at = src.find(token, at);
    if (at == std::string::npos || at >= limit) return w.str();
    if (k == nth) break;
    ++at;
  }
  size_t line = 1, col = 1;
  for (size_t i = 0; i < at; ++i) {
    if (src[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return fmt::format("{}:{}:{}", w.file->path, line, col);
}

std::string Diagnostic::str() const {
  std::string out = where;
  out += severity == Severity::kWarning ? ": warning: " : ": ";
  if (!item.empty()) out += item + ": ";
  out += message;
  return out;
}

void Diagnostics::error(std::string where, std::string item, std::string message) {
  all_.push_back({Diagnostic::Severity::kError, std::move(where), std::move(item), std::move(message)});
}

void Diagnostics::warning(std::string where, std::string item, std::string message) {
  all_.push_back({Diagnostic::Severity::kWarning, std::move(where), std::move(item), std::move(message)});
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

size_t Diagnostics::error_count() const {
  size_t n = 0;
  for (const Diagnostic& d : all_) n += d.severity == Diagnostic::Severity::kError;
  return n;
}

std::string Diagnostics::errors_text() const {
  std::string out;
  for (const Diagnostic& d : all_) {
    if (d.severity != Diagnostic::Severity::kError) continue;
    if (!out.empty()) out += '\n';
    out += d.str();
  }
  return out;
}

}  // namespace ztai::rules
