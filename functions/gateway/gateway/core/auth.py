"""The API-key check for everything under /v1."""

from __future__ import annotations

import hmac

from gateway.core.errors import GatewayError
from gateway.core.http import Request
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


async def require_api_key(request: Request[Services]) -> str:
    """The key the request presents, kept in its context; a 401 GatewayError unless it is one
    of the configured keys."""
    presented = bearer_token(request.headers.get("authorization"))
    if not presented:
        raise GatewayError(
            401,
            "You didn't provide an API key. Send it in an Authorization header: "
            "'Authorization: Bearer YOUR_KEY'.",
            code="missing_api_key",
        )
    keys = await request.services.credentials.client_keys()
    if not key_matches(presented, keys):
        raise GatewayError(401, "Incorrect API key provided.", code="invalid_api_key")
    request.context.api_key = presented
    return presented
