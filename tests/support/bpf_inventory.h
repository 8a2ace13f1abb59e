// What BPF programs are loaded on the machine, to check that nothing outlives a test or the agent.
#pragma once

#include <string>
#include <vector>

namespace ztai::testing {

struct LoadedProgram {
  unsigned id;
  std::string name;
};

std::vector<LoadedProgram> loaded_programs();
// Loaded programs whose name is one of ours.
std::vector<LoadedProgram> loaded_programs_named(const std::vector<std::string>& names);

}  // namespace ztai::testing
