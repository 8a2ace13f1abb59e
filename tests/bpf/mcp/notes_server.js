// An MCP server built with the real SDK (@modelcontextprotocol/sdk): one tool, read_note.
// `node notes_server.js` speaks over stdio; `node notes_server.js http` serves Streamable HTTP
// on 127.0.0.1 (a port of the system's choosing, printed as "PORT n").
const http = require('http');
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { z } = require('zod');

function notes() {
  const server = new McpServer({ name: 'ztai-test-notes', version: '1.0.0' });
  server.registerTool('read_note', { description: 'Reads a note', inputSchema: { path: z.string() } },
    async ({ path }) => ({ content: [{ type: 'text', text: `the note at ${path}` }] }));
  return server;
}

if (process.argv[2] === 'http') {
  const web = http.createServer(async (req, res) => {
    // Stateless: one server and transport per request, as the SDK's examples do.
    const server = notes();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => { transport.close(); server.close(); });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  web.listen(0, '127.0.0.1', () => console.log(`PORT ${web.address().port}`));
} else {
  notes().connect(new StdioServerTransport());
}
