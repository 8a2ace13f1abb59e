// How to reach the Kubernetes API server: from inside a pod (service-account token and CA, the
// KUBERNETES_SERVICE_* variables) or from a kubeconfig file (current context).
#pragma once

#include <string>

#include "agent/common/result.h"

namespace ztai {

struct KubeApiConfig {
  std::string server;      // https://host:port, no trailing slash
  std::string token;       // bearer token given inline
  std::string token_file;  // read before each request: projected tokens rotate
  std::string ca_file;     // PEM bundle path
  std::string ca_pem;      // or the bundle itself (kubeconfig certificate-authority-data)
  std::string client_cert_pem;
  std::string client_key_pem;
  bool insecure_skip_tls_verify = false;
  std::string source;  // where this came from, for messages
};

// server: overrides the address from the environment when not empty.
Result<KubeApiConfig> kube_in_cluster_config(const std::string& token_file, const std::string& ca_file,
                                             const std::string& server);
Result<KubeApiConfig> kube_config_from_file(const std::string& path, const std::string& server);

// The bearer token to send now (inline, or the file's current content).
Result<std::string> kube_bearer_token(const KubeApiConfig& config);

}  // namespace ztai
