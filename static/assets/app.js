// The docs page: configuration, quick-start samples, models, the live console and the reference.
import { setUpAudio } from "./audio.js";
import { loadOperatorView } from "./keys.js";
import { h, renderReference } from "./reference.js";
import { installHint, sampleCode } from "./samples.js";
import { readEvents } from "./sse.js";

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = "gateway.apiKey";

const state = {
  config: {},
  apiBase: location.origin, // where the API lives; config.json may point elsewhere (AWS)
  lang: "curl",
  controller: null,
};

export const openaiBase = () => `${state.apiBase}/v1`;

async function loadJson(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/* ---------- quick start ---------- */

function renderSample() {
  const model = $("model").value || state.config.default_model || "gpt-4o";
  const stream = $("sample-stream").checked;
  $("sample-code").textContent = sampleCode(state.lang, openaiBase(), model, stream, $("sample-api").value);
  $("sample-install").textContent = installHint(state.lang);
}

function selectTab(tab) {
  for (const other of document.querySelectorAll('[role="tab"]')) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
  }
  $("sample").setAttribute("aria-labelledby", tab.id);
  state.lang = tab.dataset.lang;
  renderSample();
}

function setUpTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(i + step + tabs.length) % tabs.length];
      next.focus();
      selectTab(next);
    });
  });
  $("sample-stream").addEventListener("change", renderSample);
  $("sample-api").addEventListener("change", renderSample);
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Plain-http origins have no async clipboard: fall back to a selection copy.
    const area = h("textarea", { class: "offscreen", readonly: true });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

function setUpCopyButtons() {
  for (const button of document.querySelectorAll("button.copy")) {
    button.setAttribute("aria-label", `Copy ${button.dataset.copyFrom.replace(/-/g, " ")}`);
    button.addEventListener("click", async () => {
      await copyText($(button.dataset.copyFrom).textContent);
      button.textContent = "Copied";
      setTimeout(() => (button.textContent = "Copy"), 1500);
    });
  }
}

function renderKeyHelp() {
  const command = state.config.key_command;
  if (!command) return;
  $("key-help").replaceChildren(
    h("p", {}, "The key is kept in AWS Secrets Manager. With AWS credentials for the account, print it with:"),
  );
  $("key-command").textContent = command;
  $("key-command-block").hidden = false;
}

/* ---------- models ---------- */

function configuredModels() {
  const { default_model: primary, backup_model: backup } = state.config;
  return [...new Set([primary, backup].filter(Boolean))];
}

function renderModels(ids, source, notChat = []) {
  const { default_model: primary, backup_model: backup, aliases = {} } = state.config;
  const role = (id) => {
    if (id in aliases) return ` (alias of ${aliases[id]})`;
    return id === primary ? " (default)" : id === backup ? " (backup)" : "";
  };
  $("model-list").replaceChildren(...ids.map((id) => h("li", {}, id, h("span", { class: "muted" }, role(id)))));
  $("alias-rows").replaceChildren(
    ...Object.entries(aliases).map(([alias, target]) => h("tr", {}, h("td", {}, alias), h("td", {}, target))),
  );
  $("models-source").textContent = source;

  const select = $("model");
  const previous = select.value || sessionStorage.getItem("gateway.model") || primary;
  // /v1/models lists embedding and image models and aliases too (`notChat`: those of another
  // task); the console chats, so it offers the others.
  const models = ids.filter((id) => !(id in aliases) && !notChat.includes(id) && !/embed|\/bge-/i.test(id));
  select.replaceChildren(
    h("optgroup", { label: "Models" }, models.map((id) => h("option", { value: id }, id))),
    h("optgroup", { label: "Aliases" }, Object.keys(aliases).map((id) => h("option", { value: id }, id))),
  );
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
  renderSample();
}

async function loadLiveModels() {
  const key = $("api-key").value.trim();
  if (!key) return;
  try {
    const response = await fetch(`${openaiBase()}/models`, { headers: { Authorization: `Bearer ${key}` } });
    if (!response.ok) {
      const { message } = await readError(response);
      $("models-source").textContent = `Could not list live models (${response.status}: ${message}). Showing the configured ones.`;
      return;
    }
    const { data } = await response.json();
    document.dispatchEvent(new CustomEvent("gateway:models", { detail: data })); // assets/images.js
    renderModels(
      data.map((m) => m.id),
      `Live from ${openaiBase()}/models.`,
      data.filter((m) => (m.task ?? "text-generation") !== "text-generation").map((m) => m.id),
    );
  } catch {
    $("models-source").textContent = `Could not reach ${openaiBase()}/models. Showing the configured models.`;
  }
}

/* ---------- console ---------- */

export async function readError(response) {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text);
    if (error?.message) return error;
  } catch {
    // not JSON: fall through to the raw text
  }
  return { message: text.trim().slice(0, 300) || response.statusText || "no details" };
}

export function keyHint() {
  return state.config.key_command
    ? `Check the key: print it with ${state.config.key_command}`
    : "Check the key: `make dev` prints it when it starts (or set WORKER_API_KEY).";
}

