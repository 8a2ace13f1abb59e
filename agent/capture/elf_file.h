// Symbols and sections of an ELF file on disk, for placing uprobes: a function's file offset
// (what the kernel's uprobe interface takes), its bytes, and the markers of Go binaries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/result.h"

namespace ztai {

struct ElfFunction {
  uint64_t file_offset = 0;  // of the first instruction
  uint64_t size = 0;
};

class ElfFile {
 public:
  static Result<ElfFile> open(const std::string& path);

  // A defined function named exactly `name`, from .dynsym or .symtab.
  std::optional<ElfFunction> function(std::string_view name) const;
  // A Go function from the runtime's own table (.gopclntab, Go 1.18+), which stripped binaries
  // keep: the symbol table is gone but the runtime needs this one for stack traces.
  std::optional<ElfFunction> go_function(std::string_view name) const;
  // The function's machine code.
  Result<std::vector<uint8_t>> code(const ElfFunction& fn) const;
  // Contents of a section, nullopt when absent.
  std::optional<std::vector<uint8_t>> section(std::string_view name) const;
  bool is_x86_64() const { return x86_64_; }
  const std::string& path() const { return path_; }

 private:
  struct Symbol {
    std::string name;
    uint64_t file_offset;
    uint64_t size;
  };
  struct Section {
    std::string name;
    uint64_t addr;
    uint64_t offset;
    uint64_t size;
    bool nobits;
  };

  std::string path_;
  bool x86_64_ = false;
  std::vector<Symbol> symbols_;
  std::vector<Section> sections_;
};

}  // namespace ztai
