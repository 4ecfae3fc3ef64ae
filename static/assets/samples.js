// Code samples for the quick start, with the real base URL and model filled in.

const PROMPT = "Say hello in one sentence.";

const INSTALL = {
  curl: "",
  python: "Needs the official SDK: pip install openai",
  js: "Needs the official SDK: npm install openai (Node 18 or newer, as an ES module).",
};

function curl(base, model, stream) {
  const lines = [
    `curl${stream ? " -N" : ""} ${base}/chat/completions \\`,
    `  -H "Authorization: Bearer $OPENAI_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{`,
    `    "model": ${JSON.stringify(model)},`,
    `    "messages": [{"role": "user", "content": ${JSON.stringify(PROMPT)}}]${stream ? "," : ""}`,
  ];
  if (stream) lines.push(`    "stream": true`);
  lines.push(`  }'`);
  return lines.join("\n");
}

function python(base, model, stream) {
  const head = [
    "from openai import OpenAI",
    "",
    `client = OpenAI(base_url=${JSON.stringify(base)})  # reads OPENAI_API_KEY`,
    "",
  ];
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

function js(base, model, stream) {
  const head = [
    'import OpenAI from "openai";',
    "",
    `const client = new OpenAI({ baseURL: ${JSON.stringify(base)} }); // reads OPENAI_API_KEY`,
    "",
  ];
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

/** The sample text for one language; `base` is the OpenAI base URL (ending in /v1). */
export function sampleCode(lang, base, model, stream) {
  return BUILDERS[lang](base, model, stream);
}

export function installHint(lang) {
  return INSTALL[lang];
}
