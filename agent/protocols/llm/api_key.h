// A credential seen in a request header, reduced to a fingerprint that identifies the key
// without revealing it: "<provider>:<first 8 hex of SHA-256>:<last 4 characters>". The header's
// value itself never leaves the tracker.
#pragma once

#include <string>
#include <string_view>

#include "agent/protocols/http/http1_parser.h"

namespace ztai::llm {

// Headers that carry credentials: never exported, not even to debug logs.
bool is_secret_header(std::string_view lower_name);

// The fingerprint of the request's credential (Authorization bearer token, x-api-key, api-key,
// x-goog-api-key); empty when it has none.
std::string api_key_id(std::string_view provider, const http::MessageHead& request);

// The fingerprint of one secret value (a "Bearer " or "Basic " scheme prefix is not part of it).
std::string fingerprint(std::string_view provider, std::string_view secret);

}  // namespace ztai::llm
