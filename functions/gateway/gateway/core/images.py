"""Image URLs made into data URIs (Workers AI takes images only as `data:` URIs), safely.

What a request's images can and cannot do:

- **Bounded:** at most `max_images` images and `max_total_bytes` of image data per request
  (data URIs included), and `max_image_bytes` per image; past any cap, a 400.
- **Deadline-bound:** all fetches of a request run concurrently under the time it has left;
  when one fails or time runs out, the others are cancelled at once.
- **Never aimed at the host's network (SSRF):** each hop's host is resolved once, every address
  it resolves to must pass `is_public`, and the connection goes to that checked address (the
  Host header and the TLS server name stay the URL's), so a resolver that answers differently
  the second time (DNS rebinding) gets no second question. Redirects are followed by hand,
  each hop checked the same way.
- **Own connection pool:** fetches use `image_client()`, not the upstream client, so slow image
  hosts cannot starve calls to Workers AI.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any, TypeVar

import httpx

from gateway.core.config import Settings
from gateway.core.errors import GatewayError
from gateway.core.text_generation import image_parts

IMAGE_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
IMAGE_POOL = httpx.Limits(max_connections=32, max_keepalive_connections=0)
"""Separate from the upstream pool. No keep-alive: every fetch connects afresh to an address
checked for it, and a TLS connection made for one host name is never reused for another."""
MAX_REDIRECTS = 3

T = TypeVar("T")
IPAddress = IPv4Address | IPv6Address
Resolver = Callable[[str], Awaitable[list[str]]]
"""host name -> the IP addresses it resolves to, as strings (OSError when it does not)."""

# The address rule, written out instead of `ip_address(...).is_global`, whose answer changed
# between Python 3.11 and 3.13 (2002::/16, 192.0.0.0/24...). Sources: IANA's IPv4 and IPv6
# Special-Purpose Address Registries (RFC 6890 and updates), multicast (RFC 5771, RFC 4291).
NOT_GLOBAL_V4 = tuple(
    ip_network(block)
    for block in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local (cloud metadata services live here)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255 broadcast
    )
)
GLOBAL_UNICAST_V6 = ip_network("2000::/3")
NOT_GLOBAL_V6 = tuple(
    ip_network(block)
    for block in (
        "2001::/23",  # IETF protocol assignments: Teredo 2001::/32, benchmarking, ORCHID
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: carries an IPv4 address, reaches it through a relay
        "3fff::/20",  # documentation (RFC 9637)
    )
)


def is_public(address: IPAddress) -> bool:
    """Whether `address` is a global destination an image may be fetched from.

    IPv4: anything outside the special-purpose blocks above. IPv6: global unicast (2000::/3)
    outside the special blocks above; an IPv4-mapped address (::ffff:a.b.c.d) is judged by its
    IPv4 address. Everything else, including every other form that embeds or reaches IPv4
    (IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4, Teredo), unique
    local, link-local, site-local and multicast, is refused. Same answer on every Python.
    """
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        return address in GLOBAL_UNICAST_V6 and not any(address in n for n in NOT_GLOBAL_V6)
    return not any(address in block for block in NOT_GLOBAL_V4)


def any_address(address: IPAddress) -> bool:
    """The rule when ALLOW_PRIVATE_IMAGE_URLS is set (local development and tests)."""
    return True


async def system_resolver(host: str) -> list[str]:
    """The operating system's resolver (getaddrinfo), addresses in its order, without repeats."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def image_client() -> httpx.AsyncClient:
    """The client image fetches use: its own pool, no proxies from the environment (they would
    connect on our behalf to addresses we never checked), redirects followed by hand."""
    return httpx.AsyncClient(
        limits=IMAGE_POOL, timeout=IMAGE_TIMEOUT, trust_env=False, follow_redirects=False
    )


@dataclass(frozen=True)
class ImageLimits:
    max_images: int
    """Images per request, data URIs included."""
    max_image_bytes: int
    """Bytes of one image."""
    max_total_bytes: int
    """Bytes of all the images of one request."""


