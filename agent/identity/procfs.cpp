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

}  // namespace

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
