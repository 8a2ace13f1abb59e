// Which processes have their stdio pipes captured (MCP stdio servers speak newline-delimited
// JSON-RPC on stdin and stdout): a server named by its command, or any child of a client named
// by its command. The kernel passes a selection on to children at fork (npx, a shell or a
// wrapper may stand between the client and the server) and forgets it at exit.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ztai {

struct StdioSelection {
  // Substrings of the executable path or of one argument; empty lists select nothing.
  std::vector<std::string> servers;  // the process itself is a server: its pipes are captured
  std::vector<std::string> clients;  // the process is a client: its children's pipes are captured

  bool empty() const { return servers.empty() && clients.empty(); }
};

enum class StdioRole { kNone, kClient, kServer };

// A server match wins over a client match (a server may be named like its client's tool).
StdioRole stdio_role(const StdioSelection& selection, std::string_view exe_path, const std::vector<std::string>& argv);

}  // namespace ztai
