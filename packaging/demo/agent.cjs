// The AI agent of `ztai demo`: the real `openai` npm client talking to the demo's model server, and
// the real MCP filesystem server driven by the MCP SDK client over stdio. It reads one JSON command
// per line on stdin and answers one JSON line on stdout, so the demo runs each step when it wants:
//   {"op":"connect","base_url":URL}               the model server to use
//   {"op":"chat","prompt":TEXT}                    a plain chat completion
//   {"op":"task","prompt":TEXT}                    a chat offering a run_command tool; a tool call
//                                                  the model answers with is executed by /bin/sh
//   {"op":"mcp","tool":NAME,"args":{...}}          an MCP tools/call (the server starts on first use)
//   {"op":"load_adapter","path":FILE}              asks the model server to load an adapter file
// Usage: node agent.cjs NODE_MODULES_DIR MCP_ROOT_DIR
'use strict';
const path = require('path');
const readline = require('readline');
const { spawnSync } = require('child_process');
const { createRequire } = require('module');

const [nodeModules, mcpRoot] = process.argv.slice(2);
const npm = createRequire(path.join(nodeModules, 'index.js'));
const OpenAI = npm('openai').OpenAI;
const { Client } = npm('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = npm('@modelcontextprotocol/sdk/client/stdio.js');

const MODEL = 'demo-llm-1b';
let openai = null;
let mcp = null;

const runCommandTool = {
  type: 'function',
  function: {
    name: 'run_command',
    description: 'Run a shell command on this machine and return its output',
    parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
  },
};

async function mcpClient() {
  if (mcp) return mcp;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(nodeModules, '@modelcontextprotocol/server-filesystem/dist/index.js'), mcpRoot],
    stderr: 'ignore',
  });
  const client = new Client({ name: 'ztai-demo-agent', version: '1.0.0' });
  await client.connect(transport);
  mcp = client;
  return mcp;
}

function needOpenai() {
  if (!openai) throw new Error('no model server: send {"op":"connect"} first');
  return openai;
}

async function run(cmd) {
  switch (cmd.op) {
    case 'connect':
      openai = new OpenAI({ baseURL: cmd.base_url, apiKey: 'sk-local-demo', maxRetries: 0, timeout: 20000 });
      return `model server ${cmd.base_url}`;
    case 'chat': {
      const r = await needOpenai().chat.completions.create({
        model: MODEL, messages: [{ role: 'user', content: cmd.prompt }] });
      return `model answered: ${r.choices[0].message.content}`;
    }
    case 'task': {
      const r = await needOpenai().chat.completions.create({
        model: MODEL, messages: [{ role: 'user', content: cmd.prompt }], tools: [runCommandTool] });
      const calls = r.choices[0].message.tool_calls || [];
      if (!calls.length) return `model answered without a tool call: ${r.choices[0].message.content}`;
      const out = [];
      for (const call of calls) {
        const { command } = JSON.parse(call.function.arguments);
        const res = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8', timeout: 20000 });
        const how = res.signal ? `killed by ${res.signal}` : `exit ${res.status}`;
        out.push(`model called ${call.function.name}(${command}); the agent ran it: ${how}, ` +
                 `output ${JSON.stringify((res.stdout + res.stderr).trim())}`);
      }
      return out.join('; ');
    }
    case 'mcp': {
      const r = await (await mcpClient()).callTool({ name: cmd.tool, arguments: cmd.args });
      const text = (r.content || []).map(c => c.text || '').join(' ').replace(/\s+/g, ' ');
      return `${cmd.tool} ${r.isError ? 'failed' : 'returned'}: ${text.slice(0, 120)}`;
    }
    case 'load_adapter': {
      const r = await needOpenai().post('/adapters/load', { body: { path: cmd.path } });
      return `model server answered ${JSON.stringify(r)}`;
    }
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin });
  console.log(JSON.stringify({ ok: true, detail: 'ready' }));
  for await (const line of lines) {
    let reply;
    try {
      reply = { ok: true, detail: await run(JSON.parse(line)) };
    } catch (e) {
      reply = { ok: false, detail: String(e && e.message ? e.message : e) };
    }
    console.log(JSON.stringify(reply));
  }
  if (mcp) await mcp.close();
}

main().catch(e => { console.error(e); process.exit(1); });
