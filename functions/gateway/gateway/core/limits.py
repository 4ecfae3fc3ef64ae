"""Refuse oversized request bodies with a 413 (in the envelope of the client's API family), before
reading them whole."""

from __future__ import annotations

from gateway.core.errors import GatewayError
from gateway.core.http import ASGIApp, ErrorRenderer, Message, Receive, Scope, Send, openai_error


class BodySizeLimit:
    """Checks Content-Length up front, and counts the bytes of bodies sent without one.

    When a chunked body passes the limit, the 413 goes out at once; the app then sees the
    client as gone and anything it still answers is dropped.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, render: ErrorRenderer = openai_error) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        received = 0
        started = rejected = False

        async def counting_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes and not started:
                rejected = True
                await self._reject(scope, receive, send)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = GatewayError(
            413,
            f"The request body is larger than {self.max_bytes} bytes.",
            code="request_too_large",
        )
        await self.render(scope, error)(scope, receive, send)
