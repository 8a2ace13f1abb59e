#include "agent/identity/kube_config.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "agent/common/base64.h"

namespace ztai {
namespace {

namespace fs = std::filesystem;

class KubeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ztai-kubeconfig-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

TEST_F(KubeConfigTest, CurrentContextGivesServerCaAndCredentials) {
  std::string path = write("config", "apiVersion: v1\nkind: Config\ncurrent-context: b\n"
                                     "clusters:\n"
                                     "- name: c1\n  cluster: {server: 'https://10.0.0.1:6443/', certificate-authority: ca.pem}\n"
                                     "- name: c2\n  cluster: {server: 'https://127.0.0.1:7443', certificate-authority-data: " +
                                         base64_encode("PEM DATA") + "}\n"
                                     "contexts:\n- name: a\n  context: {cluster: c1, user: u1}\n"
                                     "- name: b\n  context: {cluster: c2, user: u2}\n"
                                     "users:\n- name: u1\n  user: {token: one}\n"
                                     "- name: u2\n  user: {token: two, client-certificate-data: " +
                                         base64_encode("CERT") + ", client-key: key.pem}\n");
  write("key.pem", "KEY");
  auto c = kube_config_from_file(path, "");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->server, "https://127.0.0.1:7443");
  EXPECT_EQ(c->ca_pem, "PEM DATA");
  EXPECT_EQ(c->client_cert_pem, "CERT");
  EXPECT_EQ(c->client_key_pem, "KEY");
  EXPECT_EQ(*kube_bearer_token(*c), "two");
  EXPECT_NE(c->source.find("context b"), std::string::npos);
}

TEST_F(KubeConfigTest, RelativeCaPathsAndServerOverride) {
  std::string path = write("config", "current-context: a\nclusters:\n- name: c1\n  cluster: {server: 'https://x:1/', "
                                     "certificate-authority: ca.pem}\ncontexts:\n- name: a\n  context: {cluster: c1, "
                                     "user: u1}\nusers:\n- name: u1\n  user: {tokenFile: tok}\n");
  write("tok", "secret\n");
  auto c = kube_config_from_file(path, "https://override:2");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->server, "https://override:2");
  EXPECT_EQ(c->ca_file, (dir_ / "ca.pem").string());
  EXPECT_EQ(*kube_bearer_token(*c), "secret");
}

TEST_F(KubeConfigTest, UnsupportedOrBrokenConfigsSayWhy) {
  auto e = kube_config_from_file(write("c1", "current-context: a\ncontexts: []\n"), "");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("context 'a' is not defined"), std::string::npos);
  e = kube_config_from_file(write("c2", "current-context: a\nclusters:\n- name: c\n  cluster: {server: 'https://x'}\n"
                                        "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
                                        "users:\n- name: u\n  user:\n    exec: {command: aws}\n"),
                            "");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("exec or auth-provider plugin"), std::string::npos);
  e = kube_config_from_file(write("c3", "current-context: a\nclusters:\n- name: c\n  cluster: {server: 'https://x', "
                                        "certificate-authority-data: '%%%'}\ncontexts:\n- name: a\n  context: {cluster: "
                                        "c, user: u}\n"),
                            "");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("not base64"), std::string::npos);
  EXPECT_FALSE(kube_config_from_file((dir_ / "missing").string(), ""));
}

TEST_F(KubeConfigTest, InClusterUsesTheServiceEnvironment) {
  std::string token = write("token", "abc\n");
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto c = kube_in_cluster_config(token, "/ca.crt", "");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(*kube_bearer_token(*c), "abc");
  setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  EXPECT_EQ(kube_in_cluster_config(token, "/ca.crt", "")->server, "https://[fd00::1]:443");
  unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_FALSE(kube_in_cluster_config(token, "/ca.crt", ""));
  EXPECT_EQ(kube_in_cluster_config(token, "/ca.crt", "https://api:6443")->server, "https://api:6443");
  EXPECT_FALSE(kube_in_cluster_config((dir_ / "none").string(), "/ca.crt", "https://api:6443"));
}

}  // namespace
}  // namespace ztai
