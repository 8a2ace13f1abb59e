// A set of regular expressions compiled into one Vectorscan database, so a text is scanned once
// for all of them whatever their number. Detectors (DLP, prompt injection) own one each.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/result.h"

struct hs_database;
struct hs_scratch;

namespace ztai::detect {

struct PatternSpec {
  std::string expression;
  unsigned flags = 0;  // HS_FLAG_*
};

// Pattern `id` (its index in the list given to compile) matched text ending at `end`. Starts are
// not tracked: asking Vectorscan for them costs several times the scan, and callers find them
// in the few places that matched.
struct PatternMatch {
  unsigned id;
  std::size_t end;
};

class PatternDatabase {
 public:
  // Fails naming the pattern Vectorscan rejects and why.
  static Result<std::shared_ptr<const PatternDatabase>> compile(const std::vector<PatternSpec>& patterns);
  ~PatternDatabase();
  PatternDatabase(const PatternDatabase&) = delete;
  PatternDatabase& operator=(const PatternDatabase&) = delete;

  hs_database* handle() const { return db_; }
  std::size_t size() const { return size_; }

 private:
  PatternDatabase(hs_database* db, std::size_t size) : db_(db), size_(size) {}
  hs_database* db_;
  std::size_t size_;
};

// Scans with one database. Vectorscan scratch space cannot be shared between threads that scan at
// the same time, so a scanner belongs to one thread; copies share the database and get their own
// scratch.
class PatternScanner {
 public:
  static Result<PatternScanner> create(std::shared_ptr<const PatternDatabase> db);
  PatternScanner(const PatternScanner& other);
  PatternScanner& operator=(const PatternScanner&) = delete;
  PatternScanner(PatternScanner&& other) noexcept;
  PatternScanner& operator=(PatternScanner&&) = delete;
  ~PatternScanner();

  // Calls `on_match` in order of end offset. A pattern with a variable length reports every end
  // it can reach from a start; callers keep what they need.
  Status scan(std::string_view text, const std::function<void(const PatternMatch&)>& on_match) const;

 private:
  PatternScanner(std::shared_ptr<const PatternDatabase> db, hs_scratch* scratch)
      : db_(std::move(db)), scratch_(scratch) {}
  std::shared_ptr<const PatternDatabase> db_;
  hs_scratch* scratch_;
};

}  // namespace ztai::detect