export function explain(status, retryAfter) {
  if (status === 401 || status === 403) return [`The gateway rejected the API key (${status}).`, keyHint()];
  if (status === 429) {
    const wait = retryAfter ? `Retry after ${retryAfter} s.` : "Wait a moment and try again.";
    return ["Too many requests (429).", wait];
  }
  if (status === 502 || status === 503) {
    return [`The model service upstream is unavailable (${status}).`, "Workers AI did not answer; try again, or pick another model."];
  }
  if (status === 504) return ["The model took too long to answer (504).", "Try again, or ask for a shorter answer."];
  if (status >= 500) return [`The gateway failed (${status}).`, "Try again; if it persists, check the gateway's logs."];
  return [`The request was not accepted (${status}).`, "Check the model name and the message."];
}

function showError(title, detail, hint) {
  const box = $("console-error");
  box.replaceChildren(h("p", {}, h("strong", {}, title)), detail ? h("p", {}, detail) : null, hint ? h("p", {}, hint) : null);
  box.hidden = false;
}

function setBusy(busy) {
  $("send").disabled = busy;
  $("stop").disabled = !busy;
  $("answer").setAttribute("aria-busy", String(busy));
}

function status(text) {
  $("answer-status").textContent = text;
}

/** The endpoint path and JSON body for the chosen API ("chat", "responses" or "messages"). */
function buildRequest(api, stream) {
  const system = $("system").value.trim();
  const model = $("model").value;
  if (api === "messages") {
    // Anthropic's Messages API: max_tokens is required there.
    const body = { model, max_tokens: 1024, messages: [{ role: "user", content: $("user").value }], stream };
    if (system) body.system = system;
    return ["/messages", body];
  }
  if (api === "responses") {
    // The console's answers are not kept: store is false.
    const body = { model, input: $("user").value, stream, store: false };
    if (system) body.instructions = system;
    return ["/responses", body];
  }
  const messages = [];
  if (system) messages.push({ role: "system", content: system });
  messages.push({ role: "user", content: $("user").value });
  const body = { model, messages, stream };
  if (stream) body.stream_options = { include_usage: true }; // a last chunk carries the token counts
  return ["/chat/completions", body];
}

function summary(model, finish, usage) {
  const parts = [`Done · ${model}`];
  if (finish) parts.push(`finish: ${finish}`);
  const input = usage?.prompt_tokens ?? usage?.input_tokens;
  const output = usage?.completion_tokens ?? usage?.output_tokens;
  if (input != null && output != null) parts.push(`${input} + ${output} tokens`);
  return parts.join(" · ");
}

function showReasoning(text) {
  $("reasoning").append(text);
  $("reasoning-box").hidden = false;
}

async function streamAnswer(response, answer) {
  let model = response.headers.get("x-gateway-model");
  let finish = null;
  let usage = null;
  for await (const data of readEvents(response.body)) {
    if (data === "[DONE]") break;
    const chunk = JSON.parse(data);
    if (chunk.error) {
      showError("The answer was interrupted.", chunk.error.message, "The stream ended early; try again.");
      return "Interrupted";
    }
    const choice = chunk.choices?.[0];
    if (choice?.delta?.reasoning_content) showReasoning(choice.delta.reasoning_content);
    if (choice?.delta?.content) answer.append(choice.delta.content);
    finish = choice?.finish_reason || finish;
    usage = chunk.usage || usage;
    model = model || chunk.model; // chunks echo the name asked for; the header names who answered
    status("Streaming…");
  }
  return summary(model, finish, usage);
}

/** A Responses stream: text and reasoning deltas as they come, then the final response. */
async function streamResponse(response, answer) {
  const model = response.headers.get("x-gateway-model");
  for await (const data of readEvents(response.body)) {
    const event = JSON.parse(data);
    if (event.type === "response.output_text.delta") answer.append(event.delta);
    else if (event.type === "response.reasoning_text.delta") showReasoning(event.delta);
    else if (event.type === "error") {
      showError("The answer was interrupted.", event.message, "The stream ended early; try again.");
      return "Interrupted";
    } else if (event.type === "response.completed" || event.type === "response.incomplete") {
      const { incomplete_details: incomplete, usage } = event.response;
      return summary(event.response.model || model, incomplete?.reason ?? event.response.status, usage);
    }
    status("Streaming…");
  }
  return "Interrupted";
}

/** An Anthropic Messages stream: thinking and text deltas as they come, then the stop reason. */
async function streamMessage(response, answer) {
  const model = response.headers.get("x-gateway-model");
  let stop = null;
  let usage = null;
  for await (const data of readEvents(response.body)) {
    const event = JSON.parse(data);
    if (event.type === "content_block_delta" && event.delta.type === "text_delta") answer.append(event.delta.text);
    else if (event.type === "content_block_delta" && event.delta.type === "thinking_delta") showReasoning(event.delta.thinking);
    else if (event.type === "message_delta") [stop, usage] = [event.delta.stop_reason, event.usage];
    else if (event.type === "error") {
      showError("The answer was interrupted.", event.error.message, "The stream ended early; try again.");
      return "Interrupted";
    } else if (event.type === "message_stop") return summary(model, stop, usage);
    status("Streaming…");
  }
  return "Interrupted";
}

