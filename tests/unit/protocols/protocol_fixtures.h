// Recorded byte streams under tests/unit/protocols/data and helpers that feed them to a
// ConversationTracker, whole or cut into pieces.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent/protocols/stream/conversation_tracker.h"

namespace ztai::testing {

inline std::string fixture(const std::string& name) {
  std::ifstream in(std::string(ZTAI_PROTOCOL_DATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << "missing fixture " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Piece {
  ChunkDirection dir;
  std::string bytes;
};

inline DataChunk chunk(uint64_t conn, ChunkDirection dir, std::string bytes, uint64_t t_ns,
                       ChunkTransport transport = ChunkTransport::kTls) {
  DataChunk c;
  c.hdr.proc = {4242, 777};
  c.hdr.tid = 4243;
  c.hdr.cgroup_id = 99;
  c.hdr.boot_ns = t_ns;
  c.conn_id = conn;
  c.direction = dir;
  c.transport = transport;
  c.data = std::move(bytes);
  return c;
}

// Feeds the pieces in order, each cut into chunks of `step` bytes (0: whole), 1 ms apart.
inline std::vector<Event> run(ConversationTracker& t, const std::vector<Piece>& pieces, size_t step = 0,
                              uint64_t conn = 1, ChunkTransport transport = ChunkTransport::kTls) {
  std::vector<Event> out;
  uint64_t now = 1'000'000'000;
  for (const Piece& p : pieces) {
    size_t n = step == 0 ? std::max<size_t>(p.bytes.size(), 1) : step;
    for (size_t i = 0; i < p.bytes.size(); i += n) {
      now += 1'000'000;
      t.feed(chunk(conn, p.dir, p.bytes.substr(i, n), now, transport), out);
    }
  }
  return out;
}

template <typename T>
std::vector<const T*> payloads(const std::vector<Event>& events, EventType type) {
  std::vector<const T*> out;
  for (const Event& e : events) {
    if (e.hdr.type == type) out.push_back(e.as<T>());
  }
  return out;
}

}  // namespace ztai::testing
