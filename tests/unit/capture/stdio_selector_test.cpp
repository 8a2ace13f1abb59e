#include "agent/capture/stdio_selector.h"

#include <gtest/gtest.h>

#include "agent/config/agent_config.h"

namespace ztai {
namespace {

TEST(StdioSelector, ServersAndClientsAreNamedBySubstringsOfTheExecutableOrAnArgument) {
  StdioSelection s{{"mcp-server"}, {"claude"}};
  EXPECT_EQ(stdio_role(s, "/usr/local/bin/mcp-server-git", {"mcp-server-git"}), StdioRole::kServer);
  EXPECT_EQ(stdio_role(s, "/usr/bin/node", {"node", "/opt/mcp-server/index.js"}), StdioRole::kServer);
  EXPECT_EQ(stdio_role(s, "/usr/bin/node", {"node", "/home/u/.local/bin/claude"}), StdioRole::kClient);
  EXPECT_EQ(stdio_role(s, "/usr/bin/python3", {"python3", "app.py"}), StdioRole::kNone);
  // A server named like its client is a server.
  EXPECT_EQ(stdio_role(s, "/usr/bin/claude-mcp-server", {}), StdioRole::kServer);
  EXPECT_EQ(stdio_role({}, "/usr/bin/mcp-server", {"mcp-server"}), StdioRole::kNone);
}

TEST(StdioSelector, DefaultsSelectTheReferenceServersHoweverTheyAreStarted) {
  const CaptureSettings c = default_agent_config().capture;
  StdioSelection s{c.mcp_stdio_servers, c.mcp_stdio_clients};
  // npx, an installed bin, and node on the package's script.
  EXPECT_EQ(stdio_role(s, "/usr/bin/node", {"npm", "exec", "@modelcontextprotocol/server-filesystem", "/srv"}),
            StdioRole::kServer);
  EXPECT_EQ(stdio_role(s, "/usr/local/bin/mcp-server-filesystem", {"mcp-server-filesystem", "/srv"}),
            StdioRole::kServer);
  EXPECT_EQ(stdio_role(s, "/usr/bin/node",
                       {"node", "/app/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js", "/srv"}),
            StdioRole::kServer);
  EXPECT_EQ(stdio_role(s, "/usr/bin/bash", {"bash", "-c", "ls"}), StdioRole::kNone);
}

}  // namespace
}  // namespace ztai
