// The DNS parser on arbitrary bytes (answers come from the network), and the name table fed with
// whatever parses: no crash, no out-of-bounds read, no unbounded growth.
#include <cstddef>
#include <cstdint>
#include <span>

#include "agent/protocols/dns/dns_message.h"
#include "agent/protocols/dns/dns_names.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ztai::dns::NameTable table(ztai::dns::NameTableSettings{.max_addresses = 1024});
  auto msg = ztai::dns::parse_message(std::span(data, size));
  if (msg) {
    for (const auto& rr : msg->answers) (void)rr.value();
    msg->is_response = true;
    msg->rcode = 0;
    table.learn(*msg, size);
    for (const auto& rr : msg->answers) {
      if (rr.address) (void)table.names_for(*rr.address, size);
    }
  }
  return 0;
}
