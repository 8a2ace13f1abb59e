// The pieces of `ztai demo` that touch the host: its own cgroups (created under the cgroup v2
// mount, emptied with cgroup.kill and removed when the object goes, also after a failure), the
// processes it starts inside them, and a throwaway CA for the model server's certificate.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/common/result.h"

namespace ztai::demo {

class DemoCgroups {
 public:
  // <mount>/<name> and one child directory per workload. A leftover of an earlier run that holds
  // no process is removed first; one that still does is an error.
  static Result<std::unique_ptr<DemoCgroups>> create(const std::string& mount, const std::string& name,
                                                     const std::vector<std::string>& workloads);
  ~DemoCgroups();
  DemoCgroups(const DemoCgroups&) = delete;
  DemoCgroups& operator=(const DemoCgroups&) = delete;

  const std::string& root() const { return root_; }
  std::string dir(const std::string& workload) const { return root_ + "/" + workload; }

 private:
  DemoCgroups(std::string root, std::vector<std::string> workloads)
      : root_(std::move(root)), workloads_(std::move(workloads)) {}
  std::string root_;
  std::vector<std::string> workloads_;
};

// A process the demo started in one of its cgroups, with a pipe to its stdin and one from its
// stdout (stderr goes to a file). Killed and reaped when destroyed.
class DemoProcess {
 public:
  static Result<std::unique_ptr<DemoProcess>> spawn(const std::vector<std::string>& argv,
                                                    const std::map<std::string, std::string>& env,
                                                    const std::string& cgroup_dir, const std::string& stderr_file);
  ~DemoProcess();
  DemoProcess(const DemoProcess&) = delete;
  DemoProcess& operator=(const DemoProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The next line of stdout (without the newline); an error at the deadline or at its exit.
  Result<std::string> read_line(std::chrono::milliseconds timeout);
  Status write_line(const std::string& line);

 private:
  DemoProcess() = default;
  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  std::string buffered_;
};

// Runs argv to completion (no cgroup: set-up work before the agent starts); an error naming the
// command unless it exits 0.
Status run_to_completion(const std::vector<std::string>& argv);

struct DemoCertificates {
  std::string ca_cert, server_cert, server_key;
};

// A CA made for this run and a certificate for 127.0.0.1 signed by it (openssl CLI), in dir.
Result<DemoCertificates> make_certificates(const std::string& dir);

}  // namespace ztai::demo
