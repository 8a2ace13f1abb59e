#include "agent/cli/demo_stack.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

extern char** environ;

namespace ztai::demo {

namespace {

using namespace std::chrono_literals;

Status write_file(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::kIo, "{}: {}", path, strerror(errno));
  ssize_t n = write(fd, text.data(), text.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) return make_error(ErrorCode::kIo, "{}: {}", path, strerror(err));
  return {};
}

bool has_processes(const std::string& dir) {
  std::ifstream procs(dir + "/cgroup.procs");
  std::string line;
  return static_cast<bool>(std::getline(procs, line)) && !line.empty();
}

// Kills what runs in dir (all of it started by the demo) and removes the directory.
Status remove_cgroup(const std::string& dir) {
  if (access(dir.c_str(), F_OK) != 0) return {};
  if (has_processes(dir)) {
    if (Status s = write_file(dir + "/cgroup.kill", "1"); !s) return s;
    for (int i = 0; i < 500 && has_processes(dir); ++i) std::this_thread::sleep_for(10ms);
  }
  if (rmdir(dir.c_str()) != 0) return make_error(ErrorCode::kIo, "cannot remove cgroup {}: {}", dir, strerror(errno));
  return {};
}

}  // namespace

Result<std::unique_ptr<DemoCgroups>> DemoCgroups::create(const std::string& mount, const std::string& name,
                                                         const std::vector<std::string>& workloads) {
  std::string root = mount + "/" + name;
  if (access(root.c_str(), F_OK) == 0) {
    // A leftover of a run that was killed: empty cgroups are removed; busy ones belong to a demo
    // still running (their processes are not ours to kill).
    for (const std::string& w : workloads) {
      if (has_processes(root + "/" + w)) {
        return make_error(ErrorCode::kInvalidArgument, "{} is in use: is another `ztai demo` running?", root);
      }
      rmdir((root + "/" + w).c_str());
    }
    if (rmdir(root.c_str()) != 0) {
      return make_error(ErrorCode::kIo, "cannot remove the leftover cgroup {}: {}", root, strerror(errno));
    }
  }
  if (mkdir(root.c_str(), 0755) != 0) return make_error(ErrorCode::kIo, "mkdir {}: {}", root, strerror(errno));
  std::unique_ptr<DemoCgroups> cg(new DemoCgroups(root, {}));
  for (const std::string& w : workloads) {
    std::string dir = root + "/" + w;
    if (mkdir(dir.c_str(), 0755) != 0) return make_error(ErrorCode::kIo, "mkdir {}: {}", dir, strerror(errno));
    cg->workloads_.push_back(w);
  }
  return cg;
}

DemoCgroups::~DemoCgroups() {
  for (const std::string& w : workloads_) {
    if (Status s = remove_cgroup(dir(w)); !s) fmt::print(stderr, "ztai demo: {}\n", s.error().message());
  }
  if (rmdir(root_.c_str()) != 0 && errno != ENOENT) {
    fmt::print(stderr, "ztai demo: cannot remove cgroup {}: {}\n", root_, strerror(errno));
  }
}

Result<std::unique_ptr<DemoProcess>> DemoProcess::spawn(const std::vector<std::string>& argv,
                                                        const std::map<std::string, std::string>& env,
                                                        const std::string& cgroup_dir, const std::string& stderr_file) {
  // Everything the child needs is prepared before fork: the agent's threads run meanwhile, so the
  // child may only make system calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    if (!env.count(std::string(kv.substr(0, kv.find('='))))) env_text.emplace_back(kv);
  }
  for (const auto& [k, v] : env) env_text.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string procs = cgroup_dir + "/cgroup.procs";

  int err_fd = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (err_fd < 0) return make_error(ErrorCode::kIo, "{}: {}", stderr_file, strerror(errno));
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) {
    close(err_fd);
    return make_error(ErrorCode::kIo, "pipe: {}", strerror(errno));
  }
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(err_fd);
    close(in[0]);
    close(in[1]);
    return make_error(ErrorCode::kIo, "pipe: {}", strerror(errno));
  }
  pid_t pid = fork();
  if (pid == 0) {
    int procs_fd = open(procs.c_str(), O_WRONLY);
    if (procs_fd < 0 || write(procs_fd, "0", 1) != 1) _exit(126);
    close(procs_fd);
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err_fd, 2);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  int fork_errno = errno;
  close(err_fd);
  close(in[0]);
  close(out[1]);
  if (pid < 0) {
    close(in[1]);
    close(out[0]);
    return make_error(ErrorCode::kIo, "fork: {}", strerror(fork_errno));
  }
  std::unique_ptr<DemoProcess> p(new DemoProcess());
  p->pid_ = pid;
  p->in_fd_ = in[1];
  p->out_fd_ = out[0];
  return p;
}

DemoProcess::~DemoProcess() {
  if (in_fd_ >= 0) close(in_fd_);
  if (out_fd_ >= 0) close(out_fd_);
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

Result<std::string> DemoProcess::read_line(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (size_t nl = buffered_.find('\n'); nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return make_error(ErrorCode::kIo, "pid {}: no answer within {} ms", pid_, timeout.count());
    pollfd pfd{out_fd_, POLLIN, 0};
    int r = poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) return make_error(ErrorCode::kIo, "poll: {}", strerror(errno));
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = read(out_fd_, buf, sizeof(buf));
    if (n == 0) return make_error(ErrorCode::kIo, "pid {} exited", pid_);
    if (n < 0 && errno != EINTR) return make_error(ErrorCode::kIo, "read: {}", strerror(errno));
    if (n > 0) buffered_.append(buf, static_cast<size_t>(n));
  }
}

Status DemoProcess::write_line(const std::string& line) {
  std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(in_fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(ErrorCode::kIo, "pid {}: {}", pid_, strerror(errno));
    done += static_cast<size_t>(n);
  }
  return {};
}

Status run_to_completion(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // What it prints goes into the error when it fails, and nowhere when it works.
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return make_error(ErrorCode::kIo, "pipe: {}", strerror(errno));
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  if (pid < 0) {
    close(out[0]);
    return make_error(ErrorCode::kIo, "fork: {}", strerror(errno));
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof(buf))) != 0) {
    if (n > 0) text.append(buf, static_cast<size_t>(n));
    else if (errno != EINTR) break;
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return make_error(ErrorCode::kIo, "{} failed (wait status {}): {}", fmt::join(argv, " "), status, text);
  }
  return {};
}

Result<DemoCertificates> make_certificates(const std::string& dir) {
  DemoCertificates c{dir + "/ca.pem", dir + "/server.pem", dir + "/server.key"};
  const std::string ca_key = dir + "/ca.key", csr = dir + "/server.csr", ext = dir + "/server.ext";
  std::ofstream(ext) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  const std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
       ca_key, "-out", c.ca_cert, "-days", "1", "-subj", "/CN=ztai demo CA"},
      {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
       c.server_key, "-out", csr, "-subj", "/CN=localhost"},
      {"openssl", "x509", "-req", "-in", csr, "-CA", c.ca_cert, "-CAkey", ca_key, "-CAcreateserial", "-out",
       c.server_cert, "-days", "1", "-extfile", ext}};
  for (const auto& cmd : steps) {
    if (Status s = run_to_completion(cmd); !s) return s.error().context("making the demo's certificates");
  }
  return c;
}

}  // namespace ztai::demo