/** A whole answer of any API: its reasoning and text. */
function showWhole(api, body, model) {
  if (api === "messages") {
    const of = (type, field) => body.content.filter((block) => block.type === type).map((block) => block[field]).join("");
    if (of("thinking", "thinking")) showReasoning(of("thinking", "thinking"));
    $("answer").textContent = of("text", "text");
    return summary(model || body.model, body.stop_reason, body.usage);
  }
  if (api === "responses") {
    for (const item of body.output.filter((item) => item.type === "reasoning")) {
      showReasoning((item.content ?? []).map((part) => part.text).join(""));
    }
    $("answer").textContent = body.output_text ?? "";
    return summary(model || body.model, body.incomplete_details?.reason ?? body.status, body.usage);
  }
  const choice = body.choices[0];
  if (choice.message.reasoning_content) showReasoning(choice.message.reasoning_content);
  $("answer").textContent = choice.message.content ?? "";
  return summary(model || body.model, choice.finish_reason, body.usage);
}

async function send(event) {
  event.preventDefault();
  const key = $("api-key").value.trim();
  $("console-error").hidden = true;
  if (!key) {
    showError("Enter your API key first.", null, keyHint());
    $("api-key").focus();
    return;
  }
  const stream = $("stream").checked;
  const api = $("api").value;
  const [path, body] = buildRequest(api, stream);
  const answer = $("answer");
  answer.replaceChildren();
  $("reasoning").replaceChildren();
  $("reasoning-box").hidden = true;
  state.controller = new AbortController();
  setBusy(true);
  status("Waiting for the gateway…");
  try {
    // Anthropic's clients send the key as x-api-key, with the API version; the gateway takes both forms.
    const auth =
      api === "messages" ? { "x-api-key": key, "anthropic-version": "2023-06-01" } : { Authorization: `Bearer ${key}` };
    const response = await fetch(`${openaiBase()}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...auth },
      body: JSON.stringify(body),
      signal: state.controller.signal,
    });
    if (!response.ok) {
      const error = await readError(response);
      const [title, hint] = explain(response.status, response.headers.get("retry-after"));
      showError(title, error.message, hint);
      status(`Failed (${response.status})`);
    } else if (stream) {
      const reader = { responses: streamResponse, messages: streamMessage }[api] ?? streamAnswer;
      status(await reader(response, answer));
    } else {
      status(showWhole(api, await response.json(), response.headers.get("x-gateway-model")));
    }
  } catch (error) {
    if (error.name === "AbortError") {
      status("Stopped");
    } else {
      showError(
        `Could not reach the gateway at ${state.apiBase}.`,
        String(error.message || error),
        "Is it running? In AWS, the API must allow this page's origin (CORS_ALLOW_ORIGINS).",
      );
      status("Failed");
    }
  } finally {
    state.controller = null;
    setBusy(false);
  }
}

function setUpConsole() {
  const keyInput = $("api-key");
  keyInput.value = sessionStorage.getItem(KEY_STORAGE) || "";
  keyInput.addEventListener("input", () => sessionStorage.setItem(KEY_STORAGE, keyInput.value.trim()));
  keyInput.addEventListener("change", loadLiveModels);
  keyInput.addEventListener("change", () => loadOperatorView(state.apiBase, keyInput.value.trim()));
  $("api").value = sessionStorage.getItem("gateway.api") || "chat";
  $("api").addEventListener("change", () => sessionStorage.setItem("gateway.api", $("api").value));
  $("model").addEventListener("change", () => {
    sessionStorage.setItem("gateway.model", $("model").value);
    renderSample();
  });
  $("console-form").addEventListener("submit", send);
  $("stop").addEventListener("click", () => state.controller?.abort());
  // Ctrl/Cmd+Enter in a message box sends, as in most chat tools.
  for (const id of ["system", "user"]) {
    $(id).addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("console-form").requestSubmit();
    });
  }
}

/* ---------- start ---------- */

async function loadReference() {
  try {
    renderReference($("reference-body"), await loadJson("openapi.json"));
  } catch (error) {
    $("reference-body").replaceChildren(h("p", { class: "error" }, `Could not load the reference: ${error.message}`));
  }
}

async function start() {
  try {
    state.config = await loadJson("config.json");
  } catch {
    state.config = {}; // opened without a gateway behind it: fall back to this origin
  }
  state.apiBase = (state.config.api_base_url || location.origin).replace(/\/+$/, "");
  $("base-url").textContent = openaiBase();
  renderKeyHelp();
  setUpTabs();
  setUpCopyButtons();
  setUpConsole();
  setUpAudio(openaiBase, () => $("api-key").value.trim(), readError);
  renderModels(configuredModels(), "From the gateway's configuration. Enter a key in the console to list the live models.");
  await Promise.all([loadReference(), loadLiveModels(), loadOperatorView(state.apiBase, $("api-key").value.trim())]);
  document.body.dataset.ready = "true";
}

start();
