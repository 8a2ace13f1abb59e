// Another network namespace of this node, seen from the agent: code run inside it (on a thread of
// its own, so the agent's other threads stay where they are), its cookie (what BPF programs get
// from bpf_get_netns_cookie) and the addresses other namespaces reach it at.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "agent/common/ip_address.h"
#include "agent/common/result.h"

namespace ztai {

// Runs fn on a new thread that joined the namespace `ns_path` names (/proc/PID/ns/net); fn's
// status, or why the namespace could not be entered.
Status run_in_network_namespace(const std::string& ns_path, const std::function<Status()>& fn);

struct NetnsAddresses {
  uint64_t cookie = 0;
  std::vector<IpAddress> addresses;  // reachable from other namespaces: no loopback, no link-local
};

// Reads the namespace `ns_path` names, over rtnetlink from inside it.
Result<NetnsAddresses> read_netns_addresses(const std::string& ns_path);

// The addresses of one RTM_GETADDR dump reply that another namespace can reach: universe and site
// scope, not loopback. Appends to out; sets done at NLMSG_DONE. A malformed or error message is an
// error naming it.
Status parse_address_dump(std::span<const std::byte> reply, std::vector<IpAddress>& out, bool& done);

}  // namespace ztai
