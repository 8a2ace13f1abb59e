// The conversation tracker on arbitrary captured streams (the bytes come from any process the
// capture watches): the input is cut into chunks of both directions, with losses and closes, on
// a handful of connections with small limits so that caps and evictions are exercised too.
// Input format, repeated: 1 control byte (bits 0-1 connection, 2 direction, 3 lost bytes before,
// 4 cut chunk, 5 close after, 6-7 transport), 1 length byte, then that many data bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/protocols/llm/llm_decoder.h"
#include "agent/protocols/mcp/jsonrpc.h"
#include "agent/protocols/stream/conversation_tracker.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ztai;
  TrackerLimits limits;
  limits.max_connections = 3;
  limits.max_head_bytes = 512;
  limits.max_body_bytes = 4096;
  limits.max_line_bytes = 4096;
  limits.max_pending = 4;
  ConversationTracker tracker(limits);
  std::vector<Event> out;
  size_t i = 0;
  uint64_t t = 0;
  while (i + 2 <= size) {
    uint8_t ctl = data[i];
    size_t len = std::min<size_t>(data[i + 1], size - i - 2);
    DataChunk c;
    c.hdr.proc = {1, 1};
    c.hdr.boot_ns = ++t;
    c.conn_id = ctl & 3;
    c.direction = (ctl & 4) ? ChunkDirection::kIngress : ChunkDirection::kEgress;
    c.lost_bytes = (ctl & 8) ? 10 : 0;
    c.truncated = (ctl & 16) != 0;
    c.transport = static_cast<ChunkTransport>(ctl >> 6);
    c.data.assign(reinterpret_cast<const char*>(data + i + 2), len);
    tracker.feed(c, out);
    if (ctl & 32) tracker.close(c.conn_id, c.hdr, out);
    i += 2 + len;
  }
  // The body decoders directly, on the whole input.
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (int api = 0; api <= static_cast<int>(llm::Api::kLlamaCppCompletion); ++api) {
    LlmPayload p;
    llm::decode_request(static_cast<llm::Api>(api), text, p);
    llm::decode_response(static_cast<llm::Api>(api), text, p);
    llm::StreamMerger m(static_cast<llm::Api>(api), p, 4096);
    m.on_json_line(text);
  }
  (void)mcp::decode(text);
  return 0;
}
