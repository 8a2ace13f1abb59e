#include "agent/detect/pattern_database.h"

#include <hs/hs.h>

#include <limits>

namespace ztai::detect {

Result<std::shared_ptr<const PatternDatabase>> PatternDatabase::compile(const std::vector<PatternSpec>& patterns) {
  if (patterns.empty()) return make_error(ErrorCode::kInvalidArgument, "no patterns to compile");
  std::vector<const char*> expressions;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    expressions.push_back(patterns[i].expression.c_str());
    flags.push_back(patterns[i].flags);
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(), static_cast<unsigned>(patterns.size()),
                       HS_MODE_BLOCK, nullptr, &db, &error) != HS_SUCCESS) {
    std::string where = error->expression >= 0
                            ? fmt::format("pattern {} /{}/", error->expression, patterns[error->expression].expression)
                            : std::string("pattern database");
    Error e = make_error(ErrorCode::kInvalidArgument, "{}: {}", where, error->message);
    hs_free_compile_error(error);
    return e;
  }
  return std::shared_ptr<const PatternDatabase>(new PatternDatabase(db, patterns.size()));
}

PatternDatabase::~PatternDatabase() { hs_free_database(db_); }

Result<PatternScanner> PatternScanner::create(std::shared_ptr<const PatternDatabase> db) {
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(db->handle(), &scratch) != HS_SUCCESS) {
    return make_error(ErrorCode::kInternal, "cannot allocate Vectorscan scratch space");
  }
  return PatternScanner(std::move(db), scratch);
}

PatternScanner::PatternScanner(const PatternScanner& other) : db_(other.db_), scratch_(nullptr) {
  // Cloning only fails when memory runs out, which the allocator reports the same way as `new`.
  if (hs_clone_scratch(other.scratch_, &scratch_) != HS_SUCCESS) throw std::bad_alloc();
}

PatternScanner::PatternScanner(PatternScanner&& other) noexcept
    : db_(std::move(other.db_)), scratch_(other.scratch_) {
  other.scratch_ = nullptr;
}

PatternScanner::~PatternScanner() {
  if (scratch_ != nullptr) hs_free_scratch(scratch_);
}

namespace {
using MatchSink = std::function<void(const PatternMatch&)>;

int on_hs_match(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/, void* ctx) {
  (*static_cast<const MatchSink*>(ctx))(PatternMatch{id, static_cast<std::size_t>(to)});
  return 0;
}
}  // namespace

Status PatternScanner::scan(std::string_view text, const MatchSink& on_match) const {
  // Vectorscan takes an unsigned length; cutting a larger text into pieces would split matches at
  // the cuts, so it is refused instead.
  if (text.size() > std::numeric_limits<unsigned>::max()) {
    return make_error(ErrorCode::kInvalidArgument, "text of {} bytes is larger than one scan can take", text.size());
  }
  hs_error_t rc = hs_scan(db_->handle(), text.data(), static_cast<unsigned>(text.size()), 0, scratch_, on_hs_match,
                          const_cast<MatchSink*>(&on_match));
  if (rc != HS_SUCCESS) return make_error(ErrorCode::kInternal, "Vectorscan scan failed (error {})", rc);
  return {};
}

}  // namespace ztai::detect
