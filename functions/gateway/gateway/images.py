"""Inline image URLs as data URIs: Workers AI takes images only as `data:` URIs."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from gateway.errors import GatewayError
from gateway.schemas import ImagePart, Message

IMAGE_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_REDIRECTS = 3


def _bad_image(message: str) -> GatewayError:
    return GatewayError(400, message, code="invalid_image_url", param="messages")


async def _check_public(host: str) -> None:
    """Refuse hosts that resolve to private, loopback or link-local addresses (SSRF guard)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        raise _bad_image(f"Could not resolve the image host {host!r}.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise _bad_image(f"The image host {host!r} is not a public address.")


async def _checked(url: str, allow_private: bool) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise _bad_image("Image URLs must be data: URIs or http(s) URLs.")
    if not allow_private:
        await _check_public(parts.hostname)
    return url


async def fetch_data_uri(
    url: str, http: httpx.AsyncClient, *, max_bytes: int, allow_private: bool
) -> str:
    """Download an image (following redirects, each hop checked) and encode it as a data URI."""
    url = await _checked(url, allow_private)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            async with http.stream("GET", url, timeout=IMAGE_TIMEOUT) as reply:
                if reply.is_redirect and "location" in reply.headers:
                    target = str(reply.url.join(reply.headers["location"]))
                    url = await _checked(target, allow_private)
                    continue
                return await _read_image(reply, max_bytes)
    except httpx.HTTPError:
        raise _bad_image("The image URL could not be fetched.") from None
    raise _bad_image("The image URL redirects too many times.")


async def _read_image(reply: httpx.Response, max_bytes: int) -> str:
    if reply.status_code >= 400:
        raise _bad_image(f"Fetching the image failed with HTTP {reply.status_code}.")
    media_type = reply.headers.get("content-type", "").split(";")[0].strip()
    if not media_type.startswith("image/"):
        raise _bad_image(f"The image URL returned {media_type or 'no content type'}.")
    data = bytearray()
    async for chunk in reply.aiter_bytes():
        data += chunk
        if len(data) > max_bytes:
            raise _bad_image(f"The image is larger than {max_bytes} bytes.")
    return f"data:{media_type};base64,{base64.b64encode(bytes(data)).decode()}"


async def inline_images(
    messages: list[Message], http: httpx.AsyncClient, *, max_bytes: int, allow_private: bool
) -> None:
    """Replace every http(s) image URL in the messages by a data URI, in place."""
    parts = [
        part
        for message in messages
        if isinstance(message.content, list)
        for part in message.content
        if isinstance(part, ImagePart) and not part.image_url.url.startswith("data:")
    ]
    urls = await asyncio.gather(
        *(
            fetch_data_uri(
                part.image_url.url, http, max_bytes=max_bytes, allow_private=allow_private
            )
            for part in parts
        )
    )
    for part, url in zip(parts, urls, strict=True):
        part.image_url.url = url
