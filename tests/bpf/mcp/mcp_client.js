// An MCP client built with the real SDK: `node mcp_client.js stdio SERVER.js` starts the server
// with node over stdio, `node mcp_client.js http URL` speaks Streamable HTTP; either calls the
// read_note tool once and prints "RESULT <json>". ZTAI_TEST_DELAY_MS: wait before connecting.
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

(async () => {
  const [mode, target] = process.argv.slice(2);
  await new Promise(r => setTimeout(r, Number(process.env.ZTAI_TEST_DELAY_MS || 0)));
  const transport = mode === 'stdio'
    ? new StdioClientTransport({ command: process.execPath, args: [target], env: { ...process.env } })
    : new StreamableHTTPClientTransport(new URL(target));
  const client = new Client({ name: 'ztai-test-client', version: '1.0.0' });
  await client.connect(transport);
  const result = await client.callTool({ name: 'read_note', arguments: { path: '/srv/notes/ztai-mcp-probe.txt' } });
  console.log(`RESULT ${JSON.stringify(result)}`);
  await client.close();
})().catch(e => { console.error(e); process.exit(1); });
