"""Fault injection, queued per app: errors, latency, dropped connections, and answers that go
wrong after they started (cut, stalled, garbled, or an error where the result should be).

The `*_after_chunks` faults count stream events (SSE events, or the chunks of a streamed audio
body); on a whole answer (JSON, or an image's bytes) they act on its body (cut or stall halfway,
garble it, or answer an error object under 200). See responses.py and sse.py.
"""

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.types import Receive, Scope

from emulator.errors import CODE_STATUS, GENERIC_CODE, STATUS_CODES, UpstreamError

Route = Literal["run", "chat", "embeddings", "search", "schema"]


class FaultSpec(BaseModel):
    """What POST /_emulator/faults accepts. A fault without status only changes behaviour.

    A `code` implies its HTTP status, so the answer fails at once; `error_after_chunks` sends
    its error object (with `message`) in place of a result instead, under 200.
    """

    model_config = ConfigDict(extra="forbid")

    model: str = "*"
    route: Route | None = None
    status: int | None = Field(default=None, ge=100, le=599)
    code: int | None = None
    message: str | None = None
    times: int | None = Field(default=1, ge=1)
    retry_after: int | float | None = Field(default=None, ge=0)
    delay_ms: int = Field(default=0, ge=0)
    chunk_delay_ms: int = Field(default=0, ge=0)
    cut_after_chunks: int | None = Field(default=None, ge=0)
    stall_after_chunks: int | None = Field(default=None, ge=0)
    garble_after_chunks: int | None = Field(default=None, ge=0)
    error_after_chunks: int | None = Field(default=None, ge=0)
    connection_reset: bool = False
    raw_status_body: str | None = None
    content_type: str = "text/plain"
    only_if_reject_if_busy: bool = False
    compact_sse: bool | None = None
    split_bytes: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _fill_status(self) -> Self:
        if self.status is None and self.code is not None:
            self.status = CODE_STATUS.get(self.code, 500)
        if self.status is None and self.raw_status_body is not None:
            self.status = 502
        if self.status is not None and self.code is None:
            self.code = STATUS_CODES.get(self.status, GENERIC_CODE)
        return self

    def error(self) -> UpstreamError | None:
        if self.status is None or self.code is None:
            return None
        return UpstreamError(self.code, self.message, self.status)

    def error_event(self) -> dict[str, Any]:
        """What `error_after_chunks` sends where the result should be: an error under 200."""
        return {"error": {"message": self.message or "provider overloaded", "code": 502}}

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        value = self.retry_after
        return {"retry-after": str(int(value)) if float(value).is_integer() else str(value)}


@dataclass
class ActiveFault:
    id: str
    spec: FaultSpec
    hits: int = 0

    def matches(self, model: str | None, route: Route, reject_if_busy: bool) -> bool:
        spec = self.spec
        return (
            (spec.model == "*" or spec.model == model)
            and spec.route in (None, route)
            and (reject_if_busy or not spec.only_if_reject_if_busy)
        )

    def describe(self) -> dict[str, Any]:
        remaining = None if self.spec.times is None else self.spec.times - self.hits
        return {"id": self.id, "hits": self.hits, "remaining": remaining} | self.spec.model_dump()


class FaultStore:
    """Queued faults; the first one matching a request applies and uses up one of its `times`."""

    def __init__(self) -> None:
        self._faults: list[ActiveFault] = []
        self._ids = itertools.count(1)

    def add(self, spec: FaultSpec) -> ActiveFault:
        fault = ActiveFault(f"fault-{next(self._ids)}", spec)
        self._faults.append(fault)
        return fault

    def clear(self) -> int:
        count = len(self._faults)
        self._faults.clear()
        return count

    def describe(self) -> list[dict[str, Any]]:
        return [fault.describe() for fault in self._faults]

    def take(self, model: str | None, route: Route, reject_if_busy: bool) -> FaultSpec | None:
        for fault in self._faults:
            if fault.matches(model, route, reject_if_busy):
                fault.hits += 1
                if fault.spec.times is not None and fault.hits >= fault.spec.times:
                    self._faults.remove(fault)
                return fault.spec
        return None


STALL_SECONDS = 300.0  # how long a stalled answer waits for its client to leave


async def until_disconnected(receive: Receive, seconds: float) -> bool:
    """Wait up to `seconds` for the client to hang up; True if it did.

    Call only once the request body has been read: then the server's `receive` has nothing but
    `http.disconnect` left to give.
    """
    try:
        async with asyncio.timeout(seconds):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        return False
    return True


async def abort_connection(scope: Scope) -> None:
    """Drop the TCP connection at once, so the client sees a reset or an incomplete body.

    ASGI has no abort message; under uvicorn the server's own `send` is a method of the
    request cycle, which holds the transport (the app stores that `send` in the scope).
    Elsewhere (e.g. httpx's ASGITransport) raising is the closest thing.
    """
    send = scope.get("emulator.server_send")
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionAbortedError("emulated connection drop")
    transport.abort()
    await asyncio.sleep(0)  # let the server notice, so it neither logs nor answers 500
