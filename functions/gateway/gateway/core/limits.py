"""Refuse oversized request bodies with a 413 in OpenAI's envelope, before reading them whole."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.core.errors import GatewayError
from gateway.core.http import ASGIApp, Message, Receive, Scope, Send, error_response


@dataclass(frozen=True)
class UploadLimit:
    """The limit of a route that takes file uploads (`Route.upload`), lower than the JSON one: a
    Lambda Function URL carries a binary body base64-encoded in a 6 MB event
    (docs/images.md#uploads). `param` is the file field the 413 names."""

    max_bytes: int
    param: str


class BodySizeLimit:
    """Checks Content-Length up front, and counts the bytes of bodies sent without one.

    `max_bytes` bounds every body; `uploads` (path -> UploadLimit) bounds the upload routes',
    with a 413 that names their file field. When a chunked body passes the limit, the 413 goes
    out at once; the app then sees the client as gone and anything it still answers is dropped.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, uploads: dict[str, UploadLimit] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = uploads or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = self.uploads.get(scope["path"])
        max_bytes = self.max_bytes if upload is None else upload.max_bytes
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            await self._reject(scope, receive, send, upload)
            return
        received = 0
        started = rejected = False

        async def counting_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes and not started:
                rejected = True
                await self._reject(scope, receive, send, upload)
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
        self, scope: Scope, receive: Receive, send: Send, upload: UploadLimit | None
    ) -> None:
        if upload is None:
            message, param = f"The request body is larger than {self.max_bytes} bytes.", None
        else:
            message = (
                f"The upload is larger than {upload.max_bytes} bytes, the most one request may "
                f"carry here (a Lambda Function URL takes 6 MB, base64-encoded): send a smaller "
                f"`{upload.param}`."
            )
            param = upload.param
        error = GatewayError(413, message, code="request_too_large", param=param)
        await error_response(error)(scope, receive, send)
