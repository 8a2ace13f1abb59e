#include "agent/identity/kube_config.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/config/yaml_map.h"

namespace ztai {
namespace {

Result<std::string> read_text(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "{} {}: cannot be read", what, path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::string> base64_decode(std::string_view in, std::string_view what) {
  std::string compact;
  for (char c : in) {
    if (c != '\n' && c != '\r' && c != ' ') compact += c;
  }
  if (compact.size() % 4 != 0) return make_error(ErrorCode::kInvalidArgument, "{}: not base64", what);
  std::string out(compact.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(compact.data()), static_cast<int>(compact.size()));
  if (n < 0) return make_error(ErrorCode::kInvalidArgument, "{}: not base64", what);
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t pad = compact.ends_with("==") ? 2 : compact.ends_with("=") ? 1 : 0;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// The named entry of a kubeconfig list ("clusters", "users", "contexts").
YAML::Node named(const YAML::Node& list, const std::string& name, const char* field) {
  if (list && list.IsSequence()) {
    for (const YAML::Node& item : list) {
      if (item["name"] && item["name"].Scalar() == name) return item[field];
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string scalar(const YAML::Node& n, const char* key) {
  return n && n[key] && n[key].IsScalar() ? n[key].Scalar() : std::string();
}

}  // namespace

Result<KubeApiConfig> kube_in_cluster_config(const std::string& token_file, const std::string& ca_file,
                                             const std::string& server) {
  KubeApiConfig c;
  c.source = "in-cluster service account";
  c.token_file = token_file;
  c.ca_file = ca_file;
  c.server = server;
  if (c.server.empty()) {
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host) {
      return make_error(ErrorCode::kNotFound, "KUBERNETES_SERVICE_HOST is not set and no API server is configured");
    }
    std::string h = host;
    if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
    c.server = fmt::format("https://{}:{}", h, port && *port ? port : "443");
  }
  if (auto t = read_text(token_file, "service-account token"); !t) return t.error();
  return c;
}

Result<KubeApiConfig> kube_config_from_file(const std::string& path, const std::string& server) {
  auto root = yaml_load_file(path);
  if (!root) return root.error();
  const YAML::Node& doc = *root;
  std::string context = scalar(doc, "current-context");
  if (context.empty()) return make_error(ErrorCode::kInvalidArgument, "{}: no current-context", path);
  YAML::Node ctx = named(doc["contexts"], context, "context");
  if (!ctx) return make_error(ErrorCode::kInvalidArgument, "{}: context '{}' is not defined", path, context);
  YAML::Node cluster = named(doc["clusters"], scalar(ctx, "cluster"), "cluster");
  if (!cluster) {
    return make_error(ErrorCode::kInvalidArgument, "{}: cluster '{}' is not defined", path, scalar(ctx, "cluster"));
  }
  YAML::Node user = named(doc["users"], scalar(ctx, "user"), "user");
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  auto relative = [&](const std::string& p) { return p.empty() || p[0] == '/' ? p : (dir / p).string(); };

  KubeApiConfig c;
  c.source = fmt::format("kubeconfig {} (context {})", path, context);
  c.server = server.empty() ? scalar(cluster, "server") : server;
  while (c.server.ends_with('/')) c.server.pop_back();
  if (c.server.empty()) return make_error(ErrorCode::kInvalidArgument, "{}: cluster has no server", path);
  c.insecure_skip_tls_verify = scalar(cluster, "insecure-skip-tls-verify") == "true";
  c.ca_file = relative(scalar(cluster, "certificate-authority"));
  if (std::string data = scalar(cluster, "certificate-authority-data"); !data.empty()) {
    auto pem = base64_decode(data, path + ": certificate-authority-data");
    if (!pem) return pem.error();
    c.ca_pem = *pem;
  }
  if (user) {
    if (user["exec"] || user["auth-provider"]) {
      return make_error(ErrorCode::kUnsupported,
                        "{}: user '{}' authenticates with an exec or auth-provider plugin, which ztai does not run; "
                        "use a token or a client certificate",
                        path, scalar(ctx, "user"));
    }
    c.token = scalar(user, "token");
    c.token_file = relative(scalar(user, "tokenFile"));
    for (auto [file_key, data_key, out] :
         {std::tuple{"client-certificate", "client-certificate-data", &c.client_cert_pem},
          std::tuple{"client-key", "client-key-data", &c.client_key_pem}}) {
      if (std::string data = scalar(user, data_key); !data.empty()) {
        auto pem = base64_decode(data, path + ": " + data_key);
        if (!pem) return pem.error();
        *out = *pem;
      } else if (std::string file = scalar(user, file_key); !file.empty()) {
        auto pem = read_text(relative(file), file_key);
        if (!pem) return pem.error();
        *out = *pem;
      }
    }
  }
  return c;
}

Result<std::string> kube_bearer_token(const KubeApiConfig& config) {
  if (!config.token.empty() || config.token_file.empty()) return config.token;
  auto t = read_text(config.token_file, "token file");
  if (!t) return t.error();
  std::string token = *t;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  return token;
}

}  // namespace ztai
