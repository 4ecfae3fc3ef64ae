"""Compressed request bodies (`Content-Encoding` on a request, RFC 9110 §8.4): `gzip` and
`deflate` are decoded before the app reads the body; any other coding is a 415 naming the ones
taken (with `Accept-Encoding`, as RFC 9110 §12.5.3 asks), rather than a body that reads as bad
JSON. The decoded body is held to the same size limit as a plain one (no zip bombs): past it, a
413 as limits.BodySizeLimit answers, which counts the bytes on the wire.
"""

from __future__ import annotations

import zlib

from gateway.core.errors import GatewayError
from gateway.core.http import ASGIApp, ErrorRenderer, Message, Receive, Scope, Send, openai_error

DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
"""zlib's `wbits` for each coding taken: gzip framing, and zlib framing for `deflate` (RFC 9110
§8.4.1.2: `deflate` is the zlib format; a raw deflate stream is tried when that fails)."""
TAKEN = "gzip, deflate"


def _codings(value: bytes) -> list[str]:
    """The codings of a Content-Encoding value, in the order they were applied."""
    codings = [part.strip().lower() for part in value.decode("latin-1").split(",")]
    return [coding for coding in codings if coding and coding != "identity"]


class ContentDecoding:
    """ASGI middleware: the app receives the decoded body, without `content-encoding` and with
    the decoded `content-length`."""

    def __init__(self, app: ASGIApp, max_bytes: int, render: ErrorRenderer = openai_error) -> None:
        self.app = app
        self.render = render
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        encodings = [v for k, v in scope["headers"] if k == b"content-encoding"]
        codings = [coding for value in encodings for coding in _codings(value)]
        if not encodings or not codings:
            await self.app(scope, receive, send)
            return
        unknown = [coding for coding in codings if coding not in DECODERS]
        if unknown:
            error = GatewayError(
                415,
                f"The request body's Content-Encoding '{', '.join(unknown)}' is not supported: "
                f"send it uncompressed, or as {TAKEN}.",
                code="unsupported_content_encoding",
                headers={"accept-encoding": TAKEN},
            )
            await self.render(scope, error)(scope, receive, send)
            return
        try:
            body = await self._decoded(receive, codings)
        except GatewayError as error:
            await self.render(scope, error)(scope, receive, send)
            return
        if body is None:  # the client left while sending it
            return
        headers = [
            (k, v) for k, v in scope["headers"] if k not in (b"content-encoding", b"content-length")
        ]
        scope = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
        sent = False

        async def decoded_receive() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, decoded_receive, send)

    async def _decoded(self, receive: Receive, codings: list[str]) -> bytes | None:
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        for coding in reversed(codings):
            body = self._decode(body, coding)
        return body

    def _decode(self, data: bytes, coding: str) -> bytes:
        attempts = [DECODERS[coding]] + ([-zlib.MAX_WBITS] if coding == "deflate" else [])
        for wbits in attempts:
            decoder = zlib.decompressobj(wbits)
            try:
                out = decoder.decompress(data, self.max_bytes + 1)
            except zlib.error:
                continue
            if len(out) > self.max_bytes or decoder.unconsumed_tail:
                raise GatewayError(
                    413,
                    f"The request body is larger than {self.max_bytes} bytes once decoded.",
                    code="request_too_large",
                )
            if not decoder.eof:
                break
            return out
        raise GatewayError(
            400,
            f"The request body is not valid {coding} data, as its Content-Encoding says.",
            code="invalid_request_body",
        )
