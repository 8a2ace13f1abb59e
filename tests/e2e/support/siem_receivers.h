// Real receivers for the output tests, all on 127.0.0.1 in a temporary directory: rsyslog
// (TCP, TLS, RELP inputs writing raw messages to a file), a Python HTTPS receiver for the HTTP
// outputs, and a throwaway PKI made with the openssl tool. Every process is started and
// stopped by the test; the directory is removed at the end.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "tests/support/temp_dir.h"

namespace ztai::testing {

// A port free on 127.0.0.1 right now.
int free_port();

// ca.pem, server.pem/server.key (CN and SAN 127.0.0.1, localhost), client.pem/client.key.
Status make_test_pki(const std::string& dir);

// A child process the test owns: SIGTERM and reaped when stopped or destroyed.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess() { stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  Status start(const std::vector<std::string>& argv, const std::string& log_file);
  void stop();
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

struct RsyslogPorts {
  int tcp = 0, tls = 0, relp = 0;
};

// rsyslogd -n with its own config, work directory and pid file; messages go to out_file as
// received (%rawmsg%), one per line.
class Rsyslog {
 public:
  Rsyslog(std::string dir, RsyslogPorts ports) : dir_(std::move(dir)), ports_(ports) {}
  Status start();
  void stop() { process_.stop(); }
  std::string out_file() const { return dir_ + "/received.log"; }
  // Waits until a port accepts connections.
  Status wait_listening(int port, std::chrono::seconds timeout) const;

 private:
  std::string dir_;
  RsyslogPorts ports_;
  ChildProcess process_;
};

std::vector<std::string> read_lines(const std::string& path);

}  // namespace ztai::testing
