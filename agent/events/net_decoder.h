// Decoders for the network, DNS and blind-spot families.
#pragma once

#include <cstddef>
#include <span>

#include "agent/common/result.h"
#include "agent/events/event.h"

namespace ztai {

Result<Event> decode_net(const EventHeader& hdr, std::span<const std::byte> record);
Result<Event> decode_dns(const EventHeader& hdr, std::span<const std::byte> record);
Result<Event> decode_io_uring_setup(const EventHeader& hdr, std::span<const std::byte> record);
Result<Event> decode_raw_socket(const EventHeader& hdr, std::span<const std::byte> record);
// ZTAI_EVENT_TLS_CLIENT_HELLO; the hello is parsed here (a hello that does not parse is an event
// with parse_error, a record that contradicts itself an error).
Result<Event> decode_tls_hello(const EventHeader& hdr, std::span<const std::byte> record);

}  // namespace ztai
