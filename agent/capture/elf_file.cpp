#include "agent/capture/elf_file.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

namespace ztai {
namespace {

struct ElfCloser {
  void operator()(Elf* e) const { elf_end(e); }
};

// The file offset of a virtual address: through the section that holds it (what the kernel's
// uprobe interface wants; PIE and non-PIE alike).
std::optional<uint64_t> file_offset(Elf* elf, uint64_t vaddr) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || !(sh.sh_flags & SHF_EXECINSTR)) continue;
    if (vaddr >= sh.sh_addr && vaddr < sh.sh_addr + sh.sh_size) return vaddr - sh.sh_addr + sh.sh_offset;
  }
  return std::nullopt;
}

}  // namespace

Result<ElfFile> ElfFile::open(const std::string& path) {
  if (elf_version(EV_CURRENT) == EV_NONE) return make_error(ErrorCode::kInternal, "libelf: {}", elf_errmsg(-1));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::kNotFound, "{}: {}", path, strerror(errno));
  std::unique_ptr<Elf, ElfCloser> elf(elf_begin(fd, ELF_C_READ_MMAP, nullptr));
  ElfFile out;
  out.path_ = path;
  auto close_fd = [&] { ::close(fd); };
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF) {
    close_fd();
    return make_error(ErrorCode::kInvalidArgument, "{}: not an ELF file", path);
  }
  GElf_Ehdr eh;
  if (!gelf_getehdr(elf.get(), &eh)) {
    close_fd();
    return make_error(ErrorCode::kInvalidArgument, "{}: unreadable ELF header: {}", path, elf_errmsg(-1));
  }
  out.x86_64_ = eh.e_machine == EM_X86_64;
  size_t shstrndx = 0;
  elf_getshdrstrndx(elf.get(), &shstrndx);
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf.get(), scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    const char* name = elf_strptr(elf.get(), shstrndx, sh.sh_name);
    out.sections_.push_back({name ? name : "", sh.sh_addr, sh.sh_offset, sh.sh_size, sh.sh_type == SHT_NOBITS});
    if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || sh.sh_entsize == 0) continue;
    size_t count = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
      if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || sym.st_value == 0) continue;
      const char* sname = elf_strptr(elf.get(), sh.sh_link, sym.st_name);
      if (!sname || !*sname) continue;
      std::optional<uint64_t> off = file_offset(elf.get(), sym.st_value);
      if (!off) continue;
      // Versioned dynamic names ("SSL_write@@OPENSSL_3.0.0") are kept as the bare name.
      std::string_view n(sname);
      n = n.substr(0, n.find('@'));
      out.symbols_.push_back({std::string(n), *off, sym.st_size});
    }
  }
  close_fd();
  return out;
}

std::optional<ElfFunction> ElfFile::function(std::string_view name) const {
  for (const Symbol& s : symbols_) {
    if (s.name == name) return ElfFunction{s.file_offset, s.size};
  }
  return std::nullopt;
}

std::optional<ElfFunction> ElfFile::go_function(std::string_view name) const {
  auto tab = section(".gopclntab");
  if (!tab || tab->size() < 8) return std::nullopt;
  const std::vector<uint8_t>& t = *tab;
  auto u32 = [&](uint64_t at) -> std::optional<uint32_t> {
    if (at + 4 > t.size()) return std::nullopt;
    uint32_t v;
    std::memcpy(&v, t.data() + at, 4);
    return v;
  };
  uint32_t magic = *u32(0);
  uint8_t ptr_size = t[7];
  // pcHeader of Go 1.18 (0xfffffff0) and 1.20+ (0xfffffff1), 64-bit little-endian.
  if ((magic != 0xfffffff0 && magic != 0xfffffff1) || ptr_size != 8 || t.size() < 8 + 8 * 8) return std::nullopt;
  auto word = [&](int i) {
    uint64_t v;
    std::memcpy(&v, t.data() + 8 + 8 * i, 8);
    return v;
  };
  uint64_t nfunc = word(0), text_start = word(2), funcname_off = word(3), pcln_off = word(7);
  for (uint64_t i = 0; i < nfunc; ++i) {
    auto entry = u32(pcln_off + i * 8), func = u32(pcln_off + i * 8 + 4), next = u32(pcln_off + (i + 1) * 8);
    if (!entry || !func || !next) return std::nullopt;
    auto name_off = u32(pcln_off + *func + 4);
    if (!name_off) return std::nullopt;
    uint64_t at = funcname_off + *name_off;
    if (at >= t.size()) continue;
    std::string_view fname(reinterpret_cast<const char*>(t.data() + at), strnlen(reinterpret_cast<const char*>(t.data() + at), t.size() - at));
    if (fname != name) continue;
    uint64_t vaddr = text_start + *entry;
    for (const Section& s : sections_) {
      if (!s.nobits && vaddr >= s.addr && vaddr < s.addr + s.size && s.name == ".text") {
        return ElfFunction{vaddr - s.addr + s.offset, uint64_t{*next} - *entry};
      }
    }
    return std::nullopt;
  }
  return std::nullopt;
}

Result<std::vector<uint8_t>> ElfFile::code(const ElfFunction& fn) const {
  std::ifstream in(path_, std::ios::binary);
  std::vector<uint8_t> bytes(fn.size);
  in.seekg(static_cast<std::streamoff>(fn.file_offset));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!in) return make_error(ErrorCode::kIo, "{}: cannot read {} bytes at offset {}", path_, fn.size, fn.file_offset);
  return bytes;
}

std::optional<std::vector<uint8_t>> ElfFile::section(std::string_view name) const {
  for (const Section& s : sections_) {
    if (s.name != name || s.nobits) continue;
    std::ifstream in(path_, std::ios::binary);
    std::vector<uint8_t> bytes(s.size);
    in.seekg(static_cast<std::streamoff>(s.offset));
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!in) return std::nullopt;
    return bytes;
  }
  return std::nullopt;
}

}  // namespace ztai
