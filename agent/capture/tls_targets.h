// Where to put the TLS uprobes in one file: OpenSSL's and GnuTLS's exported functions, or Go's
// crypto/tls methods with one probe per RET instruction (Go cannot take uretprobes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/capture/elf_file.h"
#include "agent/common/result.h"

namespace ztai {

enum class TlsStack { kOpenssl, kGnutls, kGo };

struct UprobeSpec {
  std::string program;  // BPF program name in the skeleton
  uint64_t offset = 0;  // file offset
  bool retprobe = false;
  std::string symbol;   // for messages
};

struct TlsTargets {
  TlsStack stack{};
  std::string go_version;  // "go1.19.8" for Go binaries
  std::vector<UprobeSpec> probes;
};

// nullopt-like empty probes when the file has no TLS functions we hook; an error when it has them
// but they cannot be probed safely (a Go binary older than the register ABI, a non-x86-64 file).
Result<TlsTargets> find_tls_targets(const ElfFile& elf);

// Offsets (from the function's start) of the RET instructions in x86-64 machine code.
Result<std::vector<uint64_t>> x86_return_offsets(const std::vector<uint8_t>& code);

// "go1.19.8" from a .go.buildinfo section, empty when none is found.
std::string go_build_version(const std::vector<uint8_t>& buildinfo);

}  // namespace ztai
