"""Text-to-speech over real HTTP: valid MP3 and WAV, deterministic from text and voice, longer
for longer text, Aura streamed in chunks (emulator/speech.py)."""

import base64
import io
import wave
from typing import Any

import httpx
import pytest
from media_checks import error_of, mp3_duration

AURA_1 = "@cf/deepgram/aura-1"
AURA_2_EN = "@cf/deepgram/aura-2-en"
AURA_2_ES = "@cf/deepgram/aura-2-es"
MELO = "@cf/myshell-ai/melotts"
CHAR_SECONDS = 0.06


def speak(api: httpx.Client, model: str, body: dict[str, Any]) -> tuple[httpx.Response, bytes, int]:
    """The answer, its body read chunk by chunk, and how many HTTP chunks it came in."""
    with api.stream("POST", f"/run/{model}", json=body) as response:
        chunks = list(response.iter_raw())
    return response, b"".join(chunks), len(chunks)


@pytest.mark.parametrize("model", [AURA_1, AURA_2_EN, AURA_2_ES])
def test_aura_streams_an_mp3_in_several_chunks(api: httpx.Client, model: str) -> None:
    text = "Hello from the emulator, one two three."
    response, audio, chunks = speak(api, model, {"text": text})
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["transfer-encoding"] == "chunked"
    assert chunks >= 3
    assert audio.startswith(b"ID3")
    assert mp3_duration(audio) >= len(text) * CHAR_SECONDS


def test_aura_is_deterministic_per_text_and_speaker(api: httpx.Client) -> None:
    def audio(**body: Any) -> bytes:
        response = api.post(f"/run/{AURA_1}", json=body)
        assert response.status_code == 200, response.text
        return response.content

    first = audio(text="Good morning")
    assert audio(text="Good morning") == first
    assert audio(text="Good morning", speaker="angus") == first, "angus is aura-1's default"
    assert audio(text="Good morning", speaker="luna") != first
    assert audio(text="Good evening") != first
    short, long = mp3_duration(audio(text="Hi")), mp3_duration(audio(text="Hi" * 40))
    assert long > short
    assert long == pytest.approx(80 * CHAR_SECONDS, abs=0.2)


def test_aura_linear16_in_a_wav_or_bare(api: httpx.Client) -> None:
    text = "Wave hello"
    response, audio, _ = speak(api, AURA_2_EN, {"text": text, "encoding": "linear16"})
    assert response.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(audio)) as reader:
        assert (reader.getnchannels(), reader.getsampwidth()) == (1, 2)
        assert reader.getframerate() == 24000
        assert reader.getnframes() == round(len(text) * CHAR_SECONDS * 24000)
        frames = reader.readframes(reader.getnframes())
    assert any(frames), "not silence"
    body = {"text": text, "encoding": "linear16", "container": "none", "sample_rate": 16000}
    bare, pcm, _ = speak(api, AURA_2_EN, body)
    assert bare.headers["content-type"] == "application/octet-stream"
    assert len(pcm) == 2 * round(len(text) * CHAR_SECONDS * 16000)


@pytest.mark.parametrize(
    ("model", "body", "expected"),
    [
        (AURA_1, {}, (400, 5006)),
        (AURA_1, {"text": 5}, (400, 5006)),
        (AURA_1, {"text": "hi", "speaker": "aquila"}, (400, 5006)),
        (AURA_2_ES, {"text": "hola", "speaker": "luna"}, (400, 5006)),
        (AURA_1, {"text": "hi", "encoding": "wav"}, (400, 5006)),
        (AURA_1, {"text": "hi", "container": "mp4"}, (400, 5006)),
        (AURA_2_EN, {}, (400, 3010)),
        (AURA_1, {"text": ""}, (400, 3010)),
        (AURA_1, {"text": "hi", "encoding": "mp3", "container": "wav"}, (400, 3010)),
        (AURA_1, {"text": "hi", "encoding": "opus"}, (400, 3010)),
        (AURA_1, {"text": "hi", "encoding": "linear16", "sample_rate": 44100}, (400, 3010)),
        (AURA_1, {"text": "hi", "bit_rate": 64000}, (400, 3010)),
    ],
)
def test_aura_input_errors(
    api: httpx.Client, model: str, body: dict[str, Any], expected: tuple[int, int]
) -> None:
    assert error_of(api.post(f"/run/{model}", json=body)) == expected


def test_aura_2_es_default_speaker(api: httpx.Client) -> None:
    default = api.post(f"/run/{AURA_2_ES}", json={"text": "hola"}).content
    assert (
        default == api.post(f"/run/{AURA_2_ES}", json={"text": "hola", "speaker": "aquila"}).content
    )


def test_melotts_answers_base64_mp3_in_the_envelope(api: httpx.Client) -> None:
    response = api.post(f"/run/{MELO}", json={"prompt": "Bonjour tout le monde", "lang": "fr"})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    audio = base64.b64decode(body["result"]["audio"], validate=True)
    assert mp3_duration(audio) >= 21 * CHAR_SECONDS
    english = api.post(f"/run/{MELO}", json={"prompt": "Bonjour tout le monde"}).json()
    assert english["result"]["audio"] != body["result"]["audio"], "the language is the voice"
    assert error_of(api.post(f"/run/{MELO}", json={"prompt": ""})) == (400, 5006)
    assert error_of(api.post(f"/run/{MELO}", json={"text": "hi"})) == (400, 5006)
