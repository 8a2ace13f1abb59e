#include "agent/identity/pod_store.h"

namespace ztai {

const PodContainer* PodInfo::container(std::string_view id) const {
  for (const PodContainer& c : containers) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

void PodStore::replace_all(std::vector<PodInfo> pods) {
  std::unordered_map<std::string, std::shared_ptr<const PodInfo>> fresh;
  for (PodInfo& p : pods) {
    std::string uid = p.uid;
    fresh[std::move(uid)] = std::make_shared<const PodInfo>(std::move(p));
  }
  std::lock_guard lock(mutex_);
  pods_.swap(fresh);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

void PodStore::upsert(PodInfo pod) {
  auto p = std::make_shared<const PodInfo>(std::move(pod));
  std::lock_guard lock(mutex_);
  pods_[p->uid] = std::move(p);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

void PodStore::remove(std::string_view uid) {
  std::lock_guard lock(mutex_);
  if (auto it = pods_.find(std::string(uid)); it != pods_.end()) pods_.erase(it);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

std::shared_ptr<const PodInfo> PodStore::find(std::string_view uid) const {
  std::lock_guard lock(mutex_);
  auto it = pods_.find(std::string(uid));
  return it == pods_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const PodInfo>> PodStore::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const PodInfo>> out;
  out.reserve(pods_.size());
  for (const auto& [uid, pod] : pods_) out.push_back(pod);
  return out;
}

size_t PodStore::size() const {
  std::lock_guard lock(mutex_);
  return pods_.size();
}

void PodStore::set_state(State s) {
  if (state_.exchange(static_cast<int>(s), std::memory_order_acq_rel) != static_cast<int>(s)) {
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
}

}  // namespace ztai
