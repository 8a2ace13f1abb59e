#include "agent/common/ip_address.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>

namespace ztai {

IpAddress IpAddress::v4(const uint8_t* b) {
  IpAddress a;
  a.family = Family::kV4;
  std::memcpy(a.bytes.data(), b, 4);
  return a;
}

IpAddress IpAddress::v6(const uint8_t* b) {
  IpAddress a;
  a.family = Family::kV6;
  std::memcpy(a.bytes.data(), b, 16);
  return a;
}

IpAddress IpAddress::from_af(uint16_t af, const uint8_t* b) {
  if (af == AF_INET) return v4(b);
  if (af == AF_INET6) return v6(b);
  return {};
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return v4(buf);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return v6(buf);
  return std::nullopt;
}

IpAddress IpAddress::unmapped() const {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (family == Family::kV6 && std::memcmp(bytes.data(), kMapped, sizeof(kMapped)) == 0) {
    return v4(bytes.data() + 12);
  }
  return *this;
}

std::array<uint8_t, 16> IpAddress::mapped() const {
  if (family != Family::kV4) return bytes;
  std::array<uint8_t, 16> m{};
  m[10] = m[11] = 0xff;
  std::memcpy(&m[12], bytes.data(), 4);
  return m;
}

bool IpAddress::loopback() const {
  IpAddress a = unmapped();
  if (a.family == Family::kV4) return a.bytes[0] == 127;
  static constexpr std::array<uint8_t, 16> kOne{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return a.family == Family::kV6 && a.bytes == kOne;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  int af = family == Family::kV4 ? AF_INET : family == Family::kV6 ? AF_INET6 : -1;
  if (af < 0 || !inet_ntop(af, bytes.data(), buf, sizeof(buf))) return {};
  return buf;
}

}  // namespace ztai
