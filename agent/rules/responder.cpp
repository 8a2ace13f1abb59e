#include "agent/rules/responder.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fmt/format.h>

namespace ztai::rules {
namespace {

// Debian 12's <sys/pidfd.h> declares these without C linkage, so they are called directly.
int pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_send_signal(int fd, int sig) { return static_cast<int>(syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0)); }

}  // namespace

Responder::Responder(Procfs procfs, uint32_t self_tgid, MetricsRegistry& metrics)
    : procfs_(std::move(procfs)),
      self_tgid_(self_tgid),
      killed_(metrics.counter("ztai_actions_total", "Response actions asked by rules", {{"action", "kill"}, {"result", "done"}})),
      refused_(metrics.counter("ztai_actions_total", "Response actions asked by rules",
                               {{"action", "kill"}, {"result", "refused"}})),
      failed_(metrics.counter("ztai_actions_total", "Response actions asked by rules", {{"action", "kill"}, {"result", "failed"}})) {}

ActionOutcome Responder::kill(const ProcKey& process) {
  auto refuse = [&](std::string why) {
    refused_.inc();
    return ActionOutcome{false, "refused: " + why};
  };
  if (!process.valid()) return refuse("the event names no process");
  if (process.tgid == 1 || process.tgid == self_tgid_) return refuse(fmt::format("pid {} is never killed", process.tgid));

  int fd = pidfd_open(static_cast<pid_t>(process.tgid));
  if (fd < 0) {
    if (errno == ESRCH) return refuse("the process has already exited");
    failed_.inc();
    return ActionOutcome{false, fmt::format("failed: pidfd_open: {}", strerror(errno))};
  }
  // The pidfd now pins whichever process had the pid; if /proc still shows the event's start
  // time, that is the one (a reuse after pidfd_open would show another start time).
  auto start = procfs_.start_ticks(process.tgid);
  if (!start || *start != process.start_ticks) {
    close(fd);
    return refuse(start ? "the pid now belongs to another process" : "the process has already exited");
  }
  int rc = pidfd_send_signal(fd, SIGKILL);
  int err = errno;
  close(fd);
  if (rc != 0) {
    if (err == ESRCH) return refuse("the process has already exited");
    failed_.inc();
    return ActionOutcome{false, fmt::format("failed: pidfd_send_signal: {}", strerror(err))};
  }
  killed_.inc();
  return ActionOutcome{true, "killed"};
}

}  // namespace ztai::rules
