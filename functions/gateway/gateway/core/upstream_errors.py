"""Every way a Workers AI call can fail, in one table: can the backup help, what the client sees.

The fallback policy (fallback.py) and the mapping onto the client's error (`from_upstream`) both
read `rule_for`. The rows follow the error codes of docs/upstream.md#error-codes ("Envelope and
errors"): Cloudflare's code decides when the answer carried a known one, else the HTTP status,
else what went wrong on the wire. A 2xx that is not the documented success shape counts as an
upstream failure like a 5xx (the backup is tried; 502 when nothing answered).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.core.errors import GatewayError


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


# What the client reads; `{detail}` is the upstream's own words (already scrubbed).
BUSY = "Every model in the chain is out of capacity right now; try again shortly."
LATE = "Workers AI did not answer in time."
NO_MODEL = "Workers AI has no such model: {detail}"
PAID = "Workers AI refused the model: {detail}"
QUOTA = "The Workers AI account's daily allocation is used up: {detail}"
AUTH = (
    "Workers AI rejected the gateway's Cloudflare credentials; the operator must update the "
    "API token."
)
LARGE = "The request is too large: {detail}"
REFUSED = "Workers AI rejected the request: {detail}"
LIMITED = "Workers AI rate limit reached: {detail}"
DOWN = "Workers AI is unavailable: {detail}"
FAILED = "Workers AI failed: {detail}"
UNREACHABLE = "Workers AI is unreachable: {detail}"
OURS = "{detail}"  # our own words, for failures where nothing answered in time

# fmt: off
CODES: dict[int, Rule] = {
    #           meaning                          retry  HTTP client code                 message
    3040:  Rule("out of capacity",               True,  429, "model_busy",               BUSY),
    3007:  Rule("timeout",                       True,  504, "upstream_timeout",         LATE),
    3008:  Rule("request aborted",               True,  504, "upstream_timeout",         LATE),
    5007:  Rule("no such model or task",         True,  404, "model_not_found",  NO_MODEL, "model"),
    3042:  Rule("invalid model id",              True,  404, "model_not_found",  NO_MODEL, "model"),
    5035:  Rule("model needs the Paid plan",     True,  403, "model_not_allowed",        PAID),
    3036:  Rule("daily allocation used up",      False, 429, "daily_quota_exceeded",     QUOTA),
    4006:  Rule("daily allocation used up",      False, 429, "daily_quota_exceeded",     QUOTA),
    10000: Rule("bad Cloudflare API token",      False, 502, "upstream_auth_failed",     AUTH),
    3006:  Rule("request too large",             False, 413, "request_too_large",        LARGE),
    5004:  Rule("invalid input",                 False, 400, "upstream_invalid_request", REFUSED),
    3003:  Rule("invalid input",                 False, 400, "upstream_invalid_request", REFUSED),
    8001:  Rule("invalid input",                 False, 400, "upstream_invalid_request", REFUSED),
    8006:  Rule("forced tool, max_tokens small", False, 400, "upstream_invalid_request", REFUSED),
}
"""Cloudflare's error codes (docs/upstream.md#error-codes): a known code decides first."""

STATUSES: dict[int, Rule] = {
    401:   Rule("bad Cloudflare API token",      False, 502, "upstream_auth_failed",     AUTH),
    403:   Rule("bad Cloudflare API token",      False, 502, "upstream_auth_failed",     AUTH),
    404:   Rule("not found",                     False, 404, "model_not_found",  NO_MODEL, "model"),
    408:   Rule("timeout",                       True,  504, "upstream_timeout",         LATE),
    413:   Rule("request too large",             False, 413, "request_too_large",        LARGE),
    429:   Rule("account rate limit",            False, 429, "rate_limit_exceeded",      LIMITED),
    503:   Rule("service unavailable",           True,  503, "upstream_unavailable",     DOWN),
    504:   Rule("timeout",                       True,  504, "upstream_timeout",         LATE),
}
"""HTTP statuses without a known code; other 4xx are INVALID_INPUT, anything else FAILURE."""

INVALID_INPUT = Rule("invalid input",            False, 400, "upstream_invalid_request", REFUSED)
FAILURE = Rule("5xx, or 2xx without a result",   True,  502, "upstream_error",           FAILED)

KINDS: dict[str, Rule] = {
    "timeout":   Rule("no answer in time",       True,  504, "upstream_timeout",         OURS),
    "connect":   Rule("connection refused",      True,  502, "upstream_unavailable", UNREACHABLE),
    "transport": Rule("connection broken",       True,  502, "upstream_unavailable", UNREACHABLE),
}
"""Failures with no answer at all."""
# fmt: on


def rule_for(error: UpstreamError) -> Rule:
    """The table's row for one failure: by Cloudflare code, else HTTP status, else kind."""
    if error.code is not None and error.code in CODES:
        return CODES[error.code]
    if error.status is None:
        return KINDS.get(error.kind, KINDS["transport"])
    if error.status in STATUSES:
        return STATUSES[error.status]
    if 400 <= error.status < 500:
        return INVALID_INPUT
    return FAILURE


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
