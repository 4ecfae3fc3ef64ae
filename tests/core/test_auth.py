"""The bearer-key check, public routes, CORS, and keys and Cloudflare credentials read from
Secrets Manager through the Parameters and Secrets Lambda Extension (a fake one on loopback)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from helpers import KEYS, GatewayServer, assert_error, gateway_settings, sdk

from emulator.secrets_extension import SecretsExtensionServer
from emulator.testing import EmulatorServer

CHAT = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
PROTECTED = [
    ("GET", "/v1/models", None),
    ("GET", "/v1/models/gpt-4", None),
    ("POST", "/v1/chat/completions", CHAT),
    ("POST", "/v1/completions", {"model": "gpt-4", "prompt": "hi"}),
    ("POST", "/v1/embeddings", {"model": "text-embedding-3-small", "input": "hi"}),
]
MISSING_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf"


def call(
    server: GatewayServer, method: str, path: str, body: Any, **headers: str
) -> httpx.Response:
    return httpx.request(method, f"{server.url}{path}", json=body, headers=headers, timeout=30)


# --- the key check ---------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_every_v1_route_needs_a_key(gateway, emulator, openai_schemas, method, path, body):
    response = call(gateway, method, path, body)
    assert_error(response, 401, openai_schemas, type="authentication_error", code="missing_api_key")
    assert emulator.requests() == [], "an unauthenticated request reached the upstream"


def test_sdk_without_a_key_raises_authentication_error(gateway, emulator):
    with pytest.raises(openai.AuthenticationError) as caught:
        sdk(gateway).chat.completions.create(**CHAT, extra_headers={"Authorization": openai.omit})
    assert caught.value.status_code == 401
    assert caught.value.type == "authentication_error"
    assert caught.value.code == "missing_api_key"


def test_wrong_key_is_refused(gateway, emulator, openai_schemas):
    with pytest.raises(openai.AuthenticationError) as caught:
        sdk(gateway, "sk-wrong").chat.completions.create(**CHAT)
    assert caught.value.code == "invalid_api_key"
    response = call(gateway, "GET", "/v1/models", None, authorization="Bearer sk-wrong")
    error = assert_error(
        response, 401, openai_schemas, type="authentication_error", code="invalid_api_key"
    )
    assert "sk-wrong" not in error["message"]
    assert emulator.requests() == []


@pytest.mark.parametrize(
    "header",
    [
        "Basic c2stdGVzdC1wcmltYXJ5Og==",
        f"Basic {KEYS[0]}",
        "Bearer",
        KEYS[0],
        f"Token {KEYS[0]}",
        f"Bearer {KEYS[0]}x",
        f"Bearer {KEYS[0][:-1]}",
        f"Bearer {KEYS[0]} {KEYS[1]}",
    ],
)
def test_malformed_authorization_is_refused(gateway, emulator, openai_schemas, header):
    response = call(gateway, "GET", "/v1/models", None, authorization=header)
    assert_error(response, 401, openai_schemas, type="authentication_error")


@pytest.mark.parametrize("key", KEYS)
def test_each_configured_key_works(gateway, emulator, key):
    """Two keys are valid at once, so a key can be rotated without downtime."""
    client = sdk(gateway, key)
    assert any(model.id == "gpt-4" for model in client.models.list())
    completion = client.chat.completions.create(**CHAT)
    assert completion.choices[0].message.content


def test_bearer_scheme_is_case_insensitive(gateway, emulator):
    response = call(gateway, "GET", "/v1/models", None, authorization=f"bearer {KEYS[1]}")
    assert response.status_code == 200, response.text


# --- public routes and CORS ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/health", "application/json"),
        ("/", "text/html"),
        ("/openapi.json", "application/json"),
        ("/config.json", "application/json"),
    ],
)
def test_public_routes_need_no_key(gateway, emulator, path, content_type):
    response = httpx.get(f"{gateway.url}{path}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(content_type)
    for secret in (*KEYS, "emulator-token"):
        assert secret not in response.text


def test_preflight_is_answered_without_a_key(gateway, emulator):
    response = httpx.options(
        f"{gateway.url}/v1/chat/completions",
        headers={
            "origin": "https://app.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers
    assert "content-type" in allowed_headers
    assert emulator.requests() == []


def test_cors_headers_on_an_answer(gateway, emulator):
    response = call(
        gateway,
        "GET",
        "/v1/models",
        None,
        authorization=f"Bearer {KEYS[0]}",
        origin="https://app.example",
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-gateway-model" in exposed
    assert "x-request-id" in exposed


def preflight(server: GatewayServer, origin: str) -> httpx.Response:
    return httpx.options(
        f"{server.url}/v1/chat/completions",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )


@pytest.fixture(scope="module")
def cors_gateway(emulator_server: EmulatorServer) -> Iterator[GatewayServer]:
    settings = gateway_settings(emulator_server, cors_allow_origins="https://a.example")
    with GatewayServer(settings) as server:
        yield server


def test_cors_allow_origins_is_honoured(cors_gateway, emulator):
    allowed = preflight(cors_gateway, "https://a.example")
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://a.example"

    refused = preflight(cors_gateway, "https://b.example")
    assert refused.headers.get("access-control-allow-origin") != "https://b.example"

    headers = {"authorization": f"Bearer {KEYS[0]}"}
    for origin, allow in (("https://a.example", "https://a.example"), ("https://b.example", None)):
        response = httpx.get(f"{cors_gateway.url}/v1/models", headers=headers | {"origin": origin})
        assert response.status_code == 200
        assert response.headers.get("access-control-allow-origin") == allow


def test_refused_preflight_uses_the_envelope(cors_gateway, emulator, openai_schemas):
    assert_error(preflight(cors_gateway, "https://b.example"), 400, openai_schemas)


# --- Secrets Manager ---------------------------------------------------------------------------


@pytest.fixture
def secretsmanager(monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretsExtensionServer]:
    """The extension (fake) on loopback, and the environment Lambda gives a function using it:
    its port and the session token it checks."""
    with SecretsExtensionServer() as extension:
        for name, value in extension.environment().items():
            monkeypatch.setenv(name, value)
        yield extension


def models_status(server: GatewayServer, key: str) -> int:
    return call(server, "GET", "/v1/models", None, authorization=f"Bearer {key}").status_code


def test_client_keys_from_secrets_manager_and_rotation(secretsmanager, emulator_server, emulator):
    arn = secretsmanager.put_secret("gateway/keys", json.dumps({"key": "sk-from-secret"}))
    # The environment keys stay set: the secret must win over them.
    settings = gateway_settings(emulator_server, api_keys_secret_arn=arn, secrets_max_age=0)
    with GatewayServer(settings) as server:
        assert models_status(server, "sk-from-secret") == 200
        assert sdk(server, "sk-from-secret").chat.completions.create(**CHAT).choices
        for key in KEYS:
            assert models_status(server, key) == 401

        secretsmanager.put_secret(
            "gateway/keys", json.dumps({"key": "sk-new", "previous_key": "sk-from-secret"})
        )
        assert models_status(server, "sk-new") == 200
        assert models_status(server, "sk-from-secret") == 200

        secretsmanager.put_secret("gateway/keys", json.dumps({"key": "sk-new"}))
        assert models_status(server, "sk-new") == 200
        assert models_status(server, "sk-from-secret") == 401

        config = call(server, "GET", "/config.json", None).json()
        assert arn not in json.dumps(config)
        assert "sk-new" not in json.dumps(config)


@pytest.mark.parametrize(
    "secret", ['["sk-one", "sk-two"]', "sk-one, sk-two", '{"keys": ["sk-one", "sk-two"]}']
)
def test_client_key_secret_forms(secretsmanager, emulator_server, emulator, secret):
    arn = secretsmanager.put_secret("gateway/keys", secret)
    settings = gateway_settings(emulator_server, api_keys_secret_arn=arn, worker_api_key=None)
    with GatewayServer(settings) as server:
        assert models_status(server, "sk-one") == 200
        assert models_status(server, "sk-two") == 200
        assert models_status(server, "sk-three") == 401


def cloudflare_gateway(upstream: EmulatorServer, arn: str) -> GatewayServer:
    """A gateway whose only Cloudflare credentials are in the secret; the account id goes into
    the upstream URL, so the emulator's request log shows which one was used."""
    settings = gateway_settings(
        upstream,
        cloudflare_secret_arn=arn,
        cloudflare_account_id=None,
        cloudflare_api_token=None,
        workers_ai_base_url=f"{upstream.root_url}/client/v4/accounts/{{account_id}}/ai",
        secrets_max_age=0,
    )
    return GatewayServer(settings)


