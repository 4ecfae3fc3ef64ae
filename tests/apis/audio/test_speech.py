"""POST /v1/audio/speech through the official SDK: streamed audio in each format, voices, the
fields refused, SSE, MeloTTS, and the chain."""

from __future__ import annotations

import base64
import io
import json
import wave

import httpx
import openai
import pytest
from helpers import assert_error, last_run, post, upstream_runs

from emulator.audio import inspect
from emulator.speech import CHAR_SECONDS

AURA_2 = "@cf/deepgram/aura-2-en"
AURA_1 = "@cf/deepgram/aura-1"
MELOTTS = "@cf/myshell-ai/melotts"
TEXT = "Speak this text, please."


def speak(client: openai.OpenAI, **fields):
    with client.audio.speech.with_streaming_response.create(
        **({"model": "tts-1", "voice": "alloy", "input": TEXT} | fields)
    ) as response:
        chunks = list(response.iter_bytes())
        return response, chunks


def test_mp3_streams_as_it_is_made_and_says_the_text(client, emulator):
    response, chunks = speak(client)
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["x-gateway-model"] == AURA_2
    assert len(chunks) >= 3, "the upstream's chunks are passed on as they come"
    recording = inspect(b"".join(chunks))
    assert recording.format == "mp3"
    assert recording.comment == TEXT, "the emulator's speech carries its text"
    sent = last_run(emulator)["body"]
    assert sent == {"text": TEXT, "speaker": "luna", "encoding": "mp3"}


def test_wav_is_a_whole_wav_file(client, emulator):
    response, chunks = speak(client, response_format="wav")
    assert response.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(b"".join(chunks))) as reader:
        assert reader.getnchannels() == 1 and reader.getsampwidth() == 2
        seconds = reader.getnframes() / reader.getframerate()
    assert seconds == pytest.approx(len(TEXT) * CHAR_SECONDS)
    assert last_run(emulator)["body"]["container"] == "wav"


def test_pcm_is_headerless_24khz_16_bit(client, emulator):
    response, chunks = speak(client, response_format="pcm")
    assert response.headers["content-type"] == "audio/pcm"
    data = b"".join(chunks)
    assert len(data) == 2 * round(24000 * CHAR_SECONDS) * len(TEXT)
    sent = last_run(emulator)["body"]
    assert (sent["encoding"], sent["container"], sent["sample_rate"]) == ("linear16", "none", 24000)


@pytest.mark.parametrize(
    ("response_format", "encoding"),
    [
        ("opus", {"encoding": "opus", "container": "ogg"}),
        ("aac", {"encoding": "aac"}),
        ("flac", {"encoding": "flac"}),
    ],
)
def test_the_other_formats_are_asked_of_aura(
    gateway, emulator, openai_schemas, response_format, encoding
):
    """Aura makes them; the emulator does not (it refuses with Workers AI's 3010), which the
    client gets as a 400."""
    body = {"model": "tts-1", "voice": "alloy", "input": TEXT, "response_format": response_format}
    response = post(gateway, "/v1/audio/speech", body)
    assert_error(response, 400, openai_schemas, code="upstream_invalid_request")
    sent = last_run(emulator)["body"]
    assert {key: sent[key] for key in encoding} == encoding


@pytest.mark.parametrize(
    ("voice", "speaker"),
    [
        ("alloy", "luna"),
        ("onyx", "zeus"),
        ("ballad", "draco"),
        ("thalia", "thalia"),
        ("Orion", "orion"),
        ({"id": "cora"}, "cora"),
    ],
)
def test_openai_voices_and_the_models_own_speakers(gateway, emulator, voice, speaker):
    response = post(
        gateway, "/v1/audio/speech", {"model": "tts-1-hd", "voice": voice, "input": "Hi."}
    )
    assert response.status_code == 200, response.text
    assert last_run(emulator)["body"]["speaker"] == speaker


