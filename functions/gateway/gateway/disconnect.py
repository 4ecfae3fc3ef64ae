"""Stop a request's work when its client leaves before the answer starts.

Starlette notices a client that hangs up during a streamed body, but not one that leaves while
the endpoint is still waiting on Workers AI: the upstream call would run to its end, and the
request be logged as answered. Here, once the request body has been read and until the response
starts, `http.disconnect` cancels the request's task at once (which closes the upstream
connection), and the request is logged with status 499, nginx's "client closed request".
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CLIENT_CLOSED = 499


class CancelOnDisconnect:
    """ASGI middleware; marks the request's context `client_closed` when it cancelled it (the
    context is `scope["state"]["ctx"]`, set by the outer RequestContextMiddleware).

    Watching starts only when the body is complete, so it costs nothing for requests that never
    read one (GET) and never competes with the endpoint for body messages.
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
        responding = False
        left = False

        async def watch() -> None:
            nonlocal left
            while (await receive())["type"] != "http.disconnect":
                pass
            if not responding:
                left = True
                task.cancel()

        async def receive_body() -> Message:
            nonlocal watcher
            message = await receive()
            body_done = message["type"] == "http.request" and not message.get("more_body")
            if body_done and watcher is None and not responding:
                watcher = asyncio.create_task(watch())
            return message

        async def send_response(message: Message) -> None:
            nonlocal responding
            if message["type"] == "http.response.start":
                responding = True
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
            scope["state"]["ctx"].client_closed = True
