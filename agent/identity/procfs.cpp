#include "agent/identity/procfs.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "agent/events/process_decoder.h"

namespace ztai {
namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename T>
bool parse_uint(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "Uid:\t0\t0\t0\t0" -> real and effective ids.
void parse_ids(std::string_view status, std::string_view label, uint32_t& real, uint32_t& effective) {
  size_t at = status.find(label);
  if (at == std::string_view::npos) return;
  size_t begin = at + label.size();
  size_t end = status.find('\n', begin);
  std::istringstream line(std::string(status.substr(begin, end == std::string_view::npos ? end : end - begin)));
  line >> real >> effective;
}

// "CapEff:\t000001ffffffffff" -> the hex value after the label.
std::optional<std::string_view> status_value(std::string_view status, std::string_view label) {
  size_t at = status.find(label);
  while (at != std::string_view::npos && at != 0 && status[at - 1] != '\n') at = status.find(label, at + 1);
  if (at == std::string_view::npos) return std::nullopt;
  size_t begin = status.find_first_not_of(" \t", at + label.size());
  if (begin == std::string_view::npos) return std::nullopt;
  size_t end = status.find('\n', begin);
  return status.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
}

// The inode in a namespace link: "net:[4026531840]".
uint32_t namespace_inode(const std::string& link) {
  char buf[64];
  ssize_t n = readlink(link.c_str(), buf, sizeof(buf) - 1);
  if (n <= 0) return 0;
  std::string_view v(buf, static_cast<size_t>(n));
  size_t open = v.find('['), close = v.rfind(']');
  uint32_t ino = 0;
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return 0;
  return parse_uint(v.substr(open + 1, close - open - 1), ino) ? ino : 0;
}

}  // namespace

Result<Posture> parse_status_posture(std::string_view status) {
  Posture p;
  struct Hex {
    std::string_view label;
    uint64_t& out;
  } caps[] = {{"CapEff:", p.cap_effective}, {"CapPrm:", p.cap_permitted}, {"CapBnd:", p.cap_bounding}};
  for (auto& [label, out] : caps) {
    auto v = status_value(status, label);
    if (!v) return make_error(ErrorCode::kInvalidArgument, "status has no {}", label);
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out, 16);
    if (ec != std::errc() || ptr != v->data() + v->size()) {
      return make_error(ErrorCode::kInvalidArgument, "status {} is not hex: '{}'", label, *v);
    }
  }
  // Both lines exist since Linux 4.10; a kernel without them has neither feature in use.
  if (auto v = status_value(status, "NoNewPrivs:")) p.no_new_privs = *v == "1";
  if (auto v = status_value(status, "Seccomp:")) {
    uint8_t mode = 0;
    if (!parse_uint(*v, mode) || mode > 2) {
      return make_error(ErrorCode::kInvalidArgument, "status Seccomp: is not 0, 1 or 2: '{}'", *v);
    }
    p.seccomp = mode;
  }
  return p;
}

Result<ProcStat> parse_proc_stat(std::string_view text) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return make_error(ErrorCode::kInvalidArgument, "stat has no (comm)");
  }
  ProcStat st;
  st.comm = std::string(text.substr(open + 1, close - open - 1));
  // After ") ": field 3 (state) is index 0, so field N is index N - 3.
  std::vector<std::string_view> fields;
  std::string_view rest = text.substr(close + 1);
  size_t i = 0;
  while (i < rest.size() && fields.size() <= 19) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    size_t j = rest.find(' ', i);
    if (j == std::string_view::npos) j = rest.size();
    if (j > i) fields.push_back(rest.substr(i, j - i));
    i = j;
  }
  if (fields.size() < 20 || !parse_uint(fields[4 - 3], st.ppid) || !parse_uint(fields[22 - 3], st.start_ticks)) {
    return make_error(ErrorCode::kInvalidArgument, "stat lacks ppid or starttime");
  }
  return st;
}

Procfs::Procfs(std::string root, std::string cgroup2_mount)
    : root_(std::move(root)), cgroup2_mount_(std::move(cgroup2_mount)) {}

std::vector<uint32_t> Procfs::list_pids() const {
  std::vector<uint32_t> pids;
  DIR* dir = opendir(root_.c_str());
  if (!dir) return pids;
  while (dirent* e = readdir(dir)) {
    uint32_t pid;
    if (parse_uint(std::string_view(e->d_name), pid)) pids.push_back(pid);
  }
  closedir(dir);
  return pids;
}

Result<uint64_t> Procfs::start_ticks(uint32_t pid) const {
  auto text = read_file(root_ + "/" + std::to_string(pid) + "/stat");
  if (!text) return make_error(ErrorCode::kNotFound, "process {} is gone", pid);
  auto st = parse_proc_stat(*text);
  if (!st) return st.error().context(fmt::format("/proc/{}/stat", pid));
  return st->start_ticks;
}

Result<ProcSnapshotEntry> Procfs::read(uint32_t pid) const {
  std::string dir = root_ + "/" + std::to_string(pid);
  auto stat_text = read_file(dir + "/stat");
  if (!stat_text) return make_error(ErrorCode::kNotFound, "process {} is gone", pid);
  auto st = parse_proc_stat(*stat_text);
  if (!st) return st.error().context(fmt::format("/proc/{}/stat", pid));

  ProcSnapshotEntry e;
  e.key = {pid, st->start_ticks};
  e.comm = st->comm;
  if (st->ppid != 0) {
    auto pstart = start_ticks(st->ppid);
    e.parent = {st->ppid, pstart ? *pstart : 0};
  }
  if (auto cmdline = read_file(dir + "/cmdline")) e.argv = split_argv(*cmdline);
  char buf[4096];
  ssize_t n = readlink((dir + "/exe").c_str(), buf, sizeof(buf));
  if (n > 0) e.exe_path.assign(buf, static_cast<size_t>(n));
  if (auto status = read_file(dir + "/status")) {
    parse_ids(*status, "Uid:", e.uid, e.euid);
    parse_ids(*status, "Gid:", e.gid, e.egid);
    if (auto posture = parse_status_posture(*status)) {
      posture->pid_ns = namespace_inode(dir + "/ns/pid");
      posture->net_ns = namespace_inode(dir + "/ns/net");
      posture->mnt_ns = namespace_inode(dir + "/ns/mnt");
      e.posture = *posture;
    }
  }
  if (auto cgroup = read_file(dir + "/cgroup")) {
    size_t at = cgroup->find("0::");
    if (at != std::string::npos && (at == 0 || (*cgroup)[at - 1] == '\n')) {
      size_t end = cgroup->find('\n', at);
      e.cgroup_path = cgroup->substr(at + 3, end == std::string::npos ? std::string::npos : end - at - 3);
      struct stat sb;
      if (!cgroup2_mount_.empty() && stat((cgroup2_mount_ + e.cgroup_path).c_str(), &sb) == 0) {
        e.cgroup_id = sb.st_ino;
      }
    }
  }
  return e;
}

}  // namespace ztai
