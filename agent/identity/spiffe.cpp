#include "agent/identity/spiffe.h"

#include <fmt/format.h>

namespace ztai {

std::string spiffe_segment(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("_{:02X}", c);
    }
  }
  // "." and ".." are not allowed as segments.
  if (out == "." || out == "..") out = out == "." ? "_2E" : "_2E_2E";
  return out;
}

std::string spiffe_id(const WorkloadIdentity& w, std::string_view trust_domain, std::string_view node) {
  std::string base = fmt::format("spiffe://{}", trust_domain);
  std::string on_node = fmt::format("{}/node/{}", base, spiffe_segment(node));
  const CgroupWorkload& c = w.cgroup;
  switch (c.kind) {
    case WorkloadKind::kPod:
      if (!w.pod || w.pod->ns.empty()) return {};
      return fmt::format("{}/ns/{}/sa/{}", base, spiffe_segment(w.pod->ns),
                         spiffe_segment(w.pod->service_account.empty() ? "default" : w.pod->service_account));
    case WorkloadKind::kContainer:
      return fmt::format("{}/container/{}/{}", on_node, spiffe_segment(container_runtime_name(c.runtime)),
                         c.container_id);
    case WorkloadKind::kSystemdService:
    case WorkloadKind::kSystemdScope:
    case WorkloadKind::kUserSession:
      if (c.has_session_uid) {
        return fmt::format("{}/user/{}/systemd/{}", on_node, c.session_uid, spiffe_segment(c.systemd_unit));
      }
      return fmt::format("{}/systemd/{}", on_node, spiffe_segment(c.systemd_unit));
    case WorkloadKind::kHost: return on_node + "/host";
  }
  return {};
}

}  // namespace ztai
