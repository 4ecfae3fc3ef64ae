"""Refuse oversized request bodies with a 413 in OpenAI's envelope, before reading them whole."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.core.errors import GatewayError
from gateway.core.http import ASGIApp, Message, Receive, Scope, Send, error_response


class BodySizeLimit:
    """Checks Content-Length up front, and counts the bytes of bodies sent without one.

    When a chunked body passes the limit, the 413 goes out at once; the app then sees the
    client as gone and anything it still answers is dropped.

    `uploads` gives the upload routes their own limit, by path: (bytes, the form field a 413
    names).
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, uploads: Mapping[str, tuple[int, str]] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = dict(uploads or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, param = self.uploads.get(scope["path"], (self.max_bytes, None))
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._reject(scope, receive, send, limit, param)
            return
        received = 0
        started = rejected = False

        async def counting_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit and not started:
                rejected = True
                await self._reject(scope, receive, send, limit, param)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _reject(
        self, scope: Scope, receive: Receive, send: Send, limit: int, param: str | None
    ) -> None:
        message = f"The request body is larger than {limit} bytes."
        if param is not None:
            message = (
                f"The upload is larger than {limit} bytes, the most the gateway takes (a Lambda "
                f"Function URL carries at most 6 MB a request, and base64-encodes uploads): "
                f"send a smaller `{param}`."
            )
        error = GatewayError(413, message, code="request_too_large", param=param)
        await error_response(error)(scope, receive, send)
