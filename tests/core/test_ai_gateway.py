"""Through Cloudflare AI Gateway (WORKERS_AI_BASE_URL on gateway.ai.cloudflare.com), every model
call carries the caller's key name (`cf-aig-metadata`), the AI Gateway token
(`cf-aig-authorization`) and the client's cache headers; elsewhere it carries none of them.

The gateway's upstream client is pointed at the emulator by a transport that rewrites AI
Gateway's URLs to the emulator's, so the calls are real HTTP on loopback, headers and all."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from helpers import GatewayServer, assert_error, gateway_settings, mint_key, post, upstream_runs

from emulator.testing import EmulatorServer

AI_GATEWAY = "https://gateway.ai.cloudflare.com/v1/{account_id}/my-gateway/workers-ai"
TOKEN = "aig-token-for-tests"
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
AIG_HEADERS = ("cf-aig-metadata", "cf-aig-authorization", "cf-aig-cache-ttl", "cf-aig-skip-cache")


class ToEmulator(httpx.AsyncBaseTransport):
    """Sends AI Gateway's `.../workers-ai/{model}` to the emulator's `/run/{model}`."""

    def __init__(self, emulator: EmulatorServer) -> None:
        self.emulator = emulator
        self.inner = httpx.AsyncHTTPTransport()

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        prefix = "/v1/emulator/my-gateway/workers-ai/"
        assert request.url.host == "gateway.ai.cloudflare.com", request.url
        assert request.url.path.startswith(prefix), request.url
        model = request.url.path.removeprefix(prefix)
        request.url = httpx.URL(f"{self.emulator.base_url}/run/{model}")
        return await self.inner.handle_async_request(request)


@pytest.fixture
def via_ai_gateway(emulator_server: EmulatorServer, emulator, tmp_path) -> Iterator[GatewayServer]:
    settings = gateway_settings(
        emulator_server,
        workers_ai_base_url=AI_GATEWAY,
        cloudflare_ai_gateway_token=TOKEN,
        keys_db_path=str(tmp_path / "keys.sqlite3"),
    )
    with GatewayServer(settings) as server:
        upstream = server.app.services.upstream
        default, upstream.transport = upstream.transport, ToEmulator(emulator_server)
        yield server
        loop = server._server.servers[0].get_loop()
        asyncio.run_coroutine_threadsafe(upstream.transport.aclose(), loop).result(timeout=10)
        upstream.transport = default


def sent_headers(emulator: EmulatorServer) -> dict[str, str]:
    (run,) = upstream_runs(emulator)
    return {name: run["headers"][name] for name in AIG_HEADERS if name in run["headers"]}


def test_a_named_keys_calls_carry_its_name_and_the_token(via_ai_gateway, emulator):
    secret, key = mint_key(via_ai_gateway, name="team-search")
    answer = post(via_ai_gateway, "/v1/chat/completions", CHAT, key=secret)
    assert answer.status_code == 200, answer.text
    headers = sent_headers(emulator)
    assert json.loads(headers["cf-aig-metadata"]) == {"key": "team-search", "key_id": key["id"]}
    assert headers["cf-aig-authorization"] == f"Bearer {TOKEN}"
    assert "cf-aig-cache-ttl" not in headers


def test_an_operator_keys_calls_say_so(via_ai_gateway, emulator):
    assert post(via_ai_gateway, "/v1/chat/completions", CHAT).status_code == 200
    assert json.loads(sent_headers(emulator)["cf-aig-metadata"]) == {"key": "operator"}


def test_a_name_beyond_ascii_travels_as_json_escapes(via_ai_gateway, emulator):
    secret, _ = mint_key(via_ai_gateway, name="équipe 検索")
    assert post(via_ai_gateway, "/v1/chat/completions", CHAT, key=secret).status_code == 200
    metadata = sent_headers(emulator)["cf-aig-metadata"]
    assert metadata.isascii()
    assert json.loads(metadata)["key"] == "équipe 検索"


def test_the_clients_cache_headers_are_passed_on(via_ai_gateway, emulator):
    cache = {"cf-aig-cache-ttl": "3600", "cf-aig-skip-cache": "TRUE"}
    answer = post(via_ai_gateway, "/v1/chat/completions", CHAT, headers=cache)
    assert answer.status_code == 200
    headers = sent_headers(emulator)
    assert headers["cf-aig-cache-ttl"] == "3600"
    assert headers["cf-aig-skip-cache"] == "true"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("cf-aig-cache-ttl", "an hour"),
        ("cf-aig-cache-ttl", "-5"),
        ("cf-aig-cache-ttl", "1" * 11),
        ("cf-aig-skip-cache", "yes"),
    ],
)
def test_a_malformed_cache_header_is_a_400_naming_it(
    via_ai_gateway, emulator, openai_schemas, name, value
):
    answer = post(via_ai_gateway, "/v1/chat/completions", CHAT, headers={name: value})
    assert_error(answer, 400, openai_schemas, code="invalid_header", param=name)
    assert upstream_runs(emulator) == []


def test_without_ai_gateway_no_such_header_goes_upstream(gateway, emulator):
    cache = {"cf-aig-cache-ttl": "3600", "cf-aig-skip-cache": "true"}
    assert post(gateway, "/v1/chat/completions", CHAT, headers=cache).status_code == 200
    assert sent_headers(emulator) == {}
