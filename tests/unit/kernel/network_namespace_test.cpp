#include "agent/kernel/network_namespace.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <gtest/gtest.h>

#include <cstring>

namespace ztai {
namespace {

// An RTM_GETADDR dump reply, built as the kernel lays it out.
class Reply {
 public:
  Reply& address(int family, const char* text, uint8_t scope, uint16_t attr = IFA_LOCAL) {
    uint8_t bytes[16];
    inet_pton(family, text, bytes);
    size_t alen = family == AF_INET ? 4 : 16;
    ifaddrmsg ifa{};
    ifa.ifa_family = static_cast<uint8_t>(family);
    ifa.ifa_scope = scope;
    rtattr ra{static_cast<unsigned short>(RTA_LENGTH(alen)), attr};
    std::vector<uint8_t> body(NLMSG_ALIGN(sizeof(ifa)) + RTA_ALIGN(ra.rta_len));
    std::memcpy(body.data(), &ifa, sizeof(ifa));
    std::memcpy(body.data() + NLMSG_ALIGN(sizeof(ifa)), &ra, sizeof(ra));
    std::memcpy(body.data() + NLMSG_ALIGN(sizeof(ifa)) + RTA_LENGTH(0), bytes, alen);
    return message(RTM_NEWADDR, body);
  }
  Reply& message(uint16_t type, const std::vector<uint8_t>& body) {
    nlmsghdr h{static_cast<uint32_t>(NLMSG_LENGTH(body.size())), type, NLM_F_MULTI, 1, 0};
    size_t at = bytes_.size();
    bytes_.resize(at + NLMSG_ALIGN(h.nlmsg_len));
    std::memcpy(bytes_.data() + at, &h, sizeof(h));
    std::memcpy(bytes_.data() + at + NLMSG_HDRLEN, body.data(), body.size());
    return *this;
  }
  Reply& done() { return message(NLMSG_DONE, std::vector<uint8_t>(4)); }
  std::span<const std::byte> bytes() const { return std::as_bytes(std::span(bytes_)); }
  std::vector<uint8_t>& raw() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

std::vector<std::string> strings(const std::vector<IpAddress>& a) {
  std::vector<std::string> out;
  for (const IpAddress& x : a) out.push_back(x.to_string());
  return out;
}

TEST(ParseAddressDump, KeepsWhatOtherNamespacesReach) {
  Reply r;
  r.address(AF_INET, "127.0.0.1", RT_SCOPE_HOST)
      .address(AF_INET, "10.244.1.7", RT_SCOPE_UNIVERSE)
      .address(AF_INET, "169.254.1.1", RT_SCOPE_LINK)
      .address(AF_INET6, "::1", RT_SCOPE_HOST)
      .address(AF_INET6, "fe80::1", RT_SCOPE_LINK)
      .address(AF_INET6, "fd00::7", RT_SCOPE_UNIVERSE)
      .done();
  std::vector<IpAddress> out;
  bool done = false;
  ASSERT_TRUE(parse_address_dump(r.bytes(), out, done));
  EXPECT_TRUE(done);
  EXPECT_EQ(strings(out), (std::vector<std::string>{"10.244.1.7", "fd00::7"}));
}

// IPv6 addresses come with IFA_ADDRESS only (IFA_LOCAL appears with a point-to-point peer).
TEST(ParseAddressDump, WithoutIfaLocalTheAddressIsIfaAddress) {
  Reply r;
  r.address(AF_INET6, "fd00::9", RT_SCOPE_UNIVERSE, IFA_ADDRESS);
  std::vector<IpAddress> out;
  bool done = false;
  ASSERT_TRUE(parse_address_dump(r.bytes(), out, done));
  EXPECT_FALSE(done) << "no NLMSG_DONE yet: more replies follow";
  EXPECT_EQ(strings(out), std::vector<std::string>{"fd00::9"});
}

TEST(ParseAddressDump, MalformedRepliesAreErrorsNotReads) {
  Reply r;
  r.address(AF_INET, "10.0.0.9", RT_SCOPE_UNIVERSE);
  std::vector<IpAddress> out;
  bool done = false;
  // Every truncation is refused or read without going past the end.
  for (size_t n = 0; n < r.raw().size(); n++) {
    out.clear();
    (void)parse_address_dump(r.bytes().first(n), out, done);
    EXPECT_TRUE(out.empty()) << n;
  }
  // A message claiming more bytes than there are.
  Reply big = r;
  uint32_t len = 4096;
  std::memcpy(big.raw().data(), &len, sizeof(len));
  EXPECT_FALSE(parse_address_dump(big.bytes(), out, done));
  // An attribute longer than its message.
  Reply bad_attr = r;
  uint16_t rta_len = 200;
  std::memcpy(bad_attr.raw().data() + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifaddrmsg)), &rta_len, sizeof(rta_len));
  auto st = parse_address_dump(bad_attr.bytes(), out, done);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("attribute"), std::string::npos) << st.error().message();
  // The kernel's error reply.
  Reply err;
  int code = -EPERM;
  err.message(NLMSG_ERROR, std::vector<uint8_t>(reinterpret_cast<uint8_t*>(&code), reinterpret_cast<uint8_t*>(&code) + 4));
  st = parse_address_dump(err.bytes(), out, done);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("not permitted"), std::string::npos) << st.error().message();
}

}  // namespace
}  // namespace ztai
