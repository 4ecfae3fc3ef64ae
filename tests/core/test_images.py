"""Image URLs cannot be turned against the host: every non-global destination is refused by one
rule, each hop connects to the address that was checked (a rebinding resolver gets no second
question), images are capped in count and bytes, fetches end with the request's deadline and
are cancelled together, and they use their own connection pool.

The resolver is the test's own (nothing here asks real DNS). Images come from loopback servers:
one on 127.0.0.2 stands in for a public host, and one on 127.0.0.1 for a service inside the
host's network that no image URL may reach.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from typing import Any

import httpx
import pytest
import trustme
from helpers import KEYS, PNG, GatewayServer, ImageHost, assert_error
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core.images import IMAGE_POOL, IPAddress, is_public

STAND_IN_PUBLIC = "127.0.0.2"
AUTH = {"authorization": f"Bearer {KEYS[0]}"}


@pytest.fixture(scope="module")
def public_host() -> Iterator[ImageHost]:
    with ImageHost(STAND_IN_PUBLIC) as host:
        yield host


@pytest.fixture(scope="module")
def internal_host() -> Iterator[ImageHost]:
    with ImageHost("127.0.0.1") as host:
        yield host


@pytest.fixture(autouse=True)
def fresh_logs(public_host: ImageHost, internal_host: ImageHost) -> None:
    public_host.seen.clear()
    internal_host.seen.clear()


class Resolver:
    """A resolver the test controls: each name has a list of answers, given one per call (the
    last one repeats), and every question is recorded."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        answers = self.answers.get(host)
        if answers is None:
            raise OSError(f"no such host {host}")
        turn = min(self.asked.count(host), len(answers)) - 1
        return answers[turn]


DEAD_PUBLIC = "127.0.0.4"  # stands in for a public address where nothing listens


def public_or_stand_in(address: IPAddress) -> bool:
    """The production rule, with the test's stand-ins for public hosts let through."""
    return is_public(address) or address in {ip_address(STAND_IN_PUBLIC), ip_address(DEAD_PUBLIC)}


@contextmanager
def image_gateway(
    start_gateway,
    resolver: Resolver,
    *,
    allow: Callable[[IPAddress], bool] = public_or_stand_in,
    **overrides: Any,
) -> Iterator[GatewayServer]:
    """A gateway whose image fetcher asks `resolver` and applies `allow`."""
    overrides = {"allow_private_image_urls": False, "max_image_bytes": 20_000} | overrides
    with start_gateway(**overrides) as server:
        images = server.app.services.images
        images.resolve, images.allow = resolver, allow
        yield server


def ask(server: GatewayServer, *urls: str) -> httpx.Response:
    content: list[dict[str, Any]] = [{"type": "text", "text": "Look"}]
    content += [{"type": "image_url", "image_url": {"url": url}} for url in urls]
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": content}]}
    return httpx.post(f"{server.url}/v1/chat/completions", json=body, headers=AUTH, timeout=30)


def sent_images(emulator) -> list[str]:
    parts = emulator.requests()[-1]["body"]["messages"][0]["content"]
    return [part["image_url"]["url"] for part in parts if part["type"] == "image_url"]


def data_uri(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


# --- one address rule ---------------------------------------------------------------------------

REFUSED = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",
    "0.0.0.0",
    "192.0.0.8",  # IETF protocol assignments (passes is_global on Python 3.11)
    "192.0.0.9",
    "192.0.2.1",
    "198.18.0.1",
    "203.0.113.5",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "::169.254.169.254",
    "::8.8.8.8",
    "64:ff9b::a9fe:a9fe",  # NAT64 to 169.254.169.254
    "64:ff9b::808:808",  # NAT64, even to a public address
    "64:ff9b:1::1",
    "2002:7f00:1::",  # 6to4 (passes is_global on Python 3.11)
    "2002:808:808::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",
    "3fff::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fec0::1",
    "ff02::1",
    "100::1",
]
ALLOWED = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "::ffff:8.8.8.8", "2606:4700::1111"]


