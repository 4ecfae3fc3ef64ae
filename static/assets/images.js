// The console's image part: POST /v1/images/generations as b64_json, shown as a data: URI (the
// page's CSP allows data: images and nothing else from elsewhere). The key is the console's.
import { h } from "./reference.js";
import { explain, keyHint, openaiBase, readError } from "./app.js";

const $ = (id) => document.getElementById(id);
const EDIT_ONLY = /img2img|inpainting/; // these models only edit: /v1/images/edits

function status(text) {
  $("image-status").textContent = text;
}

function showError(title, detail, hint) {
  const box = $("image-error");
  box.replaceChildren(h("p", {}, h("strong", {}, title)), detail ? h("p", {}, detail) : null, hint ? h("p", {}, hint) : null);
  box.hidden = false;
}

/** The live list (from the console's GET /v1/models): every text-to-image name that generates. */
function offerModels(models) {
  const select = $("image-model");
  const previous = select.value;
  const names = models.filter((m) => m.task === "text-to-image" && !EDIT_ONLY.test(m.id)).map((m) => m.id);
  if (!names.length) return;
  select.replaceChildren(...names.map((id) => h("option", { value: id }, id)));
  if (names.includes(previous)) select.value = previous;
}

async function generate(event) {
  event.preventDefault();
  $("image-error").hidden = true;
  const key = $("api-key").value.trim();
  if (!key) {
    showError("Enter your API key first.", null, keyHint());
    $("api-key").focus();
    return;
  }
  const body = {
    model: $("image-model").value,
    prompt: $("image-prompt").value,
    size: $("image-size").value,
    response_format: "b64_json",
  };
  const button = $("image-send");
  button.disabled = true;
  status("Waiting for the gateway…");
  try {
    const response = await fetch(`${openaiBase()}/images/generations`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const error = await readError(response);
      const [title, hint] = explain(response.status, response.headers.get("retry-after"));
      showError(title, error.message, hint);
      status(`Failed (${response.status})`);
      return;
    }
    const answer = await response.json();
    const image = $("image-result");
    image.src = `data:image/${answer.output_format};base64,${answer.data[0].b64_json}`;
    image.alt = body.prompt;
    await image.decode();
    image.hidden = false;
    const model = response.headers.get("x-gateway-model");
    status(`Done · ${model} · ${image.naturalWidth}x${image.naturalHeight} ${answer.output_format}`);
  } catch (error) {
    showError(`Could not make the image.`, String(error.message || error), "Is the gateway running?");
    status("Failed");
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("gateway:models", (event) => offerModels(event.detail));
$("image-form").addEventListener("submit", generate);
