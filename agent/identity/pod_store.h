// Pods of this node as the Kubernetes API server describes them, keyed by UID. Written by the
// watch thread, read on the event path; readers get an immutable snapshot of one pod, and a
// generation number tells them cheaply whether anything changed since they last looked.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/common/ip_address.h"

namespace ztai {

struct PodContainer {
  std::string id;  // hex id without the "containerd://" scheme
  std::string name;
  std::string image;
};

struct PodInfo {
  std::string uid;
  std::string name;
  std::string ns;
  std::string node;
  std::string service_account;
  std::string qos;  // status.qosClass
  std::map<std::string, std::string> labels;
  // The controller that owns the pod, followed through a ReplicaSet to its Deployment.
  std::string owner_kind;
  std::string owner_name;
  std::vector<PodContainer> containers;  // regular, init and ephemeral containers with an id
  std::vector<IpAddress> ips;            // status.podIPs (status.podIP when that is missing)
  bool host_network = false;             // spec.hostNetwork: its IPs are its node's

  const PodContainer* container(std::string_view id) const;
};

class PodStore {
 public:
  // What the metadata source can say about pods it does not hold.
  enum class State : int {
    kSyncing,      // the first list has not completed: an unknown pod may still come
    kSynced,       // listed and watching: an unknown pod is newer than the watch
    kUnreachable,  // the API server does not answer: unknown pods stay unknown for now
  };

  void replace_all(std::vector<PodInfo> pods);
  void upsert(PodInfo pod);
  void remove(std::string_view uid);
  std::shared_ptr<const PodInfo> find(std::string_view uid) const;
  std::vector<std::shared_ptr<const PodInfo>> all() const;
  size_t size() const;

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  State state() const { return static_cast<State>(state_.load(std::memory_order_acquire)); }
  void set_state(State s);

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const PodInfo>> pods_;
  std::atomic<uint64_t> generation_{1};
  std::atomic<int> state_{static_cast<int>(State::kSyncing)};
};

}  // namespace ztai
