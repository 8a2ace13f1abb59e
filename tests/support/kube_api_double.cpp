#include "tests/support/kube_api_double.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace ztai::testing {

std::string pod_json(const TestPod& p) {
  nlohmann::json meta = {{"uid", p.uid}, {"name", p.name}, {"namespace", p.ns}, {"labels", p.labels}};
  if (!p.owner_kind.empty()) {
    meta["ownerReferences"] = nlohmann::json::array(
        {{{"apiVersion", "apps/v1"}, {"kind", p.owner_kind}, {"name", p.owner_name}, {"uid", "owner-" + p.uid},
          {"controller", true}, {"blockOwnerDeletion", true}}});
  }
  nlohmann::json specs = nlohmann::json::array();
  nlohmann::json statuses = nlohmann::json::array();
  for (const auto& c : p.containers) {
    specs.push_back({{"name", c.name}, {"image", c.image}});
    statuses.push_back({{"name", c.name}, {"image", c.image}, {"ready", true}, {"restartCount", 0},
                        {"containerID", "containerd://" + c.id}, {"imageID", c.image + "@sha256:00"}});
  }
  nlohmann::json ips = nlohmann::json::array();
  for (const std::string& ip : p.ips) ips.push_back({{"ip", ip}});
  nlohmann::json pod = {
      {"kind", "Pod"},
      {"apiVersion", "v1"},
      {"metadata", meta},
      {"spec",
       {{"nodeName", p.node}, {"serviceAccountName", p.service_account}, {"containers", specs},
        {"hostNetwork", p.host_network}}},
      {"status", {{"phase", "Running"}, {"qosClass", "BestEffort"}, {"containerStatuses", statuses}, {"podIPs", ips}}}};
  return pod.dump();
}

Result<std::unique_ptr<KubeApiDouble>> KubeApiDouble::start(const std::string& token) {
  std::unique_ptr<KubeApiDouble> d(new KubeApiDouble());
  d->token_ = token;
  char tmpl[] = "/tmp/ztai-kube-api-XXXXXX";
  if (!mkdtemp(tmpl)) return make_error(ErrorCode::kIo, "mkdtemp failed");
  d->dir_ = tmpl;
  std::string gen = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "
                    "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
                    d->dir_ + "/key.pem -out " + d->dir_ + "/cert.pem 2>/dev/null";
  if (std::system(gen.c_str()) != 0) return make_error(ErrorCode::kIo, "openssl could not make a test certificate");

  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return make_error(ErrorCode::kIo, "pipe failed");
  std::string script = ZTAI_SOURCE_DIR "/tests/support/kube_api_double.py";
  std::string cert = d->dir_ + "/cert.pem", key = d->dir_ + "/key.pem";
  pid_t pid = fork();
  if (pid < 0) return make_error(ErrorCode::kIo, "fork failed");
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    execlp("python3", "python3", script.c_str(), "--cert", cert.c_str(), "--key", key.c_str(), "--token",
           token.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  d->pid_ = pid;
  d->to_child_ = in[1];
  d->from_child_ = out[0];
  auto line = d->read_line(10000);
  if (!line) return line.error();
  if (sscanf(line->c_str(), "LISTENING %d", &d->port_) != 1) {
    return make_error(ErrorCode::kIo, "API double said '{}' instead of LISTENING", *line);
  }
  return d;
}

KubeApiDouble::~KubeApiDouble() {
  if (to_child_ >= 0) close(to_child_);  // the double exits when its stdin closes
  if (pid_ > 0) {
    for (int i = 0; i < 50; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      usleep(100'000);
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  if (from_child_ >= 0) close(from_child_);
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

Result<std::string> KubeApiDouble::read_line(int timeout_ms) {
  for (;;) {
    if (size_t nl = buffered_.find('\n'); nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return line;
    }
    pollfd p{from_child_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return make_error(ErrorCode::kIo, "API double did not answer in time");
    char buf[4096];
    ssize_t n = read(from_child_, buf, sizeof(buf));
    if (n <= 0) return make_error(ErrorCode::kIo, "API double exited");
    buffered_.append(buf, static_cast<size_t>(n));
  }
}

Status KubeApiDouble::command(const std::string& json) {
  std::string line = json + "\n";
  if (write(to_child_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    return make_error(ErrorCode::kIo, "writing to the API double failed");
  }
  auto reply = read_line(10000);
  if (!reply) return reply.error();
  if (!reply->starts_with("OK ") && !reply->starts_with("STATS ")) {
    return make_error(ErrorCode::kIo, "API double: {}", *reply);
  }
  if (reply->starts_with("STATS ")) buffered_ = *reply + "\n" + buffered_;
  return {};
}

Status KubeApiDouble::add(const TestPod& pod) { return command(R"({"op":"add","pod":)" + pod_json(pod) + "}"); }
Status KubeApiDouble::modify(const TestPod& pod) {
  return command(R"({"op":"modify","pod":)" + pod_json(pod) + "}");
}
Status KubeApiDouble::remove(const std::string& uid) { return command(R"({"op":"delete","uid":")" + uid + "\"}"); }
Status KubeApiDouble::add_object(const std::string& path, const std::string& object_json) {
  return command(R"({"op":"add","path":")" + path + R"(","object":)" + object_json + "}");
}
Status KubeApiDouble::modify_object(const std::string& path, const std::string& object_json) {
  return command(R"({"op":"modify","path":")" + path + R"(","object":)" + object_json + "}");
}
Status KubeApiDouble::remove_object(const std::string& path, const std::string& uid) {
  return command(R"({"op":"delete","path":")" + path + R"(","uid":")" + uid + "\"}");
}

Result<std::string> KubeApiDouble::stats() {
  if (Status s = command(R"({"op":"stats"})"); !s) return s.error();
  auto line = read_line(10000);
  if (!line) return line.error();
  return line->substr(6);
}

std::string KubeApiDouble::server() const { return "https://127.0.0.1:" + std::to_string(port_); }

KubeApiConfig KubeApiDouble::api_config() const {
  KubeApiConfig c;
  c.server = server();
  c.ca_file = dir_ + "/cert.pem";
  c.token = token_;
  c.source = "test double";
  return c;
}

}  // namespace ztai::testing
