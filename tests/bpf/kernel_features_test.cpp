#include <gtest/gtest.h>

#include "agent/kernel/features.h"
#include "tests/support/kernel_test.h"

namespace ztai {
namespace {

TEST(KernelFeatures, ProbesWhatTheAgentNeedsAndExplainsWhatIsMissing) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  KernelFeatures f = probe_kernel_features();
  for (const char* needed : {"btf", "tp_btf", "ringbuf", "tracepoint"}) {
    ASSERT_NE(f.find(needed), nullptr) << needed;
    ZTAI_KERNEL_PREREQ(f.has(needed) ? Status() : make_error(ErrorCode::kUnsupported, "{}: {}", needed,
                                                             f.find(needed)->detail));
  }
  for (const Feature& x : f.features) {
    if (!x.available) {
      EXPECT_FALSE(x.detail.empty()) << x.name << " is unavailable without a reason";
    }
  }
  // fentry and LSM are probed by loading a real program, not guessed from the kernel version.
  ASSERT_NE(f.find("fentry"), nullptr);
  ASSERT_NE(f.find("lsm"), nullptr);
  if (!f.has("fentry")) {
    EXPECT_NE(f.find("fentry")->detail.find("EPERM"), std::string::npos) << f.find("fentry")->detail;
  }
}

}  // namespace
}  // namespace ztai
