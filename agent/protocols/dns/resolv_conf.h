// DNS servers as the agent configuration names them ("10.96.0.10", "127.0.0.53:53",
// "[fd00::a]:5353") and as /etc/resolv.conf lists them (`nameserver ADDRESS`, port 53).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/ip_address.h"
#include "agent/common/result.h"

namespace ztai::dns {

struct DnsServer {
  IpAddress address;
  uint16_t port = 53;
  bool operator==(const DnsServer&) const = default;
  std::string str() const;  // the form parse_dns_server reads
};

// "ADDRESS" (port 53), "IPv4:PORT" or "[IPv6]:PORT".
Result<DnsServer> parse_dns_server(std::string_view text);

// The `nameserver` lines of resolv.conf text, in order, without duplicates; malformed lines and
// IPv6 zone suffixes (%eth0) are skipped, as the C library does.
std::vector<DnsServer> nameservers_of(std::string_view resolv_conf);

// nameservers_of(the file's text); an error when it cannot be read.
Result<std::vector<DnsServer>> read_nameservers(const std::string& path);

}  // namespace ztai::dns
