#include "tests/e2e/support/siem_receivers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

namespace ztai::testing {

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

Status make_test_pki(const std::string& d) {
  std::ofstream(d + "/san.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  const std::string q = " >>" + d + "/openssl.log 2>&1";
  for (const std::string& cmd : {
           fmt::format("openssl req -x509 -newkey rsa:2048 -nodes -keyout {0}/ca.key -out {0}/ca.pem -days 2 "
                       "-subj /CN=ztai-test-ca{1}", d, q),
           fmt::format("openssl req -newkey rsa:2048 -nodes -keyout {0}/server.key -out {0}/server.csr "
                       "-subj /CN=127.0.0.1{1}", d, q),
           fmt::format("openssl x509 -req -in {0}/server.csr -CA {0}/ca.pem -CAkey {0}/ca.key -CAcreateserial "
                       "-out {0}/server.pem -days 2 -extfile {0}/san.ext{1}", d, q),
           fmt::format("openssl req -newkey rsa:2048 -nodes -keyout {0}/client.key -out {0}/client.csr "
                       "-subj /CN=ztai-agent{1}", d, q),
           fmt::format("openssl x509 -req -in {0}/client.csr -CA {0}/ca.pem -CAkey {0}/ca.key -CAcreateserial "
                       "-out {0}/client.pem -days 2{1}", d, q)}) {
    if (std::system(cmd.c_str()) != 0) return make_error(ErrorCode::kIo, "failed: {} (see openssl.log)", cmd);
  }
  return {};
}

Status ChildProcess::start(const std::vector<std::string>& argv, const std::string& log_file) {
  pid_t pid = fork();
  if (pid < 0) return make_error(ErrorCode::kIo, "fork failed");
  if (pid == 0) {
    int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  pid_ = pid;
  return {};
}

void ChildProcess::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status;
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

Status Rsyslog::start() {
  std::filesystem::create_directories(dir_ + "/work");
  std::ofstream conf(dir_ + "/rsyslog.conf");
  conf << fmt::format(R"(global(workDirectory="{0}/work" maxMessageSize="64k"
       DefaultNetstreamDriverCAFile="{0}/ca.pem" DefaultNetstreamDriverCertFile="{0}/server.pem"
       DefaultNetstreamDriverKeyFile="{0}/server.key")
main_queue(queue.type="Direct")
template(name="raw" type="string" string="%rawmsg%\n")
)", dir_);
  if (ports_.tcp || ports_.tls) conf << "module(load=\"imtcp\")\n";
  if (ports_.tcp) conf << fmt::format("input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{}\")\n", ports_.tcp);
  if (ports_.tls) {
    conf << fmt::format("input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{}\" streamDriver.name=\"ossl\" "
                        "streamDriver.mode=\"1\" streamDriver.authMode=\"x509/certvalid\")\n",
                        ports_.tls);
  }
  if (ports_.relp) {
    conf << "module(load=\"imrelp\")\n";
    conf << fmt::format("input(type=\"imrelp\" address=\"127.0.0.1\" port=\"{}\")\n", ports_.relp);
  }
  conf << fmt::format("action(type=\"omfile\" file=\"{}\" template=\"raw\")\n", out_file());
  conf.close();
  if (!std::filesystem::exists("/usr/sbin/rsyslogd")) {
    return make_error(ErrorCode::kNotFound, "rsyslogd is not installed (packaging/install-deps.sh)");
  }
  if (Status s = process_.start({"/usr/sbin/rsyslogd", "-n", "-f", dir_ + "/rsyslog.conf", "-i",
                                 dir_ + "/rsyslogd.pid"},
                                dir_ + "/rsyslogd.log");
      !s) {
    return s;
  }
  for (int port : {ports_.tcp, ports_.tls, ports_.relp}) {
    if (port == 0) continue;
    if (Status s = wait_listening(port, std::chrono::seconds(20)); !s) return s;
  }
  return {};
}

Status Rsyslog::wait_listening(int port, std::chrono::seconds timeout) const {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    close(fd);
    if (ok) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return make_error(ErrorCode::kIo, "nothing listens on 127.0.0.1:{} (see {}/rsyslogd.log)", port, dir_);
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

}  // namespace ztai::testing
