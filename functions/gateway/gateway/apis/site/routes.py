"""The docs site, served locally the way CloudFront serves it from S3 in AWS: the page, its
assets, the OpenAPI document and the page's config."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from gateway.core.config import Settings
from gateway.core.errors import GatewayError
from gateway.core.http import ASGIApp, JSONResponse, Request, Response, Route, get
from gateway.core.services import Services


def _static_dir() -> Path:
    """Beside the package in the Lambda bundle, else the repository's own static/."""
    package = Path(__file__).resolve().parents[2]
    bundled = package.parent / "static"
    return bundled if bundled.is_dir() else package.parents[2] / "static"


STATIC_DIR = _static_dir()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
"""The docs site's policy: the same as CloudFront's (DocsSecurityHeaders in template.yaml),
except that there the page talks to the API at the Function URL, here on its own origin."""

SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}
HSTS = "max-age=63072000; includeSubDomains"


def _headers(request: Request[Services]) -> dict[str, str]:
    """The docs site's headers; HSTS only where the client came over HTTPS (RFC 6797 §7.2:
    not over plain HTTP), as told by the scheme or by the proxy's X-Forwarded-Proto."""
    headers = {"cache-control": "no-cache", **SECURITY_HEADERS}
    proto = request.headers.get("x-forwarded-proto") or str(request.scope.get("scheme", "http"))
    if proto.split(",")[0].strip().lower() == "https":
        headers["strict-transport-security"] = HSTS
    return headers


def _file(name: str, request: Request[Services]) -> Response:
    """A file of the site (they are small: read whole); a 404 for anything outside it."""
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise GatewayError(404, f"No such file: /{name}", code="not_found")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type.endswith(("javascript", "json")):
        media_type += "; charset=utf-8"
    return Response(path.read_bytes(), 200, _headers(request), media_type.encode())


async def index(request: Request[Services]) -> ASGIApp:
    return _file("index.html", request)


async def openapi(request: Request[Services]) -> ASGIApp:
    return _file("openapi.json", request)


async def asset(request: Request[Services]) -> ASGIApp:
    return _file(f"assets/{request.params['name']}", request)


async def config(request: Request[Services]) -> ASGIApp:
    """What the page needs to know; in AWS the publisher writes the same file at deploy."""
    return JSONResponse(_config(request.services), headers=_headers(request))


def _config(svc: Services) -> dict[str, object]:
    return {
        "api_base_url": None,
        "default_model": svc.catalog.primary,
        "backup_model": svc.catalog.backup,
        "aliases": svc.catalog.aliases,
        "key_command": _key_command(svc.settings),
    }


KEY_COMMAND = (
    "aws secretsmanager get-secret-value --region {region} --query SecretString"
    ' --output text --secret-id "$(aws cloudformation describe-stack-resource'
    " --region {region} --stack-name {stack} --logical-resource-id"
    ' ApiKeysSecret --query StackResourceDetail.PhysicalResourceId --output text)"'
)
"""How the page tells where the key is, as DocsSite's config in template.yaml does: through the
stack's name, not the secret's ARN, which would show the AWS account id on a public page."""


def _key_command(settings: Settings) -> str | None:
    if not (settings.stack_name and settings.aws_region):
        return None
    return KEY_COMMAND.format(region=settings.aws_region, stack=settings.stack_name)


ROUTES: list[Route] = [
    get("/", index, auth=False, documented=False),
    get("/openapi.json", openapi, auth=False, documented=False),
    get("/config.json", config, auth=False, documented=False),
    get("/assets/{name:path}", asset, auth=False, documented=False),
]
