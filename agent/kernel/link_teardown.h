// Detaches BPF links from several threads at once. Releasing a tracepoint link waits for RCU
// grace periods in the kernel (50-120 ms each on the development machine), so the agent's ~85
// links detached one after the other made every stop take 5-6 s. Released in parallel the
// tracepoint links share grace periods (16 complete per ~40 ms); uprobe links do not (the
// kernel releases them one at a time, ~100 ms each). tests/bench/stop_bench.sh measures it.
#pragma once

#include <span>

struct bpf_link;

namespace ztai {

// Destroys every link (nullptr entries are skipped) and sets it to nullptr. A pinned link stays
// attached: only its pin holds it then, as with bpf_link__destroy.
void destroy_links(std::span<bpf_link*> links);

}  // namespace ztai