def test_cloudflare_credentials_from_secrets_manager(secretsmanager, openai_schemas):
    secret = {"account_id": "acct-from-secret", "api_token": "cf-token-from-secret"}
    arn = secretsmanager.put_secret("gateway/cf", json.dumps(secret))
    with (
        EmulatorServer(token="cf-token-from-secret") as upstream,
        cloudflare_gateway(upstream, arn) as server,
    ):
        completion = sdk(server).chat.completions.create(**CHAT)
        assert completion.choices[0].message.content
        paths = [r["path"] for r in upstream.requests()]
        assert paths
        assert all("/accounts/acct-from-secret/ai/" in path for path in paths)

        wrong = secret | {"api_token": "cf-wrong-token"}
        secretsmanager.put_secret("gateway/cf", json.dumps(wrong))
        response = call(
            server, "POST", "/v1/chat/completions", CHAT, authorization=f"Bearer {KEYS[0]}"
        )
        error = assert_error(response, 502, openai_schemas, code="upstream_auth_failed")
        assert "cf-wrong-token" not in response.text
        assert "cf-token-from-secret" not in error["message"]


def test_malformed_cloudflare_secret_is_a_503(secretsmanager, openai_schemas):
    arn = secretsmanager.put_secret("gateway/cf", '{"api_token": "x"}')
    with EmulatorServer() as upstream, cloudflare_gateway(upstream, arn) as server:
        response = call(
            server, "POST", "/v1/chat/completions", CHAT, authorization=f"Bearer {KEYS[0]}"
        )
        assert_error(response, 503, openai_schemas, type="api_error", code="secret_malformed")
        assert upstream.requests() == []


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("setting", ["api_keys_secret_arn", "cloudflare_secret_arn"])
@pytest.mark.parametrize("fault", ["missing secret", "wrong session token", "no extension"])
def test_unreadable_secret_is_a_503(
    secretsmanager, emulator_server, emulator, openai_schemas, monkeypatch, setting, fault
):
    arn = secretsmanager.put_secret("gateway/any", json.dumps({"key": KEYS[0]}))
    if fault == "missing secret":
        arn = MISSING_ARN
    elif fault == "wrong session token":
        monkeypatch.setenv("AWS_SESSION_TOKEN", "another-session")
    else:
        monkeypatch.setenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", str(free_port()))
    settings = gateway_settings(emulator_server, **{setting: arn})
    with GatewayServer(settings) as server:
        response = call(
            server, "POST", "/v1/chat/completions", CHAT, authorization=f"Bearer {KEYS[0]}"
        )
    assert_error(response, 503, openai_schemas, type="api_error", code="secret_unavailable")
    assert arn not in response.text
    assert "ResourceNotFound" not in response.text
    assert emulator.requests() == []


def test_secrets_are_cached_for_secrets_max_age(secretsmanager, emulator_server, emulator):
    arn = secretsmanager.put_secret("gateway/keys", json.dumps({"key": "sk-cached"}))
    settings = gateway_settings(emulator_server, api_keys_secret_arn=arn, secrets_max_age=300)
    with GatewayServer(settings) as server:
        assert models_status(server, "sk-cached") == 200
        reads = secretsmanager.requests
        secretsmanager.put_secret("gateway/keys", json.dumps({"key": "sk-rotated"}))
        assert models_status(server, "sk-cached") == 200
        assert models_status(server, "sk-rotated") == 401
        assert secretsmanager.requests == reads
