#include "agent/capture/data_decoder.h"

#include <arpa/inet.h>

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "bpf/abi/events.h"

namespace ztai {
namespace {

std::vector<std::byte> record(uint64_t pos, std::string_view data, uint32_t call_bytes, uint32_t flags = 0,
                              uint8_t source = ZTAI_DATA_OPENSSL, uint8_t direction = ZTAI_DATA_EGRESS) {
  ztai_data_event ev{};
  ev.hdr.type = ZTAI_EVENT_DATA;
  ev.hdr.size = static_cast<uint32_t>(sizeof(ev) + data.size());
  ev.hdr.proc.tgid = 42;
  ev.hdr.proc.start_ticks = 7;
  ev.conn_id = 0xabc;
  ev.stream_pos = pos;
  ev.call_bytes = call_bytes;
  ev.fd = 5;
  ev.family = AF_INET;
  ev.source = source;
  ev.direction = direction;
  ev.lport = 40000;
  ev.rport = 443;
  ev.flags = flags;
  inet_pton(AF_INET, "127.0.0.1", ev.laddr);
  inet_pton(AF_INET, "127.0.0.2", ev.raddr);
  ev.data_len = static_cast<uint32_t>(data.size());
  std::vector<std::byte> out(sizeof(ev) + data.size());
  std::memcpy(out.data(), &ev, sizeof(ev));
  std::memcpy(out.data() + sizeof(ev), data.data(), data.size());
  return out;
}

TEST(DataDecoder, DecodesIdentityConnectionAndBytes) {
  DataDecoder d;
  auto r = record(0, "GET / HTTP/1.1\r\n", 16);
  ASSERT_TRUE(DataDecoder::is_data_record(r));
  auto c = d.decode(r);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->hdr.proc.tgid, 42u);
  EXPECT_EQ(c->hdr.proc.start_ticks, 7u);
  EXPECT_EQ(c->conn_id, 0xabcu);
  EXPECT_EQ(c->direction, ChunkDirection::kEgress);
  EXPECT_EQ(c->transport, ChunkTransport::kTls);
  EXPECT_EQ(c->local.addr.to_string(), "127.0.0.1");
  EXPECT_EQ(c->local.port, 40000);
  EXPECT_EQ(c->remote.addr.to_string(), "127.0.0.2");
  EXPECT_EQ(c->remote.port, 443);
  EXPECT_EQ(c->data, "GET / HTTP/1.1\r\n");
  EXPECT_EQ(c->lost_bytes, 0u);
  EXPECT_FALSE(c->truncated);
}

TEST(DataDecoder, SocketRecordsAreTcpAndSessionsWithoutSocketHaveNoAddresses) {
  DataDecoder d;
  auto sock = d.decode(record(0, "x", 1, 0, ZTAI_DATA_SOCKET));
  ASSERT_TRUE(sock);
  EXPECT_EQ(sock->transport, ChunkTransport::kTcp);
  auto bio = d.decode(record(0, "y", 1, ZTAI_DATA_NO_SOCKET, ZTAI_DATA_OPENSSL, ZTAI_DATA_INGRESS));
  ASSERT_TRUE(bio);
  EXPECT_FALSE(bio->remote.valid());
  EXPECT_FALSE(bio->local.valid());
  EXPECT_EQ(bio->direction, ChunkDirection::kIngress);
}

TEST(DataDecoder, PipeRecordsArePipesWithTheirPeerAndNoAddresses) {
  DataDecoder d;
  auto r = record(0, "{}\n", 3, 0, ZTAI_DATA_PIPE, ZTAI_DATA_INGRESS);
  reinterpret_cast<ztai_data_event*>(r.data())->peer_tgid = 4242;
  auto pipe = d.decode(r);
  ASSERT_TRUE(pipe) << pipe.error().message();
  EXPECT_EQ(pipe->transport, ChunkTransport::kPipe);
  EXPECT_EQ(pipe->peer_tgid, 4242u);
  EXPECT_FALSE(pipe->remote.valid());
  EXPECT_FALSE(pipe->local.valid());
}

// A capped call: its last record is marked truncated, and the next chunk of the stream reports
// the bytes that were never copied.
TEST(DataDecoder, GapsInAStreamAreReportedAsLostBytes) {
  DataDecoder d;
  auto first = d.decode(record(0, "abcd", 10, ZTAI_DATA_TRUNCATED));
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->truncated);
  auto next = d.decode(record(10, "efgh", 4));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->lost_bytes, 6u);
  auto contiguous = d.decode(record(14, "ij", 2));
  ASSERT_TRUE(contiguous);
  EXPECT_EQ(contiguous->lost_bytes, 0u);
  // The other direction is its own stream.
  auto ingress = d.decode(record(0, "z", 1, 0, ZTAI_DATA_OPENSSL, ZTAI_DATA_INGRESS));
  ASSERT_TRUE(ingress);
  EXPECT_EQ(ingress->lost_bytes, 0u);
}

TEST(DataDecoder, MalformedRecordsAreErrors) {
  DataDecoder d;
  auto r = record(0, "abcd", 4);
  EXPECT_FALSE(d.decode(std::span(r).first(sizeof(ztai_data_event) - 1)));
  EXPECT_FALSE(d.decode(std::span(r).first(sizeof(ztai_data_event) + 2)));  // data_len past the end
  auto over = record(0, "abcd", 2);  // more bytes than the call moved
  EXPECT_FALSE(d.decode(over));
  auto bad_dir = record(0, "a", 1, 0, ZTAI_DATA_OPENSSL, 7);
  EXPECT_FALSE(d.decode(bad_dir));
  auto other = record(0, "a", 1);
  other[0] = std::byte{ZTAI_EVENT_FILE};
  EXPECT_FALSE(DataDecoder::is_data_record(other));
  EXPECT_FALSE(d.decode(other));
}

}  // namespace
}  // namespace ztai
