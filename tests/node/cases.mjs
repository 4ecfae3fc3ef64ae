// Node clients against the gateway: the official `openai` package and the Vercel AI SDK (`ai`)
// through @ai-sdk/openai-compatible and @ai-sdk/openai's .chat(). tests/clients/test_clients_node.py runs
// this once and asserts on what each check observed.
//
// Environment: GATEWAY_BASE_URL (the gateway's /v1 URL), GATEWAY_API_KEY.
// Output: one JSON line, {name: {value} | {error: "Type: message"}}; a failing check never hides
// the others (the same protocol as tests/clients/casebook.py).

import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, Output, stepCountIs, streamText, tool } from "ai";
import OpenAI, { toFile } from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { z } from "zod";

const baseURL = process.env.GATEWAY_BASE_URL;
const apiKey = process.env.GATEWAY_API_KEY;
const TOOL_RESULT = "Sunny, 21 C";
const Weather = z.object({ city: z.string(), unit: z.enum(["celsius", "fahrenheit"]) });
const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
      additionalProperties: false,
    },
  },
};

const cases = {};

// ---- openai (npm) -----------------------------------------------------------------------------

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30_000 });
const user = (text) => [{ role: "user", content: text }];
const summary = (completion) => {
  const choice = completion.choices[0];
  return {
    model: completion.model,
    content: choice.message.content,
    finish_reason: choice.finish_reason,
    tool_calls: (choice.message.tool_calls ?? []).map((c) => [
      c.function.name,
      JSON.parse(c.function.arguments),
    ]),
    usage: completion.usage,
  };
};

cases.openai_create = async () =>
  summary(await client.chat.completions.create({ model: "gpt-4o", messages: user("Paris?") }));

cases.openai_stream = async () => {
  const stream = client.chat.completions.stream({
    model: "gpt-4o",
    messages: user("stream it"),
    stream_options: { include_usage: true },
  });
  const deltas = [];
  stream.on("content.delta", ({ delta }) => deltas.push(delta));
  const final = await stream.finalChatCompletion();
  return { deltas: deltas.length, streamed: deltas.join(""), ...summary(final) };
};

cases.openai_parse = async () => {
  const completion = await client.chat.completions.parse({
    model: "gpt-4o",
    messages: user("Paris as JSON"),
    response_format: zodResponseFormat(Weather, "weather"),
  });
  return completion.choices[0].message.parsed;
};

cases.openai_tool_round_trip = async () => {
  const messages = user("Use get_weather for Paris");
  const first = await client.chat.completions.create({
    model: "gpt-4o",
    messages,
    tools: [WEATHER_TOOL],
  });
  const message = first.choices[0].message;
  messages.push(message, {
    role: "tool",
    tool_call_id: message.tool_calls[0].id,
    content: TOOL_RESULT,
  });
  const second = await client.chat.completions.create({
    model: "gpt-4o",
    messages,
    tools: [WEATHER_TOOL],
  });
  return { first: summary(first), second: summary(second) };
};

cases.openai_forced_tool = async () =>
  summary(
    await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("Paris?"),
      tools: [WEATHER_TOOL],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    }),
  );

cases.openai_legacy_completion = async () => {
  const completion = await client.completions.create({
    model: "gpt-4o",
    prompt: "Once upon",
    max_tokens: 64,
  });
  return { text: completion.choices[0].text, usage: completion.usage };
};

cases.openai_embeddings = async () => {
  const rows = {};
  for (const encoding_format of ["float", undefined]) {
    // Not given, the SDK asks for base64 and decodes it to floats itself.
    const result = await client.embeddings.create({
      model: "text-embedding-3-small",
      input: ["hello", "world"],
      encoding_format,
    });
    rows[encoding_format ?? "default"] = {
      model: result.model,
      vectors: result.data.map((row) => Array.from(row.embedding)),
    };
  }
  return rows;
};

cases.openai_errors = async () => {
  const attempts = [
    () => new OpenAI({ baseURL, apiKey: "sk-wrong", maxRetries: 0 }).models.list(),
    () => client.chat.completions.create({ model: "gpt-17", messages: user("hi") }),
    () => client.chat.completions.create({ model: "gpt-4o", messages: user("hi"), temperature: 3 }),
  ];
  const raised = [];
  for (const attempt of attempts) {
    try {
      await attempt();
      raised.push("nothing");
    } catch (error) {
      const known = error instanceof OpenAI.APIError;
      raised.push(known ? [error.constructor.name, error.status] : String(error));
    }
  }
  return raised;
};

