#include "agent/capture/tls_targets.h"

#include <gtest/gtest.h>

namespace ztai {
namespace {

TEST(TlsTargets, FindsEveryRetInX86Code) {
  // push rbp; mov rbp,rsp; test eax,eax; je +2; pop rbp; ret; xor eax,eax; pop rbp; ret; int3
  std::vector<uint8_t> code = {0x55, 0x48, 0x89, 0xe5, 0x85, 0xc0, 0x74, 0x02, 0x5d, 0xc3,
                               0x31, 0xc0, 0x5d, 0xc3, 0xcc};
  auto rets = x86_return_offsets(code);
  ASSERT_TRUE(rets) << rets.error().message();
  EXPECT_EQ(*rets, (std::vector<uint64_t>{9, 13}));
}

TEST(TlsTargets, ABytePatternInsideAnInstructionIsNotARet) {
  // mov eax, 0xc3c3c3c3; ret
  std::vector<uint8_t> code = {0xb8, 0xc3, 0xc3, 0xc3, 0xc3, 0xc3};
  auto rets = x86_return_offsets(code);
  ASSERT_TRUE(rets);
  EXPECT_EQ(*rets, (std::vector<uint64_t>{5}));
}

TEST(TlsTargets, GoVersionFromBuildInfo) {
  std::string info = std::string("\xff Go buildinf:\x08\x02", 16) + "\x08go1.19.8\x10path\tcommand";
  EXPECT_EQ(go_build_version(std::vector<uint8_t>(info.begin(), info.end())), "go1.19.8");
  EXPECT_EQ(go_build_version({}), "");
}

}  // namespace
}  // namespace ztai
