"""What a named key's request leaves behind: its usage record and its rate-limit headers.

This is the one place every API's answer passes through, so no API records usage itself. The
request context carries what the answer was made of: the named key (`auth`), the model of the
last upstream call and the token counts the upstream reported (`upstream`), and whether a
stream failed after its first byte (`streaming`).

- Every answer to a named key gets the `x-ratelimit-*` headers its admission computed.
- A request that reached a model is recorded exactly once under the key, the UTC day and that
  model (the one that answered, or the last one tried): one request, the upstream's tokens, and
  an error when the answer is an error status, a stream that failed after its first byte, or a
  client that left. Requests refused before any model call are not usage (they are in the logs
  and metrics).
- The record is written before the answer's last message goes out, with the body itself sent
  first: the client has every byte while the write runs, and on Lambda the write finishes before
  the invocation does (an environment is frozen once its response ends). A write the store
  could not make after its retries is logged and counted (`UsageWriteFailures`); the answer
  stands.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.core.context import RequestContext, context_of
from gateway.core.http import ASGIApp, Message, Receive, Scope, Send
from gateway.core.keys import KeyStore
from gateway.core.observability import describe_exception, logger


class KeyMetering:
    """ASGI middleware, inside the request context's and outside the disconnect watcher (so it
    still records when a client leaves). `store()` gives the process's key store."""

    def __init__(self, app: ASGIApp, store: Callable[[], KeyStore]) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ctx = context_of(scope)
        status: int | None = None
        recorded = False

        async def record(error: bool) -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            if ctx.key is not None and ctx.model is not None:
                await self._write(ctx, error)

        async def metered_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if ctx.rate_limits:
                    headers = list(message.get("headers", []))
                    headers += [(k.encode(), v.encode()) for k, v in ctx.rate_limits.items()]
                    message = {**message, "headers": headers}
            elif (
                message["type"] == "http.response.body"
                and not message.get("more_body")
                and not recorded
                and ctx.key is not None
                and ctx.model is not None
            ):
                if message.get("body"):
                    await send({**message, "more_body": True})
                    message = {"type": "http.response.body", "body": b""}
                failed = status is None or status >= 400 or "stream_error" in ctx.fields
                await record(error=failed)
            await send(message)

        try:
            await self.app(scope, receive, metered_send)
        finally:
            await record(error=True)  # no last message went out: the client left, or a crash

    async def _write(self, ctx: RequestContext, error: bool) -> None:
        assert ctx.key is not None and ctx.model is not None
        written = await self.store().record_usage(
            ctx.key,
            ctx.model,
            input_tokens=ctx.input_tokens,
            output_tokens=ctx.output_tokens,
            error=error,
        )
        if not written.recorded:
            ctx.count("UsageWriteFailures")
            cause = written.error or RuntimeError("usage write failed")
            logger.error(
                "usage write failed",
                extra={
                    "key_id": ctx.key.id,
                    "model": ctx.model,
                    "input_tokens": ctx.input_tokens,
                    "output_tokens": ctx.output_tokens,
                    "attempts": written.attempts,
                    **describe_exception(cause),
                },
            )
