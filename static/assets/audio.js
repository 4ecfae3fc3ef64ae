// The docs page's audio console: speak a text and play it, transcribe an uploaded file.
// It uses the key of the live console (the #api-key field) and the page's API base URL.
import { h } from "./reference.js";

const $ = (id) => document.getElementById(id);
const VOICES = ["alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar"];

/** Wires the audio section; `base()` is the API's /v1 URL, `key()` the key typed in the console,
 * `readError(response)` the gateway's error object of a failed response. */
export function setUpAudio(base, key, readError) {
  $("speech-voice").replaceChildren(...VOICES.map((voice) => h("option", { value: voice }, voice)));
  let audioUrl = null;

  function fail(message, detail) {
    const box = $("audio-error");
    box.replaceChildren(h("p", {}, h("strong", {}, message)), detail ? h("p", {}, detail) : null);
    box.hidden = false;
  }

  async function send(path, init, status) {
    $("audio-error").hidden = true;
    if (!key()) {
      fail("Enter your API key in the console first.");
      return null;
    }
    status.textContent = "Waiting for the gateway…";
    try {
      const response = await fetch(`${base()}${path}`, {
        method: "POST",
        ...init,
        headers: { ...init.headers, Authorization: `Bearer ${key()}` },
      });
      if (!response.ok) {
        const error = await readError(response);
        fail(`The gateway answered ${response.status}.`, error.message);
        status.textContent = `Failed (${response.status})`;
        return null;
      }
      return response;
    } catch (error) {
      fail("Could not reach the gateway.", String(error.message || error));
      status.textContent = "Failed";
      return null;
    }
  }

  $("speak").addEventListener("click", async () => {
    const status = $("speech-status");
    const body = { model: "tts-1", voice: $("speech-voice").value, input: $("speech-input").value };
    const response = await send("/audio/speech", {
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }, status);
    if (!response) return;
    const model = response.headers.get("x-gateway-model");
    const blob = await response.blob();
    if (audioUrl) URL.revokeObjectURL(audioUrl);
    audioUrl = URL.createObjectURL(blob);
    const player = $("speech-audio");
    player.src = audioUrl;
    player.hidden = false;
    $("speech-download").href = audioUrl;
    $("speech-download").hidden = false;
    status.textContent = `Done · ${model} · ${Math.round(blob.size / 1024)} KB of ${blob.type}`;
    player.play().catch(() => {}); // a browser may hold autoplay back: the controls still play it
  });

  $("transcribe").addEventListener("click", async () => {
    const status = $("transcribe-status");
    const file = $("transcribe-file").files[0];
    if (!file) {
      fail("Choose an audio file first (mp3, wav, m4a, ogg, webm or flac).");
      return;
    }
    const form = new FormData();
    form.append("model", "whisper-1");
    form.append("file", file, file.name);
    const response = await send("/audio/transcriptions", { body: form }, status);
    if (!response) return;
    const { text } = await response.json();
    $("transcript").textContent = text;
    status.textContent = `Done · ${response.headers.get("x-gateway-model")}`;
  });
}
