"""Stop a request's work when its client leaves.

A client can leave while the endpoint still waits on Workers AI (before the answer starts), or
in the middle of a streamed answer. Either way the work should stop at once: the upstream call
would otherwise run to its end, paid for and read by nobody, and the request be logged as
answered. Here, from the moment the request body has been read until the response has been
sent, `http.disconnect` cancels the request's task (which closes the upstream connection), and
the request is logged with status 499, nginx's "client closed request".
"""

from __future__ import annotations

import asyncio

from gateway.core.context import context_of
from gateway.core.http import ASGIApp, Message, Receive, Scope, Send

CLIENT_CLOSED = 499


class CancelOnDisconnect:
    """ASGI middleware; marks the request's context `client_closed` when it cancelled it.

    Watching starts only when the body is complete, so it costs nothing for requests that never
    read one (GET) and never competes with the endpoint for body messages; it ends with the
    response's last body message.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        task = asyncio.current_task()
        assert task is not None
        watcher: asyncio.Task[None] | None = None
        done = False
        left = False

        async def watch() -> None:
            nonlocal left
            while (await receive())["type"] != "http.disconnect":
                pass
            if not done:
                left = True
                task.cancel()

        async def receive_body() -> Message:
            nonlocal watcher
            message = await receive()
            body_done = message["type"] == "http.request" and not message.get("more_body")
            if body_done and watcher is None and not done:
                watcher = asyncio.create_task(watch())
            return message

        async def send_response(message: Message) -> None:
            nonlocal done
            if message["type"] == "http.response.body" and not message.get("more_body"):
                done = True
                if watcher is not None:
                    watcher.cancel()
            await send(message)

        try:
            await self.app(scope, receive_body, send_response)
        except asyncio.CancelledError:
            if not left:
                raise
        finally:
            if watcher is not None:
                watcher.cancel()
        if left:
            task.uncancel()
            context_of(scope).client_closed = True
