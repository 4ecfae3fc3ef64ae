// Code samples for the quick start, with the real base URL and model filled in.

const PROMPT = "Say hello in one sentence.";

const INSTALL = {
  curl: "",
  python: "Needs the official SDK: pip install openai",
  js: "Needs the official SDK: npm install openai (Node 18 or newer, as an ES module).",
};

function curl(base, model, stream, api) {
  const input =
    api === "responses"
      ? `    "input": ${JSON.stringify(PROMPT)}`
      : `    "messages": [{"role": "user", "content": ${JSON.stringify(PROMPT)}}]`;
  const lines = [
    `curl${stream ? " -N" : ""} ${base}/${api === "responses" ? "responses" : "chat/completions"} \\`,
    `  -H "Authorization: Bearer $OPENAI_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{`,
    `    "model": ${JSON.stringify(model)},`,
    `${input}${stream ? "," : ""}`,
  ];
  if (stream) lines.push(`    "stream": true`);
  lines.push(`  }'`);
  return lines.join("\n");
}

function python(base, model, stream, api) {
  const head = [
    "from openai import OpenAI",
    "",
    `client = OpenAI(base_url=${JSON.stringify(base)})  # reads OPENAI_API_KEY`,
    "",
  ];
  if (api === "responses") {
    const call = [
      "response = client.responses.create(",
      `    model=${JSON.stringify(model)},`,
      `    input=${JSON.stringify(PROMPT)},`,
    ];
    if (!stream) return [...head, ...call, ")", "print(response.output_text)"].join("\n");
    return [
      ...head,
      ...call,
      "    stream=True,",
      ")",
      "for event in response:",
      '    if event.type == "response.output_text.delta":',
      '        print(event.delta, end="", flush=True)',
      "print()",
    ].join("\n");
  }
  const call = (name) => [
    `${name} = client.chat.completions.create(`,
    `    model=${JSON.stringify(model)},`,
    `    messages=[{"role": "user", "content": ${JSON.stringify(PROMPT)}}],`,
  ];
  if (!stream) {
    return [...head, ...call("completion"), ")", "print(completion.choices[0].message.content)"].join(
      "\n",
    );
  }
  return [
    ...head,
    ...call("stream"),
    "    stream=True,",
    ")",
    "for chunk in stream:",
    "    if chunk.choices and chunk.choices[0].delta.content:",
    '        print(chunk.choices[0].delta.content, end="", flush=True)',
    "print()",
  ].join("\n");
}

function js(base, model, stream, api) {
  const head = [
    'import OpenAI from "openai";',
    "",
    `const client = new OpenAI({ baseURL: ${JSON.stringify(base)} }); // reads OPENAI_API_KEY`,
    "",
  ];
  if (api === "responses") {
    const call = [
      "const response = await client.responses.create({",
      `  model: ${JSON.stringify(model)},`,
      `  input: ${JSON.stringify(PROMPT)},`,
    ];
    if (!stream) return [...head, ...call, "});", "console.log(response.output_text);"].join("\n");
    return [
      ...head,
      ...call,
      "  stream: true,",
      "});",
      "for await (const event of response) {",
      '  if (event.type === "response.output_text.delta") process.stdout.write(event.delta);',
      "}",
      'process.stdout.write("\\n");',
    ].join("\n");
  }
  const call = (name) => [
    `const ${name} = await client.chat.completions.create({`,
    `  model: ${JSON.stringify(model)},`,
    `  messages: [{ role: "user", content: ${JSON.stringify(PROMPT)} }],`,
  ];
  if (!stream) {
    return [...head, ...call("completion"), "});", "console.log(completion.choices[0].message.content);"].join(
      "\n",
    );
  }
  return [
    ...head,
    ...call("stream"),
    "  stream: true,",
    "});",
    "for await (const chunk of stream) {",
    '  process.stdout.write(chunk.choices[0]?.delta?.content ?? "");',
    "}",
    'process.stdout.write("\\n");',
  ].join("\n");
}

const BUILDERS = { curl, python, js };

/** The sample text for one language and API ("chat" or "responses"); `base` is the OpenAI
 * base URL (ending in /v1). */
export function sampleCode(lang, base, model, stream, api = "chat") {
  return BUILDERS[lang](base, model, stream, api);
}

export function installHint(lang) {
  return INSTALL[lang];
}