DATA_URI = re.compile(r"data:(?P<type>[^;,]*)(?P<params>(?:;[^;,]*)*),", re.IGNORECASE)


def _bad_image(message: str, param: str) -> GatewayError:
    return GatewayError(400, message, code="invalid_image_url", param=param)


def _data_uri_size(url: str, param: str) -> int:
    """The decoded size of a base64 `data:image/...` URI, from its length (no decoding)."""
    head = DATA_URI.match(url)
    if head is None or "base64" not in head["params"].lower().split(";"):
        raise _bad_image("Image data URIs must be base64: data:image/png;base64,...", param)
    if not head["type"].lower().startswith("image/"):
        raise _bad_image(
            f"The data URI holds {head['type'] or 'no media type'}, not an image.", param
        )
    payload = len(url) - head.end()
    return payload * 3 // 4 - url.endswith("=") - url.endswith("==")


class Budget:
    """The bytes a request's images may still take, shared by its concurrent fetches."""

    def __init__(self, limits: ImageLimits) -> None:
        self.limits = limits
        self.left = limits.max_total_bytes

    def take(self, size: int, param: str) -> None:
        """Count `size` more bytes of one image; 400 once the request's total is passed."""
        self.left -= size
        if self.left < 0:
            raise _bad_image(
                f"The images of one request may hold {self.limits.max_total_bytes} bytes "
                "in all; these hold more.",
                param,
            )