def test_an_unknown_voice_is_a_400_listing_the_valid_ones(gateway, emulator, openai_schemas):
    response = post(
        gateway, "/v1/audio/speech", {"model": "tts-1", "voice": "zorro", "input": "Hi."}
    )
    error = assert_error(response, 400, openai_schemas, param="voice")
    assert "alloy" in error["message"] and "thalia" in error["message"]
    assert upstream_runs(emulator) == []


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"speed": 1.5}, "speed"),
        ({"instructions": "Whisper it."}, "instructions"),
        ({"speed": 9}, "speed"),
        ({"response_format": "ogg"}, "response_format"),
        ({"input": ""}, "input"),
        ({"input": "x" * 4097}, "input"),
    ],
)
def test_what_cannot_be_honoured_is_a_400(gateway, emulator, openai_schemas, fields, param):
    body = {"model": "tts-1", "voice": "alloy", "input": TEXT} | fields
    assert_error(post(gateway, "/v1/audio/speech", body), 400, openai_schemas, param=param)
    assert upstream_runs(emulator) == []


def test_what_asks_for_nothing_is_accepted(gateway, emulator):
    body = {"model": "tts-1", "voice": "alloy", "input": TEXT, "speed": 1.0, "instructions": ""}
    assert post(gateway, "/v1/audio/speech", body).status_code == 200


def test_sse_gives_base64_audio_events(gateway, emulator, openai_schemas):
    body = {"model": "tts-1", "voice": "alloy", "input": TEXT, "stream_format": "sse"}
    with httpx.stream(
        "POST",
        f"{gateway.url}/v1/audio/speech",
        json=body,
        headers={"authorization": f"Bearer {gateway.api_key}"},
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = response.read().decode()
    events = [json.loads(block.removeprefix("data: ")) for block in raw.split("\n\n") if block]
    for event in events:
        openai_schemas.validate("CreateSpeechResponseStreamEvent", event)
    assert [e["type"] for e in events[-2:]] == ["speech.audio.delta", "speech.audio.done"]
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    assert inspect(audio).comment == TEXT


def test_melotts_answers_mp3_for_every_openai_voice(client, emulator):
    response, chunks = speak(client, model=MELOTTS, voice="nova")
    assert response.headers["content-type"] == "audio/mpeg"
    assert inspect(b"".join(chunks)).comment == TEXT
    assert last_run(emulator)["body"] == {"prompt": TEXT, "lang": "en"}


def test_melotts_makes_only_mp3(gateway, emulator, openai_schemas):
    body = {"model": MELOTTS, "voice": "alloy", "input": TEXT, "response_format": "wav"}
    error = assert_error(post(gateway, "/v1/audio/speech", body), 400, openai_schemas)
    assert error["param"] == "response_format" and "`mp3`" in error["message"]


def test_the_backup_speaks_with_its_own_speaker(client, emulator):
    emulator.add_fault(model=AURA_2, code=3040)
    response, chunks = speak(client, voice="onyx")
    assert response.headers["x-gateway-model"] == AURA_1
    assert inspect(b"".join(chunks)).comment == TEXT
    runs = upstream_runs(emulator)
    assert [run["model"] for run in runs] == [AURA_2, AURA_1]
    assert runs[-1]["body"]["speaker"] == "zeus"


def test_a_backup_without_the_voice_is_not_tried(gateway, emulator, openai_schemas):
    emulator.add_fault(model=AURA_2, code=3040)
    body = {"model": "tts-1", "voice": "thalia", "input": TEXT}
    assert_error(post(gateway, "/v1/audio/speech", body), 429, openai_schemas, code="model_busy")
    assert [run["model"] for run in upstream_runs(emulator)] == [AURA_2]


def test_a_chat_model_cannot_speak(gateway, emulator, openai_schemas):
    body = {"model": "gpt-4o", "voice": "alloy", "input": TEXT}
    assert_error(post(gateway, "/v1/audio/speech", body), 400, openai_schemas, param="model")
