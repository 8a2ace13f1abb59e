// Running a shell command from a test: for tests that check what a packaging tool says.
#pragma once

#include <stdio.h>
#include <sys/wait.h>

#include <string>
#include <utility>

namespace ztai::testing {

// Runs command with sh; its combined stdout and stderr, and its exit status (-1: it did not exit).
inline std::pair<std::string, int> run_shell(const std::string& command) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return {"popen failed", -1};
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  int status = pclose(p);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

}  // namespace ztai::testing
