#include "agent/enforce/local_address_book.h"

#include <gtest/gtest.h>

#include "bpf/abi/policy.h"

namespace ztai::enforce {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

using Write = LocalAddressBook::Write;

// Writes come in the order of the kernel's keys (IPv4 mapped first).
TEST(LocalAddressBook, WritesOnlyWhatChanged) {
  LocalAddressBook book;
  EXPECT_EQ(book.set(7, {ip("10.0.0.2"), ip("fd00::2")}),
            (std::vector<Write>{{ip("10.0.0.2"), 7}, {ip("fd00::2"), 7}}));
  EXPECT_TRUE(book.set(7, {ip("fd00::2"), ip("10.0.0.2")}).empty()) << "same addresses: nothing to write";
  EXPECT_EQ(book.set(7, {ip("10.0.0.3")}),
            (std::vector<Write>{{ip("10.0.0.2"), std::nullopt}, {ip("10.0.0.3"), 7}, {ip("fd00::2"), std::nullopt}}));
  EXPECT_EQ(book.addresses(), 1u);
}

TEST(LocalAddressBook, AnAddressTwoNamespacesHoldNamesNeither) {
  LocalAddressBook book;
  book.set(7, {ip("10.0.0.2")});
  EXPECT_EQ(book.set(8, {ip("10.0.0.2"), ip("10.0.0.9")}),
            (std::vector<Write>{{ip("10.0.0.2"), uint64_t{ZTAI_LOCAL_ADDR_SHARED}}, {ip("10.0.0.9"), 8}}));
  // One goes: the other holds it alone again.
  EXPECT_EQ(book.remove(7), (std::vector<Write>{{ip("10.0.0.2"), 8}}));
  EXPECT_FALSE(book.knows(7));
  EXPECT_EQ(book.namespaces(), std::vector<uint64_t>{8});
  EXPECT_EQ(book.remove(8), (std::vector<Write>{{ip("10.0.0.2"), std::nullopt}, {ip("10.0.0.9"), std::nullopt}}));
  EXPECT_EQ(book.addresses(), 0u);
}

TEST(LocalAddressBook, IPv4AndItsMappedFormAreOneAddress) {
  LocalAddressBook book;
  book.set(7, {ip("10.0.0.2")});
  EXPECT_EQ(book.set(8, {ip("::ffff:10.0.0.2")}), (std::vector<Write>{{ip("10.0.0.2"), uint64_t{ZTAI_LOCAL_ADDR_SHARED}}}));
}

}  // namespace
}  // namespace ztai::enforce
