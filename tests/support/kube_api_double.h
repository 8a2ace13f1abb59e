// Runs tests/support/kube_api_double.py (a Kubernetes API server for the pod list/watch, HTTPS
// on 127.0.0.1 with a certificate made for the run) and drives it.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/identity/kube_config.h"

namespace ztai::testing {

struct TestPod {
  std::string uid;
  std::string name;
  std::string ns = "default";
  std::string node;
  std::string service_account = "default";
  std::map<std::string, std::string> labels;
  std::string owner_kind;  // ReplicaSet, StatefulSet, ...
  std::string owner_name;
  struct Container {
    std::string name;
    std::string image;
    std::string id;  // hex, without scheme
  };
  std::vector<Container> containers;
  std::vector<std::string> ips;  // status.podIPs
  bool host_network = false;
};

// core/v1 Pod JSON, as the API server sends it.
std::string pod_json(const TestPod& pod);

class KubeApiDouble {
 public:
  static Result<std::unique_ptr<KubeApiDouble>> start(const std::string& token = "test-token");
  ~KubeApiDouble();

  // Sends one command ({"op": ...}) and waits for its acknowledgement.
  Status command(const std::string& json);
  Status add(const TestPod& pod);
  Status modify(const TestPod& pod);
  Status remove(const std::string& uid);
  // The same for an object (JSON with metadata.uid) of another collection, e.g.
  // /apis/ztai.io/v1alpha1/rulebundles.
  Status add_object(const std::string& path, const std::string& object_json);
  Status modify_object(const std::string& path, const std::string& object_json);
  Status remove_object(const std::string& path, const std::string& uid);
  // Requests served so far: {"list": n, "watch": n, ...}.
  Result<std::string> stats();

  std::string server() const;
  KubeApiConfig api_config() const;  // server, CA and token of this double

 private:
  KubeApiDouble() = default;
  Result<std::string> read_line(int timeout_ms);

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffered_;
  std::string dir_;
  std::string token_;
  int port_ = 0;
};

}  // namespace ztai::testing
