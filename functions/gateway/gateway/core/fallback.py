"""The attempt loop over a model chain: which failures move on to the backup, and cool-downs.

Which failures move on is the `retryable` column of the table in upstream_errors.py: capacity,
timeouts, missing or paid-only models, 5xx, broken connections and 2xx answers without a result
fall back; quota exhaustion, bad tokens, oversized or invalid input do not, because the backup
would fail the same way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from gateway.core.context import RequestContext
from gateway.core.observability import logger, upstream_error_metric
from gateway.core.upstream_errors import UpstreamError, rule_for

T = TypeVar("T")


@dataclass
class _Health:
    failures: int = 0
    skip_until: float = 0.0


class Cooldown:
    """Skips a model for a while after it failed several times in a row (per warm process)."""

    def __init__(self, failures: int, seconds: float) -> None:
        self.threshold = failures
        self.seconds = seconds
        self._models: dict[str, _Health] = {}

    def cooling(self, model: str) -> bool:
        health = self._models.get(model)
        return health is not None and health.skip_until > time.monotonic()

    def failed(self, model: str) -> None:
        health = self._models.setdefault(model, _Health())
        health.failures += 1
        if health.failures >= self.threshold:
            health.skip_until = time.monotonic() + self.seconds
            health.failures = 0

    def succeeded(self, model: str) -> None:
        self._models.pop(model, None)


class Deadline:
    """One overall deadline for a request, within the Lambda invocation's own."""

    def __init__(
        self, seconds: float, hard_limit: float | None = None, start: float | None = None
    ) -> None:
        end = (time.time() if start is None else start) + seconds
        if hard_limit is not None:
            end = min(end, hard_limit - 1.0)
        self.end = end

    @classmethod
    def of_request(cls, seconds: float, ctx: RequestContext) -> Deadline:
        """The request's deadline: `seconds` from its arrival, so everything it does (image
        fetches, then every model attempt and the stream) shares the one budget."""
        return cls(seconds, ctx.deadline, start=ctx.started)

    def remaining(self) -> float:
        return self.end - time.time()


Attempt = Callable[[str, bool], Awaitable[T]]


async def run_chain(
    chain: list[str],
    attempt: Attempt[T],
    *,
    cooldown: Cooldown,
    deadline: Deadline,
    attempt_timeout: float,
    ctx: RequestContext,
) -> tuple[str, T]:
    """Try each model in turn; return (model, result) of the first that succeeds.

    `attempt(model, has_backup)` must finish, or fail, before any byte reaches the client:
    for a stream that means it returns once the first upstream event arrived.
    A model in cool-down is skipped, unless it is the last one left.
    """
    candidates = [m for m in chain if not cooldown.cooling(m)] or chain[-1:]
    last_error: UpstreamError | None = None
    for index, model in enumerate(candidates):
        has_backup = index < len(candidates) - 1
        remaining = deadline.remaining()
        if remaining <= 0:
            break
        try:
            async with asyncio.timeout(min(attempt_timeout, remaining)):
                result = await attempt(model, has_backup)
        except TimeoutError:
            last_error = UpstreamError("Workers AI did not answer in time.", kind="timeout")
        except UpstreamError as error:
            last_error = error
        else:
            cooldown.succeeded(model)
            if index > 0:
                ctx.count("Fallbacks")
            ctx.fields.update(model=model, attempts=index + 1)
            return model, result
        rule = rule_for(last_error)
        upstream_error_metric(last_error.label)
        logger.warning(
            "upstream attempt failed",
            extra={
                "model": model,
                "error": last_error.label,
                "meaning": rule.meaning,
                "detail": last_error.message,
            },
        )
        if not rule.retryable:
            raise last_error
        cooldown.failed(model)
    raise last_error or UpstreamError("The request deadline passed.", kind="timeout")
