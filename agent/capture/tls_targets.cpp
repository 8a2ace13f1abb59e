#include "agent/capture/tls_targets.h"

#include <capstone/capstone.h>

#include <charconv>
#include <string_view>

namespace ztai {
namespace {

constexpr const char* kGoWrite = "crypto/tls.(*Conn).Write";
constexpr const char* kGoRead = "crypto/tls.(*Conn).Read";

// The register ABI (arguments and g in registers) arrived in Go 1.17.
bool go_has_register_abi(std::string_view version) {
  if (version.substr(0, 4) != "go1.") return false;
  std::string_view rest = version.substr(4);
  int minor = 0;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), minor);
  return ec == std::errc() && minor >= 17;
}

}  // namespace

std::string go_build_version(const std::vector<uint8_t>& buildinfo) {
  std::string_view text(reinterpret_cast<const char*>(buildinfo.data()), buildinfo.size());
  size_t at = text.find("go1.");
  if (at == std::string_view::npos) return {};
  size_t end = at + 4;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
  return std::string(text.substr(at, end - at));
}

Result<std::vector<uint64_t>> x86_return_offsets(const std::vector<uint8_t>& code) {
  csh handle;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
    return make_error(ErrorCode::kInternal, "capstone: cannot open an x86-64 disassembler");
  }
  std::vector<uint64_t> out;
  const uint8_t* p = code.data();
  size_t left = code.size();
  uint64_t addr = 0;
  cs_insn* insn = cs_malloc(handle);
  // cs_disasm_iter stops at bytes it cannot decode (padding after the last instruction).
  while (left > 0 && cs_disasm_iter(handle, &p, &left, &addr, insn)) {
    if (insn->id == X86_INS_RET) out.push_back(insn->address);
  }
  cs_free(insn, 1);
  cs_close(&handle);
  return out;
}

Result<TlsTargets> find_tls_targets(const ElfFile& elf) {
  TlsTargets t;
  struct Hook {
    const char* symbol;
    const char* program;
  };
  auto add_c_hooks = [&](std::initializer_list<Hook> hooks) {
    for (const Hook& h : hooks) {
      auto fn = elf.function(h.symbol);
      if (!fn) continue;
      t.probes.push_back({h.program, fn->file_offset, false, h.symbol});
      t.probes.push_back({"tls_return", fn->file_offset, true, h.symbol});
    }
  };

  if (elf.function("SSL_write")) {
    t.stack = TlsStack::kOpenssl;
    add_c_hooks({{"SSL_write", "tls_openssl_write"},
                 {"SSL_read", "tls_openssl_read"},
                 {"SSL_write_ex", "tls_openssl_write_ex"},
                 {"SSL_read_ex", "tls_openssl_read_ex"}});
    return t;
  }
  if (elf.function("gnutls_record_send")) {
    t.stack = TlsStack::kGnutls;
    add_c_hooks({{"gnutls_record_send", "tls_gnutls_send"}, {"gnutls_record_recv", "tls_gnutls_recv"}});
    return t;
  }
  auto go_write = elf.function(kGoWrite);
  auto go_read = elf.function(kGoRead);
  if (!go_write || !go_read) {
    go_write = elf.go_function(kGoWrite);
    go_read = elf.go_function(kGoRead);
  }
  if (!go_write || !go_read) return t;
  t.stack = TlsStack::kGo;
  if (auto info = elf.section(".go.buildinfo")) t.go_version = go_build_version(*info);
  if (!elf.is_x86_64()) return make_error(ErrorCode::kUnsupported, "{}: Go TLS capture is built for x86-64 only", elf.path());
  if (!go_has_register_abi(t.go_version)) {
    return make_error(ErrorCode::kUnsupported, "{}: Go {} passes arguments on the stack (before go1.17); not captured",
                      elf.path(), t.go_version.empty() ? "of unknown version" : t.go_version);
  }
  for (auto [fn, entry, symbol] : {std::tuple{*go_write, "tls_go_write", kGoWrite}, std::tuple{*go_read, "tls_go_read", kGoRead}}) {
    auto code = elf.code(fn);
    if (!code) return code.error();
    auto rets = x86_return_offsets(*code);
    if (!rets) return rets.error();
    if (rets->empty()) return make_error(ErrorCode::kUnsupported, "{}: no RET found in {}", elf.path(), symbol);
    t.probes.push_back({entry, fn.file_offset, false, symbol});
    for (uint64_t r : *rets) t.probes.push_back({"tls_go_return", fn.file_offset + r, false, symbol});
  }
  return t;
}

}  // namespace ztai