// Speech streamed as it is made, then the same audio uploaded for its transcript (the emulator's
// speech transcribes back to its text).
cases.openai_speech_round_trip = async () => {
  const spoken = "Node speaks through the gateway.";
  const response = await client.audio.speech.create({ model: "tts-1", voice: "nova", input: spoken });
  let chunks = 0;
  const parts = [];
  for await (const chunk of response.body) {
    chunks += 1;
    parts.push(Buffer.from(chunk));
  }
  const audio = Buffer.concat(parts);
  const transcript = await client.audio.transcriptions.create({
    model: "whisper-1",
    file: await toFile(audio, "spoken.mp3", { type: "audio/mpeg" }),
    response_format: "verbose_json",
    timestamp_granularities: ["word"],
  });
  return {
    content_type: response.headers.get("content-type"),
    model: response.headers.get("x-gateway-model"),
    chunks,
    starts: audio.subarray(0, 3).toString("latin1"),
    text: transcript.text,
    words: transcript.words.length,
  };
};

// ---- Vercel AI SDK, through each provider ------------------------------------------------------

const providers = {
  compatible: createOpenAICompatible({ name: "gateway", baseURL, apiKey, includeUsage: true }),
  openai_chat: createOpenAI({ baseURL, apiKey }).chat,
};

const weatherTool = tool({
  description: "The weather in a city",
  inputSchema: z.object({ city: z.string() }),
  execute: async () => TOOL_RESULT,
});

for (const [name, provider] of Object.entries(providers)) {
  const model = provider("gpt-4o");

  cases[`ai_${name}_generate_text`] = async () => {
    const result = await generateText({ model, prompt: "Paris?", maxRetries: 0 });
    return {
      text: result.text,
      finish_reason: result.finishReason,
      usage: result.usage,
      model: result.response.modelId,
    };
  };

  cases[`ai_${name}_stream_text`] = async () => {
    const result = streamText({ model, prompt: "stream it", maxRetries: 0 });
    const parts = [];
    for await (const part of result.textStream) parts.push(part);
    return {
      parts: parts.length,
      text: parts.join(""),
      finish_reason: await result.finishReason,
      usage: await result.usage,
    };
  };

  cases[`ai_${name}_structured_output`] = async () => {
    // Without structured outputs (openai-compatible's default) the SDK asks for json_object, and
    // the schema has to be in the prompt, as the AI SDK's docs say.
    const result = await generateText({
      model,
      system: `Answer in JSON with this JSON schema: ${JSON.stringify(z.toJSONSchema(Weather))}`,
      prompt: "Paris?",
      output: Output.object({ schema: Weather }),
      maxRetries: 0,
    });
    return result.output;
  };

  cases[`ai_${name}_tool_with_execute`] = async () => {
    const result = await generateText({
      model,
      prompt: "Use get_weather for Paris",
      tools: { get_weather: weatherTool },
      stopWhen: stepCountIs(2),
      maxRetries: 0,
    });
    return {
      steps: result.steps.map((step) => ({
        calls: step.toolCalls.map((c) => [c.toolName, c.input]),
        results: step.toolResults.map((r) => r.output),
        finish_reason: step.finishReason,
      })),
      text: result.text,
    };
  };

  cases[`ai_${name}_forced_tool`] = async () => {
    const result = await generateText({
      model,
      prompt: "Paris?",
      tools: { get_weather: weatherTool },
      toolChoice: { type: "tool", toolName: "get_weather" },
      maxRetries: 0,
    });
    return result.steps[0].toolCalls.map((c) => [c.toolName, c.input]);
  };
}

// openai-compatible reads reasoning from the chat API's deltas and messages (`reasoning_content`
// or `reasoning`); @ai-sdk/openai's .chat() has no reasoning to read on OpenAI's chat API.
cases.ai_compatible_reasoning = async () => {
  const model = providers.compatible("gpt-4o-mini");
  const whole = await generateText({ model, prompt: "Think?", maxRetries: 0 });
  const streamed = streamText({ model, prompt: "Think?", maxRetries: 0 });
  await streamed.consumeStream();
  return {
    text: whole.text,
    reasoning: whole.reasoningText,
    streamed_text: await streamed.text,
    streamed_reasoning: await streamed.reasoningText,
  };
};

// ---- run every check, report each -------------------------------------------------------------

const results = {};
await Promise.all(
  Object.entries(cases).map(async ([name, check]) => {
    try {
      results[name] = { value: await check() };
    } catch (error) {
      results[name] = { error: `${error?.constructor?.name}: ${error?.message ?? error}` };
    }
  }),
);
console.log(JSON.stringify(results));
