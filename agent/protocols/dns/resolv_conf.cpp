#include "agent/protocols/dns/resolv_conf.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace ztai::dns {

std::string DnsServer::str() const {
  if (address.family == IpAddress::Family::kV6) return fmt::format("[{}]:{}", address.to_string(), port);
  return fmt::format("{}:{}", address.to_string(), port);
}

Result<DnsServer> parse_dns_server(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument, "DNS server '{}' {}: write ADDRESS, IPv4:PORT or [IPv6]:PORT", text,
                      why);
  };
  std::string_view host = text;
  std::string_view port_text;
  if (text.starts_with("[")) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("has no closing ']'");
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(":")) return bad("has text after ']' that is not :PORT");
      port_text = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    size_t colon = text.find(':');
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  auto address = IpAddress::parse(host);
  if (!address) return bad("is not an IP address");
  if (text.starts_with("[") && address->family != IpAddress::Family::kV6) return bad("has an IPv4 address in []");
  DnsServer s{*address, 53};
  if (!port_text.empty() || text.ends_with(":")) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return bad("has a port that is not 1..65535");
    }
    s.port = static_cast<uint16_t>(port);
  }
  return s;
}

std::vector<DnsServer> nameservers_of(std::string_view resolv_conf) {
  std::vector<DnsServer> out;
  std::istringstream in{std::string(resolv_conf)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string keyword, address;
    if (!(words >> keyword >> address) || keyword != "nameserver") continue;
    if (size_t zone = address.find('%'); zone != std::string::npos) address.resize(zone);
    auto ip = IpAddress::parse(address);
    if (!ip) continue;
    DnsServer s{*ip, 53};
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

Result<std::vector<DnsServer>> read_nameservers(const std::string& path) {
  std::ifstream f(path);
  if (!f) return make_error(ErrorCode::kIo, "{}: cannot read: {}", path, strerror(errno));
  std::stringstream text;
  text << f.rdbuf();
  return nameservers_of(text.str());
}

}  // namespace ztai::dns
