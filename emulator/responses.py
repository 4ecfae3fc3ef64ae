"""Answers whose body a fault can spoil: whole bodies (JSON, an image) and binary streams (audio).

The `*_after_chunks` faults (faults.py) act on a whole body at its middle: cut or stall halfway,
garble it (only the first half is sent, the answer ends early but cleanly), or send the error
object in place of the result, under 200. On a binary stream they count its chunks: chunk N is
cut (the connection drops before it), stalled (nothing more is sent until the client leaves),
garbled (replaced by as many zero bytes) or replaced by the error object's JSON.
`chunk_delay_ms` sets the pause between chunks (default STREAM_INTERVAL_SECONDS).
"""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from emulator.faults import STALL_SECONDS, FaultSpec, abort_connection, until_disconnected

STREAM_INTERVAL_SECONDS = 0.02


class HalfResponse(Response):
    """An answer that sends half its body, then drops the connection or (`stall`) goes silent
    until the client leaves."""

    def __init__(self, content: bytes, media_type: str, stall: bool) -> None:
        super().__init__(content, media_type=media_type)
        self.stall = stall

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status_code}
        await send(start | {"headers": self.raw_headers})
        half = self.body[: len(self.body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})
        if self.stall:
            await until_disconnected(receive, STALL_SECONDS)
        else:
            await abort_connection(scope)


def whole(content: bytes, media_type: str, fault: FaultSpec | None) -> Response:
    """A whole body, spoilt as the fault says."""
    if fault is None:
        return Response(content, media_type=media_type)
    if fault.cut_after_chunks is not None or fault.stall_after_chunks is not None:
        return HalfResponse(content, media_type, stall=fault.cut_after_chunks is None)
    if fault.garble_after_chunks is not None:
        return Response(content[: len(content) // 2], media_type=media_type)
    if fault.error_after_chunks is not None:
        return JSONResponse(fault.error_event())
    return Response(content, media_type=media_type)


def whole_json(payload: Any, fault: FaultSpec | None) -> Response:
    """A JSON answer, spoilt as the fault says."""
    return whole(bytes(JSONResponse(payload).body), "application/json", fault)


async def _chunks(request: Request, chunks: list[bytes], fault: FaultSpec) -> AsyncIterator[bytes]:
    delay = fault.chunk_delay_ms / 1000 if fault.chunk_delay_ms else STREAM_INTERVAL_SECONDS
    for count, chunk in enumerate(chunks):
        if fault.cut_after_chunks is not None and count >= fault.cut_after_chunks:
            await abort_connection(request.scope)
            return
        if fault.stall_after_chunks is not None and count >= fault.stall_after_chunks:
            await until_disconnected(request.receive, STALL_SECONDS)
            return
        if count:
            await asyncio.sleep(delay)
        if count == fault.garble_after_chunks:
            chunk = bytes(len(chunk))
        elif count == fault.error_after_chunks:
            chunk = json.dumps(fault.error_event()).encode()
        yield chunk


def streamed(
    request: Request, chunks: list[bytes], media_type: str, fault: FaultSpec | None
) -> Response:
    """A binary body sent in `chunks` a short interval apart (chunked transfer encoding)."""
    body = _chunks(request, chunks, fault or FaultSpec())
    return StreamingResponse(body, media_type=media_type)
