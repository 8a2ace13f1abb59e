// The DNS parser on crafted bytes: well-formed answers, compression, and every way a hostile or
// cut message can try to read out of bounds or loop.
#include "agent/protocols/dns/dns_message.h"

#include <gtest/gtest.h>

#include <vector>

namespace ztai::dns {
namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

void put_name(Bytes& b, std::initializer_list<const char*> labels) {
  for (const char* l : labels) {
    b.push_back(static_cast<uint8_t>(strlen(l)));
    b.insert(b.end(), l, l + strlen(l));
  }
  b.push_back(0);
}

Bytes header(uint16_t flags, uint16_t qd, uint16_t an) {
  Bytes b;
  put16(b, 0x1234);
  put16(b, flags);
  put16(b, qd);
  put16(b, an);
  put16(b, 0);
  put16(b, 0);
  return b;
}

// Response to "WWW.Example.com A": a CNAME to edge.cdn.net (compressed owner), and its A record.
Bytes sample_response() {
  Bytes b = header(0x8180, 1, 2);
  put_name(b, {"WWW", "Example", "com"});  // at offset 12
  put16(b, kTypeA);
  put16(b, 1);
  // answer 1: name = pointer to 12, CNAME edge.cdn.net
  b.push_back(0xc0);
  b.push_back(12);
  put16(b, kTypeCname);
  put16(b, 1);
  put16(b, 0);
  put16(b, 300);
  Bytes target;
  put_name(target, {"edge", "cdn", "net"});
  put16(b, static_cast<uint16_t>(target.size()));
  size_t target_offset = b.size();
  b.insert(b.end(), target.begin(), target.end());
  // answer 2: name = pointer to the CNAME target, A 93.184.216.34
  b.push_back(0xc0);
  b.push_back(static_cast<uint8_t>(target_offset));
  put16(b, kTypeA);
  put16(b, 1);
  put16(b, 0);
  put16(b, 60);
  put16(b, 4);
  for (uint8_t o : {93, 184, 216, 34}) b.push_back(o);
  return b;
}

TEST(DnsMessage, ParsesAResponseWithCompressionAndCname) {
  auto m = parse_message(sample_response());
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->id, 0x1234);
  EXPECT_TRUE(m->is_response);
  EXPECT_EQ(m->rcode, 0);
  EXPECT_FALSE(m->truncated);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name, "www.example.com");  // lower-cased
  EXPECT_EQ(m->questions[0].type, kTypeA);
  ASSERT_EQ(m->answers.size(), 2u);
  EXPECT_EQ(m->answers[0].name, "www.example.com");
  EXPECT_EQ(m->answers[0].type, kTypeCname);
  EXPECT_EQ(m->answers[0].target, "edge.cdn.net");
  EXPECT_EQ(m->answers[0].ttl, 300u);
  EXPECT_EQ(m->answers[0].value(), "edge.cdn.net");
  EXPECT_EQ(m->answers[1].name, "edge.cdn.net");
  ASSERT_TRUE(m->answers[1].address);
  EXPECT_EQ(m->answers[1].value(), "93.184.216.34");
  EXPECT_EQ(m->answers[1].ttl, 60u);
}

TEST(DnsMessage, ParsesAaaaAndRcode) {
  Bytes b = header(0x8183, 1, 1);  // NXDOMAIN, yet one answer to check AAAA decoding
  put_name(b, {"v6", "test"});
  put16(b, kTypeAaaa);
  put16(b, 1);
  b.push_back(0xc0);
  b.push_back(12);
  put16(b, kTypeAaaa);
  put16(b, 1);
  put16(b, 0);
  put16(b, 5);
  put16(b, 16);
  for (int i = 0; i < 15; ++i) b.push_back(0);
  b.push_back(1);
  auto m = parse_message(b);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(rcode_name(m->rcode), "NXDOMAIN");
  EXPECT_EQ(m->answers.at(0).value(), "::1");
  EXPECT_EQ(type_name(m->questions.at(0).type), "AAAA");
}

TEST(DnsMessage, EveryTruncationIsAnErrorNotARead) {
  Bytes full = sample_response();
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(n));
    auto m = parse_message(cut);
    EXPECT_FALSE(m) << "a message cut at " << n << " of " << full.size() << " bytes parsed";
  }
  EXPECT_TRUE(parse_message(full));
}

