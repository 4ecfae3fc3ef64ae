"""Server-sent events framing, with the quirks clients must survive."""

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

DONE = "[DONE]"


def encode(event: dict[str, Any] | str, compact: bool) -> bytes:
    """One `data:` line; compact drops the space after the colon, as some upstreams do."""
    data = event if isinstance(event, str) else json.dumps(event, separators=(",", ":"))
    return f"data:{'' if compact else ' '}{data}\n\n".encode()


async def sse_body(
    events: Iterable[dict[str, Any]],
    *,
    compact: bool,
    split_bytes: int,
    chunk_delay: float,
    cut_after: int | None,
    abort: Callable[[], Awaitable[None]],
) -> AsyncIterator[bytes]:
    """Frame events and [DONE]; split writes at odd byte boundaries; optionally drop mid-way."""
    for count, event in enumerate(itertools.chain(events, [DONE])):
        if cut_after is not None and count >= cut_after:
            await abort()
            return
        if count and chunk_delay:
            await asyncio.sleep(chunk_delay)
        data = encode(event, compact)
        step = split_bytes if split_bytes > 0 else len(data)
        for start in range(0, len(data), step):
            yield data[start : start + step]
