"""Request headers the gateway will not guess about, refused before anything reads them.

- A header section larger than MAX_HEADER_BYTES is a 431 (RFC 6585 §5). The HTTP parser under
  uvicorn sets no limit of its own, and every proxy in front of one does (an AWS load balancer
  takes 64 KiB, Node 16 KiB, nginx 32 KiB by default): the same request must not work here and
  fail behind them.
- A header that may appear once (RFC 9110 §5.3) sent twice with different values is a 400:
  which `Authorization` or `Content-Type` a proxy checked and which the app read would be anyone's
  guess. Repeats of the same value are harmless and pass. (A repeated or conflicting
  `Content-Length`, or one beside `Transfer-Encoding`, never gets this far: the parser refuses
  the request, RFC 9112 §6.3.)
"""

from __future__ import annotations

from gateway.core.errors import GatewayError
from gateway.core.http import ASGIApp, ErrorRenderer, Receive, Scope, Send, openai_error

MAX_HEADER_BYTES = 64 * 1024
"""The largest header section taken (names and values): an AWS load balancer's limit."""

SINGLE = frozenset({b"authorization", b"x-api-key", b"content-type", b"content-encoding", b"host"})
"""Headers a request may carry once (the ones the gateway reads to decide what to do)."""


class HeaderChecks:
    """ASGI middleware refusing oversized header sections (431) and conflicting repeats (400)."""

    def __init__(self, app: ASGIApp, render: ErrorRenderer = openai_error) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            error = problem(scope["headers"])
            if error is not None:
                await self.render(scope, error)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def problem(headers: list[tuple[bytes, bytes]]) -> GatewayError | None:
    """What is wrong with a request's headers (names lower-cased, as ASGI gives them)."""
    size = 0
    seen: dict[bytes, bytes] = {}
    for name, value in headers:
        size += len(name) + len(value) + 4
        if name in SINGLE and seen.setdefault(name, value) != value:
            header = name.decode("latin-1")
            return GatewayError(
                400,
                f"The request has more than one {header} header, with different values: send "
                "it once.",
                code="duplicate_header",
            )
    if size > MAX_HEADER_BYTES:
        return GatewayError(
            431,
            f"The request's headers take {size} bytes, more than the {MAX_HEADER_BYTES} taken.",
            code="request_header_fields_too_large",
        )
    return None