class ImageFetcher:
    """Fetches image URLs as data URIs under the rules in this module's docstring.

    `resolve` and `allow` are the resolver and the address rule: the system's and `is_public`
    in production; tests pass their own, so no test depends on real DNS. The HTTP client is
    made on first use (most requests carry no image URL, and making one costs a cold start
    some 20 ms of TLS set-up) and closed when the fetcher is, as an async context manager.
    """

    def __init__(
        self,
        limits: ImageLimits,
        *,
        http: httpx.AsyncClient | None = None,
        resolve: Resolver = system_resolver,
        allow: Callable[[IPAddress], bool] = is_public,
    ) -> None:
        self.http = http
        self.limits = limits
        self.resolve = resolve
        self.allow = allow

    @classmethod
    def from_settings(cls, settings: Settings) -> ImageFetcher:
        """The production fetcher: the system's resolver, and the address rule unless
        ALLOW_PRIVATE_IMAGE_URLS lifts it."""
        limits = ImageLimits(
            settings.max_images, settings.max_image_bytes, settings.max_image_total_bytes
        )
        return cls(limits, allow=any_address if settings.allow_private_image_urls else is_public)

    def client(self) -> httpx.AsyncClient:
        if self.http is None:
            self.http = image_client()
        return self.http

    async def __aenter__(self) -> ImageFetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self.http is not None:
            await self.http.aclose()

    async def inline(
        self,
        messages: list[dict[str, Any]],
        names: Sequence[str],
        time_left: float,
        param: str = "messages",
    ) -> None:
        """Replace every http(s) image URL in `messages` (text_generation's form) by a data
        URI, in place.

        `names[m]` is what the client calls message `m` (`messages[0]`, `input[3]`): an error
        about one image names it (`messages[0].content[1].image_url`); `param` (what the client
        calls all of them) is named for the count and the time. Raises a 400 `GatewayError`
        (code `invalid_image_url`) for too many images, too many bytes, a refused or
        unreachable host, a non-image answer, or fetches not done within `time_left` seconds.
        """
        parts = [
            (part, f"{names[m]}.content[{p}].image_url") for m, p, part in image_parts(messages)
        ]
        if len(parts) > self.limits.max_images:
            raise _bad_image(
                f"At most {self.limits.max_images} images are allowed per request; "
                f"this one has {len(parts)}.",
                param,
            )
        budget = Budget(self.limits)
        remote = []
        for part, where in parts:
            url = part["image_url"]["url"]
            if url[:5].lower() == "data:":
                size = _data_uri_size(url, where)
                if size > self.limits.max_image_bytes:
                    raise _bad_image(
                        f"The image is larger than {self.limits.max_image_bytes} bytes.", where
                    )
                budget.take(size, where)
            else:
                remote.append((part, where))
        if not remote:
            return
        try:
            async with asyncio.timeout(max(time_left, 0)):
                urls = await _all_or_none(
                    self._fetch(part["image_url"]["url"], budget, where) for part, where in remote
                )
        except TimeoutError:
            raise _bad_image(
                f"The image URLs did not all download within the request's {time_left:.0f} s.",
                param,
            ) from None
        for (part, _), url in zip(remote, urls, strict=True):
            part["image_url"]["url"] = url

    async def _fetch(self, url: str, budget: Budget, param: str) -> str:
        """Download one image, following a few redirects (each hop checked), as a data URI."""
        target = httpx.URL(url)
        try:
            for _ in range(MAX_REDIRECTS + 1):
                reply = await self._open(target, param)
                try:
                    if reply.is_redirect and "location" in reply.headers:
                        target = target.join(reply.headers["location"])
                        continue
                    return await self._read(reply, budget, param)
                finally:
                    await reply.aclose()
        except httpx.HTTPError:
            raise _bad_image("The image URL could not be fetched.", param) from None
        raise _bad_image("The image URL redirects too many times.", param)

    async def _open(self, url: httpx.URL, param: str) -> httpx.Response:
        """GET `url` from its host's checked addresses, in the resolver's order, the next one
        tried when a connection fails. Each request is aimed at the address itself, with the
        URL's Host header and TLS server name (httpcore's `sni_hostname` extension), so
        certificates are verified against the host name as usual."""
        if url.scheme not in {"http", "https"} or not url.host:
            raise _bad_image("Image URLs must be data: URIs or http(s) URLs.", param)
        host = url.raw_host.decode("ascii")
        headers = {"host": url.netloc.decode("ascii")}
        extensions = {"sni_hostname": host} if url.scheme == "https" else {}
        addresses = await self._checked_addresses(host, param)

        async def get(address: IPAddress) -> httpx.Response:
            aimed = url.copy_with(host=str(address))
            request = self.client().build_request(
                "GET", aimed, headers=headers, extensions=extensions
            )
            return await self.client().send(request, stream=True)

        for address in addresses[:-1]:
            with contextlib.suppress(httpx.ConnectError):
                return await get(address)
        return await get(addresses[-1])

    async def _checked_addresses(self, host: str, param: str) -> list[IPAddress]:
        """Resolve `host` once (an IP literal is its own answer); every address must pass."""
        try:
            addresses = [ip_address(host)]
        except ValueError:
            try:
                addresses = [ip_address(a.split("%")[0]) for a in await self.resolve(host)]
            except (OSError, ValueError):
                addresses = []
        if not addresses:
            raise _bad_image(f"Could not resolve the image host {host!r}.", param)
        if not all(self.allow(address) for address in addresses):
            raise _bad_image(f"The image host {host!r} is not a public address.", param)
        return addresses

    async def _read(self, reply: httpx.Response, budget: Budget, param: str) -> str:
        if reply.status_code >= 400:
            raise _bad_image(f"Fetching the image failed with HTTP {reply.status_code}.", param)
        media_type = reply.headers.get("content-type", "").split(";")[0].strip().lower()
        if not media_type.startswith("image/"):
            raise _bad_image(f"The image URL returned {media_type or 'no content type'}.", param)
        too_big = f"The image is larger than {self.limits.max_image_bytes} bytes."
        declared = reply.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_image_bytes:
            raise _bad_image(too_big, param)
        data = bytearray()
        async for chunk in reply.aiter_bytes():
            data += chunk
            budget.take(len(chunk), param)
            if len(data) > self.limits.max_image_bytes:
                raise _bad_image(too_big, param)
        return f"data:{media_type};base64,{base64.b64encode(bytes(data)).decode()}"


async def _all_or_none(jobs: Iterable[Awaitable[T]]) -> list[T]:
    """Run the jobs concurrently; when one fails (or this is cancelled), cancel the rest and
    wait until they have stopped, then raise."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
