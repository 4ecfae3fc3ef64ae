"""GET /v1/models, /v1/models/{id} and /health, with the configured and the overridden models."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from helpers import (
    BACKUP,
    CF_TOKEN,
    KEYS,
    PRIMARY,
    GatewayServer,
    assert_error,
    gateway_settings,
    sdk,
)

from gateway import __version__

PRIMARY_ALIASES = ("gpt-4", "gpt-4-turbo", "gpt-4o")
BACKUP_ALIASES = ("gpt-3.5-turbo", "gpt-4o-mini")
EMBEDDING_ALIASES = ("text-embedding-ada-002", "text-embedding-3-small", "text-embedding-3-large")
EMBEDDING_MODELS = (
    "@cf/baai/bge-base-en-v1.5",
    "@cf/baai/bge-small-en-v1.5",
    "@cf/baai/bge-large-en-v1.5",
    "@cf/baai/bge-m3",
)
MEDIA = {
    "speech-recognition": (
        "whisper-1",
        "gpt-4o-transcribe",
        "gpt-4o-mini-transcribe",
        "@cf/openai/whisper-large-v3-turbo",
        "@cf/openai/whisper",
        "@cf/openai/whisper-tiny-en",
        "@cf/deepgram/nova-3",
    ),
    "text-to-speech": (
        "tts-1",
        "tts-1-hd",
        "gpt-4o-mini-tts",
        "@cf/deepgram/aura-2-en",
        "@cf/deepgram/aura-1",
        "@cf/deepgram/aura-2-es",
        "@cf/myshell-ai/melotts",
    ),
    "moderation": ("omni-moderation-latest", "text-moderation-latest", "@cf/meta/llama-guard-3-8b"),
    "rerank": (
        "rerank-v3.5",
        "rerank-english-v3.0",
        "rerank-multilingual-v3.0",
        "@cf/baai/bge-reranker-base",
    ),
}
"""The media APIs' aliases and models, by the task /v1/models gives them."""
CONFIGURED = (
    PRIMARY,
    BACKUP,
    *PRIMARY_ALIASES,
    *BACKUP_ALIASES,
    *EMBEDDING_ALIASES,
    *EMBEDDING_MODELS,
    *(model for models in MEDIA.values() for model in models),
)
TASKS = {
    "Text Generation",
    "Text Embeddings",
    "Automatic Speech Recognition",
    "Text-to-Speech",
    "Text Classification",
}
AUTH = {"authorization": f"Bearer {KEYS[0]}"}
SECRETS = (*KEYS, CF_TOKEN)


