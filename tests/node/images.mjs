// The official `openai` package's images API against the gateway: generate in both formats
// (downloading the link), and an edit uploaded as multipart. tests/clients/test_clients_node_images.py
// runs this once and asserts on what each check observed.
//
// Environment: GATEWAY_BASE_URL (the gateway's /v1 URL), GATEWAY_API_KEY, SOURCE_IMAGE and
// MASK_IMAGE (paths of a PNG to edit and of its mask).
// Output: one JSON line, {name: {value} | {error: "Type: message"}} (as tests/node/cases.mjs).

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import OpenAI, { toFile } from "openai";

const client = new OpenAI({
  baseURL: process.env.GATEWAY_BASE_URL,
  apiKey: process.env.GATEWAY_API_KEY,
  maxRetries: 0,
  timeout: 30_000,
});
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const fromBase64 = (text) => Buffer.from(text, "base64");
const cases = {};

cases.generate_b64 = async () => {
  const result = await client.images.generate({
    model: "gpt-image-1",
    prompt: "a red fox",
    n: 2,
    response_format: "b64_json",
  });
  return {
    output_format: result.output_format,
    images: result.data.map((image) => sha256(fromBase64(image.b64_json))),
  };
};

cases.generate_url = async () => {
  const result = await client.images.generate({ model: "dall-e-2", prompt: "a red fox" });
  const download = await fetch(result.data[0].url);
  return {
    status: download.status,
    content_type: download.headers.get("content-type"),
    image: sha256(Buffer.from(await download.arrayBuffer())),
  };
};

cases.edit = async () => {
  const result = await client.images.edit({
    image: await toFile(await readFile(process.env.SOURCE_IMAGE), "source.png", {
      type: "image/png",
    }),
    mask: await toFile(await readFile(process.env.MASK_IMAGE), "mask.png", { type: "image/png" }),
    prompt: "make the left blue",
    response_format: "b64_json",
  });
  return { output_format: result.output_format, image: sha256(fromBase64(result.data[0].b64_json)) };
};

cases.errors = async () => {
  const raised = [];
  for (const attempt of [
    () => client.images.generate({ prompt: "a red fox", n: 11 }),
    () => client.images.generate({ model: "dall-e-2", prompt: "x", size: "512x512" }),
  ]) {
    try {
      await attempt();
      raised.push("nothing");
    } catch (error) {
      raised.push(error instanceof OpenAI.APIError ? [error.status, error.param] : String(error));
    }
  }
  return raised;
};

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
