// DNS messages (RFC 1035) parsed from untrusted bytes: every read is bounds-checked, compression
// pointers must point strictly backwards (so a loop cannot be built), names are limited to 255
// bytes, and a truncated message is an error naming the offset, never a partial read.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/common/ip_address.h"
#include "agent/common/result.h"

namespace ztai::dns {

inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeCname = 5;
inline constexpr uint16_t kTypeAaaa = 28;

struct Question {
  std::string name;  // lower case, no trailing dot; "." for the root
  uint16_t type = 0;
  uint16_t qclass = 0;
};

struct ResourceRecord {
  std::string name;
  uint16_t type = 0;
  uint16_t rclass = 0;
  uint32_t ttl = 0;
  std::optional<IpAddress> address;  // A, AAAA
  std::string target;                // CNAME, NS, PTR: the name the record points to

  // What the record says, as outputs print it: the address, the target name, or the type.
  std::string value() const;
};

struct Message {
  uint16_t id = 0;
  bool is_response = false;
  uint8_t opcode = 0;
  uint8_t rcode = 0;
  bool truncated = false;  // the TC bit: the server cut the answer (retry over TCP)
  std::vector<Question> questions;
  std::vector<ResourceRecord> answers;
};

// Records beyond these counts are not read (a hostile header may claim 65535 of each).
inline constexpr size_t kMaxQuestions = 16;
inline constexpr size_t kMaxAnswers = 128;

Result<Message> parse_message(std::span<const uint8_t> bytes);

// NOERROR, NXDOMAIN...; "RCODE<n>" for codes without a name.
std::string rcode_name(uint8_t rcode);
// A, AAAA, CNAME...; "TYPE<n>" for others.
std::string type_name(uint16_t type);

}  // namespace ztai::dns
