"""The bearer-key check for everything under /v1."""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.errors import GatewayError
from gateway.services import services


def key_matches(presented: str, keys: tuple[str, ...]) -> bool:
    """Compare in constant time against every key, without stopping at the first match."""
    given = presented.encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given, key.encode())
    return matched


bearer = HTTPBearer(auto_error=False, description="The gateway API key.")


async def require_api_key(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> str:
    """The key the request presents; a 401 GatewayError unless it is one of the keys.
    `credentials` is what `bearer` read from its Authorization header."""
    presented = credentials.credentials.strip() if credentials else ""
    if not presented:
        raise GatewayError(
            401,
            "You didn't provide an API key. Send it in an Authorization header: "
            "'Authorization: Bearer YOUR_KEY'.",
            code="missing_api_key",
        )
    keys = await services(request).credentials.client_keys()
    if not key_matches(presented, keys):
        raise GatewayError(401, "Incorrect API key provided.", code="invalid_api_key")
    return presented