TEST(DnsMessage, ShortHeaderNamesTheProblem) {
  auto m = parse_message(Bytes{0x12, 0x34, 0x81});
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("header"), std::string::npos) << m.error().message();
}

TEST(DnsMessage, CompressionLoopIsRejected) {
  // The question name is a pointer to itself.
  Bytes b = header(0x8180, 1, 0);
  b.push_back(0xc0);
  b.push_back(12);
  put16(b, 1);
  put16(b, 1);
  auto m = parse_message(b);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("loop"), std::string::npos) << m.error().message();

  // Two pointers pointing at each other: the second run starts below the first pointer, then
  // jumps forward again.
  Bytes c = header(0x8180, 1, 0);
  c.push_back(1);
  c.push_back('a');
  c.push_back(0xc0);
  c.push_back(12);  // "a" then back to offset 12: its own start
  put16(c, 1);
  put16(c, 1);
  EXPECT_FALSE(parse_message(c));
}

TEST(DnsMessage, ForwardPointerIsRejected) {
  Bytes b = header(0x8180, 1, 0);
  b.push_back(0xc0);
  b.push_back(200);
  put16(b, 1);
  put16(b, 1);
  EXPECT_FALSE(parse_message(b));
}

TEST(DnsMessage, OverlongNameIsRejected) {
  Bytes b = header(0x8180, 1, 0);
  for (int i = 0; i < 5; ++i) {
    b.push_back(63);
    b.insert(b.end(), 63, 'x');
  }
  b.push_back(0);
  put16(b, 1);
  put16(b, 1);
  auto m = parse_message(b);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("longer than 255"), std::string::npos) << m.error().message();
}

TEST(DnsMessage, ReservedLabelTypeIsRejected) {
  Bytes b = header(0x8180, 1, 0);
  b.push_back(0x40);
  put16(b, 1);
  put16(b, 1);
  EXPECT_FALSE(parse_message(b));
}

TEST(DnsMessage, RecordDataMustFitItsLength) {
  Bytes b = header(0x8180, 0, 1);
  put_name(b, {"a"});
  put16(b, kTypeA);
  put16(b, 1);
  put16(b, 0);
  put16(b, 1);
  put16(b, 3);  // an A record of 3 bytes
  b.insert(b.end(), {1, 2, 3});
  EXPECT_FALSE(parse_message(b));

  Bytes c = header(0x8180, 0, 1);
  put_name(c, {"a"});
  put16(c, kTypeA);
  put16(c, 1);
  put16(c, 0);
  put16(c, 1);
  put16(c, 40);  // longer than what follows
  c.insert(c.end(), {1, 2, 3, 4});
  EXPECT_FALSE(parse_message(c));

  // A CNAME whose name runs past its rdlength.
  Bytes d = header(0x8180, 0, 1);
  put_name(d, {"a"});
  put16(d, kTypeCname);
  put16(d, 1);
  put16(d, 0);
  put16(d, 1);
  put16(d, 2);
  put_name(d, {"long", "target"});
  EXPECT_FALSE(parse_message(d));
}

TEST(DnsMessage, HostileCountsDoNotAllocateOrRead) {
  Bytes b = header(0x8180, 0, 0xffff);  // claims 65535 answers, has none
  EXPECT_FALSE(parse_message(b));
  Bytes q = header(0x8180, 0xffff, 0);
  EXPECT_FALSE(parse_message(q));
}

TEST(DnsMessage, OddBytesInLabelsAreEscaped) {
  Bytes b = header(0x0100, 1, 0);  // a query
  b.push_back(3);
  b.push_back('a');
  b.push_back('.');
  b.push_back(0x07);
  b.push_back(0);
  put16(b, 1);
  put16(b, 1);
  auto m = parse_message(b);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_FALSE(m->is_response);
  EXPECT_EQ(m->questions.at(0).name, "a\\046\\007");
}

TEST(DnsMessage, RootNameAndUnknownCodes) {
  Bytes b = header(0x8180, 1, 0);
  b.push_back(0);
  put16(b, 2);
  put16(b, 1);
  auto m = parse_message(b);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->questions.at(0).name, ".");
  EXPECT_EQ(rcode_name(14), "RCODE14");
  EXPECT_EQ(type_name(999), "TYPE999");
}

}  // namespace
}  // namespace ztai::dns
