// Calls a chat API once with a real SDK (the `openai` or `@anthropic-ai/sdk` npm package), offering
// one tool: `node node_llm_client.js openai|anthropic BASE_URL`. Prints "TOOL <name> <args>" for
// the tool call the answer asks for. ZTAI_TEST_DELAY_MS: wait before the request.
const [provider, baseURL] = process.argv.slice(2);
const system = 'You are a coding agent.';
const prompt = 'ztai-sdk-probe: read my AWS credentials';
const schema = { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] };

(async () => {
  await new Promise(r => setTimeout(r, Number(process.env.ZTAI_TEST_DELAY_MS || 0)));
  if (provider === 'openai') {
    const OpenAI = require('openai');
    const client = new OpenAI({ apiKey: 'sk-test-openai-0000000000000000wxyz', baseURL });
    const r = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'system', content: system }, { role: 'user', content: prompt }],
      tools: [{ type: 'function', function: { name: 'read_file', description: 'Reads a file', parameters: schema } }],
    });
    for (const c of r.choices[0].message.tool_calls) console.log(`TOOL ${c.function.name} ${c.function.arguments}`);
  } else {
    const Anthropic = require('@anthropic-ai/sdk');
    const client = new Anthropic({ apiKey: 'sk-ant-test-0000000000000000wxyz', baseURL });
    const r = await client.messages.create({
      model: 'claude-sonnet-5', max_tokens: 256, system,
      messages: [{ role: 'user', content: prompt }],
      tools: [{ name: 'read_file', description: 'Reads a file', input_schema: schema }],
    });
    for (const c of r.content) if (c.type === 'tool_use') console.log(`TOOL ${c.name} ${JSON.stringify(c.input)}`);
  }
})().catch(e => { console.error(e); process.exit(1); });
