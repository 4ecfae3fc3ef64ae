"""Faults, the catalogue and the request log for the media models, as for chat."""

import json

import httpx
import pytest
from media_checks import error_of, picture, wav

from emulator.testing import EmulatorServer

SDXL = "@cf/bytedance/stable-diffusion-xl-lightning"
FLUX_1 = "@cf/black-forest-labs/flux-1-schnell"
WHISPER = "@cf/openai/whisper"
AURA = "@cf/deepgram/aura-1"
RERANKER = "@cf/baai/bge-reranker-base"
GUARD = "@cf/meta/llama-guard-3-8b"
IMAGE = {"prompt": "a bridge", "width": 256, "height": 256}
SPEECH = {"text": "A sentence long enough to need several chunks of audio."}


def chunks_of(api: httpx.Client, model: str, body: dict) -> list[bytes]:
    with api.stream("POST", f"/run/{model}", json=body) as response:
        assert response.status_code == 200
        return list(response.iter_raw())


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (SDXL, IMAGE),
        (AURA, SPEECH),
        (RERANKER, {"query": "q", "contexts": [{"text": "q"}]}),
        (GUARD, {"messages": [{"role": "user", "content": "hi"}]}),
    ],
)
def test_an_error_fault_answers_the_envelope_once(
    emulator: EmulatorServer, api: httpx.Client, model: str, body: dict
) -> None:
    emulator.add_fault(model=model, code=3040, retry_after=3)
    busy = api.post(f"/run/{model}", json=body)
    assert error_of(busy) == (429, 3040)
    assert busy.headers["retry-after"] == "3"
    assert api.post(f"/run/{model}", json=body).status_code == 200


def test_faults_on_raw_audio_uploads(emulator: EmulatorServer, api: httpx.Client) -> None:
    audio = wav(0.5)
    emulator.add_fault(model=WHISPER, connection_reset=True)
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(f"/run/{WHISPER}", content=audio)
    emulator.add_fault(model=WHISPER, status=503, raw_status_body="upstream connect error")
    down = api.post(f"/run/{WHISPER}", content=audio)
    assert (down.status_code, down.text) == (503, "upstream connect error")
    emulator.add_fault(model=WHISPER, delay_ms=50)
    assert api.post(f"/run/{WHISPER}", content=audio).status_code == 200
    logged = emulator.requests()[-1]
    assert logged["model"] == WHISPER and logged["body"] is None
    assert logged["body_bytes"] == len(audio) and logged["status"] == 200


def test_a_binary_image_cut_halfway(emulator: EmulatorServer, api: httpx.Client) -> None:
    emulator.add_fault(model=SDXL, cut_after_chunks=0)
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(f"/run/{SDXL}", json=IMAGE)


def test_a_garbled_or_replaced_image(emulator: EmulatorServer, api: httpx.Client) -> None:
    whole = api.post(f"/run/{SDXL}", json=IMAGE).content
    emulator.add_fault(model=SDXL, garble_after_chunks=0)
    garbled = api.post(f"/run/{SDXL}", json=IMAGE)
    assert garbled.status_code == 200 and garbled.headers["content-type"] == "image/png"
    assert garbled.content == whole[: len(whole) // 2]
    with pytest.raises(OSError):
        picture(garbled.content)
    emulator.add_fault(model=FLUX_1, error_after_chunks=0, message="overloaded")
    replaced = api.post(f"/run/{FLUX_1}", json={"prompt": "x"})
    assert replaced.status_code == 200
    assert replaced.json() == {"error": {"message": "overloaded", "code": 502}}


def test_a_cut_audio_stream_ends_early(emulator: EmulatorServer, api: httpx.Client) -> None:
    whole = chunks_of(api, AURA, SPEECH)
    emulator.add_fault(model=AURA, cut_after_chunks=2, chunk_delay_ms=1)
    received: list[bytes] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        api.stream("POST", f"/run/{AURA}", json=SPEECH) as response,
    ):
        received.extend(response.iter_raw())
    assert b"".join(received) == b"".join(whole[:2])


def test_garbled_and_error_chunks_in_an_audio_stream(
    emulator: EmulatorServer, api: httpx.Client
) -> None:
    whole = chunks_of(api, AURA, SPEECH)
    emulator.add_fault(model=AURA, garble_after_chunks=1)
    garbled = chunks_of(api, AURA, SPEECH)
    assert garbled[1] == bytes(len(whole[1]))
    assert garbled[:1] + garbled[2:] == whole[:1] + whole[2:]
    emulator.add_fault(model=AURA, error_after_chunks=2, message="provider overloaded")
    replaced = chunks_of(api, AURA, SPEECH)
    assert json.loads(replaced[2]) == {"error": {"message": "provider overloaded", "code": 502}}


def test_a_stalled_audio_stream_sends_nothing_more(
    emulator: EmulatorServer, api: httpx.Client
) -> None:
    whole = chunks_of(api, AURA, SPEECH)
    emulator.add_fault(model=AURA, stall_after_chunks=1)
    received: list[bytes] = []
    with (
        pytest.raises(httpx.ReadTimeout),
        api.stream("POST", f"/run/{AURA}", json=SPEECH, timeout=0.5) as response,
    ):
        received.extend(response.iter_raw())
    assert b"".join(received) == whole[0]


@pytest.mark.parametrize(
    ("task", "models"),
    [
        ("Text-to-Image", {SDXL, FLUX_1, "@cf/runwayml/stable-diffusion-v1-5-inpainting"}),
        ("Automatic Speech Recognition", {WHISPER, "@cf/deepgram/nova-3"}),
        ("Text-to-Speech", {AURA, "@cf/myshell-ai/melotts"}),
        ("Text Classification", {RERANKER}),
        ("Text Generation", {GUARD}),
    ],
)
def test_the_catalogue_lists_the_media_models_under_their_tasks(
    api: httpx.Client, task: str, models: set[str]
) -> None:
    rows = api.get("/models/search", params={"task": task, "per_page": 100}).json()["result"]
    assert models <= {row["name"] for row in rows}
    assert {row["task"]["name"] for row in rows} == {task}


def test_catalogue_properties_of_media_models(api: httpx.Client) -> None:
    rows = api.get("/models/search", params={"search": "deepgram/aura-1"}).json()["result"]
    (aura,) = rows
    flags = {p["property_id"]: p["value"] for p in aura["properties"]}
    assert flags["partner"] == flags["realtime"] == "true"
    assert "context_window" not in flags
    schema = api.get("/models/schema", params={"model": SDXL}).json()["result"]
    assert schema["output"]["contentType"] == "image/png"


def test_media_models_are_not_chat_models(api: httpx.Client) -> None:
    body = {"model": SDXL, "messages": [{"role": "user", "content": "hi"}]}
    assert error_of(api.post("/v1/chat/completions", json=body)) == (400, 5007)
    assert error_of(api.post("/v1/embeddings", json={"model": RERANKER, "input": "x"})) == (
        400,
        5007,
    )
