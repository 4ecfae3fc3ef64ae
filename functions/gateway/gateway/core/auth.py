"""The API-key check for everything under /v1 (and /admin): operator keys and named keys.

Operator keys are the configured ones (`WORKER_API_KEY`, or the client-keys secret): no limits,
and they alone manage keys. Any other key is looked up among the named keys (`core.keys`); a
named key may be refused (401), is checked against its limits before the route's work (429), and
is never let through unverified when the key store cannot answer (503), while operator keys keep
working. The caller's identity goes into the request context (`api_key`, `key`), its
`x-ratelimit-*` headers into `ctx.rate_limits` (`metering` sends them with the answer): the
state after counting the request on a `metered` route, the state as it stands on a `key` route.
"""

from __future__ import annotations

import hmac

from gateway.core.context import RequestContext
from gateway.core.errors import GatewayError
from gateway.core.http import Access, Request
from gateway.core.keys import (
    KeyRecord,
    KeyRefused,
    KeyStore,
    LimitExceeded,
    StoreUnavailable,
    looks_like_secret,
)
from gateway.core.observability import describe_exception, logger
from gateway.core.services import Services


def key_matches(presented: str, keys: tuple[str, ...]) -> bool:
    """Compare in constant time against every key, without stopping at the first match."""
    given = presented.encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given, key.encode())
    return matched


def bearer_token(authorization: str | None) -> str:
    """The credentials of an `Authorization: Bearer <token>` header (RFC 6750 §2.1: the scheme
    is case-insensitive), else ""."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def presented_key(request: Request[Services]) -> str:
    """The key the request presents: `Authorization: Bearer <key>` (OpenAI's clients, and
    Anthropic's with an auth token), else `x-api-key` (Anthropic's clients); "" when neither."""
    return bearer_token(request.headers.get("authorization")) or (
        request.headers.get("x-api-key", "").strip()
    )


def invalid_key() -> GatewayError:
    return GatewayError(401, "Incorrect API key provided.", code="invalid_api_key")


async def require_api_key(request: Request[Services], access: Access = "metered") -> str:
    """The key the request presents, kept in its context with the named key it is (if any).

    Raises GatewayError: 401 for a missing, unknown, revoked, disabled or expired key; 403 for a
    named key on an `operator` route; 429 when a `metered` route finds the key over a limit;
    503 when a named key cannot be checked (the key store is down).
    """
    presented = presented_key(request)
    if not presented:
        raise GatewayError(
            401,
            "You didn't provide an API key. Send it in an Authorization header: "
            "'Authorization: Bearer YOUR_KEY' (or, from an Anthropic client, 'x-api-key').",
            code="missing_api_key",
        )
    ctx, svc = request.context, request.services
    if key_matches(presented, await svc.credentials.client_keys()):
        ctx.api_key = presented
        return presented
    if not looks_like_secret(presented):
        raise invalid_key()  # not the form of a named key: no store lookup
    key = await _named_key(svc.keys, ctx, presented)
    ctx.api_key, ctx.key = presented, key
    ctx.fields.update(key=key.name, key_id=key.id)
    if access == "operator":
        raise GatewayError(
            403,
            "Only an operator key may manage keys; this is a named key.",
            code="operator_key_required",
        )
    if access == "metered":
        await _admit(svc.keys, ctx, key)
    else:
        await _standing(svc.keys, ctx, key)
    return presented


async def _named_key(store: KeyStore, ctx: RequestContext, presented: str) -> KeyRecord:
    try:
        return await store.authenticate(presented)
    except KeyRefused as refused:
        if refused.reason == "unknown":
            raise invalid_key() from None
        raise GatewayError(401, str(refused), code=f"key_{refused.reason}") from None
    except StoreUnavailable as exc:
        raise store_unavailable(exc, ctx) from None


async def _admit(store: KeyStore, ctx: RequestContext, key: KeyRecord) -> None:
    """Count the request against the key's limits; its windows' state becomes the answer's
    `x-ratelimit-*` headers (on a refusal too)."""
    try:
        admission = await store.admit(key)
    except LimitExceeded as exceeded:
        ctx.rate_limits = exceeded.state.headers()
        raise limit_error(exceeded) from None
    except StoreUnavailable as exc:
        raise store_unavailable(exc, ctx) from None
    ctx.rate_limits = admission.headers()


async def _standing(store: KeyStore, ctx: RequestContext, key: KeyRecord) -> None:
    """The key's windows as they stand, for the answer's headers, counting nothing (after this
    instance's usage writes still running, as its usage reports are)."""
    await store.flush()
    try:
        ctx.rate_limits = (await store.peek(key)).headers()
    except StoreUnavailable as exc:
        raise store_unavailable(exc, ctx) from None


def limit_error(exceeded: LimitExceeded) -> GatewayError:
    """OpenAI's 429s: `rate_limit_exceeded` (type `requests` or `tokens`) with `retry-after`
    for rpm and tpm; `insufficient_quota` for a spent budget, which no retry cures (the openai
    SDKs read `x-should-retry: false` and do not retry)."""
    if exceeded.kind == "budget":
        return GatewayError(
            429,
            str(exceeded),
            code="insufficient_quota",
            type="insufficient_quota",
            headers={"x-should-retry": "false"},
        )
    return GatewayError(
        429,
        str(exceeded),
        code="rate_limit_exceeded",
        type="requests" if exceeded.kind == "rpm" else "tokens",
        headers={"retry-after": str(exceeded.retry_after)},
    )


def store_unavailable(error: StoreUnavailable, ctx: RequestContext) -> GatewayError:
    """The 503 when the key store cannot answer; its cause is logged (and counted as
    `KeyStoreErrors`), never answered."""
    logger.error("key store unavailable", extra=describe_exception(error.__cause__ or error))
    ctx.count("KeyStoreErrors")
    return GatewayError(503, str(error), code="key_store_unavailable")
