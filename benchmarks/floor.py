"""The floor: the least an OpenAI-compatible gateway to Workers AI can do, for `make bench`.

A bare ASGI app on the fastest common Python stack (uvicorn with uvloop and httptools, an aiohttp
client): per request it parses the JSON body once, makes one upstream call to `/run/{model}`, and
reshapes the answer into a `chat.completion`, or relays the stream as `chat.completion.chunk`
events (one JSON parse and one JSON dump per event). No auth, validation, fallback, logging or
metrics: whatever the gateway adds beyond this is the cost of its own code and stack.

    FLOOR_UPSTREAM=http://127.0.0.1:8788/client/v4/accounts/emulator/ai \\
        python -m uvicorn benchmarks.floor:app --loop uvloop --http httptools
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import aiohttp

UPSTREAM = os.environ.get("FLOOR_UPSTREAM", "http://127.0.0.1:8788/client/v4/accounts/emulator/ai")
TOKEN = os.environ.get("FLOOR_UPSTREAM_TOKEN", "emulator")
JSON = [(b"content-type", b"application/json")]
SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


def dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class Floor:
    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["path"] == "/health":
            await self.answer(send, 200, JSON, b'{"status":"healthy"}')
        else:
            await self.chat(receive, send)

    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.session = aiohttp.ClientSession(
                    headers={"authorization": f"Bearer {TOKEN}"},
                    connector=aiohttp.TCPConnector(limit=100),
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.session is not None:
                    await self.session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def answer(self, send: Any, status: int, headers: list, body: bytes) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def chat(self, receive: Any, send: Any) -> None:
        assert self.session is not None
        raw, more = b"", True
        while more:
            message = await receive()
            raw += message.get("body", b"")
            more = message.get("more_body", False)
        request = json.loads(raw)
        model, stream = request["model"], bool(request.get("stream"))
        body = {"messages": request["messages"], "stream": stream}
        if "max_tokens" in request:
            body["max_tokens"] = request["max_tokens"]
        common = {"model": model, "created": int(time.time())}
        async with self.session.post(f"{UPSTREAM}/run/{model}", json=body) as response:
            if not stream:
                result = (await response.json())["result"]
                answer = {
                    "id": "chatcmpl-floor",
                    "object": "chat.completion",
                    **common,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": result.get("response")},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": result.get("usage"),
                }
                await self.answer(send, response.status, JSON, dump(answer))
                return
            await send({"type": "http.response.start", "status": 200, "headers": SSE})
            async for line in response.content:
                data = line.removeprefix(b"data:").strip()
                if not line.startswith(b"data:") or data == b"[DONE]":
                    continue
                event = json.loads(data)
                chunk = {
                    "id": "chatcmpl-floor",
                    "object": "chat.completion.chunk",
                    **common,
                    "choices": [{"index": 0, "delta": {"content": event.get("response") or ""}}],
                }
                message = {"type": "http.response.body", "body": b"data: " + dump(chunk) + b"\n\n"}
                await send(message | {"more_body": True})
            await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})


app = Floor()