def get(server: GatewayServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", headers=headers, timeout=30)


def listed_ids(server: GatewayServer, openai_schemas) -> list[str]:
    response = get(server, "/v1/models", **AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    openai_schemas.validate("ListModelsResponse", body)
    for model in body["data"]:
        openai_schemas.validate("Model", model)
    ids = [model["id"] for model in body["data"]]
    assert len(ids) == len(set(ids)), "a model is listed twice"
    return ids


def test_models_list_has_aliases_and_configured_models(gateway, emulator, openai_schemas):
    ids = listed_ids(gateway, openai_schemas)
    assert ids[: len(CONFIGURED)] == list(CONFIGURED)


def test_each_model_says_its_task(gateway, emulator):
    listed = get(gateway, "/v1/models", **AUTH).json()["data"]
    tasks = {model["id"]: model["task"] for model in listed}
    assert tasks["gpt-4o"] == tasks[PRIMARY] == "text-generation"
    assert tasks["text-embedding-3-small"] == "embedding"
    for task, models in MEDIA.items():
        assert {tasks[model] for model in models} == {task}
    assert tasks["@cf/zai-org/glm-4.7-flash"] == "text-generation", "from the catalogue"


def test_the_catalogue_adds_cloudflares_other_models_once(start_gateway, emulator, openai_schemas):
    with start_gateway() as server:
        ids = listed_ids(server, openai_schemas)
        listed_ids(server, openai_schemas)
        other = "@cf/mistralai/mistral-small-3.1-24b-instruct"
        assert other in ids[len(CONFIGURED) :]
        model = get(server, f"/v1/models/{other}", **AUTH).json()
        assert model["owned_by"] == "cloudflare"
    searches = [r for r in emulator.requests() if r["route"] == "search"]
    assert len(searches) == len(TASKS), "the catalogue is cached"
    assert {s["query"]["task"] for s in searches} == TASKS


def test_models_answer_without_the_catalogue(start_gateway, emulator, openai_schemas):
    emulator.add_fault(route="search", status=500, times=None)
    with start_gateway() as server:
        ids = listed_ids(server, openai_schemas)
        assert ids == list(CONFIGURED)
        listed_ids(server, openai_schemas)
    searches = [r for r in emulator.requests() if r["route"] == "search"]
    assert len(searches) <= len(TASKS), "a failed fetch is not retried on every request"


def test_the_catalogue_can_be_turned_off(start_gateway, emulator, openai_schemas):
    with start_gateway(catalogue_ttl=0) as server:
        assert listed_ids(server, openai_schemas) == list(CONFIGURED)
    assert emulator.requests() == []


@pytest.mark.parametrize("model_id", ["gpt-4", "gpt-4o-mini", PRIMARY, BACKUP])
def test_retrieve_model(gateway, emulator, openai_schemas, model_id):
    response = get(gateway, f"/v1/models/{model_id}", **AUTH)
    assert response.status_code == 200, response.text
    openai_schemas.validate("Model", response.json())
    assert response.json()["id"] == model_id
    assert response.json()["object"] == "model"


@pytest.mark.parametrize("model_id", ["not-a-model", "@cf/nobody/nothing", "gpt-4/extra"])
def test_retrieve_unknown_model_is_a_404(gateway, emulator, openai_schemas, model_id):
    response = get(gateway, f"/v1/models/{model_id}", **AUTH)
    assert_error(response, 404, openai_schemas, code="model_not_found", param="model")


def test_models_through_the_sdk(client):
    ids = {model.id for model in client.models.list()}
    assert {PRIMARY, BACKUP, "gpt-4", "gpt-3.5-turbo"} <= ids
    model = client.models.retrieve(BACKUP)
    assert model.id == BACKUP
    assert model.object == "model"
    assert isinstance(model.created, int)
    assert model.owned_by
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("not-a-model")
    assert caught.value.code == "model_not_found"


def test_health(gateway, emulator):
    response = get(gateway, "/health")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "healthy"
    assert health["version"] == __version__
    assert health["models"] == {"default": PRIMARY, "backup": BACKUP}
    assert health["upstream"] == "emulator"
    for secret in SECRETS:
        assert secret not in response.text


# --- overridden models -----------------------------------------------------------------------

OTHER_PRIMARY = "@cf/meta/llama-3.3-70b-instruct-fp8-fast"
OTHER_BACKUP = "@cf/openai/gpt-oss-20b"


@pytest.fixture(scope="module")
def custom_gateway(emulator_server) -> Iterator[GatewayServer]:
    settings = gateway_settings(
        emulator_server, default_model=OTHER_PRIMARY, backup_model=OTHER_BACKUP
    )
    with GatewayServer(settings) as server:
        yield server


def test_overridden_models_in_health_and_list(custom_gateway, emulator, openai_schemas):
    health = get(custom_gateway, "/health").json()
    assert health["models"] == {"default": OTHER_PRIMARY, "backup": OTHER_BACKUP}
    ids = listed_ids(custom_gateway, openai_schemas)
    assert ids[:2] == [OTHER_PRIMARY, OTHER_BACKUP]
    config = get(custom_gateway, "/config.json").json()
    assert config["default_model"] == OTHER_PRIMARY
    assert config["backup_model"] == OTHER_BACKUP


@pytest.mark.parametrize(
    ("alias", "model"),
    [(a, OTHER_PRIMARY) for a in PRIMARY_ALIASES] + [(a, OTHER_BACKUP) for a in BACKUP_ALIASES],
)
def test_aliases_follow_the_overridden_models(custom_gateway, emulator, alias, model):
    raw = sdk(custom_gateway).chat.completions.with_raw_response.create(
        model=alias, messages=[{"role": "user", "content": "hi"}]
    )
    assert raw.parse().model == alias
    assert raw.headers["x-gateway-model"] == model
    assert [request["model"] for request in emulator.requests()] == [model]
