"""The per-request context: what one request learns on its way, from its arrival to its log line.

It is made by the outermost middleware (observability.RequestContextMiddleware), kept in the
ASGI scope, and read through `context_of`; `current_request` also holds it for the tasks the
request starts (the outbound transport adds its waiting time there, the upstream client the
model it called and the tokens it reported, which `metering` records under the caller's key).
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.core.keys import KeyRecord

Metrics = dict[str, tuple[str, list[float]]]
"""Metric name -> (CloudWatch unit, values)."""

_KEY = "gateway.context"
"""The key of the context in the scope's `state` (ASGI's per-request state dict)."""


@dataclass
class RequestContext:
    """What one request learns on its way; the middleware logs and flushes it at the end."""

    request_id: str
    deadline: float | None = None
    started: float = field(default_factory=time.time)
    """When the request arrived (Unix time): its deadline counts from here."""
    fields: dict[str, Any] = field(default_factory=dict)
    upstream_seconds: float = 0.0
    """Time spent waiting on outbound HTTP calls so far (while several are pending at once,
    such as the `n` calls of an images request, the time is counted once)."""
    waiting: int = 0
    """Outbound calls pending now."""
    waiting_since: float = 0.0
    """When the pending calls began (`time.perf_counter()`), while `waiting` is above 0."""
    metrics: Metrics = field(default_factory=dict)
    api_key: str | None = None
    """The API key the request presented, once `auth.require_api_key` accepted it."""
    key: KeyRecord | None = None
    """The named key the request presented; None for an operator key (or no key yet)."""
    rate_limits: dict[str, str] = field(default_factory=dict)
    """The named key's `x-ratelimit-*` headers, which go out with the answer."""
    client_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    """The request's headers as the server gave them (some are passed on upstream)."""
    model: str | None = None
    """The model of the request's last upstream call: the one that answered, once one has."""
    input_tokens: int = 0
    output_tokens: int = 0
    """Tokens the upstream reported for this request's calls (`add_usage`)."""
    usage_reported: bool = False
    client_closed: bool = False
    """The client left before the answer ended: the request is logged with status 499."""

    def wait_began(self) -> None:
        """An outbound call began waiting (the transport calls this and `wait_ended`)."""
        if self.waiting == 0:
            self.waiting_since = time.perf_counter()
        self.waiting += 1

    def wait_ended(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.upstream_seconds += time.perf_counter() - self.waiting_since

    @property
    def operator(self) -> bool:
        """The request presented an operator key (a configured one: no limits, may manage
        named keys)."""
        return self.api_key is not None and self.key is None

    def count(self, name: str, value: float = 1, unit: str = "Count") -> None:
        """Record a metric value (CloudWatch unit names: Count, Milliseconds...)."""
        self.metrics.setdefault(name, (unit, []))[1].append(float(value))

    def add_usage(self, prompt_tokens: int, completion_tokens: int) -> None:
        """Add the token counts one upstream call reported (its final ones, once per call)."""
        self.input_tokens += prompt_tokens
        self.output_tokens += completion_tokens
        self.usage_reported = True
        self.count("PromptTokens", prompt_tokens)
        self.count("CompletionTokens", completion_tokens)


current_request: ContextVar[RequestContext | None] = ContextVar("current_request", default=None)
"""The request being served in this task (and the tasks it starts), for `gateway.transport`."""


def attach_context(scope: dict[str, Any], ctx: RequestContext) -> None:
    scope.setdefault("state", {})[_KEY] = ctx


def context_of(scope: dict[str, Any]) -> RequestContext:
    """The context `attach_context` put into this request's scope."""
    ctx: RequestContext = scope["state"][_KEY]
    return ctx
