"""Server-sent events framing, with the quirks clients must survive."""

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from emulator.faults import STALL_SECONDS, FaultSpec

DONE = "[DONE]"


def encode(event: dict[str, Any] | str, compact: bool) -> bytes:
    """One `data:` line; compact drops the space after the colon, as some upstreams do."""
    data = event if isinstance(event, str) else json.dumps(event, separators=(",", ":"))
    return f"data:{'' if compact else ' '}{data}\n\n".encode()


GARBLED = '{"response": "broken'
KEEP_ALIVE = b": keep-alive\n\n"
KEEP_ALIVE_SECONDS = 0.2


async def sse_body(
    events: Iterable[dict[str, Any]],
    *,
    compact: bool,
    split_bytes: int,
    fault: FaultSpec | None,
    abort: Callable[[], Awaitable[None]],
    gone: Callable[[float], Awaitable[bool]],
) -> AsyncIterator[bytes]:
    """Frame events and [DONE]; split writes at odd byte boundaries.

    A fault can slow the events down, drop the connection, stall (no more events, only an SSE
    comment now and then, until the client leaves: `gone(seconds)` waits for that), or put a
    garbled event or an error event in place of event N.
    """
    fault = fault or FaultSpec()
    stream: Iterable[dict[str, Any] | str] = itertools.chain(events, [DONE])
    for count, event in enumerate(stream):
        if fault.cut_after_chunks is not None and count >= fault.cut_after_chunks:
            await abort()
            return
        if fault.stall_after_chunks is not None and count >= fault.stall_after_chunks:
            for _ in range(int(STALL_SECONDS / KEEP_ALIVE_SECONDS)):
                if await gone(KEEP_ALIVE_SECONDS):
                    return
                yield KEEP_ALIVE
            return
        if count and fault.chunk_delay_ms:
            await asyncio.sleep(fault.chunk_delay_ms / 1000)
        if count == fault.garble_after_chunks:
            event = GARBLED
        elif count == fault.error_after_chunks:
            event = fault.error_event()
        data = encode(event, compact)
        step = split_bytes if split_bytes > 0 else len(data)
        for start in range(0, len(data), step):
            yield data[start : start + step]
