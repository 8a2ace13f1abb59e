// An IPv4 or IPv6 address as the kernel records carry it (network byte order, IPv4 in the first
// four bytes), printable and hashable.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ztai {

struct IpAddress {
  enum class Family : uint8_t { kNone, kV4, kV6 };

  Family family = Family::kNone;
  std::array<uint8_t, 16> bytes{};

  static IpAddress v4(const uint8_t* b);
  static IpAddress v6(const uint8_t* b);
  // From an AF_INET/AF_INET6 family number and 16 bytes; kNone for other families.
  static IpAddress from_af(uint16_t af, const uint8_t* b);
  // "127.0.0.1", "::1"; nullopt when the text is neither.
  static std::optional<IpAddress> parse(std::string_view text);

  bool valid() const { return family != Family::kNone; }
  // ::ffff:a.b.c.d as the IPv4 address a.b.c.d (a dual-stack socket reaching an IPv4 peer).
  IpAddress unmapped() const;
  // The 16 bytes the kernel's maps key addresses by: IPv4 as ::ffff:a.b.c.d.
  std::array<uint8_t, 16> mapped() const;
  bool loopback() const;  // 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104
  std::string to_string() const;  // empty when !valid()

  bool operator==(const IpAddress&) const = default;
};

struct IpAddressHash {
  size_t operator()(const IpAddress& a) const noexcept {
    uint64_t h = static_cast<uint64_t>(a.family);
    for (uint8_t b : a.bytes) h = h * 1099511628211ULL ^ b;
    return std::hash<uint64_t>{}(h);
  }
};

}  // namespace ztai