@pytest.mark.parametrize("address", REFUSED)
def test_the_rule_refuses_every_non_global_destination(address):
    assert not is_public(ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_the_rule_allows_global_unicast(address):
    assert is_public(ip_address(address))


@settings(max_examples=300, derandomize=True, database=None)
@given(st.ip_addresses())
def test_the_rule_is_never_looser_than_pythons_own(address):
    """Whatever this Python calls non-global is refused (the rule only adds to it), and an
    IPv4-mapped address gets its IPv4 address's answer."""
    if is_public(address):
        assert address.is_global
    if address.version == 6 and address.ipv4_mapped is not None:
        assert is_public(address) == is_public(address.ipv4_mapped)


REFUSED_OVER_HTTP = ["127.0.0.1", "::ffff:127.0.0.1", "::169.254.169.254", "64:ff9b::a9fe:a9fe"]
REFUSED_OVER_HTTP += ["224.0.0.1", "192.0.0.8", "2002:7f00:1::", "fd00::1"]


@pytest.mark.parametrize("address", REFUSED_OVER_HTTP)
def test_a_host_resolving_to_a_non_global_address_is_refused_unfetched(
    start_gateway, emulator, openai_schemas, internal_host, address
):
    resolver = Resolver({"evil.test": [[address]]})
    with image_gateway(start_gateway, resolver, allow=is_public) as server:
        response = ask(server, f"http://evil.test:{internal_host.port}/cat.png")
    error = assert_error(response, 400, openai_schemas, code="invalid_image_url")
    assert error["param"] == "messages[0].content[1].image_url"
    assert "not a public address" in error["message"]
    assert internal_host.seen == []
    assert emulator.requests() == []


def test_one_private_answer_among_public_ones_refuses_the_host(
    start_gateway, emulator, internal_host
):
    resolver = Resolver({"mixed.test": [[STAND_IN_PUBLIC, "127.0.0.1"]]})
    with image_gateway(start_gateway, resolver) as server:
        response = ask(server, f"http://mixed.test:{internal_host.port}/cat.png")
    assert response.status_code == 400
    assert internal_host.seen == []


def test_ip_literals_are_checked_without_asking_the_resolver(
    start_gateway, emulator, internal_host
):
    resolver = Resolver({})
    with image_gateway(start_gateway, resolver) as server:
        for host in ("127.0.0.1", "[::ffff:127.0.0.1]"):
            response = ask(server, f"http://{host}:{internal_host.port}/cat.png")
            assert response.status_code == 400, response.text
    assert resolver.asked == []
    assert internal_host.seen == []


# --- DNS rebinding --------------------------------------------------------------------------------


def test_the_checked_address_is_the_one_connected_to(
    start_gateway, emulator, public_host, internal_host
):
    """A resolver that answers a public address first and loopback after is asked once."""
    resolver = Resolver({"rebind.test": [[STAND_IN_PUBLIC], ["127.0.0.1"]]})
    with image_gateway(start_gateway, resolver) as server:
        url = f"http://rebind.test:{public_host.port}/cat.png"
        response = ask(server, url)
    assert response.status_code == 200, response.text
    assert sent_images(emulator) == [data_uri(PNG)]
    assert resolver.asked == ["rebind.test"]
    assert public_host.seen == [("/cat.png", f"rebind.test:{public_host.port}")]
    assert internal_host.seen == []


def test_the_next_checked_address_is_tried_when_one_refuses(start_gateway, emulator, public_host):
    resolver = Resolver({"two.test": [[DEAD_PUBLIC, STAND_IN_PUBLIC]]})
    with image_gateway(start_gateway, resolver) as server:
        response = ask(server, f"http://two.test:{public_host.port}/cat.png")
    assert response.status_code == 200, response.text
    assert resolver.asked == ["two.test"]
    assert public_host.seen == [("/cat.png", f"two.test:{public_host.port}")]


def test_every_redirect_hop_is_resolved_once_and_checked(
    start_gateway, emulator, public_host, internal_host
):
    resolver = Resolver(
        {
            "start.test": [[STAND_IN_PUBLIC]],
            "rebind.test": [[STAND_IN_PUBLIC], ["127.0.0.1"]],
            "internal.test": [["127.0.0.1"]],
        }
    )
    hop = f"http://rebind.test:{public_host.port}/cat.png"
    inside = f"http://internal.test:{internal_host.port}/cat.png"
    with image_gateway(start_gateway, resolver) as server:
        ok = ask(server, f"http://start.test:{public_host.port}/redirect?to={hop}")
        refused = ask(server, f"http://start.test:{public_host.port}/redirect?to={inside}")
    assert ok.status_code == 200, ok.text
    assert resolver.asked.count("rebind.test") == 1
    assert refused.status_code == 400
    assert "not a public address" in refused.json()["error"]["message"]
    assert internal_host.seen == []


@pytest.fixture(scope="module")
def tls_host() -> Iterator[tuple[int, trustme.CA, list[str]]]:
    """An HTTPS image server on the stand-in public address, with a certificate for
    secure.test only, recording the TLS server names clients ask for."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("secure.test").configure_cert(context)
    server_names: list[str] = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "image/png")
            self.send_header("content-length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((STAND_IN_PUBLIC, 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], ca, server_names
    server.shutdown()
    server.server_close()


def test_https_keeps_the_host_name_for_sni_and_certificate_checks(
    start_gateway, emulator, tls_host
):
    port, ca, server_names = tls_host
    resolver = Resolver({"secure.test": [[STAND_IN_PUBLIC]], "other.test": [[STAND_IN_PUBLIC]]})
    with image_gateway(start_gateway, resolver) as server:
        images = server.app.services.images
        trusting_ca = ssl.create_default_context()
        ca.configure_trust(trusting_ca)
        images.http = httpx.AsyncClient(verify=trusting_ca, trust_env=False, limits=IMAGE_POOL)
        ok = ask(server, f"https://secure.test:{port}/cat.png")
        wrong_name = ask(server, f"https://other.test:{port}/cat.png")
    assert ok.status_code == 200, ok.text
    assert sent_images(emulator)[-1:] == [data_uri(PNG)]
    assert server_names[0] == "secure.test"
    assert wrong_name.status_code == 400, "the certificate was not checked against the host name"


# --- caps -----------------------------------------------------------------------------------------


def test_the_number_of_images_is_capped(start_gateway, emulator, openai_schemas):
    with image_gateway(start_gateway, Resolver({})) as server:
        limit = server.settings.max_images
        assert ask(server, *[data_uri(PNG)] * limit).status_code == 200
        response = ask(server, *[data_uri(PNG)] * (limit + 1))
    error = assert_error(response, 400, openai_schemas, code="invalid_image_url")
    assert f"At most {limit} images" in error["message"]


def test_the_total_bytes_of_fetched_images_are_capped(start_gateway, emulator, public_host):
    resolver = Resolver({"img.test": [[STAND_IN_PUBLIC]]})
    with image_gateway(start_gateway, resolver, max_image_total_bytes=30_000) as server:
        url = f"http://img.test:{public_host.port}/bytes/12000"
        assert ask(server, url, url).status_code == 200
        response = ask(server, url, url, url)
    assert response.status_code == 400
    assert "30000 bytes in all" in response.json()["error"]["message"]


def test_data_uris_count_towards_the_caps(start_gateway, emulator):
    with start_gateway(max_image_bytes=2_000, max_image_total_bytes=3_000) as server:
        assert ask(server, data_uri(b"x" * 1_500)).status_code == 200
        too_big = ask(server, data_uri(b"x" * 2_100))
        too_many_bytes = ask(server, data_uri(b"x" * 1_600), data_uri(b"x" * 1_600))
    assert "larger than 2000 bytes" in too_big.json()["error"]["message"]
    assert "3000 bytes in all" in too_many_bytes.json()["error"]["message"]


@pytest.mark.parametrize(
    "uri",
    [
        data_uri(PNG, "text/html"),
        data_uri(PNG, ""),
        "data:image/png," + "x" * 10,  # not base64
        "data:image/png;base64",  # no comma
    ],
)
def test_data_uris_must_be_base64_images(gateway, emulator, openai_schemas, uri):
    response = ask(gateway, uri)
    error = assert_error(response, 400, openai_schemas, code="invalid_image_url")
    assert error["param"] == "messages[0].content[1].image_url"
    assert emulator.requests() == []


def test_a_non_image_answer_is_refused(start_gateway, emulator, public_host):
    resolver = Resolver({"img.test": [[STAND_IN_PUBLIC]]})
    with image_gateway(start_gateway, resolver) as server:
        response = ask(server, f"http://img.test:{public_host.port}/text")
    assert response.status_code == 400
    assert "text/html" in response.json()["error"]["message"]


# --- deadline and cancellation --------------------------------------------------------------------


def wait_until_closed(host: ImageHost) -> int:
    """Open slow streams left once the gateway had time to close them (bounded wait)."""
    deadline = time.monotonic() + 10
    while host.open_streams and time.monotonic() < deadline:
        time.sleep(0.05)
    return host.open_streams


def test_fetches_end_with_the_request_deadline(start_gateway, emulator, public_host):
    resolver = Resolver({"img.test": [[STAND_IN_PUBLIC]]})
    with image_gateway(start_gateway, resolver, request_deadline=1.0) as server:
        response = ask(server, f"http://img.test:{public_host.port}/slow.png")
        assert response.status_code == 400
        assert "did not all download within" in response.json()["error"]["message"]
        assert wait_until_closed(public_host) == 0
    assert emulator.requests() == []


def test_image_fetches_and_generation_share_one_request_deadline(
    start_gateway, emulator, public_host
):
    """1.2 s of image download, then 1.2 s of model: each fits in 2 s, together they do not."""
    emulator.add_fault(delay_ms=1200, times=2)
    resolver = Resolver({"img.test": [[STAND_IN_PUBLIC]]})
    with image_gateway(start_gateway, resolver, request_deadline=2.0) as server:
        response = ask(server, f"http://img.test:{public_host.port}/late.png")
    assert response.status_code == 504, response.text
    assert response.json()["error"]["code"] == "upstream_timeout"


def test_one_failed_fetch_cancels_its_siblings(start_gateway, emulator, public_host):
    resolver = Resolver({"img.test": [[STAND_IN_PUBLIC]]})
    with image_gateway(start_gateway, resolver) as server:
        slow = f"http://img.test:{public_host.port}/slow.png"
        missing = f"http://img.test:{public_host.port}/missing.png"
        response = ask(server, slow, slow, missing)
        assert response.status_code == 400
        assert "HTTP 404" in response.json()["error"]["message"]
        assert response.json()["error"]["param"] == "messages[0].content[3].image_url"
        assert wait_until_closed(public_host) == 0


# --- own pool -------------------------------------------------------------------------------------


def test_image_fetches_have_their_own_pool_and_ignore_proxy_settings(gateway):
    services = gateway.app.services
    assert services.images.client() is not services.http
    assert services.images.client().trust_env is False


def test_slow_image_hosts_do_not_starve_chat(start_gateway, emulator, public_host):
    """Requests full of slow images occupy the image pool; plain chats still get answers."""
    resolver = Resolver({"img.test": [[STAND_IN_PUBLIC]]})
    with image_gateway(start_gateway, resolver, request_deadline=2.0) as server:
        slow = [f"http://img.test:{public_host.port}/slow.png"] * server.settings.max_images

        async def scenario() -> tuple[list[int], int]:
            async with httpx.AsyncClient(timeout=30, headers=AUTH) as client:
                body = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
                stuck = [
                    asyncio.create_task(asyncio.to_thread(ask, server, *slow)) for _ in range(4)
                ]
                deadline = time.monotonic() + 10
                while public_host.open_streams < IMAGE_POOL.max_connections:
                    assert time.monotonic() < deadline, "the slow images never filled the pool"
                    await asyncio.sleep(0.05)
                plain = await client.post(f"{server.url}/v1/chat/completions", json=body)
                return [(await task).status_code for task in stuck], plain.status_code

        stuck, plain = asyncio.run(scenario())
    assert plain == 200
    assert stuck == [400] * 4
