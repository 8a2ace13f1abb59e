// A BPF iterator program (iter/tcp, iter/udp) run once: through a link and an iterator descriptor,
// read to the end. Socket iterators walk the network namespace of the thread that opens them
// (run_in_network_namespace picks another).
#pragma once

#include <cstddef>
#include <string_view>

#include "agent/common/result.h"

namespace ztai {

// The bytes the program wrote; `what` names it in errors.
Result<size_t> run_bpf_iterator(int prog_fd, std::string_view what);

}  // namespace ztai
