"""GET /media/{name}: a generated image from the local store (core/media_files.py).

No API key: a link is handed to whoever the client gives it to (a browser's `<img>`, a
download), as OpenAI's image URLs are. The name is the secret (192 random bits) and it expires
after `IMAGE_URL_TTL` seconds; anything else is a 404 (docs/security.md#generated-image-links).
"""

from __future__ import annotations

from gateway.core.errors import GatewayError
from gateway.core.http import ASGIApp, Request, Response, Route, get
from gateway.core.media_files import LOCAL_PREFIX
from gateway.core.services import Services


async def get_media(request: Request[Services]) -> ASGIApp:
    found = await request.services.media.load(request.params["name"])
    if found is None:
        raise GatewayError(404, "No such file, or its link has expired.", code="not_found")
    headers = {
        "cache-control": "private, max-age=3600, immutable",
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'",
    }
    return Response(found.data, 200, headers, found.media_type.encode())


MEDIA_ROUTES: list[Route] = [
    get(
        LOCAL_PREFIX + "{name}",
        get_media,
        auth=False,
        summary="Download a generated image",
        description="The links of `response_format: url` when the gateway stores images itself "
        "(no S3 bucket): no key needed, valid for an hour.",
        errors=(404,),
    )
]
