"""Every way a Workers AI call can fail, in one table: can the backup help, what the client sees.

The fallback policy (fallback.py) and the mapping onto the client's error (`from_upstream`) both
read `rule_for`. The rows follow the error table of reference/workers-ai.md ("Envelope and
errors"): Cloudflare's code decides when the answer carried a known one, else the HTTP status,
else what went wrong on the wire. A 2xx that is not the documented success shape counts as an
upstream failure like a 5xx (the backup is tried; 502 when nothing answered).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import GatewayError


class UpstreamError(Exception):
    """A failed call to Workers AI.

    `status` is the HTTP status (None when no answer came), `code` the Cloudflare error code
    when the body had one, `kind` what went wrong: `http` (an error status), `invalid` (a 2xx
    without the documented shape), or on the wire `timeout`, `connect`, `transport`.
    `message` is already safe to show: no control characters, no secret.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        kind: str = "http",
        retry_after: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.kind = kind
        self.retry_after = retry_after

    @property
    def label(self) -> str:
        """A short name for logs and metrics: the Cloudflare code, the kind, or the status."""
        if self.code is not None:
            return str(self.code)
        return str(self.status) if self.kind == "http" else self.kind


@dataclass(frozen=True)
class Rule:
    """What one kind of upstream failure means for the gateway.

    `retryable`: the next model in the chain can help. `status`, `code`, `message`: the client's
    HTTP status, OpenAI-style error code and message (`{detail}` is the upstream's own words).
    """

    meaning: str
    retryable: bool
    status: int
    code: str
    message: str
    param: str | None = None


CAPACITY = Rule(
    "out of capacity",
    True,
    429,
    "model_busy",
    "Every model in the chain is out of capacity right now; try again shortly.",
)
TIMEOUT = Rule("timeout", True, 504, "upstream_timeout", "Workers AI did not answer in time.")
NO_MODEL = Rule(
    "no such model",
    True,
    404,
    "model_not_found",
    "Workers AI has no such model: {detail}",
    param="model",
)
PAID_ONLY = Rule(
    "model needs the Workers Paid plan",
    True,
    403,
    "model_not_allowed",
    "Workers AI refused the model: {detail}",
)
DAILY_QUOTA = Rule(
    "the account's daily free allocation is used up",
    False,
    429,
    "daily_quota_exceeded",
    "The Workers AI account's daily allocation is used up: {detail}",
)
BAD_TOKEN = Rule(
    "the Cloudflare API token is wrong or lacks permissions",
    False,
    502,
    "upstream_auth_failed",
    "Workers AI rejected the gateway's Cloudflare credentials; the operator must update the "
    "API token.",
)
TOO_LARGE = Rule(
    "request too large", False, 413, "request_too_large", "The request is too large: {detail}"
)
BAD_INPUT = Rule(
    "invalid input",
    False,
    400,
    "upstream_invalid_request",
    "Workers AI rejected the request: {detail}",
)
RATE_LIMIT = Rule(
    "the account's request rate limit",
    False,
    429,
    "rate_limit_exceeded",
    "Workers AI rate limit reached: {detail}",
)
UNAVAILABLE = Rule(
    "service unavailable", True, 503, "upstream_unavailable", "Workers AI is unavailable: {detail}"
)
FAILED = Rule(
    "upstream failure (a 5xx, or a 2xx without the documented result)",
    True,
    502,
    "upstream_error",
    "Workers AI failed: {detail}",
)
UNREACHABLE = Rule(
    "no answer: connection refused or broken",
    True,
    502,
    "upstream_unavailable",
    "Workers AI is unreachable: {detail}",
)
NO_ANSWER_IN_TIME = Rule(
    "no answer, or no stream event, in time", True, 504, "upstream_timeout", "{detail}"
)

CODES: dict[int, Rule] = {
    3040: CAPACITY,
    3007: TIMEOUT,
    3008: Rule("request aborted", True, 504, "upstream_timeout", TIMEOUT.message),
    5007: NO_MODEL,
    3042: Rule("invalid model id", True, 404, NO_MODEL.code, NO_MODEL.message, "model"),
    5035: PAID_ONLY,
    3036: DAILY_QUOTA,
    4006: DAILY_QUOTA,
    10000: BAD_TOKEN,
    3006: TOO_LARGE,
    5004: BAD_INPUT,
    3003: BAD_INPUT,
    8001: BAD_INPUT,
    8006: Rule(
        "a forced tool call needs a larger max_tokens", False, 400, BAD_INPUT.code, "{detail}"
    ),
}
"""Cloudflare's error codes (reference/workers-ai.md): a code decides before the status does."""

STATUSES: dict[int, Rule] = {
    401: BAD_TOKEN,
    403: BAD_TOKEN,
    404: Rule("not found", False, 404, NO_MODEL.code, NO_MODEL.message, "model"),
    408: TIMEOUT,
    413: TOO_LARGE,
    429: RATE_LIMIT,
    503: UNAVAILABLE,
    504: TIMEOUT,
}
"""HTTP statuses that answered without a known code. Other 4xx are invalid input; anything else
(other 5xx, and a 2xx or 3xx that is not a success) is FAILED."""

KINDS: dict[str, Rule] = {
    "timeout": NO_ANSWER_IN_TIME,
    "connect": UNREACHABLE,
    "transport": UNREACHABLE,
}
"""Failures with no answer at all."""


def rule_for(error: UpstreamError) -> Rule:
    """The table's row for one failure: by Cloudflare code, else HTTP status, else kind."""
    if error.code is not None and error.code in CODES:
        return CODES[error.code]
    if error.status is None:
        return KINDS.get(error.kind, UNREACHABLE)
    if error.status in STATUSES:
        return STATUSES[error.status]
    if 400 <= error.status < 500:
        return BAD_INPUT
    return FAILED


def from_upstream(error: UpstreamError) -> GatewayError:
    """What the client sees when Workers AI failed (after any fallback), in OpenAI's terms.

    Upstream 4xx that concern the request keep their meaning (400, 403, 404, 413, 429); failures
    of Workers AI itself are 502, 503 or 504. `Retry-After` is passed on with 429 and 503.
    """
    rule = rule_for(error)
    headers = None
    if error.retry_after and rule.status in {429, 503}:
        headers = {"retry-after": error.retry_after}
    return GatewayError(
        rule.status,
        rule.message.format(detail=error.message),
        code=rule.code,
        param=rule.param,
        headers=headers,
    )
